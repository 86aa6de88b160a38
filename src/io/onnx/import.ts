/**
 * ONNX import: an {@link OnnxModule} holds the graph, its float initializers as parameters under their
 * ONNX names (batch-norm running statistics as buffers), and runs the nodes with our ops, so autograd and
 * training work on it.
 * @module
 */
import { promises as fs } from 'fs';
import { Tensor } from '../../tensor';
import { Module } from '../../nn/module';
import { IMPORT_OPS as BASE_OPS, ImportContext, ImportRule, Value, asTensor, protoValue } from './import-ops';
import { RNN_IMPORT_OPS } from './rnn';
import { onnx, attrsOf, int, isFloatProto, AttrValue } from './schema';

// Every import rule: the op table and the recurrent nodes (src/io/onnx/rnn.ts).
const IMPORT_OPS: Record<string, ImportRule> = { ...BASE_OPS, ...RNN_IMPORT_OPS };

/** Options of {@link importOnnx}. */
export interface ImportOnnxOptions {
  /** Whether the float initializers become trainable (`requiresGrad`). Default true. */
  trainable?: boolean;
}

// Holds the tensors of one dotted-name prefix (`features.0`), so that namedParameters() gives ONNX names.
class OnnxScope extends Module {}

interface Step {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
  where: string;
}

/**
 * A module running an ONNX graph (see {@link importOnnx}). `forward(x)` takes the graph's inputs in order
 * and returns its output (an array when the graph has several).
 */
export class OnnxModule extends Module {
  /** ONNX opset of the default domain. */
  readonly opset: number;
  /** Names of the graph inputs that `forward` takes, in order. */
  readonly inputNames: string[];
  /** Names of the graph outputs. */
  readonly outputNames: string[];
  /** Node counts by op type. */
  readonly opCounts: Record<string, number>;
  /**
   * Called with each node output as it is computed (`name`, `value`); set it to reach intermediate
   * activations (Grad-CAM, feature extraction). Null by default.
   */
  onValue: ((name: string, value: Tensor) => void) | null = null;
  private readonly steps: Step[];
  private readonly constants = new Map<string, Value>();
  private readonly slots = new Map<string, { owner: Module; leaf: string }>();

  /** Builds the module from a decoded `ModelProto` (use {@link importOnnx} to read a file). */
  constructor(model: onnx.IModelProto, options: ImportOnnxOptions = {}) {
    super();
    const graph = model.graph;
    if (!graph) throw new TypeError('importOnnx: the model has no graph');
    const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = opsetEntry ? int(opsetEntry.version as number) : 1;
    if (this.opset < 11) throw new RangeError(`importOnnx: opset ${this.opset} is not supported (opset 11 onwards)`);
    const nodes = graph.node ?? [];
    const unsupported = new Map<string, number>();
    for (const n of nodes) {
      const domain = n.domain ?? '';
      const key = domain && domain !== 'ai.onnx' ? `${domain}.${n.opType}` : n.opType ?? '';
      if (key !== n.opType || !IMPORT_OPS[key]) unsupported.set(key, (unsupported.get(key) ?? 0) + 1);
    }
    if (unsupported.size) {
      const list = [...unsupported].map(([op, c]) => `${op} (${c}×)`).join(', ');
      throw new TypeError(`importOnnx: the graph uses ops that are not supported: ${list}`);
    }
    const stats = new Set<string>();
    for (const n of nodes) if (n.opType === 'BatchNormalization') for (const i of [3, 4]) if (n.input?.[i]) stats.add(n.input[i]);
    const trainable = options.trainable ?? true;
    const initNames = new Set<string>();
    for (const init of graph.initializer ?? []) {
      const name = init.name ?? '';
      initNames.add(name);
      const value = protoValue(init, `initializer '${name}'`);
      if (value instanceof Tensor && isFloatProto(init)) this.adopt(name, value, stats.has(name) ? 'buffer' : 'parameter', trainable);
      else this.constants.set(name, value);
    }
    this.inputNames = (graph.input ?? []).map((i) => i.name ?? '').filter((n) => !initNames.has(n));
    this.outputNames = (graph.output ?? []).map((o) => o.name ?? '');
    this.opCounts = {};
    this.steps = [];
    nodes.forEach((n, i) => {
      this.opCounts[n.opType!] = (this.opCounts[n.opType!] ?? 0) + 1;
      const step = { opType: n.opType!, inputs: n.input ?? [], outputs: n.output ?? [], attrs: attrsOf(n), where: `node ${i} (${n.opType}${n.name ? ` '${n.name}'` : ''})` };
      if (step.opType !== 'Constant') return void this.steps.push(step);
      // Constants are evaluated once: float ones become buffers under their output name.
      const [value] = IMPORT_OPS.Constant({ opset: this.opset, training: false, where: step.where }, [], step.attrs, 1);
      if (value instanceof Tensor) this.adopt(step.outputs[0], value, 'buffer', false);
      else this.constants.set(step.outputs[0], value);
    });
  }

  // Registers `t` under its dotted ONNX name through a chain of scopes; a segment that Module cannot
  // take (empty, or clashing with a member or a sibling of another kind) gets trailing '_'.
  private adopt(name: string, t: Tensor, kind: 'parameter' | 'buffer', trainable: boolean): void {
    const parts = name.split('.');
    let owner: Module = this;
    for (const seg of parts.slice(0, -1)) {
      let s = seg || '_';
      while (s in owner && !owner._modules.has(s)) s += '_';
      if (!owner._modules.has(s)) owner.registerModule(s, new OnnxScope());
      owner = owner._modules.get(s)!;
    }
    let leaf = parts[parts.length - 1] || '_';
    while (leaf in owner) leaf += '_';
    if (kind === 'parameter') owner.registerParameter(leaf, t, { requiresGrad: trainable });
    else owner.registerBuffer(leaf, t);
    this.slots.set(name, { owner, leaf });
  }

  /** Runs the graph on its inputs, in the order of {@link OnnxModule.inputNames}. */
  override forward(...inputs: Tensor[]): Tensor | Tensor[] {
    if (inputs.length !== this.inputNames.length) {
      throw new TypeError(`OnnxModule.forward: the graph takes ${this.inputNames.length} input(s) (${this.inputNames.join(', ')}), got ${inputs.length}`);
    }
    const env = new Map<string, Value>(this.constants);
    // Looked up on each call: `to()` and assignments replace the registered tensors.
    for (const [name, { owner, leaf }] of this.slots) env.set(name, (owner._parameters.get(leaf) ?? owner._buffers.get(leaf))!);
    this.inputNames.forEach((n, i) => {
      if (!(inputs[i] instanceof Tensor)) throw new TypeError(`OnnxModule.forward: input '${n}' must be a Tensor`);
      env.set(n, inputs[i]);
    });
    for (const step of this.steps) {
      const ctx: ImportContext = { opset: this.opset, training: this.training, where: step.where };
      const args = step.inputs.map((n) => (n === '' ? undefined : env.get(n) ?? missing(step, n)));
      const outs = IMPORT_OPS[step.opType](ctx, args, step.attrs, step.outputs.length);
      step.outputs.forEach((n, i) => {
        if (n === '' || outs[i] === undefined) return;
        env.set(n, outs[i]);
        if (this.onValue && outs[i] instanceof Tensor) this.onValue(n, outs[i] as Tensor);
      });
    }
    const results = this.outputNames.map((n) => {
      const v = env.get(n) ?? missing(null, n);
      return asTensor({ opset: this.opset, training: this.training, where: `output '${n}'` }, v, n);
    });
    return results.length === 1 ? results[0] : results;
  }
}

function missing(step: Step | null, name: string): never {
  throw new RangeError(`importOnnx: ${step ? step.where : 'graph'}: value '${name}' is not computed by any earlier node`);
}

/**
 * Reads an ONNX model (opset 11 onwards) into a runnable, trainable {@link OnnxModule}. Float initializers
 * become parameters named by their ONNX names (`features.0.weight`), batch-norm running statistics
 * buffers; `forward` runs the nodes with deepscope's ops, so gradients flow to the parameters. Unsupported
 * ops are listed with counts in one TypeError.
 * @example
 * const model = await io.importOnnx('resnet18.onnx');
 * model.eval();
 * const logits = model.forward(ds.randn([4, 3, 64, 64])) as Tensor;
 * for (const [name, p] of model.namedParameters()) console.log(name, p.shape);
 */
export async function importOnnx(pathOrBytes: string | Uint8Array, options: ImportOnnxOptions = {}): Promise<OnnxModule> {
  let bytes: Uint8Array;
  if (typeof pathOrBytes === 'string') bytes = await fs.readFile(pathOrBytes);
  else if (pathOrBytes instanceof Uint8Array) bytes = pathOrBytes;
  else throw new TypeError(`importOnnx: argument 'pathOrBytes' must be a path or a Uint8Array, got ${typeof pathOrBytes}`);
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new TypeError(`importOnnx: not an ONNX model (${(e as Error).message})`);
  }
  return new OnnxModule(proto, options);
}
