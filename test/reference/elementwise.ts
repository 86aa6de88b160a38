/** Float64 reference of the elementwise ops. */
import { Nd, zipWith } from './nd';

const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is too coarse for a reference; use the series / continued fraction.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 80; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
};

export const unaryRef: Record<string, (x: number, p: Record<string, number>) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  sign: (x) => Math.sign(x),
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  relu: (x) => Math.max(x, 0),
  leakyRelu: (x, p) => (x > 0 ? x : p.alpha * x),
  elu: (x, p) => (x > 0 ? x : p.alpha * Math.expm1(x)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  hardtanh: (x, p) => Math.min(Math.max(x, p.min), p.max),
  softplus: (x, p) => (p.beta * x > p.threshold ? x : Math.log1p(Math.exp(p.beta * x)) / p.beta),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  clamp: (x, p) => Math.min(Math.max(x, p.min), p.max),
  pow: (x, p) => Math.pow(x, p.exponent),
};

export function unary(name: string, x: Nd, p: Record<string, number> = {}): Nd {
  const f = unaryRef[name];
  return x.map((v) => f(v, p));
}

export const binaryRef: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
  lt: (a, b) => Number(a < b),
  le: (a, b) => Number(a <= b),
  gt: (a, b) => Number(a > b),
  ge: (a, b) => Number(a >= b),
};

export function binary(name: string, a: Nd, b: Nd): Nd {
  return zipWith([a, b], binaryRef[name]);
}

export function where(c: Nd, a: Nd, b: Nd): Nd {
  return zipWith([c, a, b], (x, y, z) => (x !== 0 ? y : z));
}
