/**
 * Iterative gradient attacks inside an ε-ball:
 * - BIM / I-FGSM (Kurakin, Goodfellow & Bengio 2017): FGSM steps of size α from the image, each
 *   projected back into the L∞ ball and the box.
 * - PGD (Madry et al. 2018): the same from a uniform random point of the ball, in L∞ or L2, with restarts
 *   (an image keeps the first restart that fools the model).
 * - MI-FGSM (Dong et al. 2018): the steps follow the sign of a momentum g ← μ·g + ∇/‖∇‖₁.
 * @module
 */
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import type { Generator } from '../random';
import { tidy } from '../memory';
import { noGrad } from '../autograd';
import { tensor } from '../ops/creation';
import { add, div, mul, where } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { checkNumber } from '../ops/util';
import { Victim, checkImages, checkLabels, fooled, report, underAttack } from './victim';
import { lossDirection, perImageNorm, project, randomStart, step, type Norm } from './steps';
import type { AttackOptions, AttackResult, Labels } from './types';

/** Options of {@link bim}, {@link pgd} and {@link mifgsm}. */
export interface IterativeOptions extends AttackOptions {
  /** The budget ε (L∞ or L2 radius in pixel units). */
  eps: number;
  /** Step size α. Default ε/4 (BIM, PGD L∞: 2.5·ε/steps when larger), ε/steps (MI-FGSM). */
  alpha?: number;
  /** Iterations. Default 10 (BIM, MI-FGSM), 40 (PGD). */
  steps?: number;
}

/** Options of {@link pgd}. */
export interface PgdOptions extends IterativeOptions {
  /** 'linf' (default) or 'l2'. */
  norm?: Norm;
  /** Start from a uniform random point of the ball. Default true. */
  randomStart?: boolean;
  /** Attempts from fresh random starts; an image keeps the first that fools the model. Default 1. */
  restarts?: number;
  /** Stream for the random starts. */
  generator?: Generator;
}

/** Options of {@link mifgsm}. */
export interface MiFgsmOptions extends IterativeOptions {
  /** Momentum decay μ. Default 1. */
  decay?: number;
}

interface Loop {
  op: string;
  norm: Norm;
  eps: number;
  alpha: number;
  steps: number;
  decay: number | null;
}

/**
 * The images after `steps` projected steps from `start`; with stopWhenFooled, fooled images freeze.
 * Each step's tensors live in their own scope; what carries over (the images, the momentum) moves to
 * the caller's scope and its predecessor is freed.
 */
async function iterate(victim: Victim, x: Tensor, y: Tensor, start: Tensor, loop: Loop, targeted: boolean, stopWhenFooled: boolean): Promise<Tensor> {
  let adv = start;
  let momentum: Tensor | null = null;
  let active: Tensor | null = null;
  const labels = stopWhenFooled ? await y.data() : null;
  for (let s = 0; s < loop.steps; s++) {
    const next = tidy(() => {
      let dir = lossDirection(victim, adv, y, targeted);
      if (loop.decay !== null) {
        const normalised = div(dir, add(perImageNorm(dir, 1), 1e-12));
        dir = momentum ? add(mul(momentum, loop.decay), normalised) : normalised;
      }
      let moved = project(victim, x, step(adv, dir, loop.alpha, loop.norm), loop.eps, loop.norm);
      if (active) moved = where(active, moved, adv);
      return { moved, dir };
    });
    if (adv !== start) adv.dispose();
    adv = next.moved;
    if (loop.decay !== null) {
      momentum?.dispose();
      momentum = next.dir;
    } else {
      next.dir.dispose();
    }
    if (stopWhenFooled) {
      const preds = await tidy(() => noGrad(() => argmax(victim.logits(adv), 1))).data();
      const done = fooled(preds, labels!, targeted);
      if (done.every(Boolean)) break;
      active?.dispose();
      active = mask(done.map((d) => !d), x);
    } else {
      await new Promise((r) => setImmediate(r));
    }
  }
  (momentum as Tensor | null)?.dispose();
  (active as Tensor | null)?.dispose();
  return adv === start ? start.clone() : adv;
}

/** A boolean tensor [N, 1, ...] from per-image flags, to select whole images with `where`. */
function mask(flags: boolean[], like: Tensor): Tensor {
  return tidy(() => tensor(flags.map((f) => (f ? 1 : 0)), [like.shape[0], ...like.shape.slice(1).map(() => 1)], { device: like.device }).gt(0));
}

function checkOptions(op: string, options: IterativeOptions, defaults: { steps: number; alpha: (eps: number, steps: number) => number }): { eps: number; steps: number; alpha: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object with eps`);
  const eps = checkNumber(op, 'eps', options.eps, { min: 0 });
  const steps = options.steps === undefined ? defaults.steps : checkNumber(op, 'steps', options.steps, { min: 1, integer: true });
  const alpha = options.alpha === undefined ? defaults.alpha(eps, steps) : checkNumber(op, 'alpha', options.alpha, { min: 0 });
  return { eps, steps, alpha };
}

async function run(op: string, model: Module, images: Tensor, labels: Labels, options: PgdOptions & MiFgsmOptions, loop: Omit<Loop, 'op'>, random: boolean, restarts: number): Promise<AttackResult> {
  const x = checkImages(op, images);
  const victim = new Victim(op, model, x, options);
  const targeted = options.targeted ?? false;
  return underAttack(victim, () =>
    tidy(async () => {
      const y = checkLabels(op, labels, x);
      const yv = await y.data();
      let best: Tensor | null = null;
      let done: boolean[] = new Array<boolean>(x.shape[0]).fill(false);
      for (let r = 0; r < restarts && !done.every(Boolean); r++) {
        const start = random ? randomStart(victim, x, loop.eps, loop.norm, options.generator) : x;
        const adv = await iterate(victim, x, y, start, { op, ...loop }, targeted, options.stopWhenFooled ?? false);
        const preds = await tidy(() => noGrad(() => argmax(victim.logits(adv), 1))).data();
        const now = fooled(preds, yv, targeted);
        if (best === null) {
          best = adv;
        } else {
          const previous: Tensor = best;
          best = tidy(() => where(mask(now.map((f, i) => f && !done[i]), x), adv, previous));
          previous.dispose();
          adv.dispose();
        }
        done = done.map((d, i) => d || now[i]);
      }
      return report(victim, x, best!, y, targeted);
    }),
  );
}

/**
 * BIM / I-FGSM: `steps` FGSM steps of size α, each clipped to the L∞ ball of radius ε and the box.
 * @example const r = await attack.bim(net, images, labels, { eps: 0.1, steps: 10 });
 */
export async function bim(model: Module, images: Tensor, labels: Labels, options: IterativeOptions): Promise<AttackResult> {
  const { eps, steps, alpha } = checkOptions('bim', options, { steps: 10, alpha: (e) => e / 4 });
  return run('bim', model, images, labels, options, { norm: 'linf', eps, steps, alpha, decay: null }, false, 1);
}

/**
 * PGD: projected gradient steps from a random point of the ε-ball, in L∞ (sign steps) or L2 (normalised
 * gradient steps), with restarts.
 * @example const r = await attack.pgd(net, images, labels, { eps: 0.3, steps: 40, restarts: 2 });
 */
export async function pgd(model: Module, images: Tensor, labels: Labels, options: PgdOptions): Promise<AttackResult> {
  const op = 'pgd';
  const norm = options?.norm ?? 'linf';
  if (norm !== 'linf' && norm !== 'l2') throw new RangeError(`${op}: norm must be 'linf' or 'l2', got ${String(norm)}`);
  const { eps, steps, alpha } = checkOptions(op, options, { steps: 40, alpha: (e, s) => Math.max(e / 4, (2.5 * e) / s) });
  const restarts = options.restarts === undefined ? 1 : checkNumber(op, 'restarts', options.restarts, { min: 1, integer: true });
  return run(op, model, images, labels, options, { norm, eps, steps, alpha, decay: null }, options.randomStart ?? true, restarts);
}

/** MI-FGSM: sign steps along an accumulated momentum of L1-normalised gradients (better transfer). */
export async function mifgsm(model: Module, images: Tensor, labels: Labels, options: MiFgsmOptions): Promise<AttackResult> {
  const op = 'mifgsm';
  const { eps, steps, alpha } = checkOptions(op, options, { steps: 10, alpha: (e, s) => e / s });
  const decay = options.decay === undefined ? 1 : checkNumber(op, 'decay', options.decay, { min: 0 });
  return run(op, model, images, labels, options, { norm: 'linf', eps, steps, alpha, decay }, false, 1);
}
