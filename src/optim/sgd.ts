/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum, L2 weight decay and maximize,
 * as torch.optim.SGD.
 * @module
 */
import { Tensor } from '../tensor';
import { clone } from '../ops/creation';
import { Optimizer, ParamGroup, ParamGroupInput, checkBool, checkRange } from './optimizer';

/** Options of {@link SGD}. */
export interface SGDOptions {
  /** Learning rate (required). */
  lr: number;
  /** Momentum factor μ. Default 0. */
  momentum?: number;
  /** Dampening τ of the momentum. Default 0. */
  dampening?: number;
  /** L2 penalty λ added to the gradient. Default 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize?: boolean;
}

/**
 * Stochastic gradient descent, PyTorch's algorithm: with g the gradient (negated when `maximize`),
 *
 * ```text
 * g ← g + λθ                          (weightDecay λ ≠ 0)
 * b ← g at the first step, else μb + (1 − τ)g      (momentum μ ≠ 0; state 'momentumBuffer')
 * g ← g + μb if nesterov, else b
 * θ ← θ − lr·g
 * ```
 *
 * @example
 * const opt = new optim.SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 */
export class SGD extends Optimizer<Required<SGDOptions>> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput[], options: SGDOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('SGD: options must be an object with at least { lr }');
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false, ...rest } = options;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new TypeError(`SGD: unknown option '${unknown[0]}'`);
    if (lr === undefined) throw new TypeError('SGD: lr is required');
    super('SGD', params, { lr, momentum, dampening, weightDecay, nesterov, maximize });
  }

  protected validateGroup(g: ParamGroup): void {
    checkRange('SGD', 'lr', g.lr);
    checkRange('SGD', 'momentum', g.momentum);
    checkRange('SGD', 'dampening', g.dampening);
    checkRange('SGD', 'weightDecay', g.weightDecay);
    checkBool('SGD', 'nesterov', g.nesterov);
    checkBool('SGD', 'maximize', g.maximize);
    if (g.nesterov && ((g.momentum as number) <= 0 || g.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${g.momentum} and dampening ${g.dampening}`);
    }
  }

  protected updateGroup(g: ParamGroup): void {
    const lr = g.lr;
    const momentum = g.momentum as number;
    const dampening = g.dampening as number;
    const wd = g.weightDecay as number;
    for (const p of g.params) {
      if (!p.grad) continue;
      let d = g.maximize ? p.grad.neg() : p.grad;
      if (wd !== 0) d = d.add(p.mul(wd));
      if (momentum !== 0) {
        const fresh = !(this.state.get(p)?.momentumBuffer instanceof Tensor);
        const grad = d;
        const buf = this.buffer(p, 'momentumBuffer', () => clone(grad));
        if (!fresh) buf.copy_(buf.mul(momentum).add(d.mul(1 - dampening)));
        d = g.nesterov ? d.add(buf.mul(momentum)) : buf;
      }
      p.copy_(p.sub(d.mul(lr)));
    }
  }
}
