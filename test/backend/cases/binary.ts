/** Backend cases of the binary-network ops: the STE sign, bit packing, XNOR convolution and matmul on odd channel counts. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['binarize', 'binarize_backward'],
    run: (dev) => {
      const x = input([3, 5, 7], dev, 1, true, -2, 2);
      return withGrads([x], () => ds.binarize(x));
    },
    tol: 0, // signs and a masked copy of the cotangent
  },
  {
    ops: ['bitpack', 'bitunpack', 'binary_conv2d'],
    run: (dev) => {
      const x = input([2, 70, 7, 6], dev, 2, false);
      const w = input([5, 70, 3, 3], dev, 3, false);
      const p = ds.bitpack(x);
      const opts = { stride: [2, 1] as [number, number], padding: 1, alpha: ds.filterScale(w), scale: ds.xnorScale(x, 3, { stride: [2, 1], padding: 1 }) };
      return [p.bits, ds.bitunpack(p), ds.binaryConv2d(p, ds.bitpack(w), { stride: [2, 1], padding: 1 }), ds.binaryConv2d(x, w, opts)];
    },
    tol: 1e-6, // bits and integers exactly; the α·K factors come from float32 reductions that may sum in another order
  },
  {
    ops: ['bitpack', 'binary_matmul'],
    run: (dev) => {
      const a = input([9, 130], dev, 4, false);
      const b = input([6, 130], dev, 5, false);
      return [ds.binaryMatmul(a, b), ds.binaryMatmul(a, b, { alpha: ds.filterScale(b), scale: ds.abs(a).mean(1) })];
    },
    tol: 1e-6,
  },
];
