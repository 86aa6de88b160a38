/**
 * Loss landscapes: filter normalisation (each direction filter has its weight filter's norm; bias and
 * BN directions zero), a quadratic loss's exact surface, the line between two models, PCA of a
 * trajectory with known principal directions, the restoration of weights and BN statistics, and errors.
 */
import * as ds from '../../src';
import { Tensor } from '../../src/tensor';
import { Module } from '../../src/nn/module';
import { rng } from '../helpers';

const { analysis, nn } = ds;

/** A model whose output is its weight matrix: with an MSE loss against T the loss is ‖W − T‖²/size. */
class Quadratic extends Module {
  declare w: Tensor;
  constructor(w: Float32Array, rows: number, cols: number) {
    super();
    this.registerParameter('w', ds.tensor(w, [rows, cols]));
  }
  override forward(x: Tensor): Tensor {
    return this.w.add(x.mul(0));
  }
}

function values(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

describe('randomDirection', () => {
  test('filter normalisation: every filter has the norm of its weight filter; 1-axis parameters get zero', async () => {
    const net = new nn.Sequential(new nn.Conv2d(3, 5, 3), new nn.BatchNorm2d(5), new nn.ReLU(), new nn.Flatten(), new nn.Linear(5 * 4 * 4, 7));
    const theta = await analysis.getWeights(net);
    const d = await analysis.randomDirection(net, { generator: new ds.Generator(3) });
    for (const [name, p] of net.namedParameters()) {
      const dv = d.get(name)!;
      const w = theta.get(name)!;
      if (p.ndim < 2) {
        expect(dv.every((v) => v === 0)).toBe(true);
        continue;
      }
      const len = p.size / p.shape[0];
      for (let f = 0; f < p.shape[0]; f++) {
        const nd = Math.hypot(...dv.subarray(f * len, (f + 1) * len));
        const nw = Math.hypot(...w.subarray(f * len, (f + 1) * len));
        // float32 rescaling of a few dozen values: relative error a few ulps.
        expect(Math.abs(nd - nw) / nw).toBeLessThan(1e-5);
      }
    }
    net.dispose();
  });

  test('layer normalisation matches whole tensors; none keeps unit-variance draws; ignoreBiasBN false copies biases', async () => {
    const net = new nn.Linear(40, 30);
    const theta = await analysis.getWeights(net);
    const layer = await analysis.randomDirection(net, { normalization: 'layer', ignoreBiasBN: false, generator: new ds.Generator(1) });
    expect(Math.abs(Math.hypot(...layer.get('weight')!) - Math.hypot(...theta.get('weight')!))).toBeLessThan(1e-4);
    expect(Array.from(layer.get('bias')!)).toEqual(Array.from(theta.get('bias')!));
    const raw = await analysis.randomDirection(net, { normalization: 'none', generator: new ds.Generator(1) });
    const w = raw.get('weight')!;
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    // 1200 N(0, 1) draws: the sample variance is within 4 standard errors (√(2/1200) ≈ 0.041) of 1.
    expect(Math.abs(variance - 1)).toBeLessThan(0.17);
    net.dispose();
  });
});

describe('landscape', () => {
  test('the 2-D surface of a quadratic loss equals ‖θ₀ + x·d₁ + y·d₂ − T‖²/size at every point', async () => {
    const [rows, cols] = [4, 6];
    const w0 = values(rows * cols, 1);
    const t = values(rows * cols, 2);
    const model = new Quadratic(w0, rows, cols);
    const target = ds.tensor(t, [rows, cols]);
    const data = [ds.zeros([rows, cols]), target] as const;
    let calls = 0;
    const s = await analysis.landscape(model, (o, y) => ds.mseLoss(o, y), data, {
      directions: 2, range: [-1, 2], yRange: 0.5, steps: [7, 5], generator: new ds.Generator(9), onProgress: () => calls++,
    });
    expect(s.x).toHaveLength(7);
    expect(s.y).toHaveLength(5);
    expect(s.x[0]).toBe(-1);
    expect(s.x[6]).toBe(2);
    expect(s.y![0]).toBe(-0.5);
    expect(calls).toBe(35);
    expect(s.accuracy).toBeNull();
    const [d1, d2] = s.directions.map((d) => d.get('w')!);
    for (let j = 0; j < 5; j++) {
      for (let i = 0; i < 7; i++) {
        let ref = 0;
        for (let k = 0; k < w0.length; k++) ref += (w0[k] + s.x[i] * d1[k] + s.y![j] * d2[k] - t[k]) ** 2;
        ref /= w0.length;
        // float32 forward of 24 squared differences: relative error ~1e-6.
        expect(Math.abs(s.loss[j * 7 + i] - ref)).toBeLessThan(1e-5 * Math.max(1, ref));
      }
    }
    expect(Array.from(await model.w.data())).toEqual(Array.from(w0));
    model.dispose();
    target.dispose();
  });

  test('1-D line between two models passes through both losses at 0 and 1 and is the exact parabola between', async () => {
    const a = new Quadratic(values(12, 3), 3, 4);
    const b = new Quadratic(values(12, 4), 3, 4);
    const t = values(12, 5);
    const d = analysis.directionBetween(await analysis.getWeights(a), await analysis.getWeights(b));
    const data = [ds.zeros([3, 4]), ds.tensor(t, [3, 4])] as const;
    const s = await analysis.landscape(a, (o, y) => ds.mseLoss(o, y), data, { directions: [d], range: [0, 1], steps: 11 });
    expect(s.y).toBeNull();
    const lossOf = (w: Float32Array) => w.reduce((acc, v, k) => acc + (v - t[k]) ** 2, 0) / 12;
    expect(s.loss[0]).toBeCloseTo(lossOf((await analysis.getWeights(a)).get('w')!), 5);
    expect(s.loss[10]).toBeCloseTo(lossOf((await analysis.getWeights(b)).get('w')!), 5);
    // A quadratic along a line: second differences are constant.
    const second = Array.from({ length: 9 }, (_, i) => s.loss[i] - 2 * s.loss[i + 1] + s.loss[i + 2]);
    for (const v of second) expect(v).toBeCloseTo(second[0], 5);
    a.dispose();
    b.dispose();
  });

  test('classification accuracy is reported; weights, BN running statistics and the mode are restored', async () => {
    const net = new nn.Sequential(new nn.Linear(6, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));
    net.eval();
    const x = ds.randn([10, 6], { generator: new ds.Generator(2) });
    const y = ds.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [10], { dtype: 'int32' });
    const before = await analysis.getWeights(net);
    const bn = net.getSubmodule('1') as InstanceType<typeof nn.BatchNorm1d>;
    const mean = Array.from(await bn.running_mean!.data());
    const s = await analysis.landscape(net, ds.crossEntropy, [[x, y]], { directions: 1, steps: 5, bn: 'train' });
    expect(s.accuracy).not.toBeNull();
    for (const a of s.accuracy!) expect([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].some((v) => Math.abs(v - a) < 1e-9)).toBe(true);
    expect(Array.from(await bn.running_mean!.data())).toEqual(mean);
    const after = await analysis.getWeights(net);
    for (const [k, v] of before) expect(Array.from(after.get(k)!)).toEqual(Array.from(v));
    expect(net.training).toBe(false);
    net.dispose();
  });

  test('errors name the op and the argument', async () => {
    const net = new nn.Linear(3, 2);
    const x = ds.zeros([4, 3]);
    const y = ds.zeros([5], { dtype: 'int32' });
    await expect(analysis.landscape(net, ds.crossEntropy, [x, y])).rejects.toThrow(/landscape: data\[0\] has input \[4, 3\] and target \[5\]/);
    await expect(analysis.landscape(net, ds.crossEntropy, [x, x], { steps: 1 })).rejects.toThrow(/landscape: steps must be integers from 2/);
    await expect(analysis.landscape(net, ds.crossEntropy, [x, x], { range: [1, 0] })).rejects.toThrow(/landscape: range must be finite with min < max/);
    await expect(analysis.landscape(net, ds.crossEntropy, [x, x], { directions: [new Map()] })).rejects.toThrow(/landscape: argument 'directions\[0\]' has 0 parameters but the model has 2/);
    await expect(analysis.landscape({} as Module, ds.crossEntropy, [x, x])).rejects.toThrow(/landscape: argument 'model' must be an nn.Module/);
    net.dispose();
  });
});

describe('pcaDirections', () => {
  test('a trajectory along two known orthogonal directions: PCA recovers them (up to sign) and the path coordinates', () => {
    const n = 50;
    const e1 = new Float32Array(n);
    const e2 = new Float32Array(n);
    e1[3] = 1;
    e2[17] = 1;
    const final = new Map([['w', values(n, 7)]]);
    // Checkpoints θ_i = θ_final + a_i·e1 + b_i·e2: a and b centred and uncorrelated, a much more spread.
    const coords = [[4, 0.5], [2, -1], [0, 1], [-2, -1], [-4, 0.5], [0, 0]];
    const trajectory = coords.map(([a, b]) => new Map([['w', Float32Array.from(final.get('w')!, (v, k) => v + a * e1[k] + b * e2[k])]]));
    const { directions, explainedVariance, path } = analysis.pcaDirections(trajectory, final);
    expect(Math.abs(directions[0].get('w')![3])).toBeCloseTo(1, 5);
    expect(Math.abs(directions[1].get('w')![17])).toBeCloseTo(1, 5);
    expect(explainedVariance[0]).toBeGreaterThan(explainedVariance[1]);
    expect(explainedVariance[0] + explainedVariance[1]).toBeCloseTo(1, 5);
    const s0 = Math.sign(directions[0].get('w')![3]);
    const s1 = Math.sign(directions[1].get('w')![17]);
    path.forEach(([p, q], i) => {
      expect(p * s0).toBeCloseTo(coords[i][0], 4);
      expect(q * s1).toBeCloseTo(coords[i][1], 4);
    });
    expect(() => analysis.pcaDirections([final], final)).toThrow(/pcaDirections: the trajectory needs at least 2 checkpoints/);
  });

  test('symmetricEigen agrees with a known decomposition', () => {
    // Q·diag(5, 2, -1)·Qᵀ with Q a rotation: eigenvalues 5, 2, −1.
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const q = [[c, -s, 0], [s, c, 0], [0, 0, 1]];
    const lam = [5, 2, -1];
    const a = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) a[i * 3 + j] += q[i][k] * lam[k] * q[j][k];
    const { values: ev, vectors } = analysis.symmetricEigen(a, 3);
    ev.forEach((v, i) => expect(v).toBeCloseTo(lam[i], 12));
    expect(Math.abs(vectors[0][0])).toBeCloseTo(c, 12);
  });
});
