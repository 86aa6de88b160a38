/**
 * ONNX export by tracing: the model runs once on a sample input in eval mode without autograd while the op
 * layer reports every kernel and view it runs; each becomes ONNX nodes through the export op table.
 * Parameters and buffers become initializers under their dotted names.
 * @module
 */
import { promises as fs } from 'fs';
import { Tensor } from '../../tensor';
import { Module } from '../../nn/module';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { traceOps } from '../../ops/util';
import { EXPORT_OPS, ExportContext } from './export-ops';
import { onnx, floatProto, int64Proto, tensorProto } from './schema';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** ONNX opset (13 to 21). Default 17. */
  opset?: number;
  /**
   * Make the batch axis symbolic (`N`) in the input and output, and write reshapes, resizes and
   * batch-sized constants so that the file runs for any batch size. Default true.
   */
  dynamicBatch?: boolean;
  /** Name of the graph input. Default `'input'`. */
  inputName?: string;
  /** Name of the graph output (suffixed `_1`, `_2`... when the model returns several). Default `'output'`. */
  outputName?: string;
  /** Graph name stored in the file. Default the model's class name. */
  graphName?: string;
}

/** What {@link exportOnnx} wrote. */
export interface ExportOnnxResult {
  /** The serialised `ModelProto`, as written to the file. */
  bytes: Uint8Array;
  /** Opset written. */
  opset: number;
  /** Number of nodes in the graph. */
  nodes: number;
  /** Node counts by ONNX op type. */
  opCounts: Record<string, number>;
  /** Names of the initializers (the parameters and buffers, by their dotted names, then constants). */
  initializers: string[];
  /** Graph input name. */
  input: string;
  /** Graph output names. */
  outputs: string[];
}

// Deterministic creations whose values are written as constants when an op uses them. Random draws are
// not among them: baking one sample into the file would silently change the model.
const KEEP_AS_DATA = new Set(['arange', 'eye']);

// The graph under construction, and the ExportContext the op rules see.
class GraphBuilder implements ExportContext {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Map<Tensor, string>();
  private readonly named = new Map<Tensor, string>();
  private readonly used = new Set<string>();
  private next = 0;

  constructor(
    readonly opset: number,
    private readonly dynamicBatch: boolean,
    private readonly batch: number,
    private readonly inputName: string,
    model: Module,
  ) {
    for (const [name, t] of [...model.namedParameters(), ...model.namedBuffers()]) {
      this.named.set(t, name);
      this.used.add(name);
    }
    this.used.add(inputName);
  }

  bind(t: Tensor, name: string): void {
    this.names.set(t, name);
  }

  input(t: Tensor | null | undefined): string {
    if (!t) return '';
    const known = this.names.get(t);
    if (known !== undefined) return known;
    const name = this.named.get(t) ?? this.unique('const');
    this.initializers.push(tensorProto(name, t));
    this.names.set(t, name);
    return name;
  }

  output(t: Tensor): string {
    const name = this.temp();
    this.names.set(t, name);
    return name;
  }

  temp(): string {
    return this.unique('v');
  }

  private unique(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.next++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: onnx.IAttributeProto[] = []): void {
    while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
    this.nodes.push({ opType, input: inputs, output: outputs, attribute: attrs, name: `${opType}_${this.nodes.length}` });
  }

  ints(values: readonly number[], dims?: readonly number[]): string {
    const name = this.unique('const');
    this.initializers.push(int64Proto(name, values, dims));
    return name;
  }

  floats(values: readonly number[], dims?: readonly number[]): string {
    const name = this.unique('const');
    this.initializers.push(floatProto(name, values, dims));
    return name;
  }

  shape(shape: readonly number[]): string {
    if (!this.dynamicBatch || shape.length === 0 || shape[0] !== this.batch) return this.ints(shape);
    const full = this.temp();
    const n = this.temp();
    this.node('Shape', [this.inputName], [full]);
    this.node('Slice', [full, this.ints([0]), this.ints([1])], [n]);
    if (shape.length === 1) return n;
    const out = this.temp();
    this.node('Concat', [n, this.ints(shape.slice(1))], [out], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]);
    return out;
  }
}

function valueInfo(name: string, shape: readonly number[], dynamicBatch: boolean): onnx.IValueInfoProto {
  const dim = shape.map((d, i) => (i === 0 && dynamicBatch ? { dimParam: 'N' } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

function outputsOf(result: unknown): Tensor[] {
  if (result instanceof Tensor) return [result];
  if (Array.isArray(result) && result.length > 0 && result.every((t) => t instanceof Tensor)) return result as Tensor[];
  throw new TypeError('exportOnnx: the model must return a Tensor or an array of Tensors');
}

/**
 * The ONNX file of `model` traced on `sampleInput`, in memory: {@link exportOnnx} without the writing.
 * @example const { bytes } = io.toOnnx(model, ds.randn([1, 3, 32, 32]));
 */
export function toOnnx(model: Module, sampleInput: Tensor, options: ExportOnnxOptions = {}): ExportOnnxResult {
  if (!(model instanceof Module)) throw new TypeError('exportOnnx: argument \'model\' must be an nn.Module');
  if (!(sampleInput instanceof Tensor)) throw new TypeError('exportOnnx: argument \'sampleInput\' must be a Tensor');
  if (sampleInput.dtype !== 'float32') throw new TypeError(`exportOnnx: 'sampleInput' must be float32, got ${sampleInput.dtype}`);
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) throw new RangeError(`exportOnnx: 'opset' must be an integer from 13 to 21, got ${opset}`);
  const dynamicBatch = options.dynamicBatch ?? true;
  if (dynamicBatch && sampleInput.ndim === 0) throw new RangeError('exportOnnx: a dynamic batch needs a sample input with a batch axis, got a 0-d tensor');
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const g = new GraphBuilder(opset, dynamicBatch, sampleInput.shape[0], inputName, model);
  g.bind(sampleInput, inputName);
  const unsupported = new Map<string, number>();
  const wasTraining = model.training;
  model.eval();
  let outputs: { name: string; shape: number[] }[] = [];
  try {
    noGrad(() =>
      tidy(() => {
        const result = traceOps(
          (op, inputs, outs, attrs) => {
            if (KEEP_AS_DATA.has(op)) return;
            const rule = EXPORT_OPS[op];
            if (!rule) unsupported.set(op, (unsupported.get(op) ?? 0) + 1);
            else if (unsupported.size === 0) rule(g, inputs, outs, attrs);
          },
          () => model.call(sampleInput),
        );
        if (unsupported.size) return;
        const outs = outputsOf(result);
        outputs = outs.map((t, i) => {
          const name = outs.length === 1 ? outputName : `${outputName}_${i + 1}`;
          g.node('Identity', [g.input(t)], [name]);
          return { name, shape: [...t.shape] };
        });
      }),
    );
  } finally {
    model.train(wasTraining);
  }
  if (unsupported.size) {
    const list = [...unsupported].map(([op, n]) => `${op} (${n}×)`).join(', ');
    throw new TypeError(`exportOnnx: ${model.constructor.name} runs ops that have no ONNX export rule: ${list}`);
  }
  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) opCounts[n.opType!] = (opCounts[n.opType!] ?? 0) + 1;
  const proto: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'deepscope',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: options.graphName ?? model.constructor.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, sampleInput.shape, dynamicBatch)],
      output: outputs.map((o) => valueInfo(o.name, o.shape, dynamicBatch)),
    },
  };
  return {
    bytes: onnx.ModelProto.encode(proto).finish(),
    opset,
    nodes: g.nodes.length,
    opCounts,
    initializers: g.initializers.map((t) => t.name!),
    input: inputName,
    outputs: outputs.map((o) => o.name),
  };
}

/**
 * Writes `model` as an ONNX file, traced on `sampleInput`: the model runs once in eval mode (restored
 * afterwards) and every op it runs becomes ONNX nodes. Parameters and buffers become initializers named
 * by their dotted names (`features.0.weight`, `bn1.running_mean`); tensors created during the forward
 * become constants. Ops without an ONNX equivalent are listed, with counts, in one TypeError.
 * Resolves to the bytes written and a summary.
 * @example
 * const model = models.resnet18({ numClasses: 10 });
 * const info = await io.exportOnnx(model, ds.randn([1, 3, 64, 64]), 'resnet18.onnx', { opset: 17 });
 * console.log(info.nodes, info.opCounts.Conv); // runs in onnxruntime with any batch size
 */
export async function exportOnnx(model: Module, sampleInput: Tensor, path: string, options: ExportOnnxOptions = {}): Promise<ExportOnnxResult> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`exportOnnx: argument 'path' must be a non-empty string, got ${JSON.stringify(path)}`);
  const result = toOnnx(model, sampleInput, options);
  await fs.writeFile(path, result.bytes);
  return result;
}
