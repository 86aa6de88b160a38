/**
 * One-node ONNX models of the recurrent ops (RNN, LSTM, GRU) that compute what `ds.rnn` computes from the
 * same PyTorch-layout weights: ONNX orders the gates i, o, f, c (LSTM) and z, r, h (GRU), stacks both
 * directions in one tensor, concatenates the biases, and needs `linear_before_reset` for PyTorch's GRU.
 * Used by bench/kernels/rnn.ts and by the onnxruntime comparison test. One layer (ONNX's ops have one).
 */
import * as ds from '../src';
import { onnx } from 'onnx-proto';
import { oneNodeModel, intAttr } from './common';

/** ONNX gate block `k` is PyTorch's block `PERM[mode][k]`. */
const PERM: Record<ds.RnnMode, number[]> = { rnn_tanh: [0], rnn_relu: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] };
const OP: Record<ds.RnnMode, string> = { rnn_tanh: 'RNN', rnn_relu: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/** Rows of `w` ([G*H, ...] in PyTorch's gate order) in ONNX's gate order. */
function reorder(w: Float32Array, mode: ds.RnnMode, H: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  PERM[mode].forEach((src, k) => out.set(w.subarray(src * H * cols, (src + 1) * H * cols), k * H * cols));
  return out;
}

const cat = (parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** The model and its feeds (X, W, R, B, initial_h[, initial_c]) for one layer of `ds.rnn` weights. */
export function onnxRnn(mode: ds.RnnMode, x: ds.Tensor, weights: ds.Tensor[], h0: ds.Tensor, c0: ds.Tensor | null, bidirectional: boolean): { model: Uint8Array; feeds: Record<string, { data: Float32Array; dims: number[] }> } {
  const [T, B, I] = x.shape;
  const H = h0.shape[2];
  const D = bidirectional ? 2 : 1;
  const G = PERM[mode].length;
  const per = weights.length / D;
  const data = (t: ds.Tensor) => t.dataSync() as Float32Array;
  const dir = (d: number) => weights.slice(d * per, (d + 1) * per);
  const W = cat([0, 1].slice(0, D).map((d) => reorder(data(dir(d)[0]), mode, H, I)));
  const R = cat([0, 1].slice(0, D).map((d) => reorder(data(dir(d)[1]), mode, H, H)));
  const Bias = cat([0, 1].slice(0, D).map((d) => (per === 4 ? cat([reorder(data(dir(d)[2]), mode, H, 1), reorder(data(dir(d)[3]), mode, H, 1)]) : new Float32Array(2 * G * H))));
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
    X: { data: data(x), dims: [T, B, I] },
    W: { data: W, dims: [D, G * H, I] },
    R: { data: R, dims: [D, G * H, H] },
    B: { data: Bias, dims: [D, 2 * G * H] },
    initial_h: { data: data(h0), dims: [D, B, H] },
  };
  if (c0) feeds.initial_c = { data: data(c0), dims: [D, B, H] };
  const A = onnx.AttributeProto.AttributeType;
  const attributes: onnx.IAttributeProto[] = [intAttr('hidden_size', H), { name: 'direction', type: A.STRING, s: new TextEncoder().encode(bidirectional ? 'bidirectional' : 'forward') }];
  if (mode === 'gru') attributes.push(intAttr('linear_before_reset', 1));
  if (mode !== 'lstm' && mode !== 'gru') {
    const act = new TextEncoder().encode(mode === 'rnn_relu' ? 'Relu' : 'Tanh');
    attributes.push({ name: 'activations', type: A.STRINGS, strings: Array(D).fill(act) });
  }
  // The optional sequence_lens input stays empty (''); inputs are fed at run time.
  const names = ['X', 'W', 'R', 'B', '', 'initial_h', ...(c0 ? ['initial_c'] : [])];
  const model = oneNodeModel({
    opType: OP[mode],
    inputs: names.map((name) => ({ name, dims: name ? feeds[name].dims : [] })),
    output: { name: 'Y', dims: [T, D, B, H] },
    attributes,
  });
  return { model, feeds };
}

/** onnxruntime's Y [T, D, B, H] as ours [T, B, D*H]. */
export function fromOnnxY(y: Float32Array, T: number, D: number, B: number, H: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) out[((t * B + b) * D + d) * H + j] = y[((t * D + d) * B + b) * H + j];
  return out;
}
