/**
 * Test helpers: seeded float64 inputs shared by the native op and the reference, error metrics, and the
 * gradient check (native backward vs central differences through the float64 reference).
 */
import * as ds from '../src';
import * as v8 from 'v8';
import * as vm from 'vm';
import { Nd } from './reference/nd';

/** Deterministic PRNG (mulberry32) for test inputs, independent of the library's own generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random integer in [lo, hi]. */
export function randint(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/**
 * Uniform values in [lo, hi), rounded to float32 so the native op and the reference see the same
 * numbers.
 */
export function randNd(r: () => number, shape: number[], lo = -1, hi = 1): Nd {
  const n = Nd.numel(shape);
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = lo + (hi - lo) * r();
  return Nd.from(f, shape);
}

/** The Nd as a float32 (or int32) tensor. */
export function toTensor(x: Nd, opts: ds.TensorOptions = {}): ds.Tensor {
  return ds.tensor(opts.dtype === 'int32' ? Int32Array.from(x.data) : Float32Array.from(x.data), x.shape, opts);
}

/** A tensor's data as an Nd. */
export function toNd(t: ds.Tensor): Nd {
  return Nd.from(t.dataSync(), [...t.shape]);
}

/**
 * Normalised error: max |actual − expected| / max(‖expected‖∞, floor). Scale-free, and robust where
 * individual expected values cancel to near zero.
 */
export function normError(actual: ArrayLike<number>, expected: Nd, floor = 1e-6): number {
  if (actual.length !== expected.size) throw new Error(`size mismatch: ${actual.length} vs ${expected.size}`);
  let err = 0;
  let scale = floor;
  for (let i = 0; i < expected.size; i++) {
    const e = expected.data[i];
    const a = actual[i];
    if (Number.isNaN(e) !== Number.isNaN(a)) return Infinity;
    if (Number.isNaN(e)) continue;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (e !== a) return Infinity;
      continue;
    }
    err = Math.max(err, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return err / scale;
}

/** Asserts shape equality and a normalised error within `tol`. */
export function expectClose(actual: ds.Tensor, expected: Nd, tol: number, what = 'result'): void {
  expect([...actual.shape]).toEqual(expected.shape);
  const e = normError(actual.dataSync(), expected);
  if (!(e <= tol)) throw new Error(`${what}: normalised error ${e.toExponential(2)} exceeds ${tol.toExponential(1)}`);
}

export interface GradCheck {
  /** The deepscope computation (inputs are float32 leaves that require grad). */
  f: (...xs: ds.Tensor[]) => ds.Tensor;
  /** The same computation in float64 on Nd arrays. */
  ref: (...xs: Nd[]) => Nd;
  /** Input values; `differentiable[i] === false` excludes input i (labels, indices). */
  inputs: Nd[];
  differentiable?: boolean[];
  /** Input dtypes for the tensors (float32 by default). */
  dtypes?: ds.DType[];
  /** Tolerance of the forward comparison (normalised error). */
  fwdTol: number;
  /** Tolerance of the gradient comparison (normalised error). */
  bwdTol: number;
  /** Finite-difference step (float64 reference, central differences). */
  eps?: number;
  seed?: number;
}

/** Central differences of L(x) = Σ f(x) ⊙ cot, a float64 function of `x`, with step `eps`. */
export function numericGrad(f: (x: Nd) => Nd, x: Nd, cot: Nd, eps = 1e-6): Nd {
  const numeric = Nd.zeros(x.shape);
  const probe = x.clone();
  const loss = () => {
    const out = f(probe);
    let s = 0;
    for (let j = 0; j < out.size; j++) s += out.data[j] * cot.data[j];
    return s;
  };
  for (let j = 0; j < x.size; j++) {
    const v = x.data[j];
    probe.data[j] = v + eps;
    const up = loss();
    probe.data[j] = v - eps;
    const down = loss();
    probe.data[j] = v;
    numeric.data[j] = (up - down) / (2 * eps);
  }
  return numeric;
}

/**
 * Checks forward against the reference, then the native backward against central differences of the
 * reference: L(x) = Σ ref(x) ⊙ r for a random cotangent r, so every output element is weighted.
 */
export function gradcheck(c: GradCheck): void {
  const r = rng(c.seed ?? 7);
  const eps = c.eps ?? 1e-6;
  ds.tidy(() => {
    const diff = c.inputs.map((_, i) => c.differentiable?.[i] ?? (c.dtypes?.[i] ?? 'float32') === 'float32');
    const xs = c.inputs.map((x, i) => toTensor(x, { dtype: c.dtypes?.[i] ?? 'float32', requiresGrad: diff[i] }));
    const y = c.f(...xs);
    const expected = c.ref(...c.inputs);
    expectClose(y, expected, c.fwdTol, 'forward');
    const cot = randNd(r, [...expected.shape]);
    y.backward(toTensor(cot));
    c.inputs.forEach((x, i) => {
      if (!diff[i]) return;
      const numeric = numericGrad((probe) => c.ref(...c.inputs.map((v, k) => (k === i ? probe : v))), x, cot, eps);
      const g = xs[i].grad;
      if (!g) throw new Error(`input ${i}: no gradient`);
      expectClose(g, numeric, c.bwdTol, `gradient of input ${i}`);
    });
    for (const x of xs) x.grad?.dispose();
  });
}

/** Random shapes for elementwise tests: odd sizes, size-1 axes, ranks 0..4. */
export function randomShape(r: () => number, maxRank = 4, maxDim = 7): number[] {
  const rank = randint(r, 0, maxRank);
  return Array.from({ length: rank }, () => (r() < 0.2 ? 1 : randint(r, 1, maxDim)));
}

/** A shape broadcastable to `shape`: some leading axes dropped, some axes set to 1. */
export function broadcastableTo(r: () => number, shape: number[]): number[] {
  const drop = randint(r, 0, shape.length);
  return shape.slice(drop).map((d) => (r() < 0.3 ? 1 : d));
}

/** Asserts that `f` throws an error of class `cls` (by name: native errors come from another realm) whose message contains every part. */
export function expectError(f: () => unknown, cls: typeof TypeError | typeof RangeError, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeDefined();
  expect((err as Error).name).toBe(cls.name);
  for (const p of parts) expect((err as Error).message).toMatch(p);
}

const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/**
 * Host memory after every unreachable tensor has been finalised. Node runs finalisers on a later turn of
 * the event loop, so a count read across an await may fall by garbage of earlier tests; reading both
 * sides of a comparison through this makes exact equality meaningful: only a reachable leak breaks it.
 */
export async function settledMemory(): Promise<ds.MemoryInfo['cpu']> {
  // V8 posts the finaliser callbacks as a task of their own; on a loaded machine one collection and one
  // turn did not always see them all run (a CI run counted 1 tensor too many). Collect until the count
  // holds still over three rounds with a short timer between them: unreachable tensors are finalised by
  // then, and a reachable leak never is, so equality still catches every real leak.
  let last = -1;
  let still = 0;
  for (let i = 0; i < 30 && still < 3; i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 2));
    ds.synchronize();
    const n = ds.memory().cpu.tensors;
    still = n === last ? still + 1 : 0;
    last = n;
  }
  return ds.memory().cpu;
}
