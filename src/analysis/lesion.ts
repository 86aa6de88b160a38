/**
 * Residual networks behave like ensembles of relatively shallow networks (Veit, Wilber & Belongie,
 * "Residual networks behave like ensembles of relatively shallow networks", NeurIPS 2016).
 *
 * - {@link lesion}: the accuracy after deleting each block in turn, and k blocks at random, at test time
 *   and without retraining. Deleting a residual block leaves its shortcut (the identity, or the
 *   projection of a downsampling block): only the paths through that block are lost, and accuracy drops
 *   smoothly. Deleting a block of a plain network (possible only where it keeps the shape; the input
 *   then passes straight through) breaks the only path, and accuracy collapses to chance.
 * - {@link pathCount}, {@link pathLengthDistribution}: the unravelled view. Each of n residual blocks is
 *   either entered or skipped, so there are 2ⁿ paths, and the number of blocks a path enters is
 *   Binomial(n, ½): most paths have about n/2 blocks.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator } from '../random';
import { rand } from '../ops/creation';
import { noGrad } from '../autograd';
import { crossEntropy } from '../ops/loss';
import { Module } from '../nn/module';
import { BasicBlock, Bottleneck } from '../models/resnet';
import { checkModule } from './weights';
import { LandscapeData, LossFn, batchesOf, evaluateLoss } from './landscape';

/** Options of {@link lesion}. */
export interface LesionOptions {
  /**
   * The blocks to delete, by module path (`layer2.1`). Default: every `BasicBlock` and `Bottleneck` whose
   * output has its input's shape (the paper's choice; a probe pass on the first batch finds them).
   */
  blocks?: readonly string[];
  /**
   * What a deleted block computes from its input. Default: the block's shortcut (its `downsample`
   * module when it has one) for a residual block, the identity for a block with `plain` set or none.
   */
  bypass?: (block: Module, input: Tensor) => Tensor;
  /** Numbers of blocks to delete together at random. Default none. */
  k?: readonly number[];
  /** Random subsets per k. Default 10. */
  trials?: number;
  /** Loss (default cross-entropy). */
  lossFn?: LossFn;
  /** Stream of the random subsets. */
  generator?: Generator;
  /** Called after every evaluation. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** One block deleted. */
export interface LesionRow {
  /** The block's module path. */
  block: string;
  /** Accuracy without it. */
  accuracy: number;
  /** Loss without it. */
  loss: number;
}

/** k blocks deleted at random. */
export interface LesionGroup {
  /** Blocks deleted together. */
  k: number;
  /** Accuracy of each trial. */
  accuracies: number[];
  /** Mean accuracy over the trials. */
  mean: number;
  /** Standard deviation over the trials. */
  std: number;
}

/** The result of {@link lesion}. */
export interface LesionResult {
  /** Accuracy of the intact model. */
  baseline: number;
  /** Loss of the intact model. */
  baselineLoss: number;
  /** The blocks considered, in forward order. */
  blocks: string[];
  /** Each block deleted alone. */
  single: LesionRow[];
  /** Random deletions, one group per entry of `options.k`. */
  random: LesionGroup[];
}

/** The default bypass: the shortcut of a residual block, the identity otherwise. */
export function shortcutOf(block: Module, input: Tensor): Tensor {
  const b = block as Module & { plain?: boolean; downsample?: Module | null };
  if (b.plain !== true && b.downsample instanceof Module) return b.downsample.call(input) as Tensor;
  return input;
}

/** @internal The candidate blocks in forward order whose output keeps the input's shape. */
function shapeKeepingBlocks(model: Module, x: Tensor): string[] {
  const order: string[] = [];
  const handles = model.namedModules()
    .filter(([, mod]) => mod instanceof BasicBlock || mod instanceof Bottleneck)
    .map(([name, mod]) => mod.registerForwardHook((_m, inputs, output) => {
      const input = inputs[0] as Tensor;
      if (output instanceof Tensor && input instanceof Tensor && fmtShape(output.shape) === fmtShape(input.shape)) order.push(name);
    }));
  try {
    noGrad(() => (model.call(x) as Tensor).dispose());
  } finally {
    for (const h of handles) h.remove();
  }
  return order;
}

/**
 * Deletes `blocks` of `model` (their forward replaced by `bypass`) while `fn` runs.
 * @internal
 */
async function withDeleted<T>(model: Module, blocks: readonly string[], bypass: (b: Module, x: Tensor) => Tensor, fn: () => Promise<T>): Promise<T> {
  const mods = blocks.map((p) => model.getSubmodule(p));
  for (const mod of mods) {
    Object.defineProperty(mod, 'forward', { value: (x: Tensor) => bypass(mod, x), configurable: true, writable: true });
  }
  try {
    return await fn();
  } finally {
    for (const mod of mods) delete (mod as { forward?: unknown }).forward;
  }
}

/** A random k-subset of 0..n−1, sorted (a partial Fisher–Yates shuffle on one draw of n uniforms). */
function randomSubset(n: number, k: number, generator?: Generator): number[] {
  const u = rand([n], { generator }).dataSync();
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(u[i] * (n - i)));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k).sort((a, b) => a - b);
}

/**
 * The lesion study of Veit et al. (see the module description) on `data` in evaluation mode: the intact
 * accuracy, each block deleted alone, and `k` blocks deleted at random (`trials` subsets each). Run it on
 * a residual network and on its plain twin (`plain: true` in the zoo's ResNets) to see the difference.
 * @example
 * const r = await analysis.lesion(model, [x, y], { k: [1, 2, 4, 8] });
 * console.log(r.baseline, r.single.map((s) => s.accuracy));
 */
export async function lesion(model: Module, data: LandscapeData, options: LesionOptions = {}): Promise<LesionResult> {
  const op = 'lesion';
  const m = checkModule(op, model);
  const batches = batchesOf(op, data);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const { bypass = shortcutOf, k = [], trials = 10, lossFn = crossEntropy, generator, onProgress } = options;
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`${op}: trials must be a positive integer, got ${trials}`);
  const wasTraining = m.training;
  m.eval();
  try {
    const blocks = options.blocks ? [...options.blocks] : shapeKeepingBlocks(m, batches[0][0]);
    for (const b of blocks) m.getSubmodule(b);
    if (blocks.length === 0) throw new RangeError(`${op}: the model has no residual blocks that keep their input's shape; name them with options.blocks`);
    for (const kk of k) {
      if (!Number.isInteger(kk) || kk < 1 || kk > blocks.length) throw new RangeError(`${op}: every k must be an integer from 1 to ${blocks.length} (the blocks), got ${kk}`);
    }
    const total = 1 + blocks.length + k.length * trials;
    let done = 0;
    const step = async (deleted: readonly string[]) => {
      const r = await withDeleted(m, deleted, bypass, () => evaluateLoss(m, lossFn, batches));
      onProgress?.({ done: ++done, total });
      if (r.accuracy === null) throw new TypeError(`${op}: the data must be labelled classification (output [N, classes], int32 targets [N])`);
      return { accuracy: r.accuracy, loss: r.loss };
    };
    const base = await step([]);
    const single: LesionRow[] = [];
    for (const b of blocks) single.push({ block: b, ...(await step([b])) });
    const random: LesionGroup[] = [];
    for (const kk of k) {
      const accuracies: number[] = [];
      for (let t = 0; t < trials; t++) accuracies.push((await step(randomSubset(blocks.length, kk, generator).map((i) => blocks[i]))).accuracy);
      const mean = accuracies.reduce((s, a) => s + a, 0) / trials;
      const std = Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / trials);
      random.push({ k: kk, accuracies, mean, std });
    }
    return { baseline: base.accuracy, baselineLoss: base.loss, blocks, single, random };
  } finally {
    m.train(wasTraining);
  }
}

function checkBlocks(op: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 1023) throw new RangeError(`${op}: n must be an integer from 0 to 1023, got ${n}`);
}

/**
 * The number of paths through `n` residual blocks in the unravelled view: 2ⁿ (exact as a double up to
 * n = 1023).
 * @example analysis.pathCount(54) // 2^54: ResNet-110 has 54 blocks
 */
export function pathCount(n: number): number {
  checkBlocks('pathCount', n);
  return 2 ** n;
}

/** One path length of {@link pathLengthDistribution}. */
export interface PathLength {
  /** Residual blocks the path goes through (0 to n). */
  length: number;
  /** Paths of that length: C(n, length). */
  count: number;
  /** Their fraction of all paths: C(n, length) / 2ⁿ. */
  fraction: number;
}

/**
 * How many of the 2ⁿ paths through `n` residual blocks enter each number of blocks: C(n, k) of length k,
 * Binomial(n, ½) as fractions. Counts are exact (integer arithmetic) and rounded to the nearest double
 * only at the end.
 * @example analysis.pathLengthDistribution(3).map((p) => p.count) // [1, 3, 3, 1]
 */
export function pathLengthDistribution(n: number): PathLength[] {
  checkBlocks('pathLengthDistribution', n);
  const out: PathLength[] = [];
  let c = 1n;
  for (let k = 0; k <= n; k++) {
    out.push({ length: k, count: Number(c), fraction: Number(c) / 2 ** n });
    c = (c * BigInt(n - k)) / BigInt(k + 1);
  }
  return out;
}
