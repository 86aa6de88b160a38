/**
 * The fully connected layer.
 * @module
 */
import { Tensor } from '../../tensor';
import { Generator } from '../../random';
import { zeros } from '../../ops/creation';
import { linear } from '../../ops/matmul';
import { Module } from '../module';
import { kaimingUniform_, uniform_ } from '../init';
import { boolArg, generatorArg, intArg, optionsArg } from './util';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/**
 * `y = x·Wᵀ + b` on the last axis: input `[..., inFeatures]`, output `[..., outFeatures]`. Parameters
 * `weight` `[outFeatures, inFeatures]` and `bias` `[outFeatures]` (or null), initialised as in PyTorch:
 * uniform on ±1/√inFeatures (kaiming-uniform with a = √5 for the weight).
 * @example
 * const fc = new nn.Linear(784, 10);
 * fc.call(ds.randn([32, 784])).shape // [32, 10]
 */
export class Linear extends Module {
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;
  /** `[outFeatures, inFeatures]`. */
  declare weight: Tensor;
  /** `[outFeatures]`, or null without bias. */
  declare bias: Tensor | null;

  /** Creates the layer with PyTorch's default initialisation. */
  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions) {
    super();
    const o = optionsArg('Linear', options);
    this.inFeatures = intArg('Linear', 'inFeatures', inFeatures, 0);
    this.outFeatures = intArg('Linear', 'outFeatures', outFeatures, 0);
    const generator = generatorArg('Linear', o.generator);
    const w = this.registerParameter('weight', zeros([outFeatures, inFeatures]));
    kaimingUniform_(w, { a: Math.sqrt(5), generator });
    if (boolArg('Linear', 'bias', o.bias, true)) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      uniform_(this.registerParameter('bias', zeros([outFeatures])), -bound, bound, { generator });
    } else this.registerParameter('bias', null);
  }

  /** `[..., inFeatures]` → `[..., outFeatures]`. */
  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** `inFeatures=…, outFeatures=…, bias=…`. */
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
