import * as fs from 'fs';
import * as path from 'path';
import * as ds from '../../src';
import { nn } from '../../src';
import { Nd } from '../reference/nd';
import { expectClose, expectError, normError } from '../helpers';

// Fixtures from scripts/rnn-fixtures.py: seeded torch 1.13 modules in float64, their state dicts, outputs
// and gradients. Tolerances (normalised error): our float32 forward vs torch's float64 over ≤ 6 steps and
// 2 layers, ≈ 1e-7 relative per operation: 1e-5 (observed ≈ 2e-7); gradients sum T·B float32 products
// per entry: 1e-4 (observed ≈ 5e-7). A wrong gate order or weight name gives errors of order 1.
const FWD = 1e-5;
const BWD = 1e-4;

interface Fixture {
  case: { kind: 'LSTM' | 'GRU' | 'RNN'; I: number; H: number; L: number; bidirectional: boolean; batch_first: boolean; T: number; B: number; nonlinearity?: 'tanh' | 'relu'; bias?: boolean };
  state: Record<string, { shape: number[]; data: number[] }>;
  x: { shape: number[]; data: number[] };
  h0: number[];
  c0?: number[];
  y: { shape: number[]; data: number[] };
  h: number[];
  c?: number[];
  gy: number[];
  gh: number[];
  gc?: number[];
  grads: Record<string, number[]>;
  gx: number[];
}

const fixtures: Fixture[] = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/rnn-torch.json'), 'utf8'));
const nd = (data: number[], shape: number[]) => Nd.from(data, shape);

function build(c: Fixture['case']): nn.RNNBase {
  const o = { numLayers: c.L, bidirectional: c.bidirectional, batchFirst: c.batch_first, bias: c.bias ?? true };
  if (c.kind === 'LSTM') return new nn.LSTM(c.I, c.H, o);
  if (c.kind === 'GRU') return new nn.GRU(c.I, c.H, o);
  return new nn.RNN(c.I, c.H, { ...o, nonlinearity: c.nonlinearity });
}

describe('PyTorch compatibility (state dicts, outputs, gradients)', () => {
  for (const f of fixtures) {
    test(JSON.stringify(f.case), () => {
      ds.tidy(() => {
        const c = f.case;
        const m = build(c);
        expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(f.state));
        m.loadStateDict(Object.fromEntries(Object.entries(f.state).map(([k, v]) => [k, ds.tensor(v.data, v.shape)])));
        const x = ds.tensor(f.x.data, f.x.shape, { requiresGrad: true });
        const D = c.bidirectional ? 2 : 1;
        const sShape = [c.L * D, c.B, c.H];
        const h0 = ds.tensor(f.h0, sShape);
        let y: ds.Tensor, h: ds.Tensor, cn: ds.Tensor | null = null;
        if (m instanceof nn.LSTM) {
          const [out, [hh, cc]] = m.call(x, [h0, ds.tensor(f.c0!, sShape)]);
          [y, h, cn] = [out as ds.Tensor, hh, cc];
        } else {
          const [out, hh] = m.call(x, h0) as [ds.Tensor, ds.Tensor];
          [y, h] = [out, hh];
        }
        expectClose(y, nd(f.y.data, f.y.shape), FWD, 'output');
        expectClose(h, nd(f.h, sShape), FWD, 'h');
        let loss = y.mul(ds.tensor(f.gy, f.y.shape)).sum().add(h.mul(ds.tensor(f.gh, sShape)).sum());
        if (cn) {
          expectClose(cn, nd(f.c!, sShape), FWD, 'c');
          loss = loss.add(cn.mul(ds.tensor(f.gc!, sShape)).sum());
        }
        loss.backward();
        expectClose(x.grad!, nd(f.gx, f.x.shape), BWD, 'input gradient');
        for (const [name, p] of m.namedParameters()) expectClose(p.grad!, nd(f.grads[name], f.state[name].shape), BWD, `gradient of ${name}`);
      });
    });
  }
});

describe('variable lengths', () => {
  test('a packed batch equals each sequence run alone, and padding gets no gradient', () => {
    ds.manualSeed(3);
    const lstm = new nn.LSTM(3, 4, { bidirectional: true, numLayers: 2 });
    const seqs = [5, 2, 4].map((n) => ds.randn([n, 3], { requiresGrad: true }));
    const packed = ds.packSequence(seqs);
    expect(packed.lengths).toEqual([5, 2, 4]);
    const [out, [h]] = lstm.call(packed);
    const [padded, lengths] = ds.padPacked(out as ds.PackedSequence, { batchFirst: true });
    expect(lengths).toEqual([5, 2, 4]);
    expect(padded.shape).toEqual([3, 5, 8]);
    seqs.forEach((s, b) => {
      const [alone, [ha]] = lstm.call(s.reshape([s.shape[0], 1, 3]));
      const mine = padded.slice(0, b, b + 1).slice(1, 0, s.shape[0]).reshape([s.shape[0], 8]);
      expect(normError(mine.dataSync(), Nd.from((alone as ds.Tensor).dataSync(), [s.shape[0], 8]))).toBeLessThan(1e-6);
      expect(normError(h.slice(1, b, b + 1).dataSync(), Nd.from(ha.dataSync(), ha.shape))).toBeLessThan(1e-6);
      // Past its end a sequence's output is zero.
      const rest = padded.slice(0, b, b + 1).slice(1, s.shape[0], 5).dataSync();
      expect([...rest].every((v) => v === 0)).toBe(true);
    });
    (out as ds.PackedSequence).data.sum().add(h.sum()).backward();
    seqs.forEach((s) => expect(s.grad!.shape).toEqual(s.shape));
  });

  test('packPadded ignores values past the lengths', () => {
    ds.manualSeed(4);
    const gru = new nn.GRU(2, 3, { batchFirst: true });
    const x = ds.randn([2, 4, 2], { requiresGrad: true });
    const [a] = gru.call(ds.packPadded(x, [4, 2], { batchFirst: true }));
    const x2 = x.detach().clone();
    const noise = ds.randn([2, 4, 2]).mul(ds.tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], [2, 4, 2]));
    const [b] = gru.call(ds.packPadded(x2.add(noise), [4, 2], { batchFirst: true }));
    expect([...(a as ds.PackedSequence).data.dataSync()]).toEqual([...(b as ds.PackedSequence).data.dataSync()]);
    (a as ds.PackedSequence).data.sum().backward();
    const g = x.grad!.dataSync();
    for (const t of [2, 3]) for (const i of [0, 1]) expect(g[(1 * 4 + t) * 2 + i]).toBe(0);
  });
});

describe('layer options', () => {
  test('batchFirst and unbatched input give the time-major result', () => {
    ds.manualSeed(5);
    const tm = new nn.GRU(3, 4, { numLayers: 2 });
    const bf = new nn.GRU(3, 4, { numLayers: 2, batchFirst: true });
    bf.loadStateDict(tm.stateDict());
    const x = ds.randn([6, 2, 3]);
    const [y1, h1] = tm.call(x) as [ds.Tensor, ds.Tensor];
    const [y2, h2] = bf.call(x.transpose(0, 1)) as [ds.Tensor, ds.Tensor];
    expect([...y2.transpose(0, 1).dataSync()]).toEqual([...y1.dataSync()]);
    expect([...h2.dataSync()]).toEqual([...h1.dataSync()]);
    const [y3, h3] = tm.call(x.slice(1, 1, 2).reshape([6, 3])) as [ds.Tensor, ds.Tensor];
    expect(y3.shape).toEqual([6, 4]);
    expect(h3.shape).toEqual([2, 4]);
    expect([...y3.dataSync()]).toEqual([...y1.slice(1, 1, 2).dataSync()]);
  });

  test('dropout between layers acts in training only', () => {
    ds.manualSeed(6);
    const lstm = new nn.LSTM(3, 16, { numLayers: 2, dropout: 0.5 });
    const x = ds.randn([4, 2, 3]);
    const [train] = lstm.call(x);
    lstm.eval();
    const [evalA] = lstm.call(x);
    const fused = ds.rnn(x, lstm.flatWeights(), null, null, { mode: 'lstm', numLayers: 2 });
    expect([...(evalA as ds.Tensor).dataSync()]).toEqual([...fused.output.dataSync()]);
    expect(normError((train as ds.Tensor).dataSync(), Nd.from(fused.output.dataSync(), fused.output.shape))).toBeGreaterThan(1e-2);
  });

  test('cells step by step equal the layer', () => {
    ds.manualSeed(7);
    const x = ds.randn([5, 2, 3]);
    for (const [Layer, Cell] of [[nn.LSTM, nn.LSTMCell], [nn.GRU, nn.GRUCell], [nn.RNN, nn.RNNCell]] as const) {
      const layer = new Layer(3, 4);
      const cell = new Cell(3, 4);
      cell.loadStateDict(Object.fromEntries(layer.namedParameters().map(([n, p]) => [n.replace('_l0', ''), p])));
      const [y] = layer.call(x) as [ds.Tensor, unknown];
      let state: ds.Tensor | [ds.Tensor, ds.Tensor] | null = null;
      const hs: ds.Tensor[] = [];
      for (let t = 0; t < 5; t++) {
        const xt = x.slice(0, t, t + 1).reshape([2, 3]);
        state = (cell as nn.Module).call(xt, state) as ds.Tensor | [ds.Tensor, ds.Tensor];
        hs.push(Array.isArray(state) ? state[0] : state);
      }
      expect(normError(ds.stack(hs).dataSync(), Nd.from(y.dataSync(), y.shape))).toBeLessThan(1e-6);
    }
  });

  test('names and repr', () => {
    const g = new nn.GRU(2, 3, { numLayers: 2, bidirectional: true, bias: false });
    expect(g.namedParameters().map(([n]) => n)).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'weight_ih_l0_reverse', 'weight_hh_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'weight_ih_l1_reverse', 'weight_hh_l1_reverse',
    ]);
    expect(g.extraRepr()).toBe('2, 3, numLayers=2, bias=false, bidirectional=true');
  });

  test('error paths', () => {
    const l = new nn.LSTM(3, 4);
    expectError(() => l.call(ds.zeros([5, 2, 2])), RangeError, 'LSTM', '[5, 2, 2]', 'inputSize 3');
    expectError(() => l.call(ds.zeros([5])), RangeError, 'LSTM', '3-D');
    expectError(() => l.call(ds.zeros([5, 2, 3]), [ds.zeros([1, 2, 4])] as never), TypeError, 'LSTM', '[h0, c0]');
    expectError(() => l.call(ds.zeros([5, 2, 3]), [ds.zeros([1, 3, 4]), ds.zeros([1, 2, 4])]), RangeError, "'hx'", '[1, 2, 4]');
    expectError(() => new nn.LSTM(3, 0), RangeError, 'LSTM', 'hiddenSize');
    expectError(() => new nn.GRU(3, 4, { dropout: 2 }), RangeError, 'GRU', 'dropout');
    expectError(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as never }), TypeError, 'nonlinearity');
    expectError(() => new nn.GRUCell(3, 4).call(ds.zeros([2, 5])), RangeError, 'GRUCell', '[2, 5]');
    expectError(() => new nn.GRUCell(3, 4).call(ds.zeros([2, 3]), ds.zeros([3, 4])), RangeError, 'GRUCell', "'hx'", '[2, 4]');
    expectError(() => ds.packSequence([ds.zeros([2, 3]), ds.zeros([2, 4])]), RangeError, 'packSequence', 'sequences[1]');
    expectError(() => ds.packPadded(ds.zeros([4, 2, 3]), [5, 1]), RangeError, 'PackedSequence', '1..4');
  });
});

describe('truncated BPTT', () => {
  test('windows carry a detached state and the loss falls', async () => {
    ds.manualSeed(8);
    // Learn to output the input of the previous step: needs the carried state across window edges.
    const T = 60;
    const xs = ds.randn([T, 1, 1]);
    const target = ds.cat([ds.zeros([1, 1, 1]), xs.slice(0, 0, T - 1)]);
    const gru = new nn.GRU(1, 8);
    const head = new nn.Linear(8, 1);
    const params = [...gru.parameters(), ...head.parameters()];
    const optimizer = new ds.optim.Adam(params, { lr: 0.02 });
    const first: number[] = [];
    let last: number[] = [];
    for (let epoch = 0; epoch < 40; epoch++) {
      last = await ds.train.truncatedBptt<ds.Tensor>({
        steps: T,
        k: 7,
        optimizer,
        clip: params,
        maxNorm: 1,
        window: (s, e, state) => {
          const [y, h] = gru.call(xs.slice(0, s, e), state) as [ds.Tensor, ds.Tensor];
          expect(state === null || !state.requiresGrad || state.isLeaf).toBe(true);
          return { loss: ds.mseLoss(head.call(y), target.slice(0, s, e)), state: h };
        },
      });
      if (epoch === 0) first.push(...last);
    }
    expect(last.length).toBe(Math.ceil(T / 7));
    const mean = (a: number[]) => a.reduce((p, v) => p + v, 0) / a.length;
    expect(mean(last)).toBeLessThan(0.2 * mean(first));
  });
});
