/**
 * Recurrent layers, PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU` (stacked, optionally bidirectional, with
 * dropout between layers) and the single-step cells `RNNCell`, `LSTMCell`, `GRUCell`. Every layer runs
 * the fused {@link rnn} op: all time steps of all layers in one native call forward, and one backward
 * through time. Parameter names, shapes, gate order and initialisation are PyTorch's, so state dicts map
 * one to one (`weight_ih_l0`, `weight_hh_l0_reverse`, `bias_ih_l1`, ...).
 * @module
 */
import { Tensor, fmtShape } from '../../tensor';
import { Generator } from '../../random';
import { zeros } from '../../ops/creation';
import { cat } from '../../ops/indexing';
import { dropout } from '../../ops/dropout';
import { transpose } from '../../ops/layout';
import { RnnMode, rnn } from '../../ops/rnn';
import { PackedSequence } from '../../ops/pack';
import { Module } from '../module';
import { uniform_ } from '../init';
import { boolArg, generatorArg, intArg, numArg, optionsArg } from './util';

/** Options of {@link RNN}, {@link LSTM} and {@link GRU}. */
export interface RNNOptions {
  /** Stacked layers, each reading the previous one's output. Default 1. */
  numLayers?: number;
  /** Learn the biases `bias_ih_*` and `bias_hh_*`. Default true. */
  bias?: boolean;
  /** Input and output are `[batch, time, features]` instead of `[time, batch, features]`. Default false. */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last (training mode only). Default 0. */
  dropout?: number;
  /** Add a time-reversed direction per layer; outputs concatenate both. Default false. */
  bidirectional?: boolean;
  /** Stream for the initial weights and the dropout masks; the global one by default. */
  generator?: Generator;
}

/** Options of {@link RNN}: {@link RNNOptions} and the nonlinearity. */
export interface ElmanRNNOptions extends RNNOptions {
  /** `'tanh'` (default) or `'relu'`. */
  nonlinearity?: 'tanh' | 'relu';
}

/** The input of a recurrent layer: a padded tensor, or a {@link PackedSequence} of variable lengths. */
export type RNNInput = Tensor | PackedSequence;

/**
 * What the recurrent layers share: parameters, argument checks and the call into {@link rnn}. Use
 * {@link RNN}, {@link LSTM} or {@link GRU}.
 */
export abstract class RNNBase extends Module {
  /** The recurrence the layer computes. */
  readonly mode: RnnMode;
  /** Features of each input step. */
  readonly inputSize: number;
  /** Hidden units per layer and direction. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether the layer has biases. */
  readonly bias: boolean;
  /** Whether input and output are batch-major. */
  readonly batchFirst: boolean;
  /** Dropout probability between layers. */
  readonly dropout: number;
  /** Whether each layer runs both directions. */
  readonly bidirectional: boolean;
  /** Stream of the dropout masks (undefined: the global one). */
  readonly generator: Generator | undefined;

  /** Registers the parameters of every layer and direction, uniform on ±1/√hiddenSize as in PyTorch. */
  constructor(mode: RnnMode, inputSize: number, hiddenSize: number, options?: RNNOptions) {
    super();
    const name = this.constructor.name;
    const o = optionsArg(name, options);
    this.mode = mode;
    [this.inputSize, this.hiddenSize] = sizesArg(name, inputSize, hiddenSize);
    this.numLayers = intArg(name, 'numLayers', o.numLayers ?? 1, 1);
    this.bias = boolArg(name, 'bias', o.bias, true);
    this.batchFirst = boolArg(name, 'batchFirst', o.batchFirst, false);
    this.dropout = numArg(name, 'dropout', o.dropout, 0, { min: 0, max: 1 });
    this.bidirectional = boolArg(name, 'bidirectional', o.bidirectional, false);
    this.generator = generatorArg(name, o.generator);
    const D = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        registerWeights(this, `_l${l}${d ? '_reverse' : ''}`, mode, l === 0 ? inputSize : D * hiddenSize, hiddenSize, this.bias, this.generator);
      }
    }
  }

  /** The parameters in the order {@link rnn} takes them (per layer, per direction: w_ih, w_hh, b_ih, b_hh). */
  flatWeights(): Tensor[] {
    return [...this.parameters()];
  }

  /**
   * Runs the stack over a padded `[T, B, I]` (or `[B, T, I]` with batchFirst, or unbatched `[T, I]`)
   * tensor or a {@link PackedSequence}, from states `[L*D, B, H]` (zeros when absent). Returns the output
   * (a PackedSequence for a packed input) and the final states.
   */
  protected runStack(input: RNNInput, hx: Tensor | null, cx: Tensor | null): [RNNInput, Tensor, Tensor | null] {
    const name = this.constructor.name;
    const packed = input instanceof PackedSequence ? input : null;
    let x = packed ? packed.data : input;
    if (!(x instanceof Tensor)) throw new TypeError(`${name}: input must be a Tensor or a PackedSequence`);
    const unbatched = !packed && x.ndim === 2;
    if (!packed && x.ndim !== 2 && x.ndim !== 3) {
      throw new RangeError(`${name}: input must be 3-D (${this.batchFirst ? 'batch, time' : 'time, batch'}, features) or 2-D unbatched (time, features), got ${fmtShape(x.shape)}`);
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features, expected inputSize ${this.inputSize}`);
    }
    const timeMajor = unbatched ? x.reshape([x.shape[0], 1, x.shape[1]]) : this.batchFirst && !packed ? transpose(x, 0, 1) : x;
    const state = (t: Tensor | null) => (t && unbatched && t.ndim === 2 ? t.reshape([t.shape[0], 1, t.shape[1]]) : t);
    const [y, h, c] = this.layers(timeMajor, state(hx), state(cx), packed?.lengths);
    if (unbatched) {
      const H = y.shape[2];
      return [y.reshape([y.shape[0], H]), h.reshape([h.shape[0], this.hiddenSize]), c ? c.reshape([c.shape[0], this.hiddenSize]) : null];
    }
    if (packed) return [new PackedSequence(y, packed.lengths), h, c];
    return [this.batchFirst ? transpose(y, 0, 1) : y, h, c];
  }

  // All layers in one fused call, or layer by layer with dropout between them in training.
  private layers(x: Tensor, hx: Tensor | null, cx: Tensor | null, lengths?: readonly number[]): [Tensor, Tensor, Tensor | null] {
    const w = this.flatWeights();
    const base = { mode: this.mode, bidirectional: this.bidirectional, lengths };
    if (!(this.training && this.dropout > 0 && this.numLayers > 1)) {
      const r = rnn(x, w, hx, cx, { ...base, numLayers: this.numLayers });
      return [r.output, r.h, r.c];
    }
    const D = this.bidirectional ? 2 : 1;
    const per = w.length / this.numLayers;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let out = x;
    for (let l = 0; l < this.numLayers; l++) {
      const part = (t: Tensor | null) => (t ? t.slice(0, l * D, (l + 1) * D) : null);
      const r = rnn(out, w.slice(l * per, (l + 1) * per), part(hx), part(cx), { ...base, numLayers: 1 });
      out = l < this.numLayers - 1 ? dropout(r.output, this.dropout, { training: true, generator: this.generator }) : r.output;
      hs.push(r.h);
      if (r.c) cs.push(r.c);
    }
    return [out, cat(hs, 0), cs.length ? cat(cs, 0) : null];
  }

  /** `inputSize, hiddenSize, numLayers=…, …` (options that differ from the defaults). */
  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

// The two sizes every recurrent module takes, checked.
function sizesArg(name: string, inputSize: number, hiddenSize: number): [number, number] {
  return [intArg(name, 'inputSize', inputSize, 1), intArg(name, 'hiddenSize', hiddenSize, 1)];
}

function gatesOf(mode: RnnMode): number {
  return mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
}

// weight_ih{sfx} [G*H, inF], weight_hh{sfx} [G*H, H] and the biases, uniform on ±1/√H as in PyTorch.
function registerWeights(m: Module, sfx: string, mode: RnnMode, inF: number, H: number, bias: boolean, generator?: Generator): void {
  const G = gatesOf(mode);
  const bound = 1 / Math.sqrt(H);
  const shapes: [string, number[]][] = [[`weight_ih${sfx}`, [G * H, inF]], [`weight_hh${sfx}`, [G * H, H]]];
  if (bias) shapes.push([`bias_ih${sfx}`, [G * H]], [`bias_hh${sfx}`, [G * H]]);
  for (const [pname, shape] of shapes) uniform_(m.registerParameter(pname, zeros(shape)), -bound, bound, { generator });
}

/**
 * Elman RNN: `h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)` (or ReLU). `forward(input, h0?)` returns
 * `[output, h_n]` as PyTorch: output `[T, B, D*H]` (the last layer's states), h_n `[L*D, B, H]`.
 * @example
 * const rnn = new nn.RNN(10, 20, { numLayers: 2 });
 * const [out, h] = rnn.call(ds.randn([5, 3, 10])); // out [5, 3, 20], h [2, 3, 20]
 */
export class RNN extends RNNBase {
  /** The nonlinearity. */
  readonly nonlinearity: 'tanh' | 'relu';
  /** Creates the layer (PyTorch's initialisation). */
  constructor(inputSize: number, hiddenSize: number, options?: ElmanRNNOptions) {
    const nl = options?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new TypeError(`RNN: 'nonlinearity' must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    super(nl === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }
  /** `[output, h_n]` from the input and the optional initial state `h0` `[L*D, B, H]`. */
  override forward(input: RNNInput, h0?: Tensor | null): [RNNInput, Tensor] {
    const [y, h] = this.runStack(input, h0 ?? null, null);
    return [y, h];
  }
}

/**
 * Long short-term memory (PyTorch's gates i, f, g, o): `c_t = f⊙c_{t−1} + i⊙g`, `h_t = o⊙tanh(c_t)`.
 * `forward(input, [h0, c0]?)` returns `[output, [h_n, c_n]]` as PyTorch.
 * @example
 * const lstm = new nn.LSTM(28, 64, { batchFirst: true });
 * const [out, [h, c]] = lstm.call(ds.randn([32, 28, 28])); // out [32, 28, 64], h and c [1, 32, 64]
 */
export class LSTM extends RNNBase {
  /** Creates the layer (PyTorch's initialisation). */
  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) {
    super('lstm', inputSize, hiddenSize, options);
  }
  /** `[output, [h_n, c_n]]` from the input and the optional initial states `[h0, c0]`, each `[L*D, B, H]`. */
  override forward(input: RNNInput, state?: readonly [Tensor, Tensor] | null): [RNNInput, [Tensor, Tensor]] {
    if (state !== undefined && state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw new TypeError('LSTM: the state must be a pair [h0, c0]');
    }
    const [y, h, c] = this.runStack(input, state?.[0] ?? null, state?.[1] ?? null);
    return [y, [h, c!]];
  }
}

/**
 * Gated recurrent unit (PyTorch's gates r, z, n): `n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn))`,
 * `h_t = (1 − z)⊙n + z⊙h_{t−1}`. `forward(input, h0?)` returns `[output, h_n]` as PyTorch.
 * @example
 * const gru = new nn.GRU(8, 16, { bidirectional: true });
 * const [out, h] = gru.call(ds.randn([7, 2, 8])); // out [7, 2, 32], h [2, 2, 16]
 */
export class GRU extends RNNBase {
  /** Creates the layer (PyTorch's initialisation). */
  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) {
    super('gru', inputSize, hiddenSize, options);
  }
  /** `[output, h_n]` from the input and the optional initial state `h0` `[L*D, B, H]`. */
  override forward(input: RNNInput, h0?: Tensor | null): [RNNInput, Tensor] {
    const [y, h] = this.runStack(input, h0 ?? null, null);
    return [y, h];
  }
}

/** Options of the cells. */
export interface RNNCellOptions {
  /** Learn `bias_ih` and `bias_hh`. Default true. */
  bias?: boolean;
  /** Stream for the initial weights; the global one by default. */
  generator?: Generator;
}

/** One step of a recurrent layer for hand-written loops; parameters `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`. */
abstract class CellBase extends Module {
  /** Features of the input. */
  readonly inputSize: number;
  /** Hidden units. */
  readonly hiddenSize: number;
  /** Whether the cell has biases. */
  readonly bias: boolean;
  private readonly mode: RnnMode;

  constructor(mode: RnnMode, inputSize: number, hiddenSize: number, options?: RNNCellOptions) {
    super();
    const name = this.constructor.name;
    const o = optionsArg(name, options);
    this.mode = mode;
    [this.inputSize, this.hiddenSize] = sizesArg(name, inputSize, hiddenSize);
    this.bias = boolArg(name, 'bias', o.bias, true);
    registerWeights(this, '', mode, inputSize, hiddenSize, this.bias, generatorArg(name, o.generator));
  }

  /** One step of `[B, I]` (or unbatched `[I]`) input from `[B, H]` states; returns the new states. */
  protected step(x: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    const name = this.constructor.name;
    if (!(x instanceof Tensor)) throw new TypeError(`${name}: input must be a Tensor`);
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input must be [batch, ${this.inputSize}] or [${this.inputSize}], got ${fmtShape(x.shape)}`);
    }
    const B = x.ndim === 2 ? x.shape[0] : 1;
    const as3 = (t: Tensor | null, arg: string) => {
      if (!t) return null;
      if (!(t instanceof Tensor)) throw new TypeError(`${name}: '${arg}' must be a Tensor`);
      if (t.size !== B * this.hiddenSize || t.ndim !== x.ndim) {
        throw new RangeError(`${name}: '${arg}' must have shape ${fmtShape(x.ndim === 2 ? [B, this.hiddenSize] : [this.hiddenSize])}, got ${fmtShape(t.shape)}`);
      }
      return t.reshape([1, B, this.hiddenSize]);
    };
    const r = rnn(x.reshape([1, B, this.inputSize]), [...this.parameters()], as3(h, 'hx'), as3(c, 'cx'), { mode: this.mode });
    const shape = x.ndim === 2 ? [B, this.hiddenSize] : [this.hiddenSize];
    return [r.h.reshape(shape), r.c ? r.c.reshape(shape) : null];
  }

  /** `inputSize, hiddenSize[, bias=false]`. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}

/**
 * One Elman step: `h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh)` (or ReLU). `forward(x [B, I], h? [B, H])` → `h' [B, H]`.
 * @example
 * const cell = new nn.RNNCell(4, 8);
 * let h = ds.zeros([2, 8]);
 * for (const x of steps) h = cell.call(x, h);
 */
export class RNNCell extends CellBase {
  /** Creates the cell (PyTorch's initialisation). */
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' }) {
    const nl = options?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new TypeError(`RNNCell: 'nonlinearity' must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    super(nl === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize, hiddenSize, options);
  }
  /** The next hidden state (zeros as the previous one when `h` is absent). */
  override forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.step(x, h ?? null, null)[0];
  }
}

/**
 * One LSTM step. `forward(x [B, I], [h, c]?)` → `[h', c']`, each `[B, H]`.
 * @example
 * const cell = new nn.LSTMCell(4, 8);
 * let state = cell.call(x0);           // from zeros
 * state = cell.call(x1, state);
 */
export class LSTMCell extends CellBase {
  /** Creates the cell (PyTorch's initialisation). */
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions) {
    super('lstm', inputSize, hiddenSize, options);
  }
  /** The next `[h, c]` (zeros as the previous ones when `state` is absent). */
  override forward(x: Tensor, state?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    if (state !== undefined && state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw new TypeError('LSTMCell: the state must be a pair [h, c]');
    }
    const [h, c] = this.step(x, state?.[0] ?? null, state?.[1] ?? null);
    return [h, c!];
  }
}

/**
 * One GRU step. `forward(x [B, I], h? [B, H])` → `h' [B, H]`.
 * @example const h1 = new nn.GRUCell(4, 8).call(x, h0);
 */
export class GRUCell extends CellBase {
  /** Creates the cell (PyTorch's initialisation). */
  constructor(inputSize: number, hiddenSize: number, options?: RNNCellOptions) {
    super('gru', inputSize, hiddenSize, options);
  }
  /** The next hidden state (zeros as the previous one when `h` is absent). */
  override forward(x: Tensor, h?: Tensor | null): Tensor {
    return this.step(x, h ?? null, null)[0];
  }
}
