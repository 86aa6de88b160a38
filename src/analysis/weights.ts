/**
 * Weights as plain host vectors: a model's parameters copied out by name ({@link ParameterVector}), the
 * arithmetic the landscape needs on such vectors (a point θ₀ + α·δ + β·η), and the copy back into the model.
 * Keeping them on the host (float32, as the parameters are) makes directions independent of the device
 * and cheap to normalise filter by filter; a landscape point costs one upload of the weights.
 * @module
 */
import type { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd';

/**
 * A vector in weight space: one float32 array per parameter, keyed by the parameter's dotted name
 * (`layer1.0.conv1.weight`), in the model's registration order. Weights, directions and differences of
 * weights all have this form.
 */
export type ParameterVector = Map<string, Float32Array>;

/** @internal A model checked to be a Module, for error messages naming `op`. */
export function checkModule(op: string, model: unknown): Module {
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be an nn.Module`);
  return model;
}

/**
 * The model's parameters copied to the host, by name.
 * @example const theta = await analysis.getWeights(model);
 */
export async function getWeights(model: Module): Promise<ParameterVector> {
  const m = checkModule('getWeights', model);
  const out: ParameterVector = new Map();
  for (const [name, p] of m.namedParameters()) out.set(name, Float32Array.from(await p.data()));
  return out;
}

/** @internal Checks that `v` has exactly the parameters of `model`, with matching sizes. */
export function checkFits(op: string, arg: string, model: Module, v: unknown): ParameterVector {
  if (!(v instanceof Map)) throw new TypeError(`${op}: argument '${arg}' must be a Map of parameter name to Float32Array`);
  const params = model.namedParameters();
  if (v.size !== params.length) throw new RangeError(`${op}: argument '${arg}' has ${v.size} parameters but the model has ${params.length}`);
  for (const [name, p] of params) {
    const a = v.get(name);
    if (!(a instanceof Float32Array)) throw new RangeError(`${op}: argument '${arg}' has no Float32Array for parameter '${name}'`);
    if (a.length !== p.size) throw new RangeError(`${op}: argument '${arg}' has ${a.length} values for parameter '${name}' of shape [${p.shape.join(', ')}]`);
  }
  return v as ParameterVector;
}

/**
 * Writes `weights` into the model's parameters (no gradient is recorded).
 * @example analysis.setWeights(model, theta); // back to the saved point
 */
export function setWeights(model: Module, weights: ParameterVector): void {
  const m = checkModule('setWeights', model);
  checkFits('setWeights', 'weights', m, weights);
  noGrad(() => {
    for (const [name, p] of m.namedParameters()) (p as Tensor).copyFromArray(weights.get(name)!);
  });
}

/** @internal `base + Σ coefficients[i]·vectors[i]`, parameter by parameter, in float32. */
export function combine(base: ParameterVector, vectors: readonly ParameterVector[], coefficients: readonly number[]): ParameterVector {
  const out: ParameterVector = new Map();
  for (const [name, b] of base) {
    const r = Float32Array.from(b);
    vectors.forEach((v, k) => {
      const c = coefficients[k];
      if (c === 0) return;
      const d = v.get(name)!;
      for (let i = 0; i < r.length; i++) r[i] += c * d[i];
    });
    out.set(name, r);
  }
  return out;
}

/** @internal `a − b` parameter by parameter. */
export function subtract(a: ParameterVector, b: ParameterVector): ParameterVector {
  const out: ParameterVector = new Map();
  for (const [name, x] of a) {
    const y = b.get(name)!;
    out.set(name, Float32Array.from(x, (v, i) => v - y[i]));
  }
  return out;
}

/** The inner product of two weight-space vectors (in float64), over the parameters they share. */
export function dot(a: ParameterVector, b: ParameterVector): number {
  let s = 0;
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y) continue;
    for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  }
  return s;
}

/** The Euclidean norm of a weight-space vector (in float64). */
export function norm(a: ParameterVector): number {
  return Math.sqrt(dot(a, a));
}
