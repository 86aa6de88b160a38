/**
 * @internal Argument checks and formatting shared by the layers' constructors.
 * @module
 */
import { Generator } from '../../random';

/** @internal A positive (or non-negative) integer argument of a layer constructor. */
export function intArg(layer: string, arg: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${layer}: '${arg}' must be an integer, got ${JSON.stringify(v)}`);
  if (v < min) throw new RangeError(`${layer}: '${arg}' must be >= ${min}, got ${v}`);
  return v;
}

/** @internal A number or an [h, w] pair of integers >= min, as a pair. */
export function pairArg(layer: string, arg: string, v: unknown, min = 1): [number, number] {
  if (typeof v === 'number') {
    intArg(layer, arg, v, min);
    return [v, v];
  }
  if (Array.isArray(v) && v.length === 2) return [intArg(layer, arg, v[0], min), intArg(layer, arg, v[1], min)];
  throw new TypeError(`${layer}: '${arg}' must be an integer or an [h, w] pair of integers, got ${JSON.stringify(v)}`);
}

/** @internal A boolean option with a default. */
export function boolArg(layer: string, arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${layer}: '${arg}' must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** @internal A finite number option with a default. */
export function numArg(layer: string, arg: string, v: unknown, dflt: number, opts: { min?: number; max?: number } = {}): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${layer}: '${arg}' must be a finite number, got ${JSON.stringify(v)}`);
  if (opts.min !== undefined && v < opts.min) throw new RangeError(`${layer}: '${arg}' must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new RangeError(`${layer}: '${arg}' must be <= ${opts.max}, got ${v}`);
  return v;
}

/** @internal The options object of a layer (undefined allowed). */
export function optionsArg<T extends object>(layer: string, o: T | undefined): T {
  if (o === undefined) return {} as T;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError(`${layer}: options must be an object`);
  return o;
}

/** @internal The generator option. */
export function generatorArg(layer: string, g: unknown): Generator | undefined {
  if (g === undefined) return undefined;
  if (!(g instanceof Generator)) throw new TypeError(`${layer}: 'generator' must be a Generator`);
  return g;
}

/** @internal PyTorch's tuple notation for reprs: `(3, 3)`. */
export function tuple(v: readonly number[]): string {
  return `(${v.join(', ')})`;
}
