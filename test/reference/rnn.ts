/**
 * Float64 reference of the recurrent layers: the cells unrolled step by step, written from the equations
 * of PyTorch's documentation (gate order i, f, g, o for LSTM; r, z, n for GRU), independent of the fused
 * native kernel. Layouts as the `rnn` op: x [T, B, I], states [L*D, B, H], weights per layer and direction
 * w_ih [G*H, in], w_hh [G*H, H], b_ih, b_hh [G*H] (biases optional).
 */
import { Nd } from './nd';

export type RefMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

export interface RefRnnOptions {
  mode: RefMode;
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  /** Per-sequence lengths (steps at or past them keep the state and output zero). */
  lengths?: number[];
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** Σ_k w[row, k] · v[k] for a row-major matrix with `cols` columns. */
function dot(w: Float64Array, row: number, cols: number, v: ArrayLike<number>, vOff: number): number {
  let s = 0;
  for (let k = 0; k < cols; k++) s += w[row * cols + k] * v[vOff + k];
  return s;
}

/** One cell step of one sequence: new h (and c) from input vector x, previous h, c. */
function cell(mode: RefMode, H: number, x: Float64Array, h: Float64Array, c: Float64Array, w: Nd[], inF: number, bias: boolean): [Float64Array, Float64Array] {
  const [wih, whh] = w;
  const gi = (r: number) => dot(wih.data, r, inF, x, 0) + (bias ? w[2].data[r] : 0);
  const gh = (r: number) => dot(whh.data, r, H, h, 0) + (bias ? w[3].data[r] : 0);
  const hn = new Float64Array(H);
  const cn = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    if (mode === 'rnn_tanh') hn[j] = Math.tanh(gi(j) + gh(j));
    else if (mode === 'rnn_relu') hn[j] = Math.max(0, gi(j) + gh(j));
    else if (mode === 'lstm') {
      const i = sig(gi(j) + gh(j));
      const f = sig(gi(H + j) + gh(H + j));
      const g = Math.tanh(gi(2 * H + j) + gh(2 * H + j));
      const o = sig(gi(3 * H + j) + gh(3 * H + j));
      cn[j] = f * c[j] + i * g;
      hn[j] = o * Math.tanh(cn[j]);
    } else {
      const r = sig(gi(j) + gh(j));
      const z = sig(gi(H + j) + gh(H + j));
      const n = Math.tanh(gi(2 * H + j) + r * gh(2 * H + j));
      hn[j] = (1 - z) * n + z * h[j];
    }
  }
  return [hn, cn];
}

/**
 * Runs the stack; returns output [T, B, D*H], h [L*D, B, H] and c [L*D, B, H] (zeros unless LSTM).
 * `weights` is the flat list in the op's order.
 */
export function refRnn(x: Nd, h0: Nd, c0: Nd, weights: Nd[], o: RefRnnOptions): { output: Nd; h: Nd; c: Nd } {
  const [T, B] = x.shape;
  const H = h0.shape[2];
  const D = o.bidirectional ? 2 : 1;
  const per = o.bias ? 4 : 2;
  const hN = Nd.zeros(h0.shape);
  const cN = Nd.zeros(h0.shape);
  let input = x;
  for (let l = 0; l < o.numLayers; l++) {
    const inF = input.shape[2];
    const out = Nd.zeros([T, B, D * H]);
    for (let d = 0; d < D; d++) {
      const w = weights.slice((l * D + d) * per, (l * D + d + 1) * per);
      const sIdx = l * D + d;
      for (let b = 0; b < B; b++) {
        const len = o.lengths ? o.lengths[b] : T;
        let h: Float64Array = h0.data.slice((sIdx * B + b) * H, (sIdx * B + b + 1) * H);
        let c: Float64Array = c0.data.slice((sIdx * B + b) * H, (sIdx * B + b + 1) * H);
        for (let s = 0; s < len; s++) {
          const t = d ? len - 1 - s : s;
          const xv = input.data.slice((t * B + b) * inF, (t * B + b + 1) * inF);
          [h, c] = cell(o.mode, H, xv, h, c, w, inF, o.bias);
          for (let j = 0; j < H; j++) out.data[(t * B + b) * D * H + d * H + j] = h[j];
        }
        hN.data.set(h, (sIdx * B + b) * H);
        if (o.mode === 'lstm') cN.data.set(c, (sIdx * B + b) * H);
      }
    }
    input = out;
  }
  return { output: input, h: hN, c: cN };
}
