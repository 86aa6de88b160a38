/**
 * The model under attack, as the attacks see it: pixel-space images in, logits out (normalisation
 * applied inside), eval mode for the duration, the argument checks every attack shares, and the result
 * every attack reports.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { classScores } from '../nn/scores';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { sub } from '../ops/elementwise';
import { softmax } from '../ops/softmax';
import { checkTensor } from '../ops/util';
import type { AttackOptions, AttackResult, Normalization } from './types';

/** The model in pixel space. */
export class Victim {
  /** Low and high pixel bounds. */
  readonly bounds: readonly [number, number];
  private readonly mean: Tensor | null;
  private readonly std: Tensor | null;

  /** Checks and wraps `model` for the attack `op`. */
  constructor(
    /** The attack's name, for messages. */ readonly op: string,
    /** The model. */ readonly model: Module,
    images: Tensor,
    options: AttackOptions,
  ) {
    if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module`);
    const b = options.bounds ?? [0, 1];
    if (!Array.isArray(b) || b.length !== 2 || !(b[0] < b[1])) throw new RangeError(`${op}: bounds must be [low, high] with low < high, got ${JSON.stringify(b)}`);
    this.bounds = [b[0], b[1]];
    const c = images.shape[1];
    const perChannel = (v: number | readonly number[], what: string): Tensor => {
      const list = typeof v === 'number' ? new Array<number>(c).fill(v) : [...v];
      if (list.length !== c || list.some((x) => typeof x !== 'number' || !Number.isFinite(x) || (what === 'std' && x <= 0))) {
        throw new RangeError(`${op}: normalize.${what} must be ${what === 'std' ? 'positive ' : ''}numbers, one per channel (${c}), got ${JSON.stringify(v)}`);
      }
      return tensor(list, [1, c, ...new Array<number>(images.ndim - 2).fill(1)], { device: images.device });
    };
    const n: Normalization | undefined = options.normalize;
    this.mean = n ? perChannel(n.mean, 'mean') : null;
    this.std = n ? perChannel(n.std, 'std') : null;
  }

  /** Class scores [N, classes] of pixel-space images: the logits (see {@link classScores}). */
  logits(x: Tensor): Tensor {
    const input = this.mean && this.std ? x.sub(this.mean).div(this.std) : x;
    const out = this.model.call(input);
    if (!(out instanceof Tensor) || out.ndim !== 2) {
      throw new TypeError(`${this.op}: the model must return logits [N, classes] in eval mode, got ${out instanceof Tensor ? fmtShape(out.shape) : typeof out}`);
    }
    return classScores(this.model, out);
  }

  /** Clamps to the pixel bounds. */
  clip(x: Tensor): Tensor {
    return x.clamp(this.bounds[0], this.bounds[1]);
  }

  /** Frees the normalisation constants. */
  dispose(): void {
    this.mean?.dispose();
    this.std?.dispose();
  }
}

/** Checks the images of an attack: float32 [N, ...] inside the bounds is checked at the end. */
export function checkImages(op: string, images: unknown): Tensor {
  const x = checkTensor(op, 'images', images);
  if (x.dtype !== 'float32' || x.ndim < 2) throw new TypeError(`${op}: argument 'images' must be a float32 batch [N, ...], got ${x.dtype} ${fmtShape(x.shape)}`);
  return x;
}

/** Labels as an int32 tensor [N] on the images' device, checked against the batch size. */
export function checkLabels(op: string, labels: unknown, images: Tensor): Tensor {
  const n = images.shape[0];
  if (labels instanceof Tensor) {
    if (labels.dtype !== 'int32' || labels.ndim !== 1 || labels.shape[0] !== n) {
      throw new TypeError(`${op}: argument 'labels' must be an int32 tensor [${n}] or an array of ${n} numbers, got ${labels.dtype} ${fmtShape(labels.shape)}`);
    }
    return labels.to(images.device);
  }
  if (!Array.isArray(labels) || labels.length !== n || labels.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new TypeError(`${op}: argument 'labels' must be an int32 tensor [${n}] or an array of ${n} non-negative integers`);
  }
  return tensor(Int32Array.from(labels as readonly number[]), [n], { dtype: 'int32', device: images.device });
}

/** Runs `fn` with the model in eval mode and the victim's constants freed afterwards. */
export async function underAttack<T>(victim: Victim, fn: () => Promise<T>): Promise<T> {
  const wasTraining = victim.model.training;
  victim.model.eval();
  try {
    return await fn();
  } finally {
    if (wasTraining) victim.model.train();
    victim.dispose();
  }
}

/** Whether each image is fooled: misclassified (untargeted) or classified as the target. */
export function fooled(predictions: ArrayLike<number>, labels: ArrayLike<number>, targeted: boolean): boolean[] {
  return Array.from(predictions, (p, i) => (targeted ? p === labels[i] : p !== labels[i]));
}

/** The model's verdict on a batch: see {@link classify}. */
export interface Classification {
  /** The most probable class of each image. */
  predictions: number[];
  /** Its softmax probability. */
  confidences: number[];
}

// The most probable class of each of the n rows of softmax probabilities, and its probability.
function topClass(p: ArrayLike<number>, n: number): Classification {
  const classes = p.length / n;
  const predictions: number[] = [];
  const confidences: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c;
    predictions.push(best);
    confidences.push(p[i * classes + best]);
  }
  return { predictions, confidences };
}

/** Predictions, confidences, success and norms of an adversarial batch; `adversarial` is returned as is. */
export async function report(victim: Victim, images: Tensor, adversarial: Tensor, labels: Tensor, targeted: boolean): Promise<AttackResult> {
  const [probs, delta] = tidy(() => noGrad(() => [softmax(victim.logits(adversarial), 1), sub(adversarial, images).reshape([images.shape[0], -1])]));
  try {
    const [p, d, l] = await Promise.all([probs.data(), delta.data(), labels.data()]);
    const n = images.shape[0];
    const per = delta.shape[1];
    const { predictions, confidences } = topClass(p, n);
    const norms = { l0: [] as number[], l2: [] as number[], linf: [] as number[] };
    for (let i = 0; i < n; i++) {
      let l0 = 0;
      let l2 = 0;
      let linf = 0;
      for (let j = 0; j < per; j++) {
        const v = Math.abs(d[i * per + j]);
        if (v > 0) l0++;
        l2 += v * v;
        linf = Math.max(linf, v);
      }
      norms.l0.push(l0);
      norms.l2.push(Math.sqrt(l2));
      norms.linf.push(linf);
    }
    return { adversarial, success: fooled(predictions, l, targeted), norms, predictions, confidences };
  } finally {
    probs.dispose();
    delta.dispose();
  }
}


/**
 * The model's class and its softmax probability for each pixel-space image (normalised inside), in eval
 * mode: the clean side of an attack report.
 * @example const { predictions, confidences } = await attack.classify(net, images, { normalize });
 */
export async function classify(model: Module, images: Tensor, options: Pick<AttackOptions, 'normalize'> = {}): Promise<Classification> {
  const op = 'classify';
  const x = checkImages(op, images);
  const victim = new Victim(op, model, x, options);
  return underAttack(victim, async () => {
    const probs = tidy(() => noGrad(() => softmax(victim.logits(x), 1)));
    try {
      return topClass(await probs.data(), x.shape[0]);
    } finally {
      probs.dispose();
    }
  });
}
