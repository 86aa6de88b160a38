/**
 * @jest-environment ./test/io/onnx/ort-environment.js
 */
// ds.rnn against onnxruntime-node's RNN, LSTM and GRU ops: an independent implementation of the same
// recurrences (ONNX gate orders, GRU with linear_before_reset), fed the same weights through
// bench/onnx-rnn.ts. Tolerance: both in float32 with different summation orders over ≤ 7 steps, observed
// max |diff| ≈ 3e-7; 1e-5 still catches any wrong gate or direction (errors of order 0.1).
import * as ort from 'onnxruntime-node';
import * as ds from '../../src';
import { fromOnnxY, onnxRnn } from '../../bench/onnx-rnn';

const GATES: Record<ds.RnnMode, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

describe('rnn forward against onnxruntime', () => {
  for (const mode of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'] as const) {
    for (const bidirectional of [false, true]) {
      test(`${mode}${bidirectional ? ' bidirectional' : ''}`, async () => {
        const gen = new ds.Generator(mode.length + (bidirectional ? 10 : 0));
        const [T, B, I, H] = [7, 3, 5, 6];
        const D = bidirectional ? 2 : 1;
        const G = GATES[mode];
        const x = ds.uniform([T, B, I], -1, 1, { generator: gen });
        const w: ds.Tensor[] = [];
        for (let d = 0; d < D; d++) for (const s of [[G * H, I], [G * H, H], [G * H], [G * H]]) w.push(ds.uniform(s, -0.5, 0.5, { generator: gen }));
        const h0 = ds.uniform([D, B, H], -1, 1, { generator: gen });
        const c0 = mode === 'lstm' ? ds.uniform([D, B, H], -1, 1, { generator: gen }) : null;
        const { model, feeds } = onnxRnn(mode, x, w, h0, c0, bidirectional);
        const session = await ort.InferenceSession.create(model);
        const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
        await session.release();
        const want = fromOnnxY(out.Y.data as Float32Array, T, D, B, H);
        const got = ds.rnn(x, w, h0, c0, { mode, bidirectional }).output.dataSync();
        let diff = 0;
        for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i] - got[i]));
        expect(diff).toBeLessThan(1e-5);
      });
    }
  }
});
