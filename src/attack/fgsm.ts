/**
 * One-step attacks (Goodfellow, Shlens & Szegedy 2015): FGSM moves every pixel by ε in the direction of
 * the sign of the loss gradient, `clip(x + ε·sign(∇ₓL))`; FGM, its L2 form, moves by ε along the
 * normalised gradient, `clip(x + ε·∇ₓL/‖∇ₓL‖₂)`. Targeted versions descend the loss of the target class.
 * @module
 */
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { tidy } from '../memory';
import { checkNumber } from '../ops/util';
import { Victim, checkImages, checkLabels, report, underAttack } from './victim';
import { lossDirection, step, type Norm } from './steps';
import type { AttackOptions, AttackResult, Labels } from './types';

/** Options of {@link fgsm} and {@link fgm}. */
export interface FgsmOptions extends AttackOptions {
  /** The budget ε: the L∞ (FGSM) or L2 (FGM) size of the perturbation, in pixel units. */
  eps: number;
}

async function oneStep(op: string, norm: Norm, model: Module, images: Tensor, labels: Labels, options: FgsmOptions): Promise<AttackResult> {
  const x = checkImages(op, images);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object with eps`);
  const eps = checkNumber(op, 'eps', options.eps, { min: 0 });
  const victim = new Victim(op, model, x, options);
  const targeted = options.targeted ?? false;
  return underAttack(victim, () =>
    tidy(async () => {
      const y = checkLabels(op, labels, x);
      const adv = tidy(() => victim.clip(step(x, lossDirection(victim, x, y, targeted), eps, norm)));
      return report(victim, x, adv, y, targeted);
    }),
  );
}

/**
 * FGSM: `clip(x + ε·sign(∇ₓ loss))` (targeted: minus, on the target's loss).
 * @example const { adversarial, success } = await attack.fgsm(net, images, labels, { eps: 0.25 });
 */
export async function fgsm(model: Module, images: Tensor, labels: Labels, options: FgsmOptions): Promise<AttackResult> {
  return oneStep('fgsm', 'linf', model, images, labels, options);
}

/** FGM, the L2 fast gradient method: `clip(x + ε·∇ₓ loss / ‖∇ₓ loss‖₂)` per image. */
export async function fgm(model: Module, images: Tensor, labels: Labels, options: FgsmOptions): Promise<AttackResult> {
  return oneStep('fgm', 'l2', model, images, labels, options);
}
