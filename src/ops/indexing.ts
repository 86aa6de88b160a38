/**
 * Indexing and joining: cat/concat, stack, split, chunk, slice, narrow, gather, indexSelect and pad.
 * Everything moves 4-byte elements natively, so int32 tensors work as well as float32; gradients (float32)
 * come from native backward kernels: cat ↔ split, slice → slice_backward (a strided write into zeros),
 * gather → scatter-add, indexSelect → index-add, pad → an accumulating pad_backward.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { unsqueeze } from './layout';
import { checkDtype, checkNumber, checkSameDevice, checkTensor, empty, normAxis, run, run1, MAX_DIMS } from './util';

function atLeast1d(op: string, arg: string, x: Tensor): void {
  if (x.ndim === 0) throw new RangeError(`${op}: argument '${arg}' must have at least one dimension, got a 0-d tensor`);
}

function withDim(shape: readonly number[], dim: number, size: number): number[] {
  const s = [...shape];
  s[dim] = size;
  return s;
}

function checkTensorList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: 'tensors' must be an array of Tensors, got ${tensors === null ? 'null' : typeof tensors}`);
  if (tensors.length === 0) throw new RangeError(`${op}: expected a non-empty list of tensors`);
  const ts = tensors.map((t, i) => checkTensor(op, `tensors[${i}]`, t));
  const dt = ts[0].dtype;
  ts.forEach((t, i) => {
    if (t.dtype !== dt) throw new TypeError(`${op}: tensors[${i}] has dtype ${t.dtype} but tensors[0] has ${dt} (shapes ${fmtShape(t.shape)} and ${fmtShape(ts[0].shape)})`);
  });
  checkSameDevice(op, Object.fromEntries(ts.map((t, i) => [`tensors[${i}]`, t])));
  return ts;
}

// Native split of `x` along `dim` into pieces of the given sizes (no validation, no recording).
function splitRaw(x: Tensor, sizes: readonly number[], dim: number): Tensor[] {
  const outs = sizes.map((s) => empty(withDim(x.shape, dim, s), x.dtype, x.device));
  try {
    run('split', [x], outs, { dim });
  } catch (e) {
    outs.forEach((o) => o.dispose());
    throw e;
  }
  return outs;
}

// Native concatenation (no validation, no recording).
function catRaw(ts: readonly Tensor[], dim: number): Tensor {
  const total = ts.reduce((n, t) => n + t.shape[dim], 0);
  const out = empty(withDim(ts[0].shape, dim, total), ts[0].dtype, ts[0].device);
  try {
    run('cat', ts, [out], { dim });
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/**
 * Concatenates tensors along `dim` (default 0). All must have the same dtype, device and rank, and the
 * same sizes except along `dim`. The gradient is split back to the inputs.
 * @example cat([a, b], 1) // [2, 3] and [2, 4] -> [2, 7]
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const ts = checkTensorList('cat', tensors);
  ts.forEach((t, i) => atLeast1d('cat', `tensors[${i}]`, t));
  const d = normAxis('cat', dim, ts[0].ndim);
  const ref = ts[0];
  ts.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => k !== d && s !== ref.shape[k])) {
      throw new RangeError(
        `cat: tensors[${i}] has shape ${fmtShape(t.shape)} but tensors[0] has shape ${fmtShape(ref.shape)}; sizes must match except along dim ${d}`,
      );
    }
  });
  const out = catRaw(ts, d);
  const sizes = ts.map((t) => t.shape[d]);
  record('cat', ts, [out], [], ([g]) => splitRaw(g, sizes, d));
  return out;
}

/** Alias of {@link cat}. @example concat([x, y], -1) */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  return cat(tensors, dim);
}

/**
 * Stacks same-shape tensors along a new axis `dim` (default 0).
 * @example stack([a, b, c]) // three [4] tensors -> [3, 4]
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const ts = checkTensorList('stack', tensors);
  const ref = ts[0];
  ts.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => s !== ref.shape[k])) {
      throw new RangeError(`stack: tensors[${i}] has shape ${fmtShape(t.shape)} but tensors[0] has shape ${fmtShape(ref.shape)}; all must have the same shape`);
    }
  });
  if (ref.ndim >= MAX_DIMS) throw new RangeError(`stack: shape ${fmtShape(ref.shape)} already has the maximum rank ${MAX_DIMS}`);
  const d = normAxis('stack', dim, ref.ndim + 1);
  const parts = ts.map((t) => unsqueeze(t, d));
  try {
    return cat(parts, d);
  } finally {
    parts.forEach((p) => p.dispose());
  }
}

/**
 * Splits `x` along `dim` (default 0) into pieces: of `splitSizeOrSections` elements each (the last may be
 * smaller) when it is a number, or of the listed sizes (which must sum to the axis size), as
 * `torch.split`. The pieces are copies.
 * @example const [a, b] = split(x, [2, 3], 1);
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', 'input', x);
  atLeast1d('split', 'input', x);
  const d = normAxis('split', dim, x.ndim);
  const D = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = checkNumber('split', 'splitSize', splitSizeOrSections, { integer: true, min: 0 });
    if (s === 0 && D !== 0) throw new RangeError(`split: 'splitSize' must be positive for dim ${d} of size ${D} (shape ${fmtShape(x.shape)})`);
    sizes = [];
    if (D === 0) sizes.push(0);
    for (let at = 0; at < D; at += s) sizes.push(Math.min(s, D - at));
  } else if (Array.isArray(splitSizeOrSections)) {
    sizes = splitSizeOrSections.map((s) => checkNumber('split', 'sections', s, { integer: true, min: 0 }));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== D) {
      throw new RangeError(`split: sizes ${fmtShape(sizes)} sum to ${total} but dim ${d} of shape ${fmtShape(x.shape)} has size ${D}`);
    }
  } else {
    throw new TypeError(`split: 'splitSizeOrSections' must be a number or an array of numbers, got ${typeof splitSizeOrSections}`);
  }
  const outs = splitRaw(x, sizes, d);
  record('split', [x], outs, [], (grads) => [catRaw(grads, d)]);
  return outs;
}

/**
 * Splits `x` into `chunks` pieces along `dim` (default 0), as `torch.chunk`: each of ceil(size/chunks)
 * elements, the last smaller (so fewer than `chunks` pieces may come back).
 * @example const [q, k, v] = chunk(qkv, 3, -1);
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', 'input', x);
  atLeast1d('chunk', 'input', x);
  const n = checkNumber('chunk', 'chunks', chunks, { integer: true, min: 1 });
  const d = normAxis('chunk', dim, x.ndim);
  return split(x, Math.ceil(x.shape[d] / n), d);
}

function sliceRaw(op: string, x: Tensor, d: number, start: number, len: number, step: number): Tensor {
  const attrs = { dim: d, start, step };
  const out = run1('slice', [x], withDim(x.shape, d, len), x.dtype, x.device, attrs);
  record(op, [x], [out], [], ([g]) => [run1('slice_backward', [g], x.shape, g.dtype, g.device, attrs)]);
  return out;
}

/**
 * Elements `start`, `start + step`, ... before `end` along `dim`, with Python's slicing rules: negative
 * `start`/`end` count from the end and out-of-range values clamp; `end` defaults to the axis size.
 * `step` must be positive. A copy (PyTorch's `x[:, start:end:step]`).
 * @example slice(x, 1, -3) // the last 3 columns
 * @example slice(x, 0, 0, undefined, 2) // every other row
 */
export function slice(x: Tensor, dim: number, start = 0, end?: number | null, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  atLeast1d('slice', 'input', x);
  const d = normAxis('slice', dim, x.ndim);
  const D = x.shape[d];
  checkNumber('slice', 'start', start, { integer: true });
  if (end !== undefined && end !== null) checkNumber('slice', 'end', end, { integer: true });
  checkNumber('slice', 'step', step, { integer: true });
  if (step <= 0) throw new RangeError(`slice: 'step' must be positive, got ${step}`);
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + D : v, 0), D);
  const s = clamp(start);
  const e = end === undefined || end === null ? D : clamp(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return sliceRaw('slice', x, d, len > 0 ? s : 0, len, step);
}

/**
 * `length` elements from `start` along `dim` (a copy), as `torch.narrow`; a negative `start` counts from
 * the end. RangeError when the range leaves the axis.
 * @example narrow(x, 1, 2, 3) // columns 2..4
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', 'input', x);
  atLeast1d('narrow', 'input', x);
  const d = normAxis('narrow', dim, x.ndim);
  const D = x.shape[d];
  checkNumber('narrow', 'start', start, { integer: true });
  checkNumber('narrow', 'length', length, { integer: true, min: 0 });
  const s = start < 0 ? start + D : start;
  if (s < 0 || s > D || s + length > D) {
    throw new RangeError(`narrow: start ${start} and length ${length} leave dim ${d} of size ${D} (shape ${fmtShape(x.shape)})`);
  }
  return sliceRaw('narrow', x, d, s, length, 1);
}

/**
 * Picks values along `dim` by an int32 `index` of the same rank, as `torch.gather`:
 * out[i][j][k] = x[i][index[i][j][k]][k] for dim 1. `index` may be smaller than `x` on the other axes.
 * An index outside [0, size) makes the read reject (naming gather). The gradient is a scatter-add.
 * @example gather(logp, 1, labels.unsqueeze(1)) // [N, 1]: each row's label entry
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'input', x);
  checkTensor('gather', 'index', index);
  checkDtype('gather', 'index', index, ['int32']);
  checkSameDevice('gather', { input: x, index });
  atLeast1d('gather', 'input', x);
  const d = normAxis('gather', dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((s, k) => k !== d && s > x.shape[k])) {
    throw new RangeError(
      `gather: index shape ${fmtShape(index.shape)} does not fit input ${fmtShape(x.shape)} (same rank, and no larger than the input except along dim ${d})`,
    );
  }
  const out = run1('gather', [x, index], index.shape, x.dtype, x.device, { dim: d });
  record('gather', [x, index], [out], [index], ([g], [ix]) => [
    run1('gather_backward', [g, ix!], x.shape, 'float32', x.device, { dim: d }),
    null,
  ]);
  return out;
}

/**
 * The entries of `x` at positions `index` (int32, 1-D or 0-d) along `dim`, as `torch.index_select`
 * (a copy). Indices may repeat; an index outside [0, size) makes the read reject (naming indexSelect).
 * @example indexSelect(embeddings, 0, tokenIds)
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'input', x);
  checkTensor('indexSelect', 'index', index);
  checkDtype('indexSelect', 'index', index, ['int32']);
  checkSameDevice('indexSelect', { input: x, index });
  atLeast1d('indexSelect', 'input', x);
  const d = normAxis('indexSelect', dim, x.ndim);
  if (index.ndim > 1) throw new RangeError(`indexSelect: argument 'index' must be 1-D or 0-d, got shape ${fmtShape(index.shape)}`);
  const out = run1('index_select', [x, index], withDim(x.shape, d, index.size), x.dtype, x.device, { dim: d });
  record('indexSelect', [x, index], [out], [index], ([g], [ix]) => [
    run1('index_select_backward', [g, ix!], x.shape, 'float32', x.device, { dim: d }),
    null,
  ]);
  return out;
}

/** Padding modes of {@link pad}. */
export type PadMode = 'constant' | 'reflect' | 'replicate';

/** Options of {@link pad}. */
export interface PadOptions {
  /** 'constant' (default): fill with `value`; 'reflect': mirror without repeating the edge; 'replicate': repeat the edge. */
  mode?: PadMode;
  /** Fill value of 'constant' mode. Default 0. */
  value?: number;
}

const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate'];

/**
 * Pads `x` as `torch.nn.functional.pad`: `pads` lists (before, after) pairs starting from the LAST axis:
 * [left, right] pads the last axis, [left, right, top, bottom] the last two, and so on. Negative pads
 * crop (constant mode). Reflect padding must be smaller than the axis size; reflect and replicate apply
 * to any axes (PyTorch restricts them to the trailing 1–3).
 * @example pad(img, [1, 1, 2, 2]) // W +2, H +4, zeros
 * @example pad(x, [2, 2], { mode: 'reflect' })
 */
export function pad(x: Tensor, pads: readonly number[], options?: PadOptions): Tensor {
  checkTensor('pad', 'input', x);
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(`pad: 'options' must be an object`);
  }
  const mode = options?.mode ?? 'constant';
  if (typeof mode !== 'string' || !PAD_MODES.includes(mode)) {
    throw new TypeError(`pad: unknown mode ${JSON.stringify(mode)} (use 'constant', 'reflect' or 'replicate')`);
  }
  const value = checkNumber('pad', 'value', options?.value ?? 0);
  if (mode !== 'constant' && options?.value !== undefined && options.value !== 0) {
    throw new RangeError(`pad: 'value' only applies to constant mode, got mode '${mode}'`);
  }
  if (!Array.isArray(pads)) throw new TypeError(`pad: 'pads' must be an array of integers, got ${typeof pads}`);
  pads.forEach((p) => checkNumber('pad', 'pads', p, { integer: true }));
  if (pads.length % 2 !== 0) throw new RangeError(`pad: 'pads' ${fmtShape(pads)} must have an even length (before/after pairs)`);
  if (pads.length > 2 * x.ndim) {
    throw new RangeError(`pad: 'pads' ${fmtShape(pads)} has ${pads.length} entries but the input ${fmtShape(x.shape)} has ${x.ndim} dims (at most ${2 * x.ndim})`);
  }
  // Axis order: [before_0, after_0, before_1, after_1, ...].
  const axisPads = new Array<number>(2 * x.ndim).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = x.ndim - 1 - i;
    axisPads[2 * d] = pads[2 * i];
    axisPads[2 * d + 1] = pads[2 * i + 1];
  }
  const shape = x.shape.map((s, d) => s + axisPads[2 * d] + axisPads[2 * d + 1]);
  x.shape.forEach((s, d) => {
    const [lo, hi] = [axisPads[2 * d], axisPads[2 * d + 1]];
    if (lo === 0 && hi === 0) return;
    if (mode === 'constant') {
      if (shape[d] < 0) throw new RangeError(`pad: pads (${lo}, ${hi}) of dim ${d} crop more than its size ${s} (shape ${fmtShape(x.shape)})`);
      return;
    }
    if (lo < 0 || hi < 0) throw new RangeError(`pad: negative pads (${lo}, ${hi}) of dim ${d} are only allowed in constant mode`);
    if (mode === 'reflect' && (lo >= s || hi >= s)) {
      throw new RangeError(`pad: reflect padding (${lo}, ${hi}) of dim ${d} must be smaller than its size ${s} (shape ${fmtShape(x.shape)})`);
    }
    if (mode === 'replicate' && s === 0) throw new RangeError(`pad: cannot replicate-pad dim ${d} of size 0 (shape ${fmtShape(x.shape)})`);
  });
  const attrs = { pads: axisPads, mode, value };
  const out = run1('pad', [x], shape, x.dtype, x.device, attrs);
  record('pad', [x], [out], [], ([g]) => [run1('pad_backward', [g], x.shape, 'float32', x.device, attrs)]);
  return out;
}

declare module '../tensor' {
  interface Tensor {
    /** See {@link split}. */ split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    /** See {@link chunk}. */ chunk(chunks: number, dim?: number): Tensor[];
    /** See {@link gather}. */ gather(dim: number, index: Tensor): Tensor;
    /** See {@link indexSelect}. */ indexSelect(dim: number, index: Tensor): Tensor;
    /** See {@link narrow}. */ narrow(dim: number, start: number, length: number): Tensor;
    /** See {@link slice}. */ slice(dim: number, start?: number, end?: number | null, step?: number): Tensor;
  }
}

const proto = Tensor.prototype;
proto.split = function (this: Tensor, s: number | readonly number[], d?: number) { return split(this, s, d); };
proto.chunk = function (this: Tensor, c: number, d?: number) { return chunk(this, c, d); };
proto.gather = function (this: Tensor, d: number, i: Tensor) { return gather(this, d, i); };
proto.indexSelect = function (this: Tensor, d: number, i: Tensor) { return indexSelect(this, d, i); };
proto.narrow = function (this: Tensor, d: number, s: number, l: number) { return narrow(this, d, s, l); };
proto.slice = function (this: Tensor, d: number, s?: number, e?: number | null, st?: number) { return slice(this, d, s, e, st); };
