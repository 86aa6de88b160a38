/**
 * Adam and AdamW (decoupled weight decay), with the AMSGrad variant, as torch.optim.Adam / AdamW.
 * @module
 */
import { Tensor } from '../tensor';
import { zerosLike } from '../ops/creation';
import { Optimizer, ParamGroup, ParamGroupInput, checkBool, checkRange } from './optimizer';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** Decay rates (β1, β2) of the moment estimates, each in [0, 1). Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay rate (default 1e-2). */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. Default false. */
  maximize?: boolean;
}

type Resolved = Required<AdamOptions>;

function resolve(name: string, options: AdamOptions | undefined, wdDefault: number): Resolved {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`${name}: options must be an object`);
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = wdDefault, amsgrad = false, maximize = false, ...rest } = options ?? {};
  const unknown = Object.keys(rest);
  if (unknown.length) throw new TypeError(`${name}: unknown option '${unknown[0]}'`);
  return { lr, betas: (Array.isArray(betas) ? [...betas] : betas) as [number, number], eps, weightDecay, amsgrad, maximize };
}

/** The shared algorithm; `decoupled` selects AdamW's weight decay. */
abstract class AdamBase extends Optimizer<Resolved> {
  /** Whether weight decay is decoupled (AdamW) or an L2 term in the gradient (Adam). */
  protected abstract readonly decoupled: boolean;

  protected validateGroup(g: ParamGroup): void {
    const n = this.name;
    checkRange(n, 'lr', g.lr);
    const b = g.betas;
    if (!Array.isArray(b) || b.length !== 2) throw new TypeError(`${n}: betas must be a pair [beta1, beta2], got ${JSON.stringify(b)}`);
    checkRange(n, 'betas[0]', b[0], { max: 1, maxExclusive: true, what: 'a number in [0, 1)' });
    checkRange(n, 'betas[1]', b[1], { max: 1, maxExclusive: true, what: 'a number in [0, 1)' });
    checkRange(n, 'eps', g.eps);
    checkRange(n, 'weightDecay', g.weightDecay);
    checkBool(n, 'amsgrad', g.amsgrad);
    checkBool(n, 'maximize', g.maximize);
  }

  protected updateGroup(g: ParamGroup): void {
    const lr = g.lr;
    const [beta1, beta2] = g.betas as [number, number];
    const eps = g.eps as number;
    const wd = g.weightDecay as number;
    for (const p of g.params) {
      if (!p.grad) continue;
      let grad = g.maximize ? p.grad.neg() : p.grad;
      const st = this.stateOf(p);
      const step = ((st.step as number | undefined) ?? 0) + 1;
      st.step = step;
      const m = this.buffer(p, 'expAvg', () => zerosLike(p));
      const v = this.buffer(p, 'expAvgSq', () => zerosLike(p));
      // Decoupled decay shrinks the parameter before the update; L2 decay enters the gradient.
      let theta: Tensor = p;
      if (wd !== 0) {
        if (this.decoupled) theta = p.mul(1 - lr * wd);
        else grad = grad.add(p.mul(wd));
      }
      m.copy_(m.mul(beta1).add(grad.mul(1 - beta1)));
      v.copy_(v.mul(beta2).add(grad.square().mul(1 - beta2)));
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      let second = v;
      if (g.amsgrad) {
        const vmax = this.buffer(p, 'maxExpAvgSq', () => zerosLike(p));
        vmax.copy_(vmax.maximum(v));
        second = vmax;
      }
      const denom = second.sqrt().div(Math.sqrt(bc2)).add(eps);
      p.copy_(theta.sub(m.div(denom).mul(lr / bc1)));
    }
  }
}

/**
 * Adam, PyTorch's algorithm: with g the gradient (negated when `maximize`) and t the parameter's step,
 *
 * ```text
 * g ← g + λθ                                   (weightDecay λ ≠ 0: L2 penalty)
 * m ← β1·m + (1 − β1)·g                         (state 'expAvg')
 * v ← β2·v + (1 − β2)·g²                        (state 'expAvgSq')
 * v̂ ← max(v̂, v) with amsgrad (state 'maxExpAvgSq'), else v
 * θ ← θ − lr/(1 − β1^t) · m / (√v̂ / √(1 − β2^t) + ε)
 * ```
 *
 * @example const opt = new optim.Adam(model.parameters(), { lr: 3e-4 });
 */
export class Adam extends AdamBase {
  /** L2 weight decay in the gradient. */
  protected readonly decoupled = false;

  constructor(params: readonly Tensor[] | readonly ParamGroupInput[], options?: AdamOptions) {
    super('Adam', params, resolve('Adam', options, 0));
  }
}

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter). As {@link Adam}, except that the
 * gradient carries no penalty and the parameter first decays, `θ ← θ·(1 − lr·λ)`; `weightDecay` λ
 * defaults to 1e-2.
 *
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  /** Decoupled weight decay. */
  protected readonly decoupled = true;

  constructor(params: readonly Tensor[] | readonly ParamGroupInput[], options?: AdamOptions) {
    super('AdamW', params, resolve('AdamW', options, 1e-2));
  }
}
