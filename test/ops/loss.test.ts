import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/loss';
import { expectClose, gradcheck, randNd, randint, rng, toTensor } from '../helpers';

// Tolerances.
// Native losses (cross-entropy, NLL, BCE): each value is computed in double and rounded to float32 once,
// sums are in double: forward 1e-6 of the output scale. Gradients: also double then one rounding, against
// central differences of the float64 reference (truncation ≈ eps²·f''' ≈ 1e-12): 1e-5.
// Composed losses (MSE, L1, smooth L1): a chain of 2–4 float32 elementwise ops (a few ulp each) before a
// double-accumulated reduction: forward 2e-6. Their gradients pass through the same float32 ops: 1e-5.
const FWD = 1e-6;
const FWD_COMPOSED = 2e-6;
const BWD = 1e-5;

const REDUCTIONS = ['mean', 'sum', 'none'] as const;

/** Class-index targets in [0, C), with roughly `ignoreFrac` of them set to `ignore` (at least one kept). */
function targets(r: () => number, shape: number[], C: number, ignore?: number, ignoreFrac = 0.3): Nd {
  const t = Nd.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = ignore !== undefined && r() < ignoreFrac ? ignore : randint(r, 0, C - 1);
  if (ignore !== undefined && t.data.every((v) => v === ignore)) t.data[0] = ignore === 0 ? 1 : 0;
  return t;
}

// Logit shapes: [N, C] (batch 1 and odd), [N, C, d1], [N, C, d1, d2], and a single sample [C].
const CE_SHAPES: number[][] = [[1, 5], [7, 3], [4, 6, 3], [2, 5, 3, 2], [5]];
const targetShape = (s: number[]) => (s.length === 1 ? [] : [s[0], ...s.slice(2)]);
const classes = (s: number[]) => (s.length === 1 ? s[0] : s[1]);

describe('crossEntropy', () => {
  test('every shape × reduction × weight × ignoreIndex × label smoothing', () => {
    const r = rng(101);
    let trial = 0;
    for (const shape of CE_SHAPES) {
      const C = classes(shape);
      for (const reduction of REDUCTIONS) {
        for (const weighted of [false, true]) {
          for (const labelSmoothing of [0, 0.2]) {
            // ignoreIndex: the default (-100) present in the targets, or a valid class (1) that is ignored.
            const ignoreIndex = trial % 2 || shape.length === 1 ? -100 : 1;
            const x = randNd(r, shape, -3, 3);
            const t = targets(r, targetShape(shape), C, shape.length === 1 ? undefined : ignoreIndex);
            const w = randNd(r, [C], 0.2, 2);
            const opts = { ignoreIndex, reduction, labelSmoothing };
            gradcheck({
              f: (xx, tt, ww) => ds.crossEntropy(xx, tt, { ...opts, weight: weighted ? ww : undefined }),
              ref: (xx, tt, ww) => ref.crossEntropy(xx, tt, { ...opts, weight: weighted ? ww : undefined }),
              inputs: [x, t, w],
              dtypes: ['float32', 'int32', 'float32'],
              differentiable: [true, false, false],
              fwdTol: FWD,
              bwdTol: BWD,
              seed: trial++,
            });
          }
        }
      }
    }
  });

  test('matches logSoftmax + nllLoss, and the worked value of PyTorch label smoothing', () => {
    const x = toTensor(randNd(rng(3), [4, 7], -2, 2));
    const t = ds.tensor([0, 6, 3, 3], undefined, { dtype: 'int32' });
    const a = ds.crossEntropy(x, t).itemSync();
    const b = ds.nllLoss(ds.logSoftmax(x, 1), t).itemSync();
    expect(Math.abs(a - b)).toBeLessThan(1e-6);
    // logits [1, 2, 3], target 0, ε = 0.1: 0.9·2.407606 + 0.1/3·(2.407606 + 1.407606 + 0.407606) = 2.307606
    const l = ds.crossEntropy(ds.tensor([[1, 2, 3]]), ds.tensor([0], undefined, { dtype: 'int32' }), { labelSmoothing: 0.1 });
    expect(l.itemSync()).toBeCloseTo(2.3076059, 5);
  });

  test('all targets ignored: mean is NaN (0/0, as PyTorch), sum is 0, gradient is 0', () => {
    const x = ds.tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    const t = ds.tensor([-100, -100], undefined, { dtype: 'int32' });
    expect(Number.isNaN(ds.crossEntropy(x, t).itemSync())).toBe(true);
    const s = ds.crossEntropy(x, t, { reduction: 'sum' });
    expect(s.itemSync()).toBe(0);
    s.backward();
    expect([...x.grad!.dataSync()]).toEqual([0, 0, 0, 0]);
  });

  test('extreme logits (±1e4) give finite losses and gradients', () => {
    for (const labelSmoothing of [0, 0.1]) {
      const x = ds.tensor([[1e4, -1e4, 0], [-1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], undefined, { requiresGrad: true });
      const t = ds.tensor([1, 1, 2], undefined, { dtype: 'int32' });
      const l = ds.crossEntropy(x, t, { labelSmoothing, weight: ds.tensor([1, 2, 0.5]) });
      const v = l.itemSync();
      expect(Number.isFinite(v)).toBe(true);
      l.backward();
      expect([...x.grad!.dataSync()].every(Number.isFinite)).toBe(true);
      const none = ds.crossEntropy(x.detach(), t, { reduction: 'none' }).dataSync();
      expect(none[0]).toBeCloseTo(2e4, 0);
      expect(none[1]).toBe(0);
    }
  });

  test('an out-of-range target rejects the read naming crossEntropy and the value (no out-of-bounds read)', async () => {
    const x = ds.randn([3, 4], { requiresGrad: true });
    for (const bad of [4, 17, -1, -101]) {
      const t = ds.tensor([0, bad, 2], undefined, { dtype: 'int32' });
      const loss = ds.crossEntropy(x, t);
      await expect(loss.data()).rejects.toThrow(/crossEntropy.*target/);
      await expect(loss.data()).rejects.toThrow(new RegExp(`target ${bad}`));
      // Backward's kernel checks too: the gradient's read rejects as well.
      const l2 = ds.crossEntropy(x, t, { reduction: 'sum' });
      l2.backward();
      await expect(x.grad!.data()).rejects.toThrow(/crossEntropy.*target/);
      x.grad = null;
    }
    const n = ds.nllLoss(ds.zeros([2, 3]), ds.tensor([3, 0], undefined, { dtype: 'int32' }));
    await expect(n.data()).rejects.toThrow(/nllLoss.*target 3/);
  });

  test('validation: types, dtypes, options (TypeError)', () => {
    const x = ds.zeros([5, 10]);
    const t = ds.zeros([5], { dtype: 'int32' });
    expect(() => ds.crossEntropy([1] as unknown as ds.Tensor, t)).toThrow(TypeError);
    expect(() => ds.crossEntropy(x, 3 as unknown as ds.Tensor)).toThrow(/crossEntropy: argument 'target' must be a Tensor/);
    expect(() => ds.crossEntropy(x, ds.zeros([5]))).toThrow(/crossEntropy: argument 'target' must have dtype int32, got float32/);
    expect(() => ds.crossEntropy(ds.zeros([5, 10], { dtype: 'int32' }), t)).toThrow(/crossEntropy: argument 'logits' must have dtype float32/);
    expect(() => ds.crossEntropy(x, t, { weight: ds.ones([10], { dtype: 'int32' }) })).toThrow(TypeError);
    expect(() => ds.crossEntropy(x, t, { reduction: 'avg' as ds.LossReduction })).toThrow(TypeError);
    expect(() => ds.crossEntropy(x, t, { reduction: 'avg' as ds.LossReduction })).toThrow(/crossEntropy: unknown reduction "avg"/);
    expect(() => ds.crossEntropy(x, t, 'mean' as unknown as ds.CrossEntropyOptions)).toThrow(TypeError);
    expect(() => ds.crossEntropy(x, t, { labelSmoothing: '0.1' as unknown as number })).toThrow(TypeError);
    expect(() => ds.crossEntropy(x, t, { ignoreIndex: 1.5 })).toThrow(TypeError);
    expect(() => ds.nllLoss(x, t, { reduction: 'mean ' as ds.LossReduction })).toThrow(/nllLoss: unknown reduction/);
  });

  test('validation: shapes and values (RangeError naming op, argument and shapes)', () => {
    const x = ds.zeros([5, 10]);
    const t = ds.zeros([5], { dtype: 'int32' });
    expect(() => ds.crossEntropy(x, ds.zeros([4], { dtype: 'int32' }))).toThrow(RangeError);
    expect(() => ds.crossEntropy(x, ds.zeros([4], { dtype: 'int32' }))).toThrow(
      'crossEntropy: target shape [4] does not match logits [5, 10] (expected [5])',
    );
    expect(() => ds.crossEntropy(ds.zeros([2, 3, 4, 5]), ds.zeros([2, 4], { dtype: 'int32' }))).toThrow(
      'crossEntropy: target shape [2, 4] does not match logits [2, 3, 4, 5] (expected [2, 4, 5])',
    );
    expect(() => ds.crossEntropy(x, t, { weight: ds.ones([9]) })).toThrow(RangeError);
    expect(() => ds.crossEntropy(x, t, { weight: ds.ones([9]) })).toThrow(
      'crossEntropy: weight shape [9] does not match the 10 classes of logits [5, 10] (expected [10])',
    );
    expect(() => ds.crossEntropy(x, t, { labelSmoothing: 1.5 })).toThrow(RangeError);
    expect(() => ds.crossEntropy(ds.tensor(1), ds.tensor(0, undefined, { dtype: 'int32' }))).toThrow(/crossEntropy: 'logits' must be at least 1-D/);
    expect(() => ds.nllLoss(x, ds.zeros([5, 1], { dtype: 'int32' }))).toThrow(
      'nllLoss: target shape [5, 1] does not match input [5, 10] (expected [5])',
    );
    expect(() => ds.nllLoss(x, t, { weight: ds.ones([2, 5]) })).toThrow(/nllLoss: weight shape \[2, 5\]/);
  });

  (ds.cuda.available() ? test : test.skip)('validation: mismatched devices (TypeError)', () => {
    const x = ds.zeros([2, 3]).to('cuda');
    expect(() => ds.crossEntropy(x, ds.zeros([2], { dtype: 'int32' }))).toThrow(TypeError);
  });
});

describe('nllLoss', () => {
  test('shapes × reductions × weight × ignoreIndex', () => {
    const r = rng(202);
    let trial = 0;
    for (const shape of CE_SHAPES) {
      const C = classes(shape);
      for (const reduction of REDUCTIONS) {
        for (const weighted of [false, true]) {
          const ignoreIndex = trial % 2 || shape.length === 1 ? -100 : 0;
          const opts = { ignoreIndex, reduction };
          gradcheck({
            f: (x, t, w) => ds.nllLoss(x, t, { ...opts, weight: weighted ? w : null }),
            ref: (x, t, w) => ref.nllLoss(x, t, { ...opts, weight: weighted ? w : undefined }),
            inputs: [randNd(r, shape, -4, 0), targets(r, targetShape(shape), C, shape.length === 1 ? undefined : ignoreIndex), randNd(r, [C], 0.2, 2)],
            dtypes: ['float32', 'int32', 'float32'],
            differentiable: [true, false, false],
            fwdTol: FWD,
            bwdTol: BWD,
            seed: trial++,
          });
        }
      }
    }
  });
});

describe('regression losses', () => {
  const shapes: [number[], number[]][] = [[[7], [7]], [[1, 5], [1, 5]], [[3, 4, 5], [3, 4, 5]], [[3, 4], [4]]];
  test.each(REDUCTIONS)('mseLoss and l1Loss, reduction %s (incl. a broadcast target)', (reduction) => {
    const r = rng(reduction.length);
    shapes.forEach(([sa, sb], i) => {
      gradcheck({ f: (a, b) => ds.mseLoss(a, b, { reduction }), ref: (a, b) => ref.mse(a, b, reduction), inputs: [randNd(r, sa), randNd(r, sb)], fwdTol: FWD_COMPOSED, bwdTol: BWD, seed: i });
      gradcheck({ f: (a, b) => ds.l1Loss(a, b, { reduction }), ref: (a, b) => ref.l1(a, b, reduction), inputs: [randNd(r, sa), randNd(r, sb)], fwdTol: FWD_COMPOSED, bwdTol: BWD, seed: i });
    });
  });

  test.each([0.5, 1, 2, 0])('smoothL1Loss, beta %p, every reduction', (beta) => {
    const r = rng(beta * 10 + 1);
    for (const reduction of REDUCTIONS) {
      gradcheck({
        f: (a, b) => ds.smoothL1Loss(a, b, { beta, reduction }),
        ref: (a, b) => ref.smoothL1(a, b, beta, reduction),
        inputs: [randNd(r, [4, 7], -2, 2), randNd(r, [4, 7], -2, 2)],
        fwdTol: FWD_COMPOSED,
        bwdTol: BWD,
      });
    }
  });

  test('defaults: mean reduction, beta 1', () => {
    const a = ds.tensor([0, 0.5, 3]);
    const b = ds.tensor([0, 0, 0]);
    expect(ds.mseLoss(a, b).itemSync()).toBeCloseTo((0.25 + 9) / 3, 6);
    expect(ds.smoothL1Loss(a, b).itemSync()).toBeCloseTo((0.125 + 2.5) / 3, 6);
  });

  test('validation', () => {
    const a = ds.zeros([3, 4]);
    expect(() => ds.mseLoss(a, ds.zeros([5]))).toThrow(RangeError);
    expect(() => ds.mseLoss(a, ds.zeros([5]))).toThrow(/mseLoss: shapes \[3, 4\] and \[5\] cannot be broadcast/);
    expect(() => ds.l1Loss(a, ds.zeros([3, 4], { dtype: 'int32' }))).toThrow(TypeError);
    expect(() => ds.l1Loss(a, a, { reduction: 'max' as ds.LossReduction })).toThrow(TypeError);
    expect(() => ds.smoothL1Loss(a, a, { beta: -1 })).toThrow(RangeError);
    expect(() => ds.mseLoss(null as unknown as ds.Tensor, a)).toThrow(/mseLoss: argument 'input' must be a Tensor, got null/);
  });
});

describe('binary cross-entropy', () => {
  test('binaryCrossEntropy: reductions × weight (broadcast), gradients to input and (soft) target', () => {
    const r = rng(303);
    let seed = 0;
    for (const shape of [[1, 1], [5, 3], [2, 3, 4], [7]]) {
      for (const reduction of REDUCTIONS) {
        for (const weighted of [false, true]) {
          const wShape = shape.slice(-1);
          gradcheck({
            f: (p, t, w) => ds.binaryCrossEntropy(p, t, { reduction, weight: weighted ? w : undefined }),
            ref: (p, t, w) => ref.bce(p, t, weighted ? w : undefined, reduction),
            // Probabilities away from 0/1: the gradient (p − t)/(p(1 − p)) stays moderate.
            inputs: [randNd(r, shape, 0.05, 0.95), randNd(r, shape, 0, 1), randNd(r, wShape, 0.2, 2)],
            differentiable: [true, true, false],
            fwdTol: FWD,
            bwdTol: BWD,
            seed: seed++,
          });
        }
      }
    }
  });

  test('binaryCrossEntropyWithLogits: reductions × weight × posWeight, gradients to input and target', () => {
    const r = rng(404);
    let seed = 0;
    for (const shape of [[1, 1], [5, 3], [2, 3, 4]]) {
      for (const reduction of REDUCTIONS) {
        for (const [weighted, pos] of [[false, false], [true, false], [false, true], [true, true]]) {
          const C = shape[shape.length - 1];
          gradcheck({
            f: (x, t, w, pw) => ds.binaryCrossEntropyWithLogits(x, t, { reduction, weight: weighted ? w : null, posWeight: pos ? pw : null }),
            ref: (x, t, w, pw) => ref.bceWithLogits(x, t, weighted ? w : undefined, pos ? pw : undefined, reduction),
            inputs: [randNd(r, shape, -6, 6), randNd(r, shape, 0, 1), randNd(r, shape.slice(1), 0.2, 2), randNd(r, [C], 0.5, 4)],
            differentiable: [true, true, false, false],
            fwdTol: FWD,
            bwdTol: BWD,
            seed: seed++,
          });
        }
      }
    }
  });

  test('extreme inputs: logits ±1e4 and probabilities 0/1 give finite losses and gradients', () => {
    const x = ds.tensor([1e4, -1e4, 1e4, -1e4], undefined, { requiresGrad: true });
    const t = ds.tensor([1, 0, 0, 1]);
    const l = ds.binaryCrossEntropyWithLogits(x, t, { reduction: 'none', posWeight: ds.tensor([2]) });
    expect([...l.dataSync()]).toEqual([0, 0, 1e4, 2e4]);
    l.sum().backward();
    expect([...x.grad!.dataSync()]).toEqual([0, 0, 1, -2]);
    const p = ds.tensor([0, 1, 0, 1], undefined, { requiresGrad: true });
    const b = ds.binaryCrossEntropy(p, t, { reduction: 'none' });
    // log clamped at −100, as in PyTorch.
    expect([...b.dataSync()].map((v) => v + 0)).toEqual([100, 100, 0, 0]);
    b.sum().backward();
    expect([...p.grad!.dataSync()].every(Number.isFinite)).toBe(true);
  });

  test('a probability outside [0, 1] rejects the read naming binaryCrossEntropy', async () => {
    const l = ds.binaryCrossEntropy(ds.tensor([0.5, 1.5]), ds.tensor([1, 0]));
    await expect(l.data()).rejects.toThrow(/binaryCrossEntropy.*between 0 and 1/);
  });

  test('validation', () => {
    const x = ds.zeros([4, 3]);
    expect(() => ds.binaryCrossEntropy(x, ds.zeros([4]))).toThrow('binaryCrossEntropy: target shape [4] does not match input [4, 3]');
    expect(() => ds.binaryCrossEntropy(x, ds.zeros([4, 3], { dtype: 'int32' }))).toThrow(TypeError);
    expect(() => ds.binaryCrossEntropyWithLogits(x, x, { posWeight: ds.ones([4]) })).toThrow(RangeError);
    expect(() => ds.binaryCrossEntropyWithLogits(x, x, { posWeight: ds.ones([4]) })).toThrow(/binaryCrossEntropyWithLogits/);
    expect(() => ds.binaryCrossEntropyWithLogits(x, x, { weight: ds.ones([2, 4, 3]) })).toThrow(
      "binaryCrossEntropyWithLogits: 'weight' shape [2, 4, 3] does not broadcast to the input shape [4, 3]",
    );
    expect(() => ds.binaryCrossEntropyWithLogits(x, x, { reduction: 'none!' as ds.LossReduction })).toThrow(TypeError);
  });
});

test('losses are in nn.functional', () => {
  const f = ds.nn.functional;
  expect(f.crossEntropy).toBe(ds.crossEntropy);
  expect(f.nllLoss).toBe(ds.nllLoss);
  expect(f.mseLoss).toBe(ds.mseLoss);
  expect(f.binaryCrossEntropyWithLogits).toBe(ds.binaryCrossEntropyWithLogits);
  expectClose(f.l1Loss(ds.tensor([1, 2]), ds.tensor([0, 0])), Nd.from([1.5], []), 0);
});
