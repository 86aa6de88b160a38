/**
 * The torchvision fixtures (scripts/torchvision-fixtures.py writes them) and the hashed weights they
 * were computed with: value i of tensor `name` is a function of (name, i) that the script computes
 * with numpy and this file with 32-bit integer arithmetic, bit for bit the same, so the tests rebuild
 * torchvision's weights instead of committing them.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ds from '../../src';
import { models } from '../../src';

/** The fixture folder. */
export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'torchvision');

/** A fixture file parsed as JSON. */
export function fixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

/** One model of outputs.json: torchvision's state-dict names and shapes, its input shape and float64 logits. */
export interface OutputFixture {
  input: number[];
  keys: [string, number[]][];
  output: number[];
  outputShape: number[];
}

function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** n values in [0, 1) from the name's hash stream (the script's `uniform`). */
export function uniform(name: string, n: number): Float64Array {
  const seed = fnv1a(name);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = (seed + Math.imul(i, 0x9e3779b9)) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    out[i] = (x >>> 0) / 4294967296;
  }
  return out;
}

/** The value of a state-dict entry (the script's `hashed`): value = a + b·u. */
export function hashed(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = uniform(name, n);
  const bound = Math.sqrt(6 / shape.slice(1).reduce((a, b) => a * b, 1));
  let scale: (u: number) => number;
  if (name.endsWith('running_var')) scale = (v) => 0.5 + v;
  else if (name.endsWith('running_mean')) scale = (v) => 0.2 * (2 * v - 1);
  else if (name.endsWith('bias')) scale = (v) => 0.1 * (2 * v - 1);
  else if (shape.length === 1) scale = (v) => 0.8 + 0.4 * v;
  else scale = (v) => bound * (2 * v - 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale(u[i]);
  return out;
}

/** A state dict with hashed weights for torchvision's names and shapes. */
export function hashedStateDict(keys: readonly [string, number[]][]): Map<string, ds.Tensor> {
  const dict = new Map<string, ds.Tensor>();
  for (const [k, shape] of keys) {
    dict.set(k, k.endsWith('num_batches_tracked') ? ds.zeros([], { dtype: 'int32' }) : ds.tensor(hashed(k, shape), shape));
  }
  return dict;
}

/** The fixed input of the fixtures. */
export function hashedInput(shape: readonly number[]): ds.Tensor {
  return ds.tensor(Float32Array.from(uniform('input', shape.reduce((a, b) => a * b, 1)), (u) => 2 * u - 1), [...shape]);
}

/** Our model for a model id of outputs.json, in eval mode. */
export function buildFixtureModel(id: string): ds.nn.Module {
  const narrow = { widthMultiplier: 0.125, numClasses: 10 };
  const builders: Record<string, () => ds.nn.Module> = {
    'alexnet-w0.125': () => models.alexnet(narrow),
    'vgg11_bn-w0.125': () => models.vgg11_bn({ ...narrow, hidden: 64 }),
    'vgg16-w0.125': () => models.vgg16({ ...narrow, hidden: 64 }),
    googlenet: () => models.googlenet({ numClasses: 10 }),
    'resnet18-w8': () => models.resnet18({ numClasses: 10, widths: [8, 16, 32, 64] }),
    'resnext50_4x16d-w8': () => models.resnext({ depth: 50, cardinality: 4, width: 16, numClasses: 10, widths: [8, 16, 32, 64] }),
    'densenet121-k8': () => models.densenet121({ numClasses: 10, growthRate: 8, numInitFeatures: 16 }),
  };
  return builders[id]().eval();
}

/** max |a − b| / max |b|: the relative error of the tests. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return err / scale;
}
