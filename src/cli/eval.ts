/**
 * `deepscope eval`: a checkpoint's accuracy on the MNIST test split.
 * @module
 */
import * as fs from 'fs';
import { Command } from 'commander';
import type { DeviceLike } from '../device';
import { create, MODEL_NAMES } from '../models';
import { readSafetensorsHeader } from '../io/safetensors';
import { loadInto } from '../io/checkpoint';
import { StateDictError } from '../nn/module';
import type { ModelName } from '../train/recipes';
import { CliError, applyThreads, checkDevice, deviceArg, describeFsError, firstLine, modelArg, percent, positiveInt, thousands } from './common';
import { evaluateOnMnist } from './run';

/** Options of `deepscope eval`, as parsed. */
export interface EvalOptions {
  model?: ModelName;
  checkpoint: string;
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

/** Adds the `eval` command to `program`. */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a checkpoint on the MNIST test split (2,000 digits)')
    .requiredOption('-c, --checkpoint <file>', 'a model.safetensors written by demo or train')
    .option('-m, --model <name>', "lenet5 or lenet5-modern (default: the checkpoint's metadata)", modelArg)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print { model, checkpoint, accuracy, loss, samples, seconds } as JSON')
    .addHelpText('after', '\nExample:\n  deepscope eval --checkpoint deepscope-demo/model.safetensors --json')
    .action(async (opts: EvalOptions) => {
      applyThreads(opts.threads);
      const file = opts.checkpoint;
      if (!fs.existsSync(file)) throw new CliError(`checkpoint '${file}' not found`);
      if (fs.statSync(file).isDirectory()) throw new CliError(`checkpoint '${file}' is a directory, not a file`);
      let metadata: Record<string, string>;
      try {
        metadata = (await readSafetensorsHeader(file)).metadata;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // "readSafetensorsHeader: <file>: <problem>" → "<problem>"
        const problem = code ? describeFsError(e) : firstLine(e).replace(/^readSafetensorsHeader: /, '').replace(`${file}: `, '');
        throw new CliError(`cannot read checkpoint '${file}' (not a safetensors file?): ${problem}`);
      }
      let name = opts.model;
      if (!name) {
        const m = metadata.model;
        if (!m) throw new CliError(`checkpoint '${file}' does not say which model it holds; give --model (${MODEL_NAMES.join(' or ')})`);
        if (!(MODEL_NAMES as readonly string[]).includes(m)) throw new CliError(`checkpoint '${file}' holds an unknown model '${m}'; give --model`);
        name = m as ModelName;
      }
      checkDevice(opts.device);
      const model = create(name);
      try {
        if (opts.device !== 'cpu') model.to(opts.device);
        try {
          await loadInto(model, file, { device: opts.device });
        } catch (e) {
          const saved = metadata.model && metadata.model !== name ? `; the checkpoint says model '${metadata.model}'` : '';
          throw new CliError(`checkpoint '${file}' does not fit model '${name}': ${describeMismatch(e)}${saved}`);
        }
        const r = await evaluateOnMnist(model, opts.device);
        const correct = Math.round(r.accuracy * r.samples);
        if (opts.json) {
          const result = { model: name, checkpoint: file, device: opts.device, accuracy: r.accuracy, loss: r.loss, correct, samples: r.samples, seconds: r.seconds };
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        } else {
          process.stdout.write(
            `${name}: test accuracy ${percent(r.accuracy)} (${thousands(correct)}/${thousands(r.samples)} digits), loss ${r.loss.toFixed(4)}, ${r.seconds.toFixed(2)} s\n`,
          );
        }
      } finally {
        model.dispose();
      }
    });
}

/** A short account of why a state dict did not load: counts of keys rather than every name. */
function describeMismatch(e: unknown): string {
  if (!(e instanceof StateDictError)) return firstLine(e);
  const parts: string[] = [];
  const list = (keys: string[]) => keys.slice(0, 3).map((k) => `'${k}'`).join(', ') + (keys.length > 3 ? ', ...' : '');
  if (e.missingKeys.length) parts.push(`${e.missingKeys.length} missing key(s) (${list(e.missingKeys)})`);
  if (e.unexpectedKeys.length) parts.push(`${e.unexpectedKeys.length} unexpected key(s) (${list(e.unexpectedKeys)})`);
  if (e.shapeMismatches.length) parts.push(`${e.shapeMismatches.length} shape mismatch(es) (${list(e.shapeMismatches.map((m) => m.key))})`);
  return parts.join(', ');
}
