/**
 * The building blocks of the gradient attacks, synchronous tensor code usable inside a training step:
 * the loss gradient with respect to the images, steps in L∞ and L2, projections back into the ε-ball
 * and the pixel box, random starts.
 * @module
 */
import { Tensor } from '../tensor';
import { grad, noGrad } from '../autograd';
import { crossEntropy } from '../ops/loss';
import { add, div, minimum, mul, sign, sub } from '../ops/elementwise';
import { rand, randn } from '../ops/creation';
import type { Generator } from '../random';
import type { Victim } from './victim';

/** The norms an attack's budget can be measured in. */
export type Norm = 'linf' | 'l2';

/** ∂/∂x of Σ cross-entropy, pointing the way the attack wants to go (up the loss, or down to the target). */
export function lossDirection(victim: Victim, x: Tensor, labels: Tensor, targeted: boolean): Tensor {
  const [g] = grad(() => crossEntropy(victim.logits(x), labels, { reduction: 'sum' }), [x]);
  return targeted ? g.neg() : g;
}

/** Per-image norm of [N, ...], shaped [N, 1, ...] to broadcast back. */
export function perImageNorm(x: Tensor, p: 1 | 2): Tensor {
  const n = x.shape[0];
  const flat = x.reshape([n, -1]);
  const v = p === 1 ? flat.abs().sum(1) : flat.square().sum(1).sqrt();
  return v.reshape([n, ...x.shape.slice(1).map(() => 1)]);
}

/** One step of size `alpha` along `direction`: its sign (L∞) or its per-image unit vector (L2). */
export function step(x: Tensor, direction: Tensor, alpha: number, norm: Norm): Tensor {
  return noGrad(() => (norm === 'linf' ? add(x, mul(sign(direction), alpha)) : add(x, mul(div(direction, add(perImageNorm(direction, 2), 1e-12)), alpha))));
}

/** Projects `adv` onto the ε-ball around `x` in the norm, then into the pixel box. */
export function project(victim: Victim, x: Tensor, adv: Tensor, eps: number, norm: Norm): Tensor {
  return noGrad(() => {
    let delta = sub(adv, x);
    if (norm === 'linf') delta = delta.clamp(-eps, eps);
    else delta = mul(delta, minimum(div(eps, add(perImageNorm(delta, 2), 1e-12)), 1));
    return victim.clip(add(x, delta));
  });
}

/** A uniform random point of the ε-ball around `x` (L∞: a uniform cube; L2: uniform in the ball), in the box. */
export function randomStart(victim: Victim, x: Tensor, eps: number, norm: Norm, generator?: Generator): Tensor {
  return noGrad(() => {
    if (norm === 'linf') return victim.clip(add(x, mul(sub(mul(rand(x.shape, { generator }), 2), 1), eps)));
    const dir = randn(x.shape, { generator });
    const d = x.size / x.shape[0];
    const radius = rand([x.shape[0], ...x.shape.slice(1).map(() => 1)], { generator }).pow(1 / d).mul(eps);
    return victim.clip(add(x, mul(div(dir, add(perImageNorm(dir, 2), 1e-12)), radius)));
  });
}

