/**
 * Loss functions with PyTorch's semantics: cross-entropy (a fused native log-softmax + NLL, with class
 * weights, ignoreIndex and label smoothing), NLL, binary cross-entropy (on probabilities and, numerically
 * stable, on logits; native), and the regression losses MSE, L1 and smooth L1 (composed from elementwise
 * ops).
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { abs, lt, mul, sub, where } from './elementwise';
import { expand } from './layout';
import { mean, sum } from './reduce';
import { broadcastShapes, checkDtype, checkNumber, checkSameDevice, checkTensor, empty, run, run1 } from './util';

/** How a loss reduces its per-element values: their mean (default), their sum, or none (per element). */
export type LossReduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly LossReduction[] = ['mean', 'sum', 'none'];

function checkOptions<T extends object>(op: string, options: unknown): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${op}: 'options' must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  return options as Partial<T>;
}

function checkReduction(op: string, r: unknown): LossReduction {
  if (r === undefined) return 'mean';
  if (typeof r !== 'string' || !REDUCTIONS.includes(r as LossReduction)) {
    throw new TypeError(`${op}: unknown reduction ${JSON.stringify(r)} (use 'mean', 'sum' or 'none')`);
  }
  return r as LossReduction;
}

function optionalTensor(op: string, arg: string, t: unknown): Tensor | null {
  if (t === undefined || t === null) return null;
  const x = checkTensor(op, arg, t);
  checkDtype(op, arg, x, ['float32']);
  return x;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// Reduces a per-element loss (disposing it when a reduced value replaces it).
function reduceLoss(l: Tensor, reduction: LossReduction): Tensor {
  if (reduction === 'none') return l;
  const r = reduction === 'sum' ? sum(l) : mean(l);
  l.dispose();
  return r;
}

// ------------------------------------------------------------------------------------ cross-entropy, NLL

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Per-class rescaling weights, float32 of shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this value contribute neither loss nor gradient. Default -100. */
  ignoreIndex?: number;
  /** 'mean' (default) divides by the summed weight of the non-ignored targets; 'sum'; 'none'. */
  reduction?: LossReduction;
  /** Mixes the uniform distribution into the one-hot target: (1 − ε)·onehot + ε/C. Default 0. */
  labelSmoothing?: number;
}

/** Options of {@link nllLoss}. */
export interface NllLossOptions {
  /** Per-class rescaling weights, float32 of shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this value contribute neither loss nor gradient. Default -100. */
  ignoreIndex?: number;
  /** 'mean' (default) divides by the summed weight of the non-ignored targets; 'sum'; 'none'. */
  reduction?: LossReduction;
}

function nllLike(
  op: 'crossEntropy' | 'nllLoss',
  kernel: 'cross_entropy' | 'nll_loss',
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions,
  labelSmoothing: number,
): Tensor {
  const what = op === 'crossEntropy' ? 'logits' : 'input';
  const reduction = checkReduction(op, options.reduction);
  const ignoreIndex = checkNumber(op, 'ignoreIndex', options.ignoreIndex ?? -100, { integer: true });
  const weight = optionalTensor(op, 'weight', options.weight);
  checkTensor(op, what, input);
  checkTensor(op, 'target', target);
  checkDtype(op, what, input, ['float32']);
  checkDtype(op, 'target', target, ['int32']);
  const dev = checkSameDevice(op, { [what]: input, target, weight });
  if (input.ndim < 1) throw new RangeError(`${op}: '${what}' must be at least 1-D ([C], [N, C] or [N, C, d1, ...]), got shape ${fmtShape(input.shape)}`);
  const C = input.ndim === 1 ? input.shape[0] : input.shape[1];
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new RangeError(`${op}: target shape ${fmtShape(target.shape)} does not match ${what} ${fmtShape(input.shape)} (expected ${fmtShape(expected)})`);
  }
  if (weight && !sameShape(weight.shape, [C])) {
    throw new RangeError(`${op}: weight shape ${fmtShape(weight.shape)} does not match the ${C} classes of ${what} ${fmtShape(input.shape)} (expected [${C}])`);
  }
  const attrs = { ignore_index: ignoreIndex, label_smoothing: labelSmoothing, reduction, op };
  const out = run1(kernel, [input, target, weight], reduction === 'none' ? target.shape : [], 'float32', dev, attrs);
  record(op, [input, target, weight], [out], [input, target, weight], ([g], [x, t, w]) => [
    run1(`${kernel}_backward`, [x!, t!, w, g], input.shape, 'float32', dev, attrs),
    null,
    null,
  ]);
  return out;
}

/**
 * Cross-entropy between logits and int32 class indices, as `torch.nn.functional.cross_entropy`: a fused
 * native log-softmax + negative log-likelihood. Logits are [N, C], [N, C, d1, ...] or [C]; targets are
 * [N], [N, d1, ...] or []. With `weight`, each target's loss is scaled by its class weight and 'mean'
 * divides by the summed weight of the non-ignored targets. `labelSmoothing` ε gives
 * (1 − ε)·NLL + ε/C·Σ_c w_c·(−log p_c), normalised like the NLL part. A target that is neither
 * `ignoreIndex` nor in [0, C) makes the loss's read reject with a message naming crossEntropy.
 * The gradient flows to the logits (not to `weight`).
 * @example
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * loss.backward();
 */
export function crossEntropy(logits: Tensor, target: Tensor, options?: CrossEntropyOptions): Tensor {
  const o = checkOptions<CrossEntropyOptions>('crossEntropy', options);
  const ls = checkNumber('crossEntropy', 'labelSmoothing', o.labelSmoothing ?? 0, { min: 0, max: 1 });
  return nllLike('crossEntropy', 'cross_entropy', logits, target, o, ls);
}

/**
 * Negative log-likelihood of int32 class indices under log-probabilities (the output of
 * {@link logSoftmax}), as `torch.nn.functional.nll_loss`: loss = −w[t]·input[n, t]. Shapes, `weight`,
 * `ignoreIndex` and the reductions are those of {@link crossEntropy}.
 * @example
 * const loss = nllLoss(logSoftmax(logits, 1), labels, { reduction: 'sum' });
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options?: NllLossOptions): Tensor {
  const o = checkOptions<NllLossOptions>('nllLoss', options);
  return nllLike('nllLoss', 'nll_loss', logProbs, target, o, 0);
}

// ------------------------------------------------------------------------------------------- regression

/** Options of the losses that only reduce. */
export interface ReductionOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: LossReduction;
}

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (≥ 0). Default 1; 0 gives the L1 loss. */
  beta?: number;
}

function regressionInputs(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkDtype(op, 'input', input, ['float32']);
  checkDtype(op, 'target', target, ['float32']);
  checkSameDevice(op, { input, target });
  broadcastShapes(op, input.shape, target.shape);
}

/**
 * Mean squared error (input − target)², reduced; the shapes broadcast (as PyTorch does, with its
 * warning's advice: pass equal shapes).
 * @example mseLoss(pred, y)
 */
export function mseLoss(input: Tensor, target: Tensor, options?: ReductionOptions): Tensor {
  const reduction = checkReduction('mseLoss', checkOptions<ReductionOptions>('mseLoss', options).reduction);
  regressionInputs('mseLoss', input, target);
  const d = sub(input, target);
  const sq = mul(d, d);
  d.dispose();
  return reduceLoss(sq, reduction);
}

/** Mean absolute error |input − target|, reduced. @example l1Loss(pred, y, { reduction: 'sum' }) */
export function l1Loss(input: Tensor, target: Tensor, options?: ReductionOptions): Tensor {
  const reduction = checkReduction('l1Loss', checkOptions<ReductionOptions>('l1Loss', options).reduction);
  regressionInputs('l1Loss', input, target);
  const d = sub(input, target);
  const a = abs(d);
  d.dispose();
  return reduceLoss(a, reduction);
}

/**
 * Smooth L1 (Huber-like) loss as `torch.nn.functional.smooth_l1_loss`: 0.5·d²/β where |d| < β, else
 * |d| − 0.5·β, with d = input − target.
 * @example smoothL1Loss(boxes, targets, { beta: 0.5 })
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options?: SmoothL1Options): Tensor {
  const o = checkOptions<SmoothL1Options>('smoothL1Loss', options);
  const reduction = checkReduction('smoothL1Loss', o.reduction);
  const beta = checkNumber('smoothL1Loss', 'beta', o.beta ?? 1, { min: 0 });
  regressionInputs('smoothL1Loss', input, target);
  if (beta === 0) return l1Loss(input, target, { reduction });
  const d = sub(input, target);
  const a = abs(d);
  const sq = mul(d, d);
  const quad = mul(sq, 0.5 / beta);
  const lin = sub(a, 0.5 * beta);
  const small = lt(a, beta);
  const l = where(small, quad, lin);
  for (const t of [d, a, sq, quad, lin, small]) t.dispose();
  return reduceLoss(l, reduction);
}

// -------------------------------------------------------------------------------------------------- BCE

/** Options of {@link binaryCrossEntropy}. */
export interface BceOptions extends ReductionOptions {
  /** Rescaling weight, broadcastable to the input. */
  weight?: Tensor | null;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BceWithLogitsOptions extends BceOptions {
  /** Weight of the positive term, broadcastable to the input (typically [C]: one per class). */
  posWeight?: Tensor | null;
}

// Broadcasts an optional weight to `shape` (a copy when it is smaller); RangeError naming op and shapes.
function weightTo(op: string, arg: string, w: Tensor | null, shape: readonly number[]): Tensor | null {
  if (!w) return null;
  const b = broadcastShapes(op, w.shape, shape);
  if (!sameShape(b, shape)) {
    throw new RangeError(`${op}: '${arg}' shape ${fmtShape(w.shape)} does not broadcast to the input shape ${fmtShape(shape)}`);
  }
  const d = w.detach();
  const e = expand(d, [...shape]);
  if (e !== d) d.dispose();
  return e;
}

function bceLike(
  op: 'binaryCrossEntropy' | 'binaryCrossEntropyWithLogits',
  kernel: 'binary_cross_entropy' | 'binary_cross_entropy_with_logits',
  input: Tensor,
  target: Tensor,
  o: Partial<BceWithLogitsOptions>,
): Tensor {
  const reduction = checkReduction(op, o.reduction);
  const weight = optionalTensor(op, 'weight', o.weight);
  const posWeight = optionalTensor(op, 'posWeight', o.posWeight);
  checkTensor(op, 'input', input);
  checkTensor(op, 'target', target);
  checkDtype(op, 'input', input, ['float32']);
  checkDtype(op, 'target', target, ['float32']);
  const dev = checkSameDevice(op, { input, target, weight, posWeight });
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`${op}: target shape ${fmtShape(target.shape)} does not match input ${fmtShape(input.shape)}`);
  }
  const w = weightTo(op, 'weight', weight, input.shape);
  let pw: Tensor | null = null;
  try {
    pw = weightTo(op, 'posWeight', posWeight, input.shape);
  } catch (e) {
    w?.dispose();
    throw e;
  }
  const l = empty(input.shape, 'float32', dev);
  run(kernel, [input, target, w, pw], [l]);
  // Gradients flow to the input and the target; the weights are constants (as in torch's binary_cross_entropy).
  record(op, [input, target], [l], [input, target, w, pw], ([g], [x, t, sw, spw]) => {
    const gx = empty(input.shape, 'float32', dev);
    const outs = [gx];
    const gt = target.requiresGrad ? empty(input.shape, 'float32', dev) : null;
    if (gt) outs.push(gt);
    run(`${kernel}_backward`, [x, t, sw, spw, g], outs);
    return [gx, gt];
  });
  if (w) w.dispose();
  if (pw) pw.dispose();
  return reduceLoss(l, reduction);
}

/**
 * Binary cross-entropy of probabilities in [0, 1], as `torch.nn.functional.binary_cross_entropy`:
 * −w·(t·log p + (1 − t)·log(1 − p)), with each log clamped at −100 so p = 0 or 1 give finite values.
 * Input and target have the same shape; `weight` broadcasts to it. A probability outside [0, 1] makes the
 * read reject (naming binaryCrossEntropy). Prefer {@link binaryCrossEntropyWithLogits} on raw scores.
 * @example binaryCrossEntropy(sigmoid(scores), labels)
 */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, options?: BceOptions): Tensor {
  const o = checkOptions<BceOptions>('binaryCrossEntropy', options);
  return bceLike('binaryCrossEntropy', 'binary_cross_entropy', probs, target, o);
}

/**
 * Binary cross-entropy on logits, as `torch.nn.functional.binary_cross_entropy_with_logits`, in the
 * numerically stable form (1 − t)·x + (1 + (pw − 1)·t)·(log(1 + exp(−|x|)) + max(−x, 0)), times
 * `weight`. `posWeight` (broadcast to the input, usually one per class) weighs the positive term.
 * @example binaryCrossEntropyWithLogits(scores, labels, { posWeight: tensor([3]) })
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options?: BceWithLogitsOptions): Tensor {
  const o = checkOptions<BceWithLogitsOptions>('binaryCrossEntropyWithLogits', options);
  return bceLike('binaryCrossEntropyWithLogits', 'binary_cross_entropy_with_logits', logits, target, o);
}
