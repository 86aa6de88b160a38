/**
 * Layers: output shapes for several configurations, default initialisation, and gradients of the layers
 * with parameters (Linear, Conv2d, ConvTranspose2d, BatchNorm in train and eval) through the float64
 * references, with the layer's own parameters as the checked inputs.
 */
import * as ds from '../../src';
import { nn, Tensor } from '../../src';
import { Nd } from '../reference/nd';
import * as convRef from '../reference/conv';
import * as matmulRef from '../reference/matmul';
import * as normRef from '../reference/norm';
import { expectError, gradcheck, randNd, rng, settledMemory } from '../helpers';

// Tolerances (normalised error: max |actual − expected| / max |expected|, see helpers.normError).
// - Linear, Conv2d, ConvTranspose2d: each output (and each native gradient) is a float32 sum of at most a
//   few hundred products; its rounding error grows like √K·2^-24 relative to the terms, so 1e-5 holds
//   with margin; the float64 central differences of these (bi)linear maps are exact to ~1e-10.
const LIN = 1e-5;
// - Batch norm: forward a few float32 roundings of values |x̂·w| ≲ 4 (1e-6); backward subtracts terms of
//   size |gy| that can cancel, each with a float32 rounding (1e-5); see test/ops/norm.test.ts.
const BN_FWD = 1e-6;
const BN_BWD = 1e-5;
// - Running statistics: one float64 update rounded to float32.
const RUNNING = 1e-6;

// The output shape of m.call(...inputs); tensor inputs are disposed afterwards.
function shapeOf(m: nn.Module, ...inputs: unknown[]): number[] {
  try {
    return ds.tidy(() => [...(m.call(...inputs) as Tensor).shape]);
  } finally {
    ds.dispose(inputs.filter(ds.isTensor));
  }
}

let startTensors = 0;
beforeAll(async () => {
  startTensors = (await settledMemory()).tensors;
});
afterAll(async () => {
  expect((await settledMemory()).tensors).toBe(startTensors);
});

// The layer's parameters become the gradcheck's inputs (assigned through the registered accessors).
function withParams<M extends nn.Module>(m: M, names: string[]): (x: Tensor, ...ps: Tensor[]) => Tensor {
  return (x, ...ps) => {
    names.forEach((n, i) => {
      const old = (m as unknown as Record<string, Tensor | null>)[n];
      (m as unknown as Record<string, Tensor>)[n] = ps[i];
      if (old && old !== ps[i]) old.dispose();
    });
    return (m as nn.Module).call(x) as Tensor;
  };
}

describe('Linear', () => {
  test('shapes, parameters and PyTorch default initialisation', () => {
    const fc = new nn.Linear(50, 7);
    expect(fc.weight.shape).toEqual([7, 50]);
    expect(fc.bias!.shape).toEqual([7]);
    expect(shapeOf(fc, ds.zeros([4, 50]))).toEqual([4, 7]);
    expect(shapeOf(fc, ds.zeros([2, 3, 50]))).toEqual([2, 3, 7]);
    expect(shapeOf(fc, ds.zeros([50]))).toEqual([7]);
    const bound = 1 / Math.sqrt(50);
    for (const t of [fc.weight, fc.bias!]) {
      const d = t.dataSync();
      expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    expect(Math.max(...fc.weight.dataSync().map(Math.abs))).toBeGreaterThan(0.9 * bound);
    const nb = new nn.Linear(3, 2, { bias: false });
    expect(nb.bias).toBeNull();
    expect(nb.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expectError(() => new nn.Linear(3.5, 2), TypeError, "Linear: 'inFeatures' must be an integer");
    ds.tidy(() => expectError(() => fc.call(ds.zeros([2, 3])), RangeError, 'linear', '[2, 3]', '[7, 50]'));
    fc.dispose();
    nb.dispose();
  });

  test.each([
    [[5, 6], 4, true],
    [[2, 3, 6], 3, true],
    [[1, 7], 2, false],
  ])('gradcheck: x %j, out %d, bias %s', (xShape, out, bias) => {
    const r = rng(11);
    const inF = xShape[xShape.length - 1];
    const fc = new nn.Linear(inF, out, { bias });
    const inputs = [randNd(r, xShape), randNd(r, [out, inF]), ...(bias ? [randNd(r, [out])] : [])];
    gradcheck({
      f: withParams(fc, bias ? ['weight', 'bias'] : ['weight']),
      ref: (x, w, b) => matmulRef.linear(x, w, b),
      inputs,
      fwdTol: LIN,
      bwdTol: LIN,
    });
    fc.dispose();
  });
});

describe('Conv2d', () => {
  test('output shapes over strides, paddings, dilations and groups; parameters; init bounds', () => {
    const cases: [number, number, ds.Size2, nn.Conv2dLayerOptions, number[], number[]][] = [
      [3, 8, 3, {}, [2, 3, 10, 10], [2, 8, 8, 8]],
      [3, 8, 3, { padding: 1 }, [2, 3, 10, 10], [2, 8, 10, 10]],
      [3, 8, 7, { stride: 2, padding: 3, bias: false }, [1, 3, 32, 32], [1, 8, 16, 16]],
      [4, 6, [3, 1], { padding: 'same' }, [1, 4, 5, 9], [1, 6, 5, 9]],
      [4, 4, 3, { dilation: 2, padding: 2 }, [1, 4, 9, 9], [1, 4, 9, 9]],
      [6, 9, 3, { groups: 3, padding: [1, 0] }, [2, 6, 7, 7], [2, 9, 7, 5]],
      [4, 4, 3, { groups: 4, stride: [2, 1], padding: [0, 1, 1, 1] }, [1, 4, 8, 8], [1, 4, 4, 8]],
      [5, 2, 1, { padding: 'valid' }, [3, 5, 4, 4], [3, 2, 4, 4]],
    ];
    for (const [ci, co, k, o, xs, ys] of cases) {
      const conv = new nn.Conv2d(ci, co, k, o);
      const kk = typeof k === 'number' ? [k, k] : k;
      expect(conv.weight.shape).toEqual([co, ci / (o.groups ?? 1), ...kk]);
      expect(conv.bias === null).toBe(o.bias === false);
      expect([ci, co, k, o, shapeOf(conv, ds.zeros(xs))]).toEqual([ci, co, k, o, ys]);
      const fanIn = (ci / (o.groups ?? 1)) * kk[0] * kk[1];
      expect(Math.max(...conv.weight.dataSync().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      if (conv.bias) expect(Math.max(...conv.bias.dataSync().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      conv.dispose();
    }
    expectError(() => new nn.Conv2d(6, 4, 3, { groups: 4 }), RangeError, 'inChannels 6 must be divisible by groups 4');
    expectError(() => new nn.Conv2d(4, 6, 3, { groups: 4 }), RangeError, 'outChannels 6 must be divisible by groups 4');
    expectError(() => new nn.Conv2d(4, 6, 3, { padding: 'same', stride: 2 }), RangeError, "padding 'same' needs stride 1");
    expectError(() => new nn.Conv2d(4, 6, 3, { padding: -1 }), TypeError, "'padding' must be a non-negative integer");
    expectError(() => new nn.Conv2d(4, 6, 0), RangeError, "'kernelSize' must be >= 1");
  });

  test.each([
    [{ ci: 3, co: 4, k: 3, o: {}, pad: [0, 0, 0, 0] as const }],
    [{ ci: 4, co: 6, k: 3, o: { stride: 2, padding: 1, dilation: 1, groups: 2 }, pad: [1, 1, 1, 1] as const }],
    [{ ci: 2, co: 3, k: 2, o: { dilation: 2, padding: [1, 0, 0, 1] as const, bias: false }, pad: [1, 0, 0, 1] as const }],
  ])('gradcheck through the layer %#', ({ ci, co, k, o, pad }) => {
    const r = rng(5);
    const conv = new nn.Conv2d(ci, co, k, o as nn.Conv2dLayerOptions);
    const g = (o as { groups?: number }).groups ?? 1;
    const bias = (o as { bias?: boolean }).bias !== false;
    const s = (o as { stride?: number }).stride ?? 1;
    const d = (o as { dilation?: number }).dilation ?? 1;
    gradcheck({
      f: withParams(conv, bias ? ['weight', 'bias'] : ['weight']),
      ref: (x, w, b) => convRef.conv2d(x, w, b ?? null, { stride: [s, s], pad: [...pad], dilation: [d, d], groups: g }),
      inputs: [randNd(r, [2, ci, 6, 5]), randNd(r, [co, ci / g, k, k]), ...(bias ? [randNd(r, [co])] : [])],
      fwdTol: LIN,
      bwdTol: LIN,
    });
    conv.dispose();
  });
});

describe('ConvTranspose2d', () => {
  test('output shapes, outputSize, weight layout and PyTorch init (fanIn from weight dim 1)', () => {
    const cases: [number, number, ds.Size2, nn.ConvTranspose2dLayerOptions, number[], number[]][] = [
      [4, 2, 4, { stride: 2, padding: 1 }, [1, 4, 8, 8], [1, 2, 16, 16]],
      [3, 5, 3, {}, [2, 3, 4, 4], [2, 5, 6, 6]],
      [4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }, [1, 4, 5, 5], [1, 6, 10, 10]],
      [2, 2, [2, 3], { stride: [1, 2], dilation: 2, bias: false }, [1, 2, 3, 3], [1, 2, 5, 9]],
    ];
    for (const [ci, co, k, o, xs, ys] of cases) {
      const up = new nn.ConvTranspose2d(ci, co, k, o);
      const kk = typeof k === 'number' ? [k, k] : k;
      const g = o.groups ?? 1;
      expect(up.weight.shape).toEqual([ci, co / g, ...kk]);
      expect([ci, co, o, shapeOf(up, ds.zeros(xs))]).toEqual([ci, co, o, ys]);
      const fanIn = (co / g) * kk[0] * kk[1];
      expect(Math.max(...up.weight.dataSync().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      up.dispose();
    }
    const up = new nn.ConvTranspose2d(3, 3, 3, { stride: 2, padding: 1 });
    expect(shapeOf(up, ds.zeros([1, 3, 5, 5]))).toEqual([1, 3, 9, 9]);
    expect(shapeOf(up, ds.zeros([1, 3, 5, 5]), [10, 10])).toEqual([1, 3, 10, 10]);
    expect(shapeOf(up, ds.zeros([1, 3, 5, 5]), [1, 3, 9, 10])).toEqual([1, 3, 9, 10]);
    ds.tidy(() => expectError(() => up.call(ds.zeros([1, 3, 5, 5]), [12, 9]), RangeError, 'requested output size [12, 9]', 'must lie in 9..10'));
    up.dispose();
    expectError(() => new nn.ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 }), RangeError, "'outputPadding' (2, 2) must be smaller");
  });

  test.each([
    [{ ci: 3, co: 2, k: 3, s: 2, p: 1, op: 1, d: 1, g: 1, bias: true }],
    [{ ci: 4, co: 4, k: 2, s: 1, p: 0, op: 0, d: 2, g: 2, bias: true }],
    [{ ci: 2, co: 3, k: 3, s: 3, p: 2, op: 2, d: 1, g: 1, bias: false }],
  ])('gradcheck through the layer %#', ({ ci, co, k, s, p, op, d, g, bias }) => {
    const r = rng(9);
    const up = new nn.ConvTranspose2d(ci, co, k, { stride: s, padding: p, outputPadding: op, dilation: d, groups: g, bias });
    gradcheck({
      f: withParams(up, bias ? ['weight', 'bias'] : ['weight']),
      ref: (x, w, b) => convRef.convTranspose2d(x, w, b ?? null, { stride: [s, s], padding: [p, p], outputPadding: [op, op], dilation: [d, d], groups: g }),
      inputs: [randNd(r, [2, ci, 4, 3]), randNd(r, [ci, co / g, k, k]), ...(bias ? [randNd(r, [co])] : [])],
      fwdTol: LIN,
      bwdTol: LIN,
    });
    up.dispose();
  });
});

describe('BatchNorm', () => {
  test('parameters, buffers, shapes, options and errors', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(bn.namedParameters().map(([n, t]) => [n, [...t.dataSync()]])).toEqual([
      ['weight', [1, 1, 1]],
      ['bias', [0, 0, 0]],
    ]);
    expect(bn.namedBuffers().map(([n, t]) => [n, t.dtype, [...t.shape]])).toEqual([
      ['running_mean', 'float32', [3]],
      ['running_var', 'float32', [3]],
      ['num_batches_tracked', 'int32', []],
    ]);
    expect(shapeOf(bn, ds.randn([2, 3, 4, 5]))).toEqual([2, 3, 4, 5]);
    ds.tidy(() => {
      expectError(() => bn.call(ds.zeros([2, 3, 4])), RangeError, 'BatchNorm2d: expected 4-D', '[2, 3, 4]');
      expectError(() => bn.call(ds.zeros([2, 4, 3, 3])), RangeError, 'expected 3 channels', '[2, 4, 3, 3]');
    });
    const b1 = new nn.BatchNorm1d(4, { affine: false });
    expect(b1.weight).toBeNull();
    expect(b1.parameters()).toHaveLength(0);
    expect(shapeOf(b1, ds.randn([5, 4]))).toEqual([5, 4]);
    expect(shapeOf(b1, ds.randn([5, 4, 7]))).toEqual([5, 4, 7]);
    ds.tidy(() => expectError(() => b1.call(ds.zeros([2, 4, 3, 3])), RangeError, 'BatchNorm1d: expected 2-D (N, C) or 3-D (N, C, L)'));
    const noStats = new nn.BatchNorm1d(4, { trackRunningStats: false });
    expect(noStats.buffers()).toHaveLength(0);
    noStats.eval();
    // Without running statistics, eval mode normalises with the batch statistics.
    ds.tidy(() => {
      const y = noStats.call(ds.randn([64, 4]).mul(3).add(2));
      expect(Math.abs(y.mean().itemSync())).toBeLessThan(1e-5);
    });
    for (const m of [bn, b1, noStats]) m.dispose();
  });

  test('training: gradcheck through the layer (x, weight, bias) and the running statistics against the reference', () => {
    const r = rng(3);
    const bn = new nn.BatchNorm2d(3, { momentum: 0.3, eps: 1e-3 });
    const x = randNd(r, [4, 3, 3, 2]);
    const w = randNd(r, [3], 0.5, 1.5);
    const b = randNd(r, [3]);
    gradcheck({
      f: withParams(bn, ['weight', 'bias']),
      ref: (xx, ww, bb) => normRef.batchNorm(xx, [0, 0, 0], [1, 1, 1], ww, bb, { training: true, momentum: 0.3, eps: 1e-3 }).y,
      inputs: [x, w, b],
      fwdTol: BN_FWD,
      bwdTol: BN_BWD,
    });
    const expected = normRef.batchNorm(x, [0, 0, 0], [1, 1, 1], w, b, { training: true, momentum: 0.3, eps: 1e-3 });
    const close = (t: Tensor, e: number[]) => {
      const d = t.dataSync();
      e.forEach((v, i) => expect(Math.abs(d[i] - v)).toBeLessThan(RUNNING * Math.max(1, Math.abs(v))));
    };
    close(bn.running_mean!, expected.runningMean!);
    close(bn.running_var!, expected.runningVar!);
    expect(bn.num_batches_tracked!.dataSync()[0]).toBe(1);
    bn.dispose();
  });

  test('eval: gradcheck with the running statistics, which stay unchanged', () => {
    const r = rng(4);
    const bn = new nn.BatchNorm1d(5);
    const rm = Array.from({ length: 5 }, () => r() - 0.5);
    const rv = Array.from({ length: 5 }, () => 0.5 + r());
    bn.running_mean!.copyFromArray(rm);
    bn.running_var!.copyFromArray(rv);
    bn.eval();
    gradcheck({
      f: withParams(bn, ['weight', 'bias']),
      ref: (xx, ww, bb) => normRef.batchNorm(xx, rm, rv, ww, bb, { training: false }).y,
      inputs: [randNd(r, [3, 5, 4]), randNd(r, [5]), randNd(r, [5])],
      fwdTol: BN_FWD,
      bwdTol: BN_BWD,
    });
    expect([...bn.running_mean!.dataSync()]).toEqual([...Float32Array.from(rm)]);
    expect(bn.num_batches_tracked!.dataSync()[0]).toBe(0);
    bn.dispose();
  });

  test('momentum null: cumulative average of the batch means; resetRunningStats', () => {
    const bn = new nn.BatchNorm1d(2, { momentum: null });
    ds.tidy(() => {
      bn.call(ds.tensor([[1, 10], [3, 30]]));
      bn.call(ds.tensor([[5, 50], [7, 70]]));
      bn.call(ds.tensor([[0, 0], [0, 0]]));
    });
    // Means 2, 6, 0 (and 20, 60, 0): the cumulative average is their plain mean.
    const m = bn.running_mean!.dataSync();
    expect(m[0]).toBeCloseTo(8 / 3, 5);
    expect(m[1]).toBeCloseTo(80 / 3, 4);
    expect(bn.num_batches_tracked!.dataSync()[0]).toBe(3);
    bn.resetRunningStats();
    expect([...bn.running_mean!.dataSync(), ...bn.running_var!.dataSync(), ...bn.num_batches_tracked!.dataSync()]).toEqual([0, 0, 1, 1, 0]);
    bn.dispose();
  });
});

describe('layers without parameters', () => {
  test('pooling, LRN, flatten, upsample, identity: output shapes', () => {
    const x = ds.randn([2, 6, 9, 8]);
    const cases: [nn.Module, number[]][] = [
      [new nn.MaxPool2d(2), [2, 6, 4, 4]],
      [new nn.MaxPool2d(3, { stride: 2, padding: 1 }), [2, 6, 5, 4]],
      [new nn.MaxPool2d([3, 2], { stride: 1, dilation: [2, 1], ceilMode: true }), [2, 6, 5, 7]],
      [new nn.AvgPool2d(2), [2, 6, 4, 4]],
      [new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }), [2, 6, 5, 5]],
      [new nn.AdaptiveAvgPool2d(1), [2, 6, 1, 1]],
      [new nn.AdaptiveAvgPool2d([3, null]), [2, 6, 3, 8]],
      [new nn.LocalResponseNorm(5, { k: 2 }), [2, 6, 9, 8]],
      [new nn.Flatten(), [2, 432]],
      [new nn.Flatten(0, 1), [12, 9, 8]],
      [new nn.Flatten(2), [2, 6, 72]],
      [new nn.Upsample({ scaleFactor: 2 }), [2, 6, 18, 16]],
      [new nn.Upsample({ size: [5, 7], mode: 'bilinear', alignCorners: true }), [2, 6, 5, 7]],
      [new nn.Identity(), [2, 6, 9, 8]],
    ];
    for (const [m, shape] of cases) expect([m.toString(), shapeOf(m, x.clone())]).toEqual([m.toString(), shape]);
    const withIdx = new nn.MaxPool2d(2, { returnIndices: true });
    ds.tidy(() => {
      const [y, idx] = withIdx.call(x) as [Tensor, Tensor];
      expect([y.shape, idx.shape, idx.dtype]).toEqual([[2, 6, 4, 4], [2, 6, 4, 4], 'int32']);
      expect(new nn.Identity().call(x)).toBe(x);
    });
    expectError(() => new nn.MaxPool2d(0), RangeError, "MaxPool2d: 'kernelSize' must be >= 1");
    expectError(() => new nn.AdaptiveAvgPool2d(0), TypeError, "'outputSize' must be a positive integer");
    expectError(() => new nn.Upsample({}), TypeError, "exactly one of 'size' and 'scaleFactor'");
    x.dispose();
  });

  test('activations equal their functional forms; Softmax/LogSoftmax normalise along dim', () => {
    ds.tidy(() => {
      const x = ds.randn([3, 4, 5]).mul(3);
      const F = nn.functional;
      const pairs: [nn.Module, Tensor][] = [
        [new nn.ReLU(), F.relu(x)],
        [new nn.LeakyReLU(0.2), F.leakyRelu(x, 0.2)],
        [new nn.ELU(0.5), F.elu(x, 0.5)],
        [new nn.Sigmoid(), F.sigmoid(x)],
        [new nn.Tanh(), F.tanh(x)],
        [new nn.Hardtanh({ minVal: 0, maxVal: 6 }), F.hardtanh(x, 0, 6)],
        [new nn.Softplus({ beta: 2, threshold: 10 }), F.softplus(x, 2, 10)],
        [new nn.GELU(), F.gelu(x)],
        [new nn.Softmax(1), F.softmax(x, 1)],
        [new nn.LogSoftmax(-1), F.logSoftmax(x, -1)],
      ];
      for (const [m, y] of pairs) expect([m.toString(), [...(m.call(x) as Tensor).dataSync()]]).toEqual([m.toString(), [...y.dataSync()]]);
      const sums = new nn.Softmax(1).call(x).sum(1).dataSync();
      for (const s of sums) expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      expect(String(new nn.LeakyReLU(0.2))).toBe('LeakyReLU(negativeSlope=0.2)');
      expect(String(new nn.Softmax(1))).toBe('Softmax(dim=1)');
      expectError(() => new nn.Softmax(0.5), TypeError, "Softmax: 'dim' must be an integer");
      expectError(() => new nn.Hardtanh({ minVal: 1, maxVal: 0 }), RangeError, "'maxVal' must be >= 1");
    });
  });

  test('Dropout and Dropout2d: a fraction p dropped and the rest scaled in training, identity in eval, seeded', () => {
    ds.tidy(() => {
      const x = ds.ones([20000]);
      const drop = new nn.Dropout(0.3, { generator: new ds.Generator(1) });
      const y = drop.call(x).dataSync();
      const zeros = y.filter((v) => v === 0).length;
      // Binomial(20000, 0.3): sd ≈ 65; 5 sigma.
      expect(Math.abs(zeros - 6000)).toBeLessThan(5 * Math.sqrt(20000 * 0.3 * 0.7));
      expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
      const again = new nn.Dropout(0.3, { generator: new ds.Generator(1) }).call(x).dataSync();
      expect([...again]).toEqual([...y]);
      drop.eval();
      expect(drop.call(x)).toBe(x);
      const d2 = new nn.Dropout2d(0.5, { generator: new ds.Generator(2) });
      const z = d2.call(ds.ones([4, 16, 3, 3])).dataSync();
      for (let c = 0; c < 64; c++) {
        const plane = z.slice(c * 9, c * 9 + 9);
        expect(plane.every((v) => v === plane[0])).toBe(true);
      }
      expectError(() => new nn.Dropout(1.5), RangeError, "Dropout: 'p' must be <= 1");
    });
  });
});

describe('containers', () => {
  test('Sequential chains children (with their hooks); at, append, iteration; objects give named children', () => {
    const seq = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU());
    seq.append(new nn.Linear(3, 2));
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(nn.Linear);
    expect([...seq].map((m) => m.constructor.name)).toEqual(['Linear', 'ReLU', 'Linear']);
    let hooked = 0;
    seq.at(1).registerForwardHook(() => void hooked++);
    ds.tidy(() => {
      const x = ds.randn([5, 4]);
      const manual = (seq.at(2) as nn.Linear).forward(ds.relu((seq.at(0) as nn.Linear).forward(x)));
      expect([...seq.call(x).dataSync()]).toEqual([...manual.dataSync()]);
    });
    expect(hooked).toBe(1);
    expectError(() => seq.at(3), RangeError, 'index 3 is out of range for 3 modules');
    expectError(() => new nn.Sequential(new nn.ReLU(), 3 as unknown as nn.Module), TypeError, 'argument 1 must be a Module');
    seq.dispose();
  });

  test('ModuleList and ModuleDict register children but are not callable', () => {
    class Net extends nn.Module {
      declare blocks: nn.ModuleList;
      declare heads: nn.ModuleDict;
      constructor() {
        super();
        this.registerModule('blocks', new nn.ModuleList([new nn.Linear(3, 3), new nn.Linear(3, 3)]));
        this.registerModule('heads', new nn.ModuleDict({ cls: new nn.Linear(3, 4), box: new nn.Linear(3, 2) }));
      }
      override forward(x: Tensor): Tensor[] {
        for (const b of this.blocks) x = b.call(x);
        return [this.heads.get('cls').call(x), this.heads.get('box').call(x)];
      }
    }
    const net = new Net();
    net.blocks.append(new nn.Tanh());
    expect(net.blocks.length).toBe(3);
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
      'blocks.1.bias',
      'heads.cls.weight',
      'heads.cls.bias',
      'heads.box.weight',
      'heads.box.bias',
    ]);
    expect(net.heads.keys()).toEqual(['cls', 'box']);
    expect(net.heads.has('box')).toBe(true);
    ds.tidy(() => {
      const [a, b] = net.call(ds.randn([2, 3]));
      expect([a.shape, b.shape]).toEqual([[2, 4], [2, 2]]);
    });
    expectError(() => net.heads.get('seg'), RangeError, 'no module named "seg" (have cls, box)');
    expect(() => net.blocks.call()).toThrow(/ModuleList: forward\(\) is not defined/);
    expect(() => net.heads.call()).toThrow(/ModuleDict: forward\(\) is not defined/);
    const removed = net.heads.get('box');
    expect(net.heads.delete('box')).toBe(true);
    removed.dispose();
    expect(net.heads.entries().map(([k]) => k)).toEqual(['cls']);
    net.dispose();
  });
});
