import * as ds from '../../src';
import { Nd } from '../reference/nd';
import { RefMode, refRnn } from '../reference/rnn';
import { expectClose, expectError, gradcheck, randNd, rng, toTensor } from '../helpers';

// Tolerances (normalised error, see helpers.normError). Observed maxima over these tests: ≈ 3e-7 forward,
// ≈ 2e-5 backward.
// - Forward: per step a float32 dot product of ≤ 20 terms of size ≲ 1 (≈ 20·6e-8 relative) feeding
//   saturating nonlinearities whose slope is ≤ 1, carried over ≤ 6 steps and 2 layers where the recurrent
//   weights (|w| ≤ 0.5, H ≤ 7) keep the error from growing: 1e-5.
// - Backward vs central differences of the float64 reference (step 1e-6, truncation ≈ 1e-12): the float32
//   backward sums T·B products per weight gradient entry and multiplies gate derivatives that can
//   cancel (GRU's h − n, LSTM's o·(1 − tanh²c)), a few 1e-7 relative each; 2e-4 leaves room for the
//   cancellation while a wrong gate or a missed step (errors of order 1) cannot pass.
const FWD = 1e-5;
const BWD = 2e-4;

const MODES: RefMode[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
const GATES: Record<RefMode, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 };

interface Case {
  T: number;
  B: number;
  I: number;
  H: number;
  L: number;
  bidirectional: boolean;
  bias: boolean;
  lengths?: number[];
}

function makeWeights(r: () => number, mode: RefMode, c: Case): Nd[] {
  const G = GATES[mode];
  const D = c.bidirectional ? 2 : 1;
  const ws: Nd[] = [];
  for (let l = 0; l < c.L; l++) {
    for (let d = 0; d < D; d++) {
      const inF = l === 0 ? c.I : D * c.H;
      ws.push(randNd(r, [G * c.H, inF], -0.5, 0.5), randNd(r, [G * c.H, c.H], -0.5, 0.5));
      if (c.bias) ws.push(randNd(r, [G * c.H], -0.5, 0.5), randNd(r, [G * c.H], -0.5, 0.5));
    }
  }
  return ws;
}

const flat = (nds: Nd[]): Nd => {
  const n = nds.reduce((s, x) => s + x.size, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const x of nds) {
    out.set(x.data, o);
    o += x.size;
  }
  return new Nd(out, [n]);
};

const CASES: Case[] = [
  { T: 4, B: 3, I: 5, H: 6, L: 1, bidirectional: false, bias: true },
  { T: 3, B: 1, I: 2, H: 3, L: 2, bidirectional: true, bias: true }, // batch 1, stacked, both directions
  { T: 5, B: 2, I: 7, H: 5, L: 1, bidirectional: true, bias: false },
  { T: 1, B: 2, I: 3, H: 1, L: 3, bidirectional: false, bias: true }, // one step, one unit, three layers
  { T: 6, B: 3, I: 3, H: 4, L: 2, bidirectional: true, bias: true, lengths: [6, 2, 4] }, // variable lengths
];

describe('rnn forward vs the float64 reference', () => {
  for (const mode of MODES) {
    CASES.forEach((c, k) => {
      test(`${mode} ${JSON.stringify(c)}`, () => {
        const r = rng(k * 31 + mode.length);
        const D = c.bidirectional ? 2 : 1;
        const x = randNd(r, [c.T, c.B, c.I]);
        const h0 = randNd(r, [c.L * D, c.B, c.H]);
        const c0 = mode === 'lstm' ? randNd(r, [c.L * D, c.B, c.H]) : Nd.zeros([c.L * D, c.B, c.H]);
        const ws = makeWeights(r, mode, c);
        const want = refRnn(x, h0, c0, ws, { mode, numLayers: c.L, bidirectional: c.bidirectional, bias: c.bias, lengths: c.lengths });
        ds.tidy(() => {
          const got = ds.rnn(toTensor(x), ws.map((w) => toTensor(w)), toTensor(h0), mode === 'lstm' ? toTensor(c0) : null, {
            mode,
            numLayers: c.L,
            bidirectional: c.bidirectional,
            lengths: c.lengths,
          });
          expectClose(got.output, want.output, FWD, 'output');
          expectClose(got.h, want.h, FWD, 'h');
          if (mode === 'lstm') expectClose(got.c!, want.c, FWD, 'c');
          else expect(got.c).toBeNull();
        });
      });
    });
  }
});

describe('rnn backward through time vs finite differences', () => {
  const small: Case[] = [
    { T: 3, B: 2, I: 3, H: 3, L: 2, bidirectional: true, bias: true },
    { T: 4, B: 3, I: 2, H: 2, L: 1, bidirectional: true, bias: false, lengths: [4, 1, 3] },
  ];
  for (const mode of MODES) {
    small.forEach((c, k) => {
      test(`${mode} ${JSON.stringify(c)}`, () => {
        const r = rng(100 + k * 7 + mode.length);
        const D = c.bidirectional ? 2 : 1;
        const lstm = mode === 'lstm';
        const ws = makeWeights(r, mode, c);
        const inputs = [randNd(r, [c.T, c.B, c.I]), randNd(r, [c.L * D, c.B, c.H]), ...(lstm ? [randNd(r, [c.L * D, c.B, c.H])] : []), ...ws];
        const opts = { mode, numLayers: c.L, bidirectional: c.bidirectional, lengths: c.lengths };
        const nw = ws.length;
        gradcheck({
          // Output, final h and final c in one vector so that every output carries a cotangent.
          f: (...xs) => {
            const [x, h0] = xs;
            const c0 = lstm ? xs[2] : null;
            const got = ds.rnn(x, xs.slice(xs.length - nw), h0, c0, opts);
            return ds.cat([got.output.reshape([-1]), got.h.reshape([-1]), ...(got.c ? [got.c.reshape([-1])] : [])]);
          },
          ref: (...xs) => {
            const [x, h0] = xs;
            const c0 = lstm ? xs[2] : Nd.zeros(h0.shape);
            const want = refRnn(x, h0, c0, xs.slice(xs.length - nw), { ...opts, bias: c.bias });
            return flat([want.output, want.h, ...(lstm ? [want.c] : [])]);
          },
          inputs,
          fwdTol: FWD,
          bwdTol: BWD,
          // A ReLU kink within eps of a pre-activation would spoil the difference; these seeds stay clear.
          eps: 1e-6,
        });
      });
    });
  }

  test('padded steps receive no gradient', () => {
    const x = ds.randn([5, 2, 3], { requiresGrad: true });
    const w = [ds.randn([8, 3]), ds.randn([8, 2]), ds.randn([8]), ds.randn([8])];
    const { output, h, c } = ds.rnn(x, w, null, null, { mode: 'lstm', lengths: [5, 2] });
    output.sum().add(h.sum()).add(c!.sum()).backward();
    const g = x.grad!.dataSync();
    // x[t, 1, :] for t >= 2 is padding of sequence 1.
    for (let t = 2; t < 5; t++) for (let i = 0; i < 3; i++) expect(g[(t * 2 + 1) * 3 + i]).toBe(0);
    expect(Math.abs(g[(0 * 2 + 1) * 3])).toBeGreaterThan(0);
    const y = output.dataSync();
    for (let t = 2; t < 5; t++) for (let j = 0; j < 2; j++) expect(y[(t * 2 + 1) * 2 + j]).toBe(0);
  });
});

test('absent initial states are zeros', () => {
  for (const mode of MODES) {
    const G = GATES[mode];
    const x = ds.randn([4, 2, 3]);
    const w = [ds.randn([G * 5, 3]), ds.randn([G * 5, 5]), ds.randn([G * 5]), ds.randn([G * 5])];
    const z = ds.zeros([1, 2, 5]);
    const a = ds.rnn(x, w, null, null, { mode });
    const b = ds.rnn(x, w, z, mode === 'lstm' ? z : null, { mode });
    expect([...a.output.dataSync()]).toEqual([...b.output.dataSync()]);
    expect([...a.h.dataSync()]).toEqual([...b.h.dataSync()]);
  }
});

describe('rnn error paths', () => {
  const x = ds.zeros([4, 2, 3]);
  const w = [ds.zeros([16, 3]), ds.zeros([16, 4]), ds.zeros([16]), ds.zeros([16])];
  test('input rank', () => expectError(() => ds.rnn(ds.zeros([4, 3]), w, null, null, { mode: 'lstm' }), RangeError, 'rnn', "'input'", '[4, 3]'));
  test('mode', () => expectError(() => ds.rnn(x, w, null, null, { mode: 'elman' as never }), TypeError, 'rnn', "'mode'"));
  test('weight count', () => expectError(() => ds.rnn(x, w.slice(0, 3), null, null, { mode: 'lstm' }), RangeError, 'rnn', 'expected 4 weights', 'got 3'));
  test('weight shape names the PyTorch parameter', () =>
    expectError(() => ds.rnn(x, [ds.zeros([16, 5]), ...w.slice(1)], null, null, { mode: 'lstm' }), RangeError, 'weight_ih_l0', '[16, 3]', '[16, 5]'));
  test('gru gate count', () => expectError(() => ds.rnn(x, w, null, null, { mode: 'gru' }), RangeError, 'weight_ih_l0', '[12, 3]'));
  test('state shape', () => expectError(() => ds.rnn(x, w, ds.zeros([1, 3, 4]), null, { mode: 'lstm' }), RangeError, "'hx'", '[1, 2, 4]', '[1, 3, 4]'));
  test('cx outside lstm', () => expectError(() => ds.rnn(x, [ds.zeros([4, 3]), ds.zeros([4, 4])], null, ds.zeros([1, 2, 4]), { mode: 'rnn_tanh' }), TypeError, "'cx'"));
  test('lengths', () => {
    expectError(() => ds.rnn(x, w, null, null, { mode: 'lstm', lengths: [4] }), RangeError, "'lengths'", '1 entries', 'batch of 2');
    expectError(() => ds.rnn(x, w, null, null, { mode: 'lstm', lengths: [4, 0] }), RangeError, "'lengths'", '1..4');
    expectError(() => ds.rnn(x, w, null, null, { mode: 'lstm', lengths: [5, 1] }), RangeError, "'lengths'", '1..4');
  });
  test('dtype', () => expectError(() => ds.rnn(ds.zeros([4, 2, 3], { dtype: 'int32' }), w, null, null, { mode: 'lstm' }), TypeError, "'input'", 'float32'));
  test('numLayers', () => expectError(() => ds.rnn(x, w, null, null, { mode: 'lstm', numLayers: 0 }), RangeError, 'numLayers'));
});
