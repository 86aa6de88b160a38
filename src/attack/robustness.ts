/**
 * Robustness reports: robust accuracy of a model over a data set against a list of budgets ε, for a
 * fixed-budget attack (FGSM, PGD, ...: one run per ε) or a minimisation attack (C&W, DeepFool, L-BFGS:
 * one run, an image counts as robust at ε when the attack failed or needed a perturbation larger than
 * ε); and the plot of accuracy against ε.
 * @module
 */
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { dispose, tidy } from '../memory';
import { noGrad } from '../autograd';
import { argmax } from '../ops/reduce';
import { plotLines } from '../io/plot';
import type { BatchSource } from '../train/loop';
import { cw } from './cw';
import { deepfool } from './deepfool';
import { lbfgs } from './lbfgs';
import { Victim, checkImages } from './victim';
import type { AttackOptions, AttackResult, Labels } from './types';

/** Any attack of this module. */
export type Attack = (model: Module, images: Tensor, labels: Labels, options: never) => Promise<AttackResult>;

const MINIMISATION: ReadonlySet<unknown> = new Set([cw, deepfool, lbfgs]);

/** Options of {@link robustness}. */
export interface RobustnessOptions extends AttackOptions {
  /** The budgets ε (in the attack's norm, pixel units). */
  epsilons: readonly number[];
  /** The norm in which a minimisation attack's perturbations are compared with ε. Default 'l2'. */
  norm?: 'l2' | 'linf';
  /** Further options of the attack (steps, alpha, ...), passed through. */
  attackOptions?: Record<string, unknown>;
  /** Batches used at most (the whole loader by default). */
  maxBatches?: number;
  /** Called after each batch with the batches done. */
  onBatch?: (done: number, total: number) => void;
}

/** The result of {@link robustness}. */
export interface RobustnessReport {
  /** The budgets. */
  epsilons: number[];
  /** Robust accuracy at each budget (a fraction). */
  accuracy: number[];
  /** Clean accuracy. */
  clean: number;
  /** Images evaluated. */
  samples: number;
  /** Minimisation attacks: the mean norm of the successful perturbations of correctly classified images. */
  meanMinimalNorm: number | null;
}

/**
 * Robust accuracy against `attack` at each ε over the `[images, labels]` batches of `loader` (images in
 * pixel space, see `normalize`).
 * @example
 * const rep = await attack.robustness(net, testLoader, attack.pgd, { epsilons: [0, 0.05, 0.1, 0.2], attackOptions: { steps: 20 } });
 */
export async function robustness(model: Module, loader: BatchSource, attack: Attack, options: RobustnessOptions): Promise<RobustnessReport> {
  const op = 'robustness';
  if (typeof attack !== 'function') throw new TypeError(`${op}: argument 'attack' must be an attack function (attack.fgsm, attack.pgd, ...)`);
  if (typeof options !== 'object' || options === null || !Array.isArray(options.epsilons) || options.epsilons.length === 0 || options.epsilons.some((e) => typeof e !== 'number' || !(e >= 0))) {
    throw new TypeError(`${op}: options.epsilons must be a non-empty array of non-negative numbers`);
  }
  const eps = [...options.epsilons];
  const minimisation = MINIMISATION.has(attack);
  const base: AttackOptions = { bounds: options.bounds, normalize: options.normalize, targeted: false };
  const robust = new Array<number>(eps.length).fill(0);
  let clean = 0;
  let samples = 0;
  let normSum = 0;
  let normCount = 0;
  let batches = 0;
  const total = Math.min(loader.length, options.maxBatches ?? Infinity);
  for await (const batch of loader) {
    if (batches >= total) {
      dispose(batch);
      break;
    }
    const [x, y] = batch as Tensor[];
    try {
      checkImages(op, x);
      const victim = new Victim(op, model, x, base);
      const wasTraining = model.training;
      model.eval();
      let correct: boolean[];
      try {
        const [pred, labels] = await Promise.all([tidy(() => noGrad(() => argmax(victim.logits(x), 1))).data(), y.data()]);
        correct = Array.from(pred, (p, i) => p === labels[i]);
      } finally {
        victim.dispose();
        if (wasTraining) model.train();
      }
      clean += correct.filter(Boolean).length;
      samples += correct.length;
      const run = (extra: Record<string, unknown>) => attack(model, x, y, { ...base, ...options.attackOptions, ...extra } as never);
      if (minimisation) {
        const r = await run({});
        const norms = options.norm === 'linf' ? r.norms.linf : r.norms.l2;
        eps.forEach((e, k) => {
          robust[k] += correct.filter((c, i) => c && (!r.success[i] || norms[i] > e)).length;
        });
        correct.forEach((c, i) => {
          if (c && r.success[i]) {
            normSum += norms[i];
            normCount++;
          }
        });
        dispose(r);
      } else {
        for (let k = 0; k < eps.length; k++) {
          const r = await run({ eps: eps[k] });
          robust[k] += correct.filter((c, i) => c && !r.success[i]).length;
          dispose(r);
        }
      }
    } finally {
      dispose(batch);
    }
    batches++;
    options.onBatch?.(batches, total);
  }
  return {
    epsilons: eps,
    accuracy: robust.map((r) => (samples ? r / samples : NaN)),
    clean: samples ? clean / samples : NaN,
    samples,
    meanMinimalNorm: minimisation ? (normCount ? normSum / normCount : NaN) : null,
  };
}

/**
 * Draws robust accuracy against ε (one line per report) as a PNG.
 * @example await attack.plotRobustness('robustness.png', { FGSM: repF, PGD: repP });
 */
export async function plotRobustness(path: string, reports: Record<string, RobustnessReport>, options: { title?: string; xLabel?: string } = {}): Promise<void> {
  const series = Object.entries(reports).map(([name, r]) => ({ name, x: r.epsilons, values: r.accuracy }));
  await plotLines(path, series, { title: options.title ?? 'Robust accuracy', xLabel: options.xLabel ?? 'eps', yLabel: 'accuracy', yRange: [0, 1] });
}
