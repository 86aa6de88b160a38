import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/indexing';
import { expectClose, gradcheck, randNd, randint, rng, toTensor } from '../helpers';

// Tolerances. Forward: these ops only move (or select) float32 values, so they must be exact: 0.
// Backward: the loss is linear in the input, so central differences of the float64 reference are exact up
// to float64 rounding (≈1e-10 here); the native gradients are float32 sums of at most a few dozen
// float32 cotangent values (scatter-add, index-add, reflect/replicate accumulation): 1e-6.
const FWD = 0;
const BWD = 1e-6;

function randShape(r: () => number, minRank = 1, maxRank = 4, maxDim = 5): number[] {
  const rank = randint(r, minRank, maxRank);
  return Array.from({ length: rank }, () => (r() < 0.2 ? 1 : randint(r, 1, maxDim)));
}

function withDim(shape: readonly number[], dim: number, size: number): number[] {
  const s = [...shape];
  s[dim] = size;
  return s;
}

/** Random int32 values in [0, n) as an Nd. */
function randIndex(r: () => number, shape: number[], n: number): Nd {
  const x = Nd.zeros(shape);
  for (let i = 0; i < x.size; i++) x.data[i] = randint(r, 0, n - 1);
  return x;
}

const int = (x: Nd) => toTensor(x, { dtype: 'int32' });
const intNd = (r: () => number, shape: number[]) => randNd(r, shape, -1000, 1000).map(Math.round);

describe('cat / concat / stack', () => {
  test('every dim, 1–4 tensors of different sizes along dim (including 0), forward and backward', () => {
    const r = rng(11);
    for (let trial = 0; trial < 10; trial++) {
      const base = randShape(r);
      for (let d = -base.length; d < base.length; d++) {
        const dd = d < 0 ? d + base.length : d;
        const k = randint(r, 1, 4);
        const inputs = Array.from({ length: k }, (_, i) => randNd(r, withDim(base, dd, i === 1 && trial % 3 === 0 ? 0 : randint(r, 1, 4))));
        gradcheck({ f: (...xs) => ds.cat(xs, d), ref: (...xs) => ref.cat(xs, d), inputs, fwdTol: FWD, bwdTol: BWD, seed: trial });
      }
    }
  });

  test('stack at every position (incl. a new last axis), forward and backward', () => {
    const r = rng(12);
    for (let trial = 0; trial < 6; trial++) {
      const shape = randShape(r, 0, 3);
      for (let d = -(shape.length + 1); d <= shape.length; d++) {
        const inputs = Array.from({ length: randint(r, 1, 3) }, () => randNd(r, shape));
        gradcheck({ f: (...xs) => ds.stack(xs, d), ref: (...xs) => ref.stack(xs, d), inputs, fwdTol: FWD, bwdTol: BWD, seed: trial });
      }
    }
  });

  test('int32 moves exactly; concat is cat; default dim 0', () => {
    const r = rng(13);
    const a = intNd(r, [2, 3]);
    const b = intNd(r, [1, 3]);
    const out = ds.concat([int(a), int(b)]);
    expect(out.dtype).toBe('int32');
    expectClose(out, ref.cat([a, b], 0), 0);
    expectClose(ds.stack([int(a), int(a)], 1), ref.stack([a, a], 1), 0);
  });

  test('gradient only to the inputs that require it', () => {
    const a = ds.ones([2, 2], { requiresGrad: true });
    const b = ds.ones([2, 1]);
    ds.cat([a, b], 1).mul(ds.tensor([1, 2, 3])).sum().backward();
    expect([...a.grad!.dataSync()]).toEqual([1, 2, 1, 2]);
    expect(b.grad).toBeNull();
  });

  test('validation', () => {
    const a = ds.zeros([2, 3]);
    expect(() => ds.cat([], 0)).toThrow(RangeError);
    expect(() => ds.cat([], 0)).toThrow('cat: expected a non-empty list of tensors');
    expect(() => ds.stack([])).toThrow('stack: expected a non-empty list of tensors');
    expect(() => ds.cat(a as unknown as ds.Tensor[])).toThrow(TypeError);
    expect(() => ds.cat([a, 1 as unknown as ds.Tensor])).toThrow(/cat: argument 'tensors\[1\]' must be a Tensor/);
    expect(() => ds.cat([a, ds.zeros([3, 3])], 1)).toThrow(RangeError);
    expect(() => ds.cat([a, ds.zeros([3, 3])], 1)).toThrow(
      'cat: tensors[1] has shape [3, 3] but tensors[0] has shape [2, 3]; sizes must match except along dim 1',
    );
    expect(() => ds.cat([a, ds.zeros([2, 3, 1])], 0)).toThrow(/cat: tensors\[1\] has shape \[2, 3, 1\]/);
    expect(() => ds.cat([a, ds.zeros([2, 3], { dtype: 'int32' })])).toThrow(TypeError);
    expect(() => ds.cat([a, a], 2)).toThrow(RangeError);
    expect(() => ds.cat([a, a], 2)).toThrow(/cat: 'dim' 2 is out of range for a 2-D tensor/);
    expect(() => ds.cat([ds.tensor(1), ds.tensor(2)])).toThrow(/cat: argument 'tensors\[0\]' must have at least one dimension/);
    expect(() => ds.stack([a, ds.zeros([3, 2])])).toThrow('stack: tensors[1] has shape [3, 2] but tensors[0] has shape [2, 3]; all must have the same shape');
    expect(() => ds.stack([a, a], 3)).toThrow(RangeError);
  });
});

describe('split / chunk', () => {
  test('sizes as a number or a list, every dim; each piece weighted differently so gradients must route', () => {
    const r = rng(21);
    for (let trial = 0; trial < 8; trial++) {
      const shape = randShape(r, 1, 4, 7);
      for (let d = 0; d < shape.length; d++) {
        const D = shape[d];
        let sizes: number[];
        let arg: number | number[];
        if (trial % 2) {
          arg = randint(r, 1, D + 1);
          sizes = [];
          for (let at = 0; at < D; at += arg) sizes.push(Math.min(arg, D - at));
        } else {
          sizes = [];
          let left = D;
          while (left > 0) {
            const s = randint(r, 0, left);
            sizes.push(s);
            left -= s;
          }
          sizes.push(0);
          arg = sizes;
        }
        const pieces = (x: Nd) => {
          let at = 0;
          return sizes.map((s) => {
            const p = ref.slice(x, d, at, at + s, 1);
            at += s;
            return p;
          });
        };
        gradcheck({
          // Powers of two: the scaling is exact in float32, so the forward stays exact.
          f: (x) => ds.cat(ds.split(x, arg, d).map((p, i) => p.mul(2 ** i)), d),
          ref: (x) => ref.cat(pieces(x).map((p, i) => p.map((v) => v * 2 ** i)), d),
          inputs: [randNd(r, shape)],
          fwdTol: FWD,
          bwdTol: BWD,
          seed: trial,
        });
        // Only one piece used: the others' gradients are zeros.
        const k = randint(r, 0, sizes.length - 1);
        gradcheck({ f: (x) => ds.split(x, arg, d)[k], ref: (x) => pieces(x)[k], inputs: [randNd(r, shape)], fwdTol: FWD, bwdTol: BWD });
      }
    }
  });

  test('chunk follows torch.chunk (ceil-sized pieces, possibly fewer than asked)', () => {
    const x = ds.arange(6, undefined, undefined, { dtype: 'int32' });
    expect(ds.chunk(x, 4).map((p) => [...p.dataSync()])).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(ds.chunk(x, 3).map((p) => p.shape[0])).toEqual([2, 2, 2]);
    expect(x.chunk(5).map((p) => p.shape[0])).toEqual([2, 2, 2]);
    const y = ds.arange(10).reshape([2, 5]);
    expect(y.chunk(2, 1).map((p) => p.shape)).toEqual([[2, 3], [2, 2]]);
    expect(y.split(2, -1).map((p) => p.shape)).toEqual([[2, 2], [2, 2], [2, 1]]);
    const z = toTensor(randNd(rng(1), [3, 7]), { requiresGrad: true });
    const [a, , c] = ds.chunk(z, 3, 1);
    a.sum().add(c.sum().mul(2)).backward();
    expect([...z.grad!.dataSync()].slice(0, 7)).toEqual([1, 1, 1, 0, 0, 0, 2]);
  });

  test('validation', () => {
    const x = ds.zeros([4, 6]);
    expect(() => ds.split(x, [2, 3], 1)).toThrow(RangeError);
    expect(() => ds.split(x, [2, 3], 1)).toThrow('split: sizes [2, 3] sum to 5 but dim 1 of shape [4, 6] has size 6');
    expect(() => ds.split(x, 0, 1)).toThrow(RangeError);
    expect(() => ds.split(x, 2, 2)).toThrow(/split: 'dim' 2 is out of range for a 2-D tensor/);
    expect(() => ds.split(x, '2' as unknown as number)).toThrow(TypeError);
    expect(() => ds.split(x, [1.5, 2.5])).toThrow(TypeError);
    expect(() => ds.chunk(x, 0)).toThrow(RangeError);
    expect(() => ds.chunk(x, 2, -3)).toThrow(RangeError);
  });
});

describe('slice / narrow', () => {
  test('Python slicing: negative and out-of-range start/end clamp, steps 1–3, every dim', () => {
    const r = rng(31);
    for (let trial = 0; trial < 10; trial++) {
      const shape = randShape(r, 1, 4, 7);
      for (let d = -shape.length; d < shape.length; d++) {
        const D = shape[d < 0 ? d + shape.length : d];
        const start = randint(r, -D - 2, D + 2);
        const end = r() < 0.2 ? undefined : randint(r, -D - 2, D + 2);
        const step = randint(r, 1, 3);
        gradcheck({
          f: (x) => ds.slice(x, d, start, end, step),
          ref: (x) => ref.slice(x, d, start, end, step),
          inputs: [randNd(r, shape)],
          fwdTol: FWD,
          bwdTol: BWD,
          seed: trial,
        });
      }
    }
  });

  test('examples, int32, tensor methods, narrow with a negative start', () => {
    const x = ds.arange(10, undefined, undefined, { dtype: 'int32' });
    expect([...ds.slice(x, 0, -3).dataSync()]).toEqual([7, 8, 9]);
    expect([...x.slice(0, 1, -1, 3).dataSync()]).toEqual([1, 4, 7]);
    expect([...x.slice(0, 8, 3).dataSync()]).toEqual([]);
    expect([...x.slice(0, -100, 100, 4).dataSync()]).toEqual([0, 4, 8]);
    expect([...ds.narrow(x, 0, -4, 2).dataSync()]).toEqual([6, 7]);
    expect([...x.narrow(0, 10, 0).dataSync()]).toEqual([]);
    gradcheck({
      f: (t) => ds.narrow(t, 1, 1, 3),
      ref: (t) => ref.slice(t, 1, 1, 4, 1),
      inputs: [randNd(rng(2), [2, 5, 3])],
      fwdTol: FWD,
      bwdTol: BWD,
    });
  });

  test('validation', () => {
    const x = ds.zeros([4, 6]);
    expect(() => ds.slice(x, 1, 0, 3, 0)).toThrow(RangeError);
    expect(() => ds.slice(x, 1, 0, 3, -1)).toThrow("slice: 'step' must be positive, got -1");
    expect(() => ds.slice(x, 2, 0)).toThrow(/slice: 'dim' 2 is out of range for a 2-D tensor/);
    expect(() => ds.slice(x, 0, 0.5)).toThrow(TypeError);
    expect(() => ds.narrow(x, 1, 4, 3)).toThrow('narrow: start 4 and length 3 leave dim 1 of size 6 (shape [4, 6])');
    expect(() => ds.narrow(x, 1, -7, 1)).toThrow(RangeError);
    expect(() => ds.narrow(x, 1, 0, -1)).toThrow(RangeError);
    expect(() => ds.slice('x' as unknown as ds.Tensor, 0)).toThrow(TypeError);
  });
});

describe('gather', () => {
  test('every dim, index smaller than the input on other axes, repeated indices (scatter-add backward)', () => {
    const r = rng(41);
    for (let trial = 0; trial < 10; trial++) {
      const shape = randShape(r, 1, 4, 5);
      for (let d = -shape.length; d < shape.length; d++) {
        const dd = d < 0 ? d + shape.length : d;
        const ishape = shape.map((s, k) => (k === dd ? randint(r, 1, 7) : randint(r, 1, s)));
        gradcheck({
          f: (x, i) => ds.gather(x, d, i),
          ref: (x, i) => ref.gather(x, d, i),
          inputs: [randNd(r, shape), randIndex(r, ishape, shape[dd])],
          dtypes: ['float32', 'int32'],
          fwdTol: FWD,
          bwdTol: BWD,
          seed: trial,
        });
      }
    }
  });

  test('int32 input, tensor method, the classic label pick', () => {
    const x = ds.tensor([[1, 2, 3], [4, 5, 6]], undefined, { dtype: 'int32' });
    const i = ds.tensor([[2], [0]], undefined, { dtype: 'int32' });
    expect([...x.gather(1, i).dataSync()]).toEqual([3, 4]);
    expect(x.gather(1, i).dtype).toBe('int32');
  });

  test('an out-of-range index rejects the read naming gather (no out-of-bounds read)', async () => {
    const x = ds.zeros([2, 3], { requiresGrad: true });
    for (const bad of [3, -1, 1000000]) {
      const y = ds.gather(x, 1, ds.tensor([[0, bad], [1, 1]], undefined, { dtype: 'int32' }));
      await expect(y.data()).rejects.toThrow(new RegExp(`gather.*index ${bad}.*out of bounds for dim 1 with size 3`));
      y.sum().backward();
      await expect(x.grad!.data()).rejects.toThrow(/gather.*index/);
      x.grad = null;
    }
  });

  test('validation', () => {
    const x = ds.zeros([3, 4]);
    const i = ds.zeros([3, 2], { dtype: 'int32' });
    expect(() => ds.gather(x, 1, ds.zeros([3, 2]))).toThrow(TypeError);
    expect(() => ds.gather(x, 1, ds.zeros([3, 2]))).toThrow(/gather: argument 'index' must have dtype int32/);
    expect(() => ds.gather(x, 1, ds.zeros([4, 2], { dtype: 'int32' }))).toThrow(RangeError);
    expect(() => ds.gather(x, 1, ds.zeros([4, 2], { dtype: 'int32' }))).toThrow(
      'gather: index shape [4, 2] does not fit input [3, 4] (same rank, and no larger than the input except along dim 1)',
    );
    expect(() => ds.gather(x, 1, ds.zeros([3], { dtype: 'int32' }))).toThrow(RangeError);
    expect(() => ds.gather(x, 2, i)).toThrow(/gather: 'dim' 2 is out of range/);
    expect(() => ds.gather(x, 1, null as unknown as ds.Tensor)).toThrow(TypeError);
  });
});

describe('indexSelect', () => {
  test('every dim, repeated indices (index-add backward), 0-d index', () => {
    const r = rng(51);
    for (let trial = 0; trial < 10; trial++) {
      const shape = randShape(r, 1, 4, 5);
      for (let d = -shape.length; d < shape.length; d++) {
        const dd = d < 0 ? d + shape.length : d;
        const ishape = trial === 3 ? [] : [randint(r, 0, 7)];
        gradcheck({
          f: (x, i) => ds.indexSelect(x, d, i),
          ref: (x, i) => ref.indexSelect(x, d, i),
          inputs: [randNd(r, shape), randIndex(r, ishape, shape[dd])],
          dtypes: ['float32', 'int32'],
          fwdTol: FWD,
          bwdTol: BWD,
          seed: trial,
        });
      }
    }
  });

  test('wide rows (more than one inner block of 1024), int32 input, tensor method', () => {
    const r = rng(52);
    // Too large for finite differences through the reference: the gradient of Σ y ⊙ cot is the index-add
    // of cot, computed here directly (exact: at most 3 float32 values per sum, small integers).
    const xs = randNd(r, [2, 1030]);
    const idx = [1, 0, 1, 1];
    const x = toTensor(xs, { requiresGrad: true });
    const y = ds.indexSelect(x, 0, ds.tensor(idx, undefined, { dtype: 'int32' }));
    expectClose(y, ref.indexSelect(xs, 0, Nd.from(idx, [4])), 0);
    const cot = Nd.zeros([4, 1030]).map((_, i) => (i % 7) - 3);
    y.backward(toTensor(cot));
    const expected = Nd.zeros([2, 1030]);
    idx.forEach((row, j) => {
      for (let i = 0; i < 1030; i++) expected.data[row * 1030 + i] += cot.data[j * 1030 + i];
    });
    expectClose(x.grad!, expected, 0);
    const xi = intNd(r, [3, 4]);
    const i = Nd.from([2, 2, 0], [3]);
    expectClose(int(xi).indexSelect(1, int(i)), ref.indexSelect(xi, 1, i), 0);
  });

  test('an out-of-range index rejects the read naming indexSelect', async () => {
    const y = ds.indexSelect(ds.zeros([4, 2]), 0, ds.tensor([1, 4], undefined, { dtype: 'int32' }));
    await expect(y.data()).rejects.toThrow(/indexSelect.*index 4.*out of bounds for dim 0 with size 4/);
  });

  test('validation', () => {
    const x = ds.zeros([3, 4]);
    expect(() => ds.indexSelect(x, 0, ds.zeros([2]))).toThrow(TypeError);
    expect(() => ds.indexSelect(x, 0, ds.zeros([2, 2], { dtype: 'int32' }))).toThrow(
      "indexSelect: argument 'index' must be 1-D or 0-d, got shape [2, 2]",
    );
    expect(() => ds.indexSelect(x, -3, ds.zeros([2], { dtype: 'int32' }))).toThrow(RangeError);
  });
});

describe('pad', () => {
  const modes = ['constant', 'reflect', 'replicate'] as const;
  test.each(modes)('%s: random shapes and pads over 1..ndim trailing axes, forward and backward', (mode) => {
    const r = rng(mode.length * 13);
    for (let trial = 0; trial < 12; trial++) {
      const shape = randShape(r, 1, 4, 5);
      const k = randint(r, 1, shape.length);
      const pads: number[] = [];
      for (let i = 0; i < k; i++) {
        const size = shape[shape.length - 1 - i];
        for (let j = 0; j < 2; j++) {
          // constant: crops too (but never below size 0); reflect: < size; replicate: any.
          if (mode === 'constant') pads.push(randint(r, -Math.floor(size / 2), 3));
          else if (mode === 'reflect') pads.push(randint(r, 0, size - 1));
          else pads.push(randint(r, 0, 7));
        }
      }
      const value = mode === 'constant' ? randint(r, -3, 3) / 2 : 0;
      gradcheck({
        f: (x) => ds.pad(x, pads, { mode, value }),
        ref: (x) => ref.pad(x, pads, mode, value),
        inputs: [randNd(r, shape)],
        fwdTol: FWD,
        bwdTol: BWD,
        seed: trial,
      });
    }
  });

  test('PyTorch pad order (last dim first), int32 data, 0-d input, functional export', () => {
    const x = ds.tensor([[1, 2], [3, 4]], undefined, { dtype: 'int32' });
    expect(ds.pad(x, [1, 0]).arraySync()).toEqual([[0, 1, 2], [0, 3, 4]]);
    expect(ds.pad(x, [0, 0, 1, 0], { value: 9 }).arraySync()).toEqual([[9, 9], [1, 2], [3, 4]]);
    expect(ds.pad(x, [1, 1], { mode: 'reflect' }).arraySync()).toEqual([[2, 1, 2, 1], [4, 3, 4, 3]]);
    expect(ds.pad(x, [0, 0, 2, 0], { mode: 'replicate' }).arraySync()).toEqual([[1, 2], [1, 2], [1, 2], [3, 4]]);
    expect(ds.pad(x, [-1, 0, 0, -1]).arraySync()).toEqual([[2]]);
    expect(ds.pad(ds.tensor(5), []).itemSync()).toBe(5);
    expect(ds.nn.functional.pad).toBe(ds.pad);
    // Replicate with a wide pad accumulates many cotangents into the edge.
    const y = ds.tensor([1, 2, 3], undefined, { requiresGrad: true });
    ds.pad(y, [4, 2], { mode: 'replicate' }).sum().backward();
    expect([...y.grad!.dataSync()]).toEqual([5, 1, 3]);
  });

  test('validation', () => {
    const x = ds.zeros([2, 3]);
    expect(() => ds.pad(x, [1, 1, 1, 1, 1, 1])).toThrow(RangeError);
    expect(() => ds.pad(x, [1, 1, 1, 1, 1, 1])).toThrow("pad: 'pads' [1, 1, 1, 1, 1, 1] has 6 entries but the input [2, 3] has 2 dims (at most 4)");
    expect(() => ds.pad(x, [1, 1, 1])).toThrow(/pad: 'pads' \[1, 1, 1\] must have an even length/);
    expect(() => ds.pad(x, [3, 0], { mode: 'reflect' })).toThrow(RangeError);
    expect(() => ds.pad(x, [3, 0], { mode: 'reflect' })).toThrow('pad: reflect padding (3, 0) of dim 1 must be smaller than its size 3 (shape [2, 3])');
    expect(() => ds.pad(x, [0, 0, 0, 2], { mode: 'reflect' })).toThrow(/reflect padding \(0, 2\) of dim 0 must be smaller than its size 2/);
    expect(() => ds.pad(x, [-1, 0], { mode: 'replicate' })).toThrow(/only allowed in constant mode/);
    expect(() => ds.pad(x, [-2, -2])).toThrow(/pad: pads \(-2, -2\) of dim 1 crop more than its size 3/);
    expect(() => ds.pad(x, [1, 1], { mode: 'circular' as ds.PadMode })).toThrow(TypeError);
    expect(() => ds.pad(x, [1, 1], { mode: 'circular' as ds.PadMode })).toThrow(/pad: unknown mode "circular"/);
    expect(() => ds.pad(x, [1, 1], { mode: 'reflect', value: 2 })).toThrow(RangeError);
    expect(() => ds.pad(x, 1 as unknown as number[])).toThrow(TypeError);
    expect(() => ds.pad(x, [0.5, 1])).toThrow(TypeError);
  });
});
