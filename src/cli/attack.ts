/**
 * `deepscope attack`: adversarial examples against a model of the zoo, for image files or (for the LeNets)
 * MNIST test digits, written side by side with the originals and the amplified perturbations; with
 * `--robustness`, the robust-accuracy curve of FGSM and PGD too.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { Tensor } from '../tensor';
import type { DeviceLike } from '../device';
import { mnist } from '../data/mnist';
import { narrow, stack } from '../ops/indexing';
import { tensor } from '../ops/creation';
import { dispose } from '../memory';
import { manualSeed } from '../random';
import * as attack from '../attack';
import type { Attack, AttackResult, Normalization as Stats } from '../attack';
import { summaryModelArg } from './summary';
import { CliError, applyThreads, choiceArg, collect, checkDevice, deviceArg, firstLine, nonNegativeInt, numberArg, positiveInt, prepareOutDir, usageError } from './common';
import { buildZooModel, loadForModel, normalizationStats, normalizeArg, resolveZooModel, type Normalization } from './zoo';
import { writeAttackPanel, writeRobustnessCurve } from './attack-panels';

/** The attacks by their command-line names. */
export const ATTACK_METHODS: Readonly<Record<string, Attack>> = {
  fgsm: attack.fgsm,
  fgm: attack.fgm,
  bim: attack.bim,
  pgd: attack.pgd,
  mifgsm: attack.mifgsm,
  cw: attack.cw,
  deepfool: attack.deepfool,
  lbfgs: attack.lbfgs,
};

const BUDGETED = new Set(['fgsm', 'fgm', 'bim', 'pgd', 'mifgsm']);

/** Options of `deepscope attack`, as parsed. */
export interface AttackCliOptions {
  model?: string;
  checkpoint?: string;
  image?: string[];
  count: number;
  method: string;
  eps: number;
  steps?: number;
  norm?: 'linf' | 'l2';
  target?: number;
  normalize?: Normalization;
  robustness?: boolean;
  seed: number;
  out: string;
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

/** Adds the `attack` command to `program`. */
export function registerAttack(program: Command): void {
  program
    .command('attack')
    .description('adversarial examples against a model: originals, amplified perturbations and adversarial images as a PNG')
    .option('-m, --model <name>', "a model of the zoo, as in `deepscope summary` (default: the checkpoint's metadata)", summaryModelArg)
    .option('-c, --checkpoint <file>', 'weights (safetensors); without it the weights are random')
    .option('-i, --image <file>', 'a PNG or JPEG file (repeat for several; default for the LeNets: MNIST test digits)', collect)
    .option('-n, --count <n>', 'MNIST test digits to attack when no --image is given', positiveInt('--count'), 8)
    .option('--method <name>', Object.keys(ATTACK_METHODS).join(', '), choiceArg('attack', Object.keys(ATTACK_METHODS)), 'pgd')
    .option('--eps <e>', 'budget ε in pixel units (fgsm, fgm, bim, pgd, mifgsm)', numberArg('--eps'), 0.1)
    .option('--steps <n>', 'iterations (bim, pgd, mifgsm, cw, deepfool)', positiveInt('--steps'))
    .option('--norm <p>', 'linf or l2 (pgd, deepfool)', choiceArg('norm', ['linf', 'l2'] as const))
    .option('--target <class>', 'targeted attack towards this class (not deepfool)', nonNegativeInt('--target'))
    .option('--normalize <how>', 'input normalisation: imagenet, mnist or none (default: mnist for the LeNets, imagenet otherwise)', normalizeArg)
    .option('--robustness', 'also write robustness.png: robust accuracy against ε for FGSM and PGD')
    .option('-s, --seed <n>', 'seed of the random starts', nonNegativeInt('--seed'), 0)
    .option('-o, --out <dir>', 'output directory', 'deepscope-attack')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  deepscope attack --checkpoint deepscope-demo/model.safetensors --method pgd --eps 0.1\n  deepscope attack --checkpoint deepscope-demo/model.safetensors --method cw --target 3 --count 4\n  deepscope attack --model resnet18 --checkpoint r18.safetensors --image cat.jpg --method fgsm --eps 0.01')
    .action(async (opts: AttackCliOptions) => {
      applyThreads(opts.threads);
      checkDevice(opts.device);
      for (const f of opts.image ?? []) if (!fs.existsSync(f)) throw new CliError(`image '${f}' not found`);
      if (opts.target !== undefined && opts.method === 'deepfool') throw usageError('deepfool is untargeted: drop --target or pick another method');
      const { name, spec, mnistStyle } = await resolveZooModel(opts.model, opts.checkpoint);
      if (!opts.image?.length && !mnistStyle) throw usageError(`give --image: only the LeNets default to MNIST test digits (model '${name}')`);
      const stats = normalizationStats(opts.normalize ?? (mnistStyle ? 'mnist' : 'imagenet'), spec.input[0]);
      const normalize: Stats | undefined = stats ?? undefined;
      const out = prepareOutDir(opts.out);
      const model = await buildZooModel(name, opts.checkpoint, opts.device);
      const owned: Tensor[] = [];
      try {
        let images: Tensor;
        let labels: number[];
        const names: string[] = [];
        if (opts.image?.length) {
          const loaded: Tensor[] = [];
          for (const f of opts.image) loaded.push(await loadForModel(f, spec.input, mnistStyle));
          images = stack(loaded, 0).to(opts.device);
          owned.push(...loaded, images);
          labels = (await attack.classify(model, images, { normalize })).predictions; // the model's own classes
          names.push(...opts.image.map((f) => path.basename(f)));
        } else {
          const { test } = mnist({ normalize: false, padTo32: true, device: opts.device });
          images = narrow(test.tensors[0], 0, 0, Math.min(opts.count, test.length)).clone();
          labels = Array.from(await narrow(test.tensors[1], 0, 0, images.shape[0]).data());
          test.dispose();
          owned.push(images);
          names.push(...labels.map((_, i) => `test digit ${i}`));
        }
        const targeted = opts.target !== undefined;
        if (targeted && opts.target! >= spec.classes! && spec.classes) throw usageError(`--target must be below ${spec.classes}, got ${opts.target}`);
        const goal = targeted ? new Array<number>(labels.length).fill(opts.target!) : labels;
        const options: Record<string, unknown> = { normalize, targeted };
        if (BUDGETED.has(opts.method)) options.eps = opts.eps;
        if (opts.steps !== undefined) options[opts.method === 'lbfgs' ? 'maxIter' : 'steps'] = opts.steps;
        if (opts.norm !== undefined) options.norm = opts.norm;
        manualSeed(opts.seed);
        const clean = await attack.classify(model, images, { normalize });
        const t0 = Date.now();
        let result: AttackResult;
        try {
          result = await ATTACK_METHODS[opts.method](model, images, goal, options as never);
        } catch (e) {
          throw new CliError(`${opts.method}: ${firstLine(e).replace(/^\w+: /, '')}`);
        }
        const seconds = (Date.now() - t0) / 1000;
        owned.push(result.adversarial);
        const scale = Math.max(1, Math.ceil(96 / Math.max(spec.input[1], spec.input[2])));
        const png = path.join(out, 'attack.png');
        writeAttackPanel(png, images.to('cpu'), result, labels, clean, scale);
        const files = [png];
        let curve: Record<string, { epsilons: number[]; accuracy: number[] }> | undefined;
        if (opts.robustness) {
          const file = path.join(out, 'robustness.png');
          const y = tensor(labels, [labels.length], { dtype: 'int32', device: opts.device });
          owned.push(y);
          const reports = await writeRobustnessCurve(file, model, images, y, [0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3], normalize);
          curve = Object.fromEntries(Object.entries(reports).map(([k, r]) => [k, { epsilons: r.epsilons, accuracy: r.accuracy }]));
          files.push(file);
        }
        const rows = names.map((image, i) => ({
          image,
          label: labels[i],
          clean: clean.predictions[i],
          adversarial: result.predictions[i],
          confidence: result.confidences[i],
          success: result.success[i],
          l2: result.norms.l2[i],
          linf: result.norms.linf[i],
        }));
        const fooled = result.success.filter(Boolean).length;
        const summary = { model: name, method: opts.method, targeted, target: opts.target ?? null, eps: BUDGETED.has(opts.method) ? opts.eps : null, seconds, fooled, images: rows.length, results: rows, robustness: curve, files };
        fs.writeFileSync(path.join(out, 'attack.json'), `${JSON.stringify(summary, null, 2)}\n`);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        } else {
          for (const r of rows) {
            process.stdout.write(`${r.image}: ${r.clean} -> ${r.adversarial} (${(100 * r.confidence).toFixed(1)}%)${r.success ? '' : ' not fooled'}, L2 ${r.l2.toFixed(3)}, Linf ${r.linf.toFixed(3)}\n`);
          }
          process.stdout.write(`${opts.method}: ${fooled}/${rows.length} ${targeted ? `reached class ${opts.target}` : 'fooled'} in ${seconds.toFixed(2)} s; wrote ${[...files, path.join(out, 'attack.json')].join(', ')}\n`);
        }
      } finally {
        dispose(owned);
        model.dispose();
      }
    });
}
