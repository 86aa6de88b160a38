/** Backend cases of the indexing and joining kernels (forward and backward); pure data movement is exact. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

const idx = (dev: ds.Device, values: number[], shape: number[]) => ds.tensor(values, shape, { dtype: 'int32' }).to(dev);

export const cases: BackendCase[] = [
  {
    // cat's backward is split, split's backward is cat.
    ops: ['cat', 'split'],
    tol: 0,
    run: (dev) => {
      const a = input([2, 3, 4], dev, 51);
      const b = input([2, 1, 4], dev, 52);
      const c = input([2, 5, 4], dev, 53);
      const joined = withGrads([a, b, c], () => ds.cat([a, b, c], 1), 54);
      const x = input([7, 3], dev, 55);
      const pieces = withGrads([x], () => ds.stack(ds.split(x, [2, 4, 1], 0).map((p) => p.sum(0))), 56);
      const ints = ds.cat([idx(dev, [1, 2], [2]), idx(dev, [3], [1])]);
      return [...joined, ...pieces, ints];
    },
  },
  {
    ops: ['slice', 'slice_backward'],
    tol: 0,
    run: (dev) => {
      // A fresh leaf per computation: a second backward into the same leaf would replace its .grad.
      const x = input([4, 9, 3], dev, 61);
      const y = input([4, 9, 3], dev, 64);
      return [...withGrads([x], () => ds.slice(x, 1, -8, 8, 3), 62), ...withGrads([y], () => ds.narrow(y, 0, 1, 2), 63)];
    },
  },
  {
    // Scatter-add backward with repeated indices sums in a fixed order on CPU; other backends may not.
    ops: ['gather', 'gather_backward'],
    tol: 1e-6,
    run: (dev) => {
      const x = input([3, 5, 2], dev, 71);
      const i = idx(dev, [4, 4, 0, 1, 2, 2, 3, 0, 1, 1, 4, 4], [2, 3, 2]);
      return withGrads([x], () => ds.gather(x, 1, i), 72);
    },
  },
  {
    ops: ['index_select', 'index_select_backward'],
    tol: 1e-6,
    run: (dev) => {
      const x = input([6, 4], dev, 81);
      const y = input([6, 4], dev, 84);
      const i = idx(dev, [5, 0, 5, 2, 5], [5]);
      return [...withGrads([x], () => ds.indexSelect(x, 0, i), 82), ...withGrads([y], () => ds.indexSelect(y, 1, idx(dev, [3, 3, 1], [3])), 83)];
    },
  },
  {
    ops: ['pad', 'pad_backward'],
    tol: 1e-6,
    run: (dev) => {
      const [x, y, z] = [91, 95, 96].map((s) => input([2, 3, 4, 5], dev, s));
      return [
        ...withGrads([x], () => ds.pad(x, [2, 1, -1, 2], { value: 0.5 }), 92),
        ...withGrads([y], () => ds.pad(y, [3, 4, 2, 2], { mode: 'reflect' }), 93),
        ...withGrads([z], () => ds.pad(z, [6, 1, 0, 3, 1, 1], { mode: 'replicate' }), 94),
      ];
    },
  },
];
