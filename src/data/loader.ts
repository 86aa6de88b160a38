/**
 * The {@link DataLoader}: batches of a {@link Dataset}, optionally shuffled with a seeded generator,
 * iterated synchronously or asynchronously, with optional prefetch.
 * @module
 */
import { Tensor } from '../tensor';
import { tidy, untrack, track, dispose } from '../memory';
import { Generator, defaultGenerator } from '../random';
import { rand, tensor } from '../ops/creation';
import { stack } from '../ops/indexing';
import { Batch, Dataset, Sample, SampleValue } from './dataset';

function permutationFromDraws(u: ArrayLike<number>): Int32Array {
  const n = u.length;
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function checkPermArgs(op: string, n: number, generator: Generator | undefined): Generator {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${op}: n must be a non-negative integer, got ${n}`);
  const g = generator ?? defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError(`${op}: 'generator' must be a Generator`);
  return g;
}

/**
 * A random permutation of 0..n-1 as an Int32Array: a Fisher–Yates shuffle driven by `rand([n])` of the
 * generator (the global one by default): for i = n-1 down to 1, swap entries i and ⌊u[i]·(i+1)⌋. Draws
 * are counter-based, so a generator with the same seed gives the same permutation on every machine, and
 * each call advances the generator (the next call gives another permutation). Blocks until the draws
 * are computed; see {@link randpermAsync}.
 * @example randperm(5, new Generator(0)) // the same 5 indices on every run
 */
export function randperm(n: number, generator?: Generator): Int32Array {
  const g = checkPermArgs('randperm', n, generator);
  if (n === 0) return new Int32Array(0);
  const u = rand([n], { generator: g });
  try {
    return permutationFromDraws(u.dataSync());
  } finally {
    u.dispose();
  }
}

/** {@link randperm} without blocking the event loop: the same permutation, as a promise. */
export async function randpermAsync(n: number, generator?: Generator): Promise<Int32Array> {
  const g = checkPermArgs('randpermAsync', n, generator);
  if (n === 0) return new Int32Array(0);
  const u = rand([n], { generator: g });
  try {
    return permutationFromDraws(await u.data());
  } finally {
    u.dispose();
  }
}

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T extends Sample = Sample> {
  /** Samples per batch. Default 1. */
  batchSize?: number;
  /** Visit the samples in a new random order each epoch. Default false (dataset order). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * The generator behind the shuffles (the global one, see `manualSeed`, by default). Each epoch draws a
   * new permutation from it, so `new Generator(seed)` makes the whole sequence of epochs reproducible.
   */
  generator?: Generator;
  /**
   * Batches to prepare ahead of the one being used. Default 0. With async iteration and a dataset whose
   * `get` is async (files), the next batches load while the current one trains; for tensors in memory the
   * gathers are queued on the device stream early. The batches are the same with or without prefetch.
   */
  prefetch?: number;
  /** Turns a list of samples into a batch; by default {@link defaultCollate}. */
  collate?: (samples: T[]) => Batch<T>;
}

function isSampleValue(x: unknown): x is SampleValue {
  return x instanceof Tensor || typeof x === 'number' || x instanceof Float32Array || x instanceof Int32Array;
}

function collateField(values: unknown[], where: string): Tensor {
  const first = values[0];
  if (first instanceof Tensor) {
    values.forEach((v, i) => {
      if (!(v instanceof Tensor)) throw new TypeError(`collate: sample ${i}${where} is not a Tensor like sample 0`);
    });
    return stack(values as Tensor[]);
  }
  if (typeof first === 'number') {
    const data = new Float32Array(values.length);
    values.forEach((v, i) => {
      if (typeof v !== 'number') throw new TypeError(`collate: sample ${i}${where} is not a number like sample 0`);
      data[i] = v;
    });
    return tensor(data, [values.length]);
  }
  if (first instanceof Float32Array || first instanceof Int32Array) {
    const len = first.length;
    const Ctor = first instanceof Int32Array ? Int32Array : Float32Array;
    const data = new Ctor(values.length * len);
    values.forEach((v, i) => {
      if (!(v instanceof Ctor) || v.length !== len) {
        throw new RangeError(`collate: sample ${i}${where} is not a ${Ctor.name} of length ${len} like sample 0`);
      }
      data.set(v, i * len);
    });
    return tensor(data, [values.length, len], { dtype: Ctor === Int32Array ? 'int32' : 'float32' });
  }
  throw new TypeError(`collate: sample 0${where} is ${first === null ? 'null' : typeof first}; expected a Tensor, a number or a typed array`);
}

/**
 * Stacks samples into a batch, as PyTorch's `default_collate`: tensors are stacked along a new first axis
 * (same shapes required), numbers become a float32 tensor [B], typed arrays a [B, length] tensor of their
 * type (Int32Array gives int32); tuples and objects are collated field by field. For int32 class labels
 * from a custom dataset, return them as 0-d int32 tensors or Int32Arrays of length 1, or pass a `collate`.
 * @example defaultCollate([[x0, 3], [x1, 5]]) // [stack([x0, x1]), tensor([3, 5])]
 */
export function defaultCollate<T extends Sample>(samples: T[]): Batch<T> {
  if (!Array.isArray(samples) || samples.length === 0) throw new RangeError('collate: needs at least one sample');
  const first = samples[0] as unknown;
  if (isSampleValue(first)) return collateField(samples, '') as Batch<T>;
  if (Array.isArray(first)) {
    const k = first.length;
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== k) throw new TypeError(`collate: sample ${i} is not a tuple of ${k} values like sample 0`);
    });
    const out: Tensor[] = [];
    for (let f = 0; f < k; f++) out.push(collateField(samples.map((s) => (s as unknown[])[f]), `[${f}]`));
    return out as Batch<T>;
  }
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, Tensor> = {};
    for (const key of Object.keys(first)) {
      out[key] = collateField(samples.map((s) => (s as Record<string, unknown>)[key]), `.${key}`);
    }
    return out as Batch<T>;
  }
  throw new TypeError(`collate: sample 0 is ${first === null ? 'null' : typeof first}; expected a Tensor, a number, a typed array, a tuple or an object`);
}

function tensorsOf(x: unknown): Tensor[] {
  if (x instanceof Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap(tensorsOf);
  if (typeof x === 'object' && x !== null) return Object.values(x).flatMap(tensorsOf);
  return [];
}

// A prepared batch belongs to no tidy scope until it is handed out: a scope that closes between preparing
// (prefetch) and handing out must not dispose it.
function detach<B>(b: B): B {
  for (const t of tensorsOf(b)) untrack(t);
  return b;
}

// Handing out: the batch joins the scope active where the loop runs, as if it were created there.
function adopt<B>(b: B): B {
  for (const t of tensorsOf(b)) {
    untrack(t);
    track(t);
  }
  return b;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as PromiseLike<unknown>).then === 'function';
}

/**
 * Batches of a {@link Dataset}, as PyTorch's `DataLoader` (single process). Each pass (epoch) visits every
 * sample once, in dataset order or, with `shuffle`, in a new seeded permutation (see {@link randperm}).
 *
 * Iterate with `for await` (never blocks the event loop; allows datasets whose `get` is async) or with a
 * plain `for ... of` (blocks while drawing the permutation; `get` must be synchronous). A
 * {@link TensorDataset} (or any dataset with `getBatch`) is batched with one native gather per tensor;
 * other datasets are read sample by sample and stacked by `collate`.
 *
 * **Memory:** batches are ordinary tensors owned by the caller. They join the `tidy` scope active where the
 * loop runs; dispose each when done (`dispose(batch)`), or run the whole loop inside a `tidy`. Tensors that
 * a dataset's `get` creates are freed once stacked. Breaking out of a loop frees prefetched batches.
 *
 * @example
 * const { train } = data.mnist();
 * const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, generator: new Generator(1) });
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for await (const batch of loader) {
 *     const [x, y] = batch;
 *     await tidy(async () => { const loss = crossEntropy(model(x), y); ... });
 *     dispose(batch);
 *   }
 * }
 */
export class DataLoader<T extends Sample = Tensor[]> {
  /** The dataset read. */
  readonly dataset: Dataset<T>;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  /** Whether a last, smaller batch is dropped. */
  readonly dropLast: boolean;
  /** Batches prepared ahead. */
  readonly prefetch: number;
  /** The generator behind the shuffles. */
  readonly generator: Generator;
  private readonly collate: (samples: T[]) => Batch<T>;

  /**
   * @param dataset the samples
   * @param options batch size, shuffling, dropLast, generator, prefetch and collate
   */
  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T> = {}) {
    if (typeof dataset !== 'object' || dataset === null || typeof dataset.get !== 'function' || !Number.isInteger(dataset.length)) {
      throw new TypeError('DataLoader: dataset must have an integer length and a get(index) method');
    }
    if (typeof options !== 'object' || options === null) throw new TypeError('DataLoader: options must be an object');
    const { batchSize = 1, shuffle = false, dropLast = false, prefetch = 0, generator = defaultGenerator, collate = defaultCollate } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new RangeError(`DataLoader: prefetch must be a non-negative integer, got ${prefetch}`);
    if (!(generator instanceof Generator)) throw new TypeError(`DataLoader: 'generator' must be a Generator`);
    if (typeof collate !== 'function') throw new TypeError(`DataLoader: 'collate' must be a function`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = Boolean(shuffle);
    this.dropLast = Boolean(dropLast);
    this.prefetch = prefetch;
    this.generator = generator;
    this.collate = collate;
  }

  /** Number of batches per epoch: ⌈length / batchSize⌉, or ⌊length / batchSize⌋ with `dropLast`. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private batchIndices(order: Int32Array | null, b: number): Int32Array {
    const start = b * this.batchSize;
    const end = Math.min(start + this.batchSize, this.dataset.length);
    if (order) return order.subarray(start, end);
    const idx = new Int32Array(end - start);
    for (let i = 0; i < idx.length; i++) idx[i] = start + i;
    return idx;
  }

  private buildSync(indices: Int32Array): Batch<T> {
    const ds = this.dataset;
    return detach(
      tidy(() => {
        if (typeof ds.getBatch === 'function') return ds.getBatch(indices);
        const samples: T[] = [];
        for (const i of indices) {
          const s = ds.get(i);
          if (isThenable(s)) {
            Promise.resolve(s).then(dispose, () => undefined); // do not leak what it resolves to
            throw new TypeError(`DataLoader: dataset.get(${i}) returned a promise; use 'for await' to iterate an async dataset`);
          }
          samples.push(s);
        }
        return this.collate(samples);
      }),
    );
  }

  private async buildAsync(indices: Int32Array): Promise<Batch<T>> {
    const ds = this.dataset;
    if (typeof ds.getBatch === 'function') return this.buildSync(indices);
    return detach(
      await tidy(async () => {
        const samples = await Promise.all(Array.from(indices, (i) => ds.get(i)));
        return this.collate(samples);
      }),
    );
  }

  /** Iterates one epoch synchronously. The dataset's `get` must not return promises. */
  *[Symbol.iterator](): Iterator<Batch<T>> {
    const nb = this.length;
    const order = this.shuffle ? randperm(this.dataset.length, this.generator) : null;
    const ahead: Batch<T>[] = [];
    let next = 0; // the next batch index to build
    try {
      for (let b = 0; b < nb; b++) {
        while (next < nb && next <= b + this.prefetch) ahead.push(this.buildSync(this.batchIndices(order, next++)));
        yield adopt(ahead.shift()!);
      }
    } finally {
      dispose(ahead);
    }
  }

  /** Iterates one epoch asynchronously: `for await (const [x, y] of loader)`. */
  async *[Symbol.asyncIterator](): AsyncIterator<Batch<T>> {
    const nb = this.length;
    const order = this.shuffle ? await randpermAsync(this.dataset.length, this.generator) : null;
    const ahead: Promise<Batch<T>>[] = [];
    let next = 0;
    try {
      for (let b = 0; b < nb; b++) {
        while (next < nb && next <= b + this.prefetch) {
          const p = this.buildAsync(this.batchIndices(order, next++));
          p.catch(() => undefined); // rejections surface when this batch is awaited
          ahead.push(p);
        }
        const batch = await ahead.shift()!;
        yield adopt(batch);
      }
    } finally {
      for (const p of ahead) p.then(dispose, () => undefined);
    }
  }
}
