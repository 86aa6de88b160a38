/**
 * `deepscope signal`: signal propagation through a very deep vanilla CNN (Xiao et al. 2018) under several
 * initialisations, or through a model of the zoo: per-layer activation and gradient RMS and the
 * Jacobian's singular values. Writes `signal-activations.png`, `signal-gradients.png`,
 * `signal-jacobian.png` and `signal.json`.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { Module } from '../nn/module';
import type { DeviceLike } from '../device';
import { Generator } from '../random';
import { randn } from '../ops/creation';
import { vanillaCNN, type VanillaCNNOptions } from '../models/vanilla';
import { signalPropagation, type SignalPropagation } from '../analysis/signal';
import { plotLines } from '../io/plot';
import { summaryModelArg } from './summary';
import { CliError, applyThreads, checkDevice, choiceArg, deviceArg, firstLine, nonNegativeInt, positiveInt, prepareOutDir, usageError } from './common';
import { buildZooModel, resolveZooModel } from './zoo';
import { progressBar } from './analysis-data';

const INITS = ['deltaOrthogonal', 'orthogonal', 'gaussian', 'kaiming'] as const;

/** Options of `deepscope signal`, as parsed. */
export interface SignalCliOptions {
  model?: string;
  checkpoint?: string;
  depth: number;
  width: number;
  size: number;
  activation: 'tanh' | 'relu';
  init: string;
  probes: number;
  seed: number;
  out: string;
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

/** Adds the `signal` command to `program`. */
export function registerSignal(program: Command): void {
  program
    .command('signal')
    .description('activation and gradient norms and Jacobian singular values through depth: delta-orthogonal vs Gaussian initialisation')
    .option('-m, --model <name>', 'a model of the zoo instead of the vanilla CNNs', summaryModelArg)
    .option('-c, --checkpoint <file>', 'weights of --model (safetensors)')
    .option('--depth <n>', 'convolutions of the vanilla CNN', positiveInt('--depth'), 200)
    .option('--width <n>', 'channels of the vanilla CNN', positiveInt('--width'), 16)
    .option('--size <n>', 'height and width of the random input', positiveInt('--size'), 8)
    .option('--activation <name>', 'tanh or relu', choiceArg('activation', ['tanh', 'relu'] as const), 'tanh')
    .option('--init <list>', `initialisations to compare, comma-separated: ${INITS.join(', ')}`, 'deltaOrthogonal,gaussian')
    .option('--probes <n>', 'random probes of the Jacobian', positiveInt('--probes'), 32)
    .option('--seed <n>', 'seed of the weights, input and probes', nonNegativeInt('--seed'), 0)
    .option('-o, --out <dir>', 'output directory', 'deepscope-signal')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  deepscope signal --depth 1000 --init deltaOrthogonal,gaussian\n  deepscope signal --model resnet20')
    .action(async (opts: SignalCliOptions) => {
      applyThreads(opts.threads);
      checkDevice(opts.device);
      const inits = opts.init.split(',').map((s) => s.trim());
      for (const i of inits) if (!(INITS as readonly string[]).includes(i)) throw usageError(`unknown initialisation '${i}' (known: ${INITS.join(', ')})`);
      const out = prepareOutDir(opts.out);
      const runs: [string, SignalPropagation][] = [];
      const measure = async (name: string, model: Module, input: number[]) => {
        const x = randn(input, { generator: new Generator(opts.seed + 1), device: opts.device });
        try {
          runs.push([name, await signalPropagation(model, x, { probes: opts.probes, generator: new Generator(opts.seed + 2), onProgress: progressBar(name, opts.json) })]);
        } catch (e) {
          throw new CliError(`signal: ${firstLine(e).replace(/^\w+: /, '')}`);
        } finally {
          x.dispose();
          model.dispose();
        }
      };
      if (opts.model || opts.checkpoint) {
        const zoo = await resolveZooModel(opts.model, opts.checkpoint);
        await measure(zoo.name, await buildZooModel(zoo.name, opts.checkpoint, opts.device), [1, ...zoo.spec.input]);
      } else {
        for (const init of inits) {
          const options: VanillaCNNOptions = { depth: opts.depth, width: opts.width, inChannels: opts.width, activation: opts.activation, init: init as VanillaCNNOptions['init'], generator: new Generator(opts.seed) };
          const net = vanillaCNN(options);
          if (opts.device !== 'cpu') net.to(opts.device);
          await measure(`${init} (${opts.activation}, depth ${opts.depth})`, net, [1, opts.width, opts.size, opts.size]);
        }
      }
      const files = [path.join(out, 'signal-activations.png'), path.join(out, 'signal-gradients.png'), path.join(out, 'signal-jacobian.png')];
      const log = (v: number) => (v > 0 ? Math.log10(v) : NaN);
      await plotLines(files[0], runs.map(([name, s]) => ({ name, values: s.activationRms.map(log) })), { title: 'activations through depth', xLabel: 'layer', yLabel: 'log10 RMS' });
      await plotLines(files[1], runs.map(([name, s]) => ({ name, values: s.gradientRms.map(log) })), { title: 'gradients through depth', xLabel: 'layer', yLabel: 'log10 RMS' });
      await plotLines(files[2], runs.map(([name, s]) => {
        const sv = s.jacobians[0].singularValues;
        return { name, x: sv.map((_, i) => i + 1), values: sv.map(log) };
      }), { title: 'input-output Jacobian: singular values', xLabel: 'rank', yLabel: 'log10 singular value' });
      const summary = { runs: runs.map(([name, s]) => ({ name, ...s })), files };
      fs.writeFileSync(path.join(out, 'signal.json'), `${JSON.stringify(summary)}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        for (const [name, s] of runs) {
          const n = s.layers.length;
          const sv = s.jacobians[0].singularValues;
          process.stdout.write(`${name}: activation RMS ${s.activationRms[0].toExponential(2)} → ${s.activationRms[n - 1].toExponential(2)}, gradient RMS ${s.gradientRms[0].toExponential(2)} → ${s.gradientRms[n - 1].toExponential(2)}, Jacobian singular values ${sv[sv.length - 1].toExponential(2)} to ${sv[0].toExponential(2)}\n`);
        }
        process.stdout.write(`→ ${files.join(', ')}\n`);
      }
    });
}
