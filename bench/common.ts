/**
 * Shared pieces of the benchmarks: timing (median of timed runs after warm-up), tables, command-line
 * options, and one-node ONNX models for onnxruntime-node, the peer every CPU benchmark races in the same
 * run. Benchmarks print tables; they assert nothing.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';

/** Median wall time in milliseconds of `fn` over `runs` runs after `warmup` untimed ones. */
export async function medianMs(fn: () => unknown | Promise<unknown>, runs: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Runs a benchmark of about `targetMs` at most: the number of runs from a first timed run. */
export async function timeAdaptive(fn: () => unknown | Promise<unknown>, targetMs = 1500, maxRuns = 50): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  const runs = Math.max(3, Math.min(maxRuns, Math.floor(targetMs / Math.max(first, 1e-3))));
  return medianMs(fn, runs, 1);
}

/** Prints rows as an aligned table with a title line. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** `--name value` from the command line, or `fallback`. */
export function option(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** A number with `digits` decimals. */
export const fmt = (x: number, digits = 2): string => x.toFixed(digits);

/** Shape of a graph input or output: numbers, or one name for a symbolic axis. */
type Dims = readonly (number | string)[];

function valueInfo(name: string, dims: Dims): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

/** One ONNX node with float inputs fed at run time (no initializers): the peer's kernel, timed alone. */
export interface OneNodeModel {
  opType: string;
  inputs: { name: string; dims: Dims }[];
  output: { name: string; dims: Dims };
  attributes?: onnx.IAttributeProto[];
  opset?: number;
}

/** Serialised ONNX model of one node. */
export function oneNodeModel(m: OneNodeModel): Uint8Array {
  const node = onnx.NodeProto.create({
    opType: m.opType,
    input: m.inputs.map((i) => i.name),
    output: [m.output.name],
    attribute: m.attributes ?? [],
  });
  const graph = onnx.GraphProto.create({
    name: m.opType,
    node: [node],
    input: m.inputs.map((i) => valueInfo(i.name, i.dims)),
    output: [valueInfo(m.output.name, m.output.dims)],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: m.opset ?? 17 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/** An integer-list attribute. */
export const intsAttr = (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

/** An integer attribute. */
export const intAttr = (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

/** An onnxruntime-node session on the CPU with `threads` intra-op threads (sequential execution). */
export function ortSession(model: Uint8Array, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

/** A float32 onnxruntime tensor. */
export const ortTensor = (data: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', data, dims);
