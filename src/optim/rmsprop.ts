/**
 * RMSprop, plain or centered, with momentum and L2 weight decay, as torch.optim.RMSprop.
 * @module
 */
import { Tensor } from '../tensor';
import { zerosLike } from '../ops/creation';
import { Optimizer, ParamGroup, ParamGroupInput, checkBool, checkRange } from './optimizer';

/** Options of {@link RMSprop}. */
export interface RMSpropOptions {
  /** Learning rate. Default 1e-2. */
  lr?: number;
  /** Smoothing constant α of the square average. Default 0.99. */
  alpha?: number;
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Momentum factor μ. Default 0. */
  momentum?: number;
  /** Normalise by an estimate of the gradient's variance instead of its second moment. Default false. */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize?: boolean;
}

/**
 * RMSprop, PyTorch's algorithm: with g the gradient (negated when `maximize`),
 *
 * ```text
 * g ← g + λθ                                   (weightDecay λ ≠ 0)
 * v ← α·v + (1 − α)·g²                          (state 'squareAvg')
 * ṽ ← v − ḡ², with ḡ ← α·ḡ + (1 − α)·g when centered (state 'gradAvg'), else v
 * b ← μ·b + g/(√ṽ + ε); θ ← θ − lr·b            (momentum μ > 0; state 'momentumBuffer')
 * θ ← θ − lr·g/(√ṽ + ε)                         (otherwise)
 * ```
 *
 * @example const opt = new optim.RMSprop(params, { lr: 1e-3, momentum: 0.9, centered: true });
 */
export class RMSprop extends Optimizer<Required<RMSpropOptions>> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput[], options?: RMSpropOptions) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError('RMSprop: options must be an object');
    const { lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false, maximize = false, ...rest } = options ?? {};
    const unknown = Object.keys(rest);
    if (unknown.length) throw new TypeError(`RMSprop: unknown option '${unknown[0]}'`);
    super('RMSprop', params, { lr, alpha, eps, weightDecay, momentum, centered, maximize });
  }

  protected validateGroup(g: ParamGroup): void {
    checkRange('RMSprop', 'lr', g.lr);
    checkRange('RMSprop', 'alpha', g.alpha);
    checkRange('RMSprop', 'eps', g.eps);
    checkRange('RMSprop', 'weightDecay', g.weightDecay);
    checkRange('RMSprop', 'momentum', g.momentum);
    checkBool('RMSprop', 'centered', g.centered);
    checkBool('RMSprop', 'maximize', g.maximize);
  }

  protected updateGroup(g: ParamGroup): void {
    const lr = g.lr;
    const alpha = g.alpha as number;
    const eps = g.eps as number;
    const wd = g.weightDecay as number;
    const momentum = g.momentum as number;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad = g.maximize ? p.grad.neg() : p.grad;
      const st = this.stateOf(p);
      st.step = ((st.step as number | undefined) ?? 0) + 1;
      if (wd !== 0) grad = grad.add(p.mul(wd));
      const v = this.buffer(p, 'squareAvg', () => zerosLike(p));
      v.copy_(v.mul(alpha).add(grad.square().mul(1 - alpha)));
      let avg: Tensor;
      if (g.centered) {
        const ga = this.buffer(p, 'gradAvg', () => zerosLike(p));
        ga.copy_(ga.mul(alpha).add(grad.mul(1 - alpha)));
        avg = v.sub(ga.square()).sqrt().add(eps);
      } else {
        avg = v.sqrt().add(eps);
      }
      if (momentum > 0) {
        const b = this.buffer(p, 'momentumBuffer', () => zerosLike(p));
        b.copy_(b.mul(momentum).add(grad.div(avg)));
        p.copy_(p.sub(b.mul(lr)));
      } else {
        p.copy_(p.sub(grad.div(avg).mul(lr)));
      }
    }
  }
}
