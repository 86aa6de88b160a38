/**
 * Variable-length batches for the recurrent layers. A {@link PackedSequence} is a zero-padded time-major
 * tensor plus the length of each sequence; the fused {@link rnn} kernel reads the lengths, so padded
 * steps neither change outputs or final states nor receive gradient, and no sorting by length is needed
 * (PyTorch's `enforce_sorted` has nothing to enforce). The names follow `torch.nn.utils.rnn`.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { pad, stack } from './indexing';
import { transpose } from './layout';
import { checkTensor } from './util';

/**
 * A batch of sequences of different lengths: `data` `[T, B, *]` time-major, zero past each sequence's
 * end, and `lengths` (each in 1..T). Recurrent layers given one return one.
 */
export class PackedSequence {
  /** Creates a packed batch; `lengths` must have one entry per sequence, each in 1..T. */
  constructor(
    /** `[T, B, *]`, time-major. */ readonly data: Tensor,
    /** Steps of each sequence. */ readonly lengths: readonly number[],
  ) {
    checkTensor('PackedSequence', 'data', data);
    if (data.ndim < 2) throw new RangeError(`PackedSequence: 'data' must be [time, batch, ...], got ${fmtShape(data.shape)}`);
    const [T, B] = data.shape;
    if (!Array.isArray(lengths) || lengths.length !== B) {
      throw new RangeError(`PackedSequence: 'lengths' must have one entry per sequence (${B} for data ${fmtShape(data.shape)})`);
    }
    for (const n of lengths) {
      if (!Number.isInteger(n) || n < 1 || n > T) throw new RangeError(`PackedSequence: 'lengths' ${JSON.stringify(lengths)} must hold integers in 1..${T}`);
    }
  }
}

/**
 * Packs a list of `[L_i, *]` sequences (any lengths, any order) into a {@link PackedSequence}, zero-padding
 * each to the longest. Gradients flow back to every sequence.
 * @example
 * const packed = packSequence([ds.randn([5, 3]), ds.randn([2, 3])]); // data [5, 2, 3], lengths [5, 2]
 * const [out, h] = new nn.GRU(3, 4).call(packed);
 */
export function packSequence(sequences: readonly Tensor[]): PackedSequence {
  if (!Array.isArray(sequences) || sequences.length === 0) throw new TypeError('packSequence: expected a non-empty array of Tensors');
  sequences.forEach((s: Tensor, i: number) => {
    checkTensor('packSequence', `sequences[${i}]`, s);
    if (s.ndim < 1 || s.shape[0] < 1) throw new RangeError(`packSequence: sequences[${i}] must be [length >= 1, ...], got ${fmtShape(s.shape)}`);
    const rest = sequences[0].shape.slice(1);
    if (s.ndim !== sequences[0].ndim || s.shape.slice(1).some((d, k) => d !== rest[k])) {
      throw new RangeError(`packSequence: sequences[${i}] ${fmtShape(s.shape)} and sequences[0] ${fmtShape(sequences[0].shape)} differ beyond the time axis`);
    }
  });
  const T = Math.max(...sequences.map((s: Tensor) => s.shape[0]));
  const padded = sequences.map((s) => (s.shape[0] === T ? s : pad(s, [...new Array<number>(2 * (s.ndim - 1)).fill(0), 0, T - s.shape[0]])));
  const data = stack(padded, 1);
  padded.forEach((p, i) => p !== sequences[i] && p.dispose());
  return new PackedSequence(data, sequences.map((s) => s.shape[0]));
}

/**
 * Wraps a padded batch `[T, B, *]` (`[B, T, *]` with `batchFirst`) and its lengths as a
 * {@link PackedSequence}, PyTorch's `pack_padded_sequence`. Values past each length are ignored by the
 * recurrent layers.
 * @example const packed = packPadded(x, [7, 3, 5], { batchFirst: true });
 */
export function packPadded(input: Tensor, lengths: readonly number[], options: { batchFirst?: boolean } = {}): PackedSequence {
  checkTensor('packPadded', 'input', input);
  if (input.ndim < 2) throw new RangeError(`packPadded: 'input' must be at least 2-D, got ${fmtShape(input.shape)}`);
  return new PackedSequence(options.batchFirst ? transpose(input, 0, 1) : input, lengths);
}

/**
 * Unpacks a {@link PackedSequence}: the padded tensor `[T, B, *]` (`[B, T, *]` with `batchFirst`), zero
 * past each sequence's end, and the lengths; PyTorch's `pad_packed_sequence`.
 * @example const [out, lengths] = padPacked(packedOutput, { batchFirst: true });
 */
export function padPacked(packed: PackedSequence, options: { batchFirst?: boolean } = {}): [Tensor, number[]] {
  if (!(packed instanceof PackedSequence)) throw new TypeError('padPacked: expected a PackedSequence');
  return [options.batchFirst ? transpose(packed.data, 0, 1) : packed.data, [...packed.lengths]];
}
