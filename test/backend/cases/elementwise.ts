import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

const unary: [string, (x: ds.Tensor) => ds.Tensor, number, number][] = [
  ['neg', ds.neg, -2, 2], ['abs', ds.abs, -2, 2], ['exp', ds.exp, -2, 2], ['log', ds.log, 0.1, 3],
  ['sqrt', ds.sqrt, 0.1, 3], ['rsqrt', ds.rsqrt, 0.1, 3], ['reciprocal', ds.reciprocal, 0.5, 2], ['sign', ds.sign, -2, 2],
  ['sin', ds.sin, -3, 3], ['cos', ds.cos, -3, 3], ['relu', ds.relu, -2, 2], ['leaky_relu', (x) => ds.leakyRelu(x, 0.1), -2, 2],
  ['elu', ds.elu, -2, 2], ['sigmoid', ds.sigmoid, -4, 4], ['tanh', ds.tanh, -3, 3], ['hardtanh', ds.hardtanh, -2, 2],
  ['softplus', ds.softplus, -3, 3], ['gelu', ds.gelu, -3, 3], ['clamp', (x) => ds.clamp(x, -0.5, 0.5), -1, 1],
  ['pow_scalar', (x) => ds.pow(x, 1.5), 0.1, 2],
];

const binary: [string, (a: ds.Tensor, b: ds.Tensor) => ds.Tensor, number][] = [
  ['add', ds.add, -1], ['sub', ds.sub, -1], ['mul', ds.mul, -1], ['div', ds.div, 0.5], ['pow', ds.pow, 0.5],
  ['maximum', ds.maximum, -1], ['minimum', ds.minimum, -1],
];

export const cases: BackendCase[] = [
  ...unary.map(([name, f, lo, hi], i): BackendCase => ({
    ops: [name, `${name}_backward`],
    tol: 1e-5,
    run: (d) => {
      const x = input([3, 37], d, 10 + i, true, lo, hi);
      return withGrads([x], () => f(x));
    },
  })),
  ...binary.map(([name, f, lo], i): BackendCase => ({
    // Backward of the broadcast ops runs mul/div/neg/sum/expand/eq/gt/lt and friends, covered here too.
    ops: [name],
    tol: 1e-5,
    run: (d) => {
      const a = input([4, 1, 9], d, 40 + i, true, lo, 2);
      const b = input([5, 9], d, 60 + i, true, lo, 2);
      return withGrads([a, b], () => f(a, b));
    },
  })),
  {
    ops: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'],
    tol: 0,
    run: (d) => {
      const a = ds.tensor([[0, 1, 2], [2, 1, 0]]).to(d);
      const b = ds.tensor([1, 1, 1]).to(d);
      return [ds.eq(a, b), ds.ne(a, b), ds.lt(a, b), ds.le(a, b), ds.gt(a, b), ds.ge(a, b)];
    },
  },
  {
    // int32 arithmetic and comparisons, numbers as operands (a number on the left is a 0-d tensor), and
    // a large same-shape pair: the 16-byte vector path with a tail.
    ops: ['add', 'sub', 'mul', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'],
    tol: 0,
    run: (d) => {
      const a = input([4, 1, 9], d, 70, false, -5, 5).int();
      const b = input([5, 9], d, 71, false, -5, 5).int();
      const x = input([257, 129], d, 72, false);
      const y = input([257, 129], d, 73, false);
      return [
        ds.add(a, b), ds.sub(a, 3), ds.mul(b, -2), ds.maximum(a, b), ds.minimum(a, 1), ds.eq(a, b), ds.ne(b, 0),
        ds.lt(a, b), ds.le(a, 0), ds.gt(2, b), ds.ge(a, b), ds.add(x, y), ds.mul(x, y), ds.sub(1.5, x), ds.maximum(x, 0.25),
      ];
    },
  },
  {
    // NaN propagation of maximum / minimum and NaN in comparisons; broadcasting over 5 axes.
    ops: ['maximum', 'minimum', 'lt', 'eq', 'div', 'pow'],
    tol: 1e-6,
    run: (d) => {
      const n = ds.tensor([NaN, 1, -2, NaN, 0.5, 3], [2, 3, 1]).to(d);
      const m = ds.tensor([0.5, NaN, -1, 2], [4]).to(d);
      const p = input([2, 1, 3, 1, 4], d, 74, false, 0.5, 2);
      const q = input([1, 5, 1], d, 75, false, -2, 2);
      return [ds.maximum(n, m), ds.minimum(n, m), ds.lt(n, m), ds.eq(n, n), ds.div(p, q), ds.pow(p, q)];
    },
  },
  {
    ops: ['where'],
    tol: 0,
    run: (d) => {
      const a = input([3, 4], d, 80);
      const b = input([4], d, 81);
      const c = ds.gt(input([3, 1], d, 82, false), 0);
      return withGrads([a, b], () => ds.where(c, a, b));
    },
  },
  {
    // An int32 condition, int32 values, numbers as branches.
    ops: ['where'],
    tol: 0,
    run: (d) => {
      const c = input([2, 1, 5], d, 83, false, -1, 1).int();
      const a = input([3, 1], d, 84, false, -9, 9).int();
      return [ds.where(c, a, 7), ds.where(c, 0.5, input([5], d, 85, false))];
    },
  },
];
