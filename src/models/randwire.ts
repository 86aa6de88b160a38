/**
 * Randomly wired neural networks (Xie, Kirillov, Girshick & He, "Exploring randomly wired neural networks
 * for image recognition", ICCV 2019).
 *
 * A random undirected graph from a classical generator — Erdős–Rényi ER(P), Barabási–Albert BA(M) or
 * Watts–Strogatz WS(K, P), all seeded and reproducible ({@link erdosRenyi}, {@link barabasiAlbert},
 * {@link wattsStrogatz}) — becomes a DAG by directing every edge from the smaller node index to the
 * larger ({@link toDAG}). Each node aggregates its inputs by a weighted sum with positive weights
 * σ(w_i) (learnable, one per incoming edge), then applies ReLU → separable 3×3 convolution (depthwise 3×3
 * + pointwise 1×1) → batch norm ({@link RandWireNode}). The nodes without predecessors (the graph's input
 * nodes) all read the stage's input, with stride 2; the stage's output is the unweighted mean of the nodes
 * without successors ({@link RandWireStage}).
 *
 * The networks follow the paper's Table 1, N = 32 nodes per graph:
 *
 * | stage | small regime | regular regime |
 * | --- | --- | --- |
 * | conv1 | 3×3 conv, C/2, stride 2 (conv-BN) | 3×3 conv, C/2, stride 2 (conv-BN) |
 * | conv2 | 3×3 conv, C, stride 2 (ReLU-conv-BN) | random wiring, N/2 nodes, C |
 * | conv3 | random wiring, N nodes, C | random wiring, N, 2C |
 * | conv4 | random wiring, N, 2C | random wiring, N, 4C |
 * | conv5 | random wiring, N, 4C | random wiring, N, 8C |
 * | classifier | ReLU-1×1 conv 1280-BN-ReLU, global average pool, fc | same |
 *
 * Each random stage draws its own graph (seed, seed+1, ...). For the small regime with WS(4, 0.75) and
 * C = 78 at 224×224, the paper reports 5.6 M parameters and 583 M FLOPs (multiply-adds); this
 * implementation's counts for seed 0 are in the docs and the tests ({@link countMultiplyAdds}).
 * @module
 */
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { zeros } from '../ops/creation';
import { add, mul, relu, sigmoid } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { crossEntropy } from '../ops/loss';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { randn } from '../ops/creation';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { ReLU } from '../nn/layers/activation';
import { BatchNorm2d } from '../nn/layers/normalization';
import { Sequential, ModuleList } from '../nn/layers/container';
import type { Classifier } from './lenet';

/** An undirected graph on nodes 0..nodes−1; every edge is stored as `[i, j]` with i < j. */
export interface Graph {
  /** Number of nodes. */
  nodes: number;
  /** The edges, `[i, j]` with i < j, without duplicates. */
  edges: [number, number][];
}

// mulberry32: a small seeded PRNG, so that graphs do not depend on the tensor library's generator.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalise(n: number, set: Set<string>): Graph {
  const edges = [...set].map((s) => s.split(',').map(Number) as [number, number]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { nodes: n, edges };
}

const key = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);

function checkNodes(op: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${op}: nodes must be an integer >= ${min}, got ${n}`);
}

/** Erdős–Rényi ER(P): each of the n(n−1)/2 pairs is an edge with probability `p`, independently. */
export function erdosRenyi(nodes: number, p: number, seed = 0): Graph {
  checkNodes('erdosRenyi', nodes, 1);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`erdosRenyi: p must be in [0, 1], got ${p}`);
  const r = prng(seed);
  const set = new Set<string>();
  for (let i = 0; i < nodes; i++) for (let j = i + 1; j < nodes; j++) if (r() < p) set.add(key(i, j));
  return normalise(nodes, set);
}

/**
 * Barabási–Albert BA(M): starts from M nodes without edges; each further node is connected to M distinct
 * existing nodes, chosen with probability proportional to their degree (the first new node connects to all
 * M initial ones). M·(n − M) edges.
 */
export function barabasiAlbert(nodes: number, m: number, seed = 0): Graph {
  checkNodes('barabasiAlbert', nodes, 2);
  if (!Number.isInteger(m) || m < 1 || m >= nodes) throw new RangeError(`barabasiAlbert: m must be an integer in [1, nodes), got ${m}`);
  const r = prng(seed);
  const set = new Set<string>();
  const repeated: number[] = [];
  let targets = Array.from({ length: m }, (_, i) => i);
  for (let source = m; source < nodes; source++) {
    for (const t of targets) set.add(key(source, t));
    repeated.push(...targets);
    for (let i = 0; i < m; i++) repeated.push(source);
    const chosen = new Set<number>();
    while (chosen.size < m && source + 1 < nodes) chosen.add(repeated[Math.floor(r() * repeated.length)]);
    targets = [...chosen];
  }
  return normalise(nodes, set);
}

/**
 * Watts–Strogatz WS(K, P): a ring where each node is joined to its K/2 neighbours on each side; then, for
 * each offset j = 1..K/2 and each node u in order, the edge (u, u+j) is rewired with probability P to
 * (u, w), w uniform among the nodes that are not u and not already u's neighbours. n·K/2 edges.
 */
export function wattsStrogatz(nodes: number, k: number, p: number, seed = 0): Graph {
  checkNodes('wattsStrogatz', nodes, 3);
  if (!Number.isInteger(k) || k < 2 || k % 2 !== 0 || k >= nodes) throw new RangeError(`wattsStrogatz: k must be an even integer in [2, nodes), got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`wattsStrogatz: p must be in [0, 1], got ${p}`);
  const r = prng(seed);
  const adj = Array.from({ length: nodes }, () => new Set<number>());
  const link = (a: number, b: number) => (adj[a].add(b), adj[b].add(a));
  const unlink = (a: number, b: number) => (adj[a].delete(b), adj[b].delete(a));
  for (let u = 0; u < nodes; u++) for (let j = 1; j <= k / 2; j++) link(u, (u + j) % nodes);
  for (let j = 1; j <= k / 2; j++) {
    for (let u = 0; u < nodes; u++) {
      const v = (u + j) % nodes;
      if (!adj[u].has(v) || r() >= p) continue;
      if (adj[u].size >= nodes - 1) continue; // u is connected to everyone: nothing to rewire to
      let w: number;
      do w = Math.floor(r() * nodes);
      while (w === u || adj[u].has(w));
      unlink(u, v);
      link(u, w);
    }
  }
  const set = new Set<string>();
  adj.forEach((s, a) => s.forEach((b) => set.add(key(a, b))));
  return normalise(nodes, set);
}

/** A DAG from {@link toDAG}: predecessors per node, and the input and output nodes. */
export interface DAG {
  /** Number of nodes; node indices are a topological order. */
  nodes: number;
  /** The directed edges `[from, to]`, from < to. */
  edges: [number, number][];
  /** Predecessors of each node, ascending. */
  predecessors: number[][];
  /** Nodes without predecessors (they read the stage input). */
  inputNodes: number[];
  /** Nodes without successors (their mean is the stage output). */
  outputNodes: number[];
}

/** Directs every edge from the smaller index to the larger: acyclic by construction. */
export function toDAG(g: Graph): DAG {
  const predecessors = Array.from({ length: g.nodes }, () => [] as number[]);
  const hasSucc = new Array<boolean>(g.nodes).fill(false);
  const edges = g.edges.map(([a, b]) => (a < b ? [a, b] : [b, a]) as [number, number]);
  for (const [a, b] of edges) {
    predecessors[b].push(a);
    hasSucc[a] = true;
  }
  predecessors.forEach((p) => p.sort((x, y) => x - y));
  const all = Array.from({ length: g.nodes }, (_, i) => i);
  return {
    nodes: g.nodes,
    edges,
    predecessors,
    inputNodes: all.filter((i) => predecessors[i].length === 0),
    outputNodes: all.filter((i) => !hasSucc[i]),
  };
}

/** A graph generator and its parameters. */
export type GraphSpec =
  | {
      /** Watts–Strogatz. */ type: 'ws';
      /** Ring neighbours (even). */ k: number;
      /** Rewiring probability. */ p: number;
    }
  | {
      /** Erdős–Rényi. */ type: 'er';
      /** Edge probability. */ p: number;
    }
  | {
      /** Barabási–Albert. */ type: 'ba';
      /** Edges per new node. */ m: number;
    };

/** Draws a graph of `nodes` nodes from `spec` with `seed`. */
export function generateGraph(spec: GraphSpec, nodes: number, seed: number): Graph {
  switch (spec.type) {
    case 'ws': return wattsStrogatz(nodes, spec.k, spec.p, seed);
    case 'er': return erdosRenyi(nodes, spec.p, seed);
    case 'ba': return barabasiAlbert(nodes, spec.m, seed);
  }
  throw new TypeError(`generateGraph: unknown generator ${JSON.stringify((spec as { type: unknown }).type)}`);
}

/** Depthwise 3×3 (`stride`) then pointwise 1×1, both without bias. */
export class SeparableConv2d extends Sequential {
  /** The depthwise 3×3 convolution (groups = inChannels). */
  get depthwise(): Conv2d {
    return this._modules.get('depthwise') as Conv2d;
  }
  /** The pointwise 1×1 convolution. */
  get pointwise(): Conv2d {
    return this._modules.get('pointwise') as Conv2d;
  }
  /** `inChannels` → `outChannels`. */
  constructor(inChannels: number, outChannels: number, options: { stride?: number; generator?: Generator } = {}) {
    const { stride = 1, generator } = options;
    super({
      depthwise: new Conv2d(inChannels, inChannels, 3, { stride, padding: 1, groups: inChannels, bias: false, generator }),
      pointwise: new Conv2d(inChannels, outChannels, 1, { bias: false, generator }),
    });
  }
}

/** A node: Σ σ(w_i)·x_i over its inputs (`weight`, one per input; absent for one input), ReLU, separable conv, BN. */
export class RandWireNode extends Module {
  /** Aggregation weights before the sigmoid (zeros: σ = 0.5), or null for a single input. */
  declare weight: Tensor | null;
  /** The separable 3×3 convolution. */
  declare conv: SeparableConv2d;
  /** The batch norm. */
  declare bn: BatchNorm2d;

  /** A node with `numInputs` inputs of `inChannels`, `outChannels` outputs, convolution stride `stride`. */
  constructor(
    /** Number of inputs aggregated. */ readonly numInputs: number,
    inChannels: number,
    outChannels: number,
    options: { stride?: number; generator?: Generator } = {},
  ) {
    super();
    this.registerParameter('weight', numInputs > 1 ? zeros([numInputs]) : null);
    this.registerModule('conv', new SeparableConv2d(inChannels, outChannels, options));
    this.registerModule('bn', new BatchNorm2d(outChannels));
  }

  /** Aggregates `inputs` (numInputs tensors of one shape) and transforms. */
  override forward(inputs: Tensor[]): Tensor {
    let h: Tensor;
    if (inputs.length === 1) h = inputs[0];
    else {
      const s = sigmoid(this.weight!);
      h = mul(inputs[0], s.slice(0, 0, 1));
      for (let i = 1; i < inputs.length; i++) h = add(h, mul(inputs[i], s.slice(0, i, i + 1)));
    }
    return this.bn.call(this.conv.call(relu(h)));
  }
}

/** A randomly wired stage: one {@link RandWireNode} per graph node (`nodes.<i>`), wired by the DAG. */
export class RandWireStage extends Module {
  /** The node modules, in index (topological) order. */
  declare nodes: ModuleList;
  /** The wiring. */
  readonly dag: DAG;

  /** A stage on `graph`, `inChannels` → `outChannels`, halving the resolution at its input nodes. */
  constructor(graph: Graph, inChannels: number, outChannels: number, options: { generator?: Generator } = {}) {
    super();
    this.dag = toDAG(graph);
    const mods = this.dag.predecessors.map((p) =>
      p.length === 0
        ? new RandWireNode(1, inChannels, outChannels, { stride: 2, generator: options.generator })
        : new RandWireNode(p.length, outChannels, outChannels, { generator: options.generator }),
    );
    this.registerModule('nodes', new ModuleList(mods));
  }

  /** [N, Cin, H, W] → [N, Cout, H/2, W/2]. */
  override forward(x: Tensor): Tensor {
    const mods = this.nodes.children() as RandWireNode[];
    const outs: Tensor[] = [];
    this.dag.predecessors.forEach((p, i) => {
      outs.push(mods[i].call(p.length === 0 ? [x] : p.map((j) => outs[j])));
    });
    const sinks = this.dag.outputNodes;
    let y = outs[sinks[0]];
    for (let i = 1; i < sinks.length; i++) y = add(y, outs[sinks[i]]);
    return sinks.length > 1 ? mul(y, 1 / sinks.length) : y;
  }
}

/** Options of {@link randwire}. */
export interface RandWireOptions {
  /** `'small'` (default) or `'regular'` (Table 1 of the paper). */
  regime?: 'small' | 'regular';
  /** The channel count C. Default 78 (small) or 109 (regular). */
  channels?: number;
  /** Nodes N per graph (the regular regime's first random stage gets N/2). Default 32. */
  nodes?: number;
  /** Graph generator. Default WS(4, 0.75). */
  graph?: GraphSpec;
  /** Seed of the first stage's graph (the next stages use seed+1, ...). Default 0. */
  seed?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Classes. Default 1000. */
  numClasses?: number;
  /** Width of the 1×1 convolution before pooling. Default 1280. */
  headChannels?: number;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/** A randomly wired network: `conv1`, `conv2`, ..., `conv5`, `classifier` (1×1 conv head), `fc`. */
export class RandWireNet extends Module implements Classifier {
  /** conv-BN, stride 2. */
  declare conv1: Sequential;
  /** ReLU-conv-BN (small) or a random stage (regular). */
  declare conv2: Module;
  /** Random stage. */
  declare conv3: RandWireStage;
  /** Random stage. */
  declare conv4: RandWireStage;
  /** Random stage. */
  declare conv5: RandWireStage;
  /** ReLU → 1×1 conv → BN → ReLU. */
  declare classifier: Sequential;
  /** The final linear layer after global average pooling. */
  declare fc: Linear;
  /** The graphs drawn for the random stages, in stage order. */
  readonly graphs: Graph[];

  /** Builds the network; see {@link RandWireOptions}. */
  constructor(options: RandWireOptions = {}) {
    super();
    const regime = options.regime ?? 'small';
    const c = options.channels ?? (regime === 'small' ? 78 : 109);
    const n = options.nodes ?? 32;
    const spec = options.graph ?? { type: 'ws', k: 4, p: 0.75 };
    const seed = options.seed ?? 0;
    const generator = options.generator;
    const half = Math.floor(c / 2);
    this.graphs = [];
    const stage = (nodes: number, cin: number, cout: number) => {
      const g = generateGraph(spec, nodes, seed + this.graphs.length);
      this.graphs.push(g);
      return new RandWireStage(g, cin, cout, { generator });
    };
    this.registerModule('conv1', new Sequential(new Conv2d(options.inChannels ?? 3, half, 3, { stride: 2, padding: 1, bias: false, generator }), new BatchNorm2d(half)));
    let out: number;
    if (regime === 'small') {
      this.registerModule('conv2', new Sequential(new ReLU(), new Conv2d(half, c, 3, { stride: 2, padding: 1, bias: false, generator }), new BatchNorm2d(c)));
      this.registerModule('conv3', stage(n, c, c));
      this.registerModule('conv4', stage(n, c, 2 * c));
      this.registerModule('conv5', stage(n, 2 * c, 4 * c));
      out = 4 * c;
    } else {
      this.registerModule('conv2', stage(Math.floor(n / 2), half, c));
      this.registerModule('conv3', stage(n, c, 2 * c));
      this.registerModule('conv4', stage(n, 2 * c, 4 * c));
      this.registerModule('conv5', stage(n, 4 * c, 8 * c));
      out = 8 * c;
    }
    const head = options.headChannels ?? 1280;
    this.registerModule('classifier', new Sequential(new ReLU(), new Conv2d(out, head, 1, { bias: false, generator }), new BatchNorm2d(head), new ReLU()));
    this.registerModule('fc', new Linear(head, options.numClasses ?? 1000, { generator }));
  }

  /** [N, C, H, W] → [N, classes] logits (224×224 in the paper; any size ≥ 32 works). */
  override forward(x: Tensor): Tensor {
    let h = this.conv1.call(x);
    for (const s of [this.conv2, this.conv3, this.conv4, this.conv5]) h = s.call(h);
    return this.fc.call(this.classifier.call(h).mean([2, 3]));
  }

  /** Softmax cross-entropy on the logits. */
  loss(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target);
  }

  /** The class of the largest logit. */
  predict(output: Tensor): Tensor {
    return argmax(output, 1);
  }
}

/**
 * A randomly wired network (small regime, WS(4, 0.75), C = 78 by default).
 * @example const net = models.randwire({ regime: 'small', graph: { type: 'ws', k: 4, p: 0.75 }, seed: 0 });
 */
export function randwire(options: RandWireOptions = {}): RandWireNet {
  return new RandWireNet(options);
}

/**
 * Multiply-adds of one forward pass of `model` on a random normal input of `inputShape`, counted
 * per layer: a convolution costs (output elements)·(input channels per group)·k_h·k_w, a linear layer
 * in·out per row. Other layers (BN, ReLU, pooling, the weighted sums) are not counted, as in the papers'
 * FLOP figures.
 * @example countMultiplyAdds(models.randwire(), [1, 3, 224, 224])
 */
export function countMultiplyAdds(model: Module, inputShape: readonly number[]): number {
  let total = 0;
  const handles = model.modules().flatMap((m) => {
    if (m instanceof Conv2d) {
      return [m.registerForwardHook((_mod, _in, out: Tensor) => {
        const w = m.weight.shape;
        total += out.size * w[1] * w[2] * w[3];
      })];
    }
    if (m instanceof Linear) {
      return [m.registerForwardHook((_mod, _in, out: Tensor) => {
        total += (out.size / m.weight.shape[0]) * m.weight.size;
      })];
    }
    return [];
  });
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => tidy(() => { model.call(randn([...inputShape])); }));
  } finally {
    handles.forEach((h) => h.remove());
    if (wasTraining) model.train();
  }
  return total;
}
