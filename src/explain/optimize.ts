/**
 * What feature inversion and activation maximisation share: option checks, and the loop that optimises
 * an image. Each step runs in its own `tidy` scope, takes the gradient with `grad()` (so no parameter's
 * `.grad` is touched), updates the image with one of our optimizers, and awaits the step's numbers, so
 * the event loop runs between steps and a progress bar can follow.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator, defaultGenerator } from '../random';
import { enableGrad, grad, noGrad } from '../autograd';
import { tidy } from '../memory';
import { stack } from '../ops/indexing';
import { Adam } from '../optim/adam';
import { SGD } from '../optim/sgd';
import { roll } from './regularizers';

/** The optimizer of an image: Adam (default), or SGD with momentum 0.9 as in Mahendran & Vedaldi. */
export type ImageOptimizer = 'adam' | 'sgd';

/** Throws unless `options` is an object (or undefined) whose keys are all `known`: typos fail loudly. */
export function checkOptions(op: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${op}: argument 'options' must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
  return options as Record<string, unknown>;
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** A number option: TypeError when not a number, RangeError outside the bounds. */
export function numberOption(
  op: string,
  name: string,
  v: unknown,
  fallback: number,
  { min = -Infinity, max = Infinity, integer = false, exclusiveMin = false }: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: option '${name}' must be a number, got ${describe(v)}`);
  if (integer && !Number.isInteger(v)) throw new TypeError(`${op}: option '${name}' must be an integer, got ${v}`);
  if (!Number.isFinite(v) || (exclusiveMin ? v <= min : v < min) || v > max) {
    const range = exclusiveMin ? `> ${min}` : max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${op}: option '${name}' must be a finite number ${range}, got ${v}`);
  }
  return v;
}

/** The `generator` option: a {@link Generator}, the global one when left out. */
export function generatorOption(op: string, v: unknown): Generator {
  if (v === undefined) return defaultGenerator;
  if (!(v instanceof Generator)) throw new TypeError(`${op}: option 'generator' must be a Generator, got ${describe(v)}`);
  return v;
}

/** A callback option (`onStep`). */
export function callbackOption<F>(op: string, name: string, v: unknown): F | undefined {
  if (v !== undefined && typeof v !== 'function') throw new TypeError(`${op}: option '${name}' must be a function, got ${describe(v)}`);
  return v as F | undefined;
}

/** The `signal` option: an AbortSignal. */
export function signalOption(op: string, v: unknown): AbortSignal | undefined {
  if (v !== undefined && !(v instanceof AbortSignal)) throw new TypeError(`${op}: option 'signal' must be an AbortSignal, got ${describe(v)}`);
  return v as AbortSignal | undefined;
}

/** The `optimizer` option. */
export function optimizerOption(op: string, v: unknown): ImageOptimizer {
  if (v === undefined) return 'adam';
  if (v !== 'adam' && v !== 'sgd') throw new TypeError(`${op}: option 'optimizer' must be 'adam' or 'sgd', got ${typeof v === 'string' ? JSON.stringify(v) : describe(v)}`);
  return v;
}

/** An `init` option: a float32 tensor of exactly `shape`. */
export function initOption(op: string, v: unknown, shape: readonly number[]): Tensor | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof Tensor)) throw new TypeError(`${op}: option 'init' must be a Tensor, got ${describe(v)}`);
  v._h(op, 'init');
  if (v.dtype !== 'float32' || v.ndim !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: option 'init' must be a float32 tensor of shape ${fmtShape(shape)}, got ${v.dtype} ${fmtShape(v.shape)}`);
  }
  return v;
}

/** One step's objective: the scalar to minimise and further scalars to report (all from the same pass). */
export interface StepObjective {
  /** The scalar minimised. */
  loss: Tensor;
  /** Scalars reported with it. */
  parts: Tensor[];
}

/** What {@link optimizeImage} needs. */
export interface ImageLoop {
  /** The image, a float32 leaf updated in place. */
  x: Tensor;
  /** Number of steps. */
  steps: number;
  /** Learning rate. */
  lr: number;
  /** Adam or momentum SGD. */
  optimizer: ImageOptimizer;
  /** The jitter of each step ([0, 0] for none). */
  shifts: readonly (readonly [number, number])[];
  /** The objective on the (jittered) image `xj`; `x` is the unshifted image, for the priors. */
  objective: (xj: Tensor, x: Tensor) => StepObjective;
  /** Called after each step with the 1-based step and [loss, ...parts] as numbers. */
  report: (step: number, values: number[]) => void | Promise<void>;
  /** Stops the loop between steps. */
  signal?: AbortSignal;
}

/**
 * Minimises `objective` over the image `x` in place. The model's parameters keep their `.grad`: the
 * gradient is taken with respect to `x` only, through `grad()`.
 */
export async function optimizeImage(loop: ImageLoop): Promise<void> {
  const { x } = loop;
  const opt = loop.optimizer === 'adam' ? new Adam([x], { lr: loop.lr }) : new SGD([x], { lr: loop.lr, momentum: 0.9 });
  x.requiresGrad = true;
  try {
    for (let s = 0; s < loop.steps; s++) {
      loop.signal?.throwIfAborted();
      const values = await tidy(async () => {
        const shift = loop.shifts[s];
        const { loss, parts } = enableGrad(() => loop.objective(shift[0] || shift[1] ? roll(x, [shift[0], shift[1]]) : x, x));
        const read = noGrad(() => stack([loss, ...parts].map((t) => t.detach().reshape([]))));
        const [g] = grad(loss, [x]);
        x.grad = g;
        opt.step();
        x.grad = null;
        return Array.from(await read.data());
      });
      await loop.report(s + 1, values);
    }
  } finally {
    x.grad = null;
    x.requiresGrad = false;
    opt.dispose();
  }
}
