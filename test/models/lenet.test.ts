import * as ds from '../../src';
import { Nd } from '../reference/nd';
import { gradcheck, randNd, rng, toTensor, expectClose } from '../helpers';

const { models } = ds;

describe('LeNet-5 (classic)', () => {
  test('60,000 trainable parameters, layer by layer as the paper counts them', () => {
    const net = models.lenet5() as ds.models.LeNet5;
    const count = (m: ds.nn.Module) => m.numParameters({ trainableOnly: true });
    expect(count(net.c1)).toBe(6 * (25 + 1));
    expect(count(net.s2)).toBe(6 * 2);
    expect(count(net.c3)).toBe(6 * (3 * 25 + 1) + 9 * (4 * 25 + 1) + (6 * 25 + 1));
    expect(count(net.c3)).toBe(1516);
    expect(count(net.s4)).toBe(16 * 2);
    expect(count(net.c5)).toBe(120 * (400 + 1));
    expect(count(net.f6)).toBe(84 * (120 + 1));
    expect(count(net.output)).toBe(0);
    expect(net.numParameters({ trainableOnly: true })).toBe(60000);
    expect((models.lenet5({ fullC3: true }) as ds.nn.Module).numParameters()).toBe(60000 - 1516 + 16 * (150 + 1));
    expect((models.lenet5({ modern: true }) as ds.nn.Module).numParameters()).toBe(61706);
  });

  test('state dict names and the fixed RBF codes', () => {
    const net = models.lenet5() as ds.models.LeNet5;
    const names = [...net.stateDict().keys()];
    // C3 runs as three grouped convolutions: the 6 maps with 3 inputs, the 9 with 4, the one with 6.
    expect(net.c3.stateDict().get('weight1')!.shape).toEqual([9, 4, 5, 5]);
    expect(names).toEqual([
      'c1.weight', 'c1.bias', 's2.weight', 's2.bias',
      'c3.weight0', 'c3.bias0', 'c3.weight1', 'c3.bias1', 'c3.weight2', 'c3.bias2',
      's4.weight', 's4.bias', 'c5.weight', 'c5.bias', 'f6.weight', 'f6.bias', 'output.weight',
    ]);
    const codes = [...net.output.weight.dataSync()];
    expect(codes.every((v) => v === 1 || v === -1)).toBe(true);
    expect(net.output.weight.requiresGrad).toBe(false);
    // The codes do not depend on the global seed.
    ds.manualSeed(123);
    expect([...(models.lenet5() as ds.models.LeNet5).output.weight.dataSync()]).toEqual(codes);
  });

  test('shapes: [N, 1, 32, 32] → [N, 10], batch 1 included', () => {
    const net = models.lenet5();
    for (const n of [1, 3]) {
      const out = ds.noGrad(() => net.call(ds.randn([n, 1, 32, 32])));
      expect(out.shape).toEqual([n, 10]);
      expect(net.predict(out).shape).toEqual([n]);
    }
  });

  test("C3 connects each map to exactly the S2 maps of the paper's Table I", () => {
    const c3 = new models.PartialConv();
    for (let k = 0; k < 16; k++) {
      const x = ds.randn([1, 6, 14, 14], { requiresGrad: true });
      const y = c3.call(x);
      ds.tidy(() => y.slice(1, k, k + 1).sum().backward());
      const g = x.grad!.dataSync();
      const touched = [0, 1, 2, 3, 4, 5].filter((c) => g.slice(c * 196, (c + 1) * 196).some((v) => v !== 0));
      expect(touched).toEqual([...models.C3_TABLE[k]].sort((a, b) => a - b));
    }
  });

  // Float64 references of the paper's pieces. Tolerances: a handful of float32 roundings on O(1..100)
  // values, 1e-5 normalised; gradients against central differences, 1e-4 for the RBF whose outputs are
  // sums of 84 squares (float32 cancellation in ‖x‖² − 2x·w + ‖w‖²).
  test('scaled tanh, subsampling, RBF and the MAP loss against float64 references', () => {
    const r = rng(5);
    gradcheck({
      f: (x) => models.scaledTanh(x),
      ref: (x) => x.map((v) => 1.7159 * Math.tanh((2 * v) / 3)),
      inputs: [randNd(r, [3, 7], -3, 3)],
      fwdTol: 1e-6,
      bwdTol: 1e-5,
    });
    const s2 = new models.Subsampling(2);
    const [a, b] = [s2.weight.dataSync(), s2.bias.dataSync()];
    gradcheck({
      f: (x) => s2.call(x),
      ref: (x) => {
        const out = Nd.zeros([1, 2, 2, 2]);
        for (let c = 0; c < 2; c++)
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++) {
              const m = (x.get(0, c, 2 * i, 2 * j) + x.get(0, c, 2 * i + 1, 2 * j) + x.get(0, c, 2 * i, 2 * j + 1) + x.get(0, c, 2 * i + 1, 2 * j + 1)) / 4;
              out.set([0, c, i, j], 1.7159 * Math.tanh((2 / 3) * (a[c] * m + b[c])));
            }
        return out;
      },
      inputs: [randNd(r, [1, 2, 4, 4], -2, 2)],
      fwdTol: 1e-6,
      bwdTol: 1e-5,
    });
    const rbf = new models.EuclideanRBF(84, 10);
    const w = Nd.from(rbf.weight.dataSync(), [10, 84]);
    const rbfRef = (x: Nd) => {
      const out = Nd.zeros([x.shape[0], 10]);
      for (let n = 0; n < x.shape[0]; n++)
        for (let i = 0; i < 10; i++) {
          let s = 0;
          for (let j = 0; j < 84; j++) s += (x.get(n, j) - w.get(i, j)) ** 2;
          out.set([n, i], s);
        }
      return out;
    };
    gradcheck({ f: (x) => rbf.call(x), ref: rbfRef, inputs: [randNd(r, [3, 84], -1.7, 1.7)], fwdTol: 1e-5, bwdTol: 1e-4 });
    const labels = [3, 0, 9];
    gradcheck({
      f: (y) => models.lenet5Loss(y, ds.tensor(labels, undefined, { dtype: 'int32' })),
      ref: (y) => {
        let total = 0;
        for (let n = 0; n < 3; n++) {
          let s = Math.exp(-1);
          for (let i = 0; i < 10; i++) s += Math.exp(-y.get(n, i));
          total += y.get(n, labels[n]) + Math.log(s);
        }
        return Nd.from([total / 3], []);
      },
      inputs: [randNd(r, [3, 10], 0, 8)],
      fwdTol: 1e-6,
      bwdTol: 1e-5,
    });
  });

  test('initialisation follows Appendix A: uniform in ±2.4 / fan-in', () => {
    const net = models.lenet5() as ds.models.LeNet5;
    for (const [w, fanIn] of [[net.c1.weight, 25], [net.c5.weight, 400], [net.f6.weight, 120]] as const) {
      const v = Array.from(w.dataSync());
      const bound = 2.4 / fanIn;
      expect(v.every((x) => Math.abs(x) <= bound)).toBe(true);
      expect(v.reduce((m, x) => Math.max(m, Math.abs(x)), 0)).toBeGreaterThan(0.9 * bound);
    }
  });
});

describe('LeNet-5 training on real MNIST', () => {
  test('a short run of each variant lowers the loss and beats chance on held-out digits', async () => {
    const { train, test } = ds.data.mnist({ padTo32: true });
    for (const modern of [true, false]) {
      ds.manualSeed(0);
      const net = models.lenet5({ modern });
      const opt = new ds.optim.Adam(net.parameters(), { lr: modern ? 3e-3 : 8e-3 });
      const idx = ds.arange(0, 1024);
      const x = ds.indexSelect((train as ds.data.TensorDataset).tensors[0], 0, idx);
      const y = ds.indexSelect((train as ds.data.TensorDataset).tensors[1], 0, idx);
      const losses: number[] = [];
      for (let epoch = 0; epoch < (modern ? 3 : 6); epoch++) {
        for (let b = 0; b < 1024; b += 64) {
          const l = ds.tidy(() => {
            const loss = net.loss(net.call(x.slice(0, b, b + 64)), y.slice(0, b, b + 64));
            opt.zeroGrad();
            loss.backward();
            opt.step();
            return loss;
          });
          losses.push(await l.item());
          l.dispose();
        }
      }
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      // The MAP loss of the classic network starts near 80 (the distance to the correct code: the
      // competitive term saturates at −j until distances are small) and falls more slowly than cross-entropy.
      expect(mean(losses.slice(-8))).toBeLessThan((modern ? 0.5 : 0.85) * mean(losses.slice(0, 8)));
      net.eval();
      const [tx, ty] = [(test as ds.data.TensorDataset).tensors[0].slice(0, 0, 500), (test as ds.data.TensorDataset).tensors[1].slice(0, 0, 500)];
      const acc = ds.noGrad(() => ds.tidy(() => net.predict(net.call(tx)).eq(ty).mean().itemSync()));
      expect(acc).toBeGreaterThan(modern ? 0.85 : 0.6);
      ds.dispose([x, y, tx, ty, idx]);
      opt.dispose?.();
      (net as ds.nn.Module).dispose();
    }
  });
});
