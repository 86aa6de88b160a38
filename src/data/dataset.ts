/**
 * Datasets: the {@link Dataset} interface the {@link DataLoader} reads, and {@link TensorDataset}, which
 * indexes the first axis of tensors held in memory.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { tensor } from '../ops/creation';
import { indexSelect, narrow } from '../ops/indexing';
import { reshape } from '../ops/layout';

/** One field of a sample: a tensor, a number, or a flat typed array (a feature vector). */
export type SampleValue = Tensor | number | Float32Array | Int32Array;

/**
 * What {@link Dataset.get} returns: one value, a tuple of values (`[image, label]`), or an object of
 * values (`{ image, label }`). Plain arrays are tuples, as in PyTorch: a feature vector is a typed array
 * or a tensor.
 */
export type Sample = SampleValue | readonly SampleValue[] | { readonly [key: string]: SampleValue };

/**
 * A batch: the sample's structure with every field stacked into one tensor along a new first axis
 * (tuples stay tuples, objects stay objects).
 */
export type Batch<T> = T extends SampleValue ? Tensor : { -readonly [K in keyof T]: Tensor };

/**
 * Anything with a length and random access, as PyTorch's map-style `Dataset`.
 *
 * `get(i)` may return a promise (reading a file); only async iteration of a {@link DataLoader} accepts
 * that. Tensors that `get` creates belong to the loader, which disposes them once they are stacked into a
 * batch; tensors the dataset holds and returns as they are (a cached list) are left alone.
 *
 * @example
 * const files: Dataset<[Tensor, number]> = {
 *   length: paths.length,
 *   get: async (i) => [await io.readImage(paths[i]), labels[i]],
 * };
 */
export interface Dataset<T extends Sample = Sample> {
  /** Number of samples. */
  readonly length: number;
  /** Sample `index` (0 ≤ index < length). */
  get(index: number): T | Promise<T>;
  /**
   * Optional fast path: the whole batch for these sample indices at once, already collated. The
   * {@link DataLoader} uses it instead of `get` + stacking when present ({@link TensorDataset} has one).
   */
  getBatch?(indices: Int32Array): Batch<T>;
}

/**
 * Samples are rows (entries along the first axis) of one or more tensors of the same length, as PyTorch's
 * `TensorDataset`: `get(i)` returns `[t0[i], t1[i], ...]`. Batches are gathered with one native
 * `indexSelect` per tensor, much faster than stacking rows one by one. The dataset does not own its
 * tensors: dispose them when done (see {@link TensorDataset.dispose}).
 *
 * @example
 * const ds = new TensorDataset(images, labels); // [N, 1, 28, 28] float32 and [N] int32
 * const [x, y] = ds.get(0);                     // [1, 28, 28] and []
 */
export class TensorDataset implements Dataset<Tensor[]> {
  /** The tensors, in the order given. */
  readonly tensors: readonly Tensor[];

  /** @param tensors at least one tensor; all with the same first-axis size and on the same device */
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new TypeError('TensorDataset: needs at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: tensor ${i} is 0-d; samples index the first axis`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new RangeError(
          `TensorDataset: tensor ${i} has shape ${fmtShape(t.shape)} but tensor 0 has shape ${fmtShape(tensors[0].shape)}; the first axes must match`,
        );
      }
      if (t.device !== tensors[0].device) throw new TypeError(`TensorDataset: tensor ${i} is on ${t.device} but tensor 0 is on ${tensors[0].device}`);
    });
    this.tensors = Object.freeze([...tensors]);
  }

  /** Number of samples (the first-axis size). */
  get length(): number {
    return this.tensors[0].shape[0];
  }

  /** Row `index` of every tensor (new tensors, each with the first axis removed). Negative indices count from the end. */
  get(index: number): Tensor[] {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new RangeError(`TensorDataset.get: index ${index} is out of range for ${n} samples`);
    }
    const i = index < 0 ? index + n : index;
    return this.tensors.map((t) => {
      const row = narrow(t, 0, i, 1);
      const out = reshape(row, t.shape.slice(1));
      row.dispose();
      return out;
    });
  }

  /** The rows at `indices` of every tensor, gathered natively: tensors of shape [indices.length, ...]. */
  getBatch(indices: Int32Array): Tensor[] {
    const n = this.length;
    for (const i of indices) {
      if (i < 0 || i >= n) throw new RangeError(`TensorDataset.getBatch: index ${i} is out of range for ${n} samples`);
    }
    const idx = tensor(indices, [indices.length], { dtype: 'int32', device: this.tensors[0].device });
    try {
      return this.tensors.map((t) => indexSelect(t, 0, idx));
    } finally {
      idx.dispose();
    }
  }

  /** Disposes the dataset's tensors. */
  dispose(): void {
    for (const t of this.tensors) t.dispose();
  }
}
