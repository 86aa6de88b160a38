/**
 * The fused recurrent op: {@link rnn} runs a whole stack of RNN_TANH, RNN_RELU, LSTM or GRU layers, in one
 * or both directions, over every time step in one native call (`rnn_forward`), and its backward runs
 * backpropagation through time in one native call too (`rnn_backward`: gradients of the input, the
 * initial states and every weight). Weight layout and gate order are PyTorch's (`torch.nn.LSTM` and
 * friends): LSTM gates i, f, g, o; GRU gates r, z, n with `n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))`.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { tensor } from './creation';
import { checkDtype, checkNumber, checkSameDevice, checkTensor, empty, run } from './util';

/** Which recurrence {@link rnn} computes. */
export type RnnMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

const GATES: Record<RnnMode, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

/** Options of {@link rnn}. */
export interface RnnOptions {
  /** The recurrence. */
  mode: RnnMode;
  /** Stacked layers; the weights list holds each layer's in order. Default 1. */
  numLayers?: number;
  /** Run a second, time-reversed direction per layer and concatenate both outputs. Default false. */
  bidirectional?: boolean;
  /**
   * Length of each sequence of the batch (each in 1..T). Steps at or past a sequence's length do not
   * change its state, output zeros and receive no gradient; the final states are those after its last
   * step (the reverse direction starts at its last step). Default: every sequence has T steps.
   */
  lengths?: readonly number[];
}

/** What {@link rnn} returns. */
export interface RnnResult {
  /** `[T, B, D*H]`: the last layer's hidden state at every step (both directions concatenated). */
  output: Tensor;
  /** `[L*D, B, H]`: every layer's and direction's final hidden state. */
  h: Tensor;
  /** `[L*D, B, H]`: the final cell states (LSTM), else null. */
  c: Tensor | null;
}

/**
 * Floats in the workspace `rnn_forward` saves for backward (native/ops/rnn.h lays it out): per layer, its
 * output, and per direction the states of every step and, for LSTM and GRU, the activated gates.
 */
function workspaceSize(mode: RnnMode, T: number, B: number, H: number, L: number, D: number): number {
  const lstm = mode === 'lstm';
  const states = (T + 1) * B * H * (lstm ? 2 : 1);
  const gates = lstm || mode === 'gru' ? 4 : 0;
  return L * (T * B * D * H + D * (states + T * B * gates * H));
}

/** The weight names of layer `l`, direction `d`, in PyTorch's spelling (for messages). */
function weightNames(l: number, d: number, bias: boolean): string[] {
  const sfx = `_l${l}${d ? '_reverse' : ''}`;
  const names = [`weight_ih${sfx}`, `weight_hh${sfx}`];
  return bias ? [...names, `bias_ih${sfx}`, `bias_hh${sfx}`] : names;
}

function checkState(op: string, arg: string, t: Tensor | null | undefined, shape: number[]): Tensor | null {
  if (t === null || t === undefined) return null;
  checkTensor(op, arg, t);
  checkDtype(op, arg, t, ['float32']);
  if (t.ndim !== 3 || t.shape.some((s, i) => s !== shape[i])) {
    throw new RangeError(`${op}: argument '${arg}' must have shape ${fmtShape(shape)} (layers*directions, batch, hidden), got ${fmtShape(t.shape)}`);
  }
  return t;
}

/**
 * Runs a stack of recurrent layers over a time-major batch `input` `[T, B, I]` with the fused native
 * kernel, from initial states `hx` (and `cx` for LSTM) of shape `[L*D, B, H]` (zeros when null).
 *
 * `weights` lists, for each layer and then each direction, `w_ih [G*H, in]`, `w_hh [G*H, H]` and, with
 * biases, `b_ih [G*H]`, `b_hh [G*H]` (G = 1, 4, 3 gates for RNN, LSTM, GRU; `in` is I for layer 0 and
 * D*H above); whether there are biases follows from the list's length. Gradients flow to the input, both
 * initial states and every weight.
 * @example
 * // One LSTM layer, 8 hidden units, over 5 steps of a batch of 2 with 3 features:
 * const w = [ds.randn([32, 3]), ds.randn([32, 8]), ds.zeros([32]), ds.zeros([32])];
 * const { output, h, c } = ds.rnn(ds.randn([5, 2, 3]), w, null, null, { mode: 'lstm' });
 * output.shape // [5, 2, 8]; h.shape and c.shape are [1, 2, 8]
 */
export function rnn(input: Tensor, weights: readonly Tensor[], hx: Tensor | null, cx: Tensor | null, options: RnnOptions): RnnResult {
  const op = 'rnn';
  checkTensor(op, 'input', input);
  checkDtype(op, 'input', input, ['float32']);
  if (input.ndim !== 3) throw new RangeError(`${op}: argument 'input' must be 3-D (time, batch, features), got shape ${fmtShape(input.shape)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: 'options' must be an object`);
  const mode = options.mode;
  if (!(mode in GATES)) throw new TypeError(`${op}: 'mode' must be 'rnn_tanh', 'rnn_relu', 'lstm' or 'gru', got ${JSON.stringify(mode)}`);
  const L = checkNumber(op, 'numLayers', options.numLayers ?? 1, { min: 1, integer: true });
  if (options.bidirectional !== undefined && typeof options.bidirectional !== 'boolean') throw new TypeError(`${op}: 'bidirectional' must be a boolean`);
  const D = options.bidirectional ? 2 : 1;
  const [T, B, I] = input.shape;
  if (T === 0 || B === 0) throw new RangeError(`${op}: 'input' ${fmtShape(input.shape)} must have at least one step and one sequence`);
  if (!Array.isArray(weights)) throw new TypeError(`${op}: 'weights' must be an array of Tensors`);
  const bias = weights.length === L * D * 4;
  if (!bias && weights.length !== L * D * 2) {
    throw new RangeError(`${op}: expected ${L * D * 4} weights (with biases) or ${L * D * 2} (without) for ${L} layer(s) and ${D} direction(s), got ${weights.length}`);
  }
  const G = GATES[mode];
  weights.forEach((w, i) => checkTensor(op, `weights[${i}]`, w));
  const H = weights[1].ndim === 2 ? weights[1].shape[1] : 0;
  if (H < 1) throw new RangeError(`${op}: weights[1] (weight_hh_l0) must be 2-D [${G}*hidden, hidden], got ${fmtShape(weights[1].shape)}`);
  const per = bias ? 4 : 2;
  for (let l = 0; l < L; l++) {
    for (let d = 0; d < D; d++) {
      const names = weightNames(l, d, bias);
      const inF = l === 0 ? I : D * H;
      const want = [[G * H, inF], [G * H, H], [G * H], [G * H]];
      names.forEach((name, k) => {
        const w: Tensor = weights[(l * D + d) * per + k];
        checkDtype(op, name, w, ['float32']);
        if (w.ndim !== want[k].length || w.shape.some((s: number, i: number) => s !== want[k][i])) {
          throw new RangeError(
            `${op}: ${name} must have shape ${fmtShape(want[k])} for ${mode} with hidden size ${H} and ${inF} input features, got ${fmtShape(w.shape)}`,
          );
        }
      });
    }
  }
  const stateShape = [L * D, B, H];
  const h0 = checkState(op, 'hx', hx, stateShape);
  const c0 = checkState(op, 'cx', cx, stateShape);
  if (mode !== 'lstm' && c0) throw new TypeError(`${op}: 'cx' is only used by 'lstm', got one for ${JSON.stringify(mode)}`);
  checkSameDevice(op, { input, hx: h0, cx: c0, ...Object.fromEntries(weights.map((w, i) => [`weights[${i}]`, w])) });
  const lengths = checkLengths(op, options.lengths, T, B);
  const lstm = mode === 'lstm';
  const dev = input.device;
  const lenT = lengths ? tensor(lengths, [B], { dtype: 'int32', device: dev }) : null;
  const attrs = { mode, hidden: H, layers: L, bidirectional: D === 2, bias };
  const y = empty([T, B, D * H], 'float32', dev);
  const hn = empty(stateShape, 'float32', dev);
  const cn = lstm ? empty(stateShape, 'float32', dev) : null;
  const ws = empty([workspaceSize(mode, T, B, H, L, D)], 'float32', dev);
  run('rnn_forward', [input, h0, c0, lenT, ...weights], cn ? [y, hn, ws, cn] : [y, hn, ws], attrs);
  const outs = cn ? [y, hn, cn] : [y, hn];
  record(op, [input, h0, c0, ...weights], outs, [input, lenT, ws, ...weights], (grads, saved) => {
    const [sx, slen, sws] = saved;
    const sw = saved.slice(3) as Tensor[];
    const dx = empty(sx!.shape, 'float32', sx!.device);
    const dh0 = empty(stateShape, 'float32', sx!.device);
    const dc0 = lstm ? empty(stateShape, 'float32', sx!.device) : null;
    const dw = sw.map((w) => empty(w.shape, 'float32', w.device));
    run('rnn_backward', [sx, null, null, slen, sws, grads[0], grads[1], lstm ? grads[2] : null, ...sw], [dx, dh0, ...dw, ...(dc0 ? [dc0] : [])], attrs);
    if (!h0) dh0.dispose();
    if (!c0) dc0?.dispose();
    return [dx, h0 ? dh0 : null, c0 ? dc0 : null, ...dw];
  });
  ws.dispose();
  lenT?.dispose();
  return { output: y, h: hn, c: cn };
}

function checkLengths(op: string, lengths: unknown, T: number, B: number): number[] | null {
  if (lengths === undefined || lengths === null) return null;
  if (!Array.isArray(lengths)) throw new TypeError(`${op}: 'lengths' must be an array of integers`);
  if (lengths.length !== B) throw new RangeError(`${op}: 'lengths' has ${lengths.length} entries for a batch of ${B}`);
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 1 || n > T) throw new RangeError(`${op}: 'lengths' ${JSON.stringify(lengths)} must hold integers in 1..${T} (the number of steps)`);
  }
  return [...lengths];
}
