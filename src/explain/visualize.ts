/**
 * Activation maximisation: the image a network finds most typical of a class (Simonyan, Vedaldi &
 * Zisserman, "Deep inside convolutional networks", ICLR 2014 workshop) or of a channel, regularised by
 * jitter and total variation as in Mahendran & Vedaldi ("Visualizing deep convolutional neural networks
 * using natural pre-images", IJCV 2016).
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { Generator } from '../random';
import { tidy } from '../memory';
import { clone, randn, zeros } from '../ops/creation';
import { captureOutputs, layerOption } from './capture';
import { inEvalMode, outputTensor } from './pipeline';
import { randomShifts, totalVariation } from './regularizers';
import {
  callbackOption,
  checkOptions,
  generatorOption,
  initOption,
  numberOption,
  optimizeImage,
  optimizerOption,
  signalOption,
  type ImageOptimizer,
} from './optimize';
import type { LayerRef } from './types';
import type { ResolvedLayer } from './layers';

/** A channel of a layer: its mean activation (over the spatial positions of a 4-D output) is maximised. */
export interface ChannelTarget {
  /** The layer, by module path or module. */
  layer: LayerRef;
  /** The channel (axis 1 of the layer's output). */
  channel: number;
}

/** Progress of {@link visualize}, after each step. */
export interface VisualizeStep {
  /** The step just taken, 1 to `steps`. */
  step: number;
  /** The number of steps in all. */
  steps: number;
  /** The target score at this step (the logit, or the channel's mean activation). */
  score: number;
  /** The weighted priors subtracted from the score: l2·‖x‖²/(H·W) + λ_TV·R_TV²(x)/(H·W). */
  regularisation: number;
}

/** Options of {@link visualize}. */
export interface VisualizeOptions {
  /** A class index (its logit in the model's [N, classes] output is maximised) or a {@link ChannelTarget}. */
  target: number | ChannelTarget;
  /** The image shape [C, H, W] the model takes. */
  shape: readonly number[];
  /** Optimisation steps. Default 200. */
  steps?: number;
  /** Adam's learning rate, in input units. Default 0.05. */
  lr?: number;
  /** Weight of the L2 prior ‖x‖²/(H·W) (Simonyan et al.'s λ, per pixel). Default 1e-2. */
  l2?: number;
  /** Weight of the total-variation prior R_TV²(x)/(H·W) (β = 2). Default 0.1. */
  lambdaTV?: number;
  /** Random circular shift of up to this many pixels per step. Default max(1, round(min(H, W) / 32)). */
  jitter?: number;
  /** The starting image [1, C, H, W]; default Gaussian noise of standard deviation 0.01. */
  init?: Tensor;
  /** Adam (default) or SGD with momentum 0.9. */
  optimizer?: ImageOptimizer;
  /** The random stream of the starting noise and the jitter; the global one by default. */
  generator?: Generator;
  /** Progress callback after each step (awaited when it returns a promise). */
  onStep?: (progress: VisualizeStep) => void | Promise<void>;
  /** Aborts between steps; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@link visualize} resolves to. */
export interface Visualization {
  /** The optimised image [1, C, H, W]. */
  image: Tensor;
  /** The target score at each step (before that step's update). */
  scores: number[];
}

const KNOWN = ['target', 'shape', 'steps', 'lr', 'l2', 'lambdaTV', 'jitter', 'init', 'optimizer', 'generator', 'onStep', 'signal'];

function checkShape(op: string, v: unknown): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((d) => typeof d === 'number')) {
    throw new TypeError(`${op}: option 'shape' must be an image shape [C, H, W], got ${Array.isArray(v) ? `[${v.join(', ')}]` : v === null ? 'null' : typeof v}`);
  }
  if (!v.every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`${op}: option 'shape' must hold positive integers [C, H, W], got ${fmtShape(v)}`);
  return [v[0], v[1], v[2]];
}

/**
 * Synthesises an image that maximises a class logit (or a channel's mean activation) minus priors:
 *
 * ```text
 * maximise over x:  S(jitter(x)) − l2 · ‖x‖² / (H·W) − λ_TV · R_TV²(x) / (H·W)
 * ```
 *
 * Simonyan et al. maximise the unnormalised class score (the logit, not the softmax, whose increase could
 * come from lowering the other classes) with an L2 prior; the total variation and the random circular
 * shifts of Mahendran & Vedaldi (2016) keep the result from turning into high-frequency patterns. The
 * priors are divided by the number of pixels so their weights do not depend on the image size. Each
 * step takes the gradient with `grad()` (parameters' `.grad` untouched) inside its own `tidy` scope and
 * awaits its score; the model is in eval mode during the call. Bad arguments throw at once.
 * @example
 * const { image, scores } = await explain.visualize(net, { target: 3, shape: [1, 32, 32], steps: 200 });
 */
export function visualize(model: Module, options: VisualizeOptions): Promise<Visualization> {
  const op = 'visualize';
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module, got ${model === null ? 'null' : typeof model}`);
  if (options === undefined) throw new TypeError(`${op}: argument 'options' is required ({ target, shape, ... })`);
  const o = checkOptions(op, options, KNOWN);
  const shape = checkShape(op, o.shape);
  let classIndex = -1;
  let channel = -1;
  let layer: ResolvedLayer | null = null;
  const target = o.target;
  if (typeof target === 'number') {
    classIndex = numberOption(op, 'target', target, 0, { min: 0, integer: true });
  } else if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
    const t = target as Partial<ChannelTarget>;
    [layer] = layerOption(op, 'target.layer', model, t.layer);
    if (t.channel === undefined) throw new TypeError(`${op}: option 'target.channel' is required with 'target.layer'`);
    channel = numberOption(op, 'target.channel', t.channel, 0, { min: 0, integer: true });
  } else {
    throw new TypeError(`${op}: option 'target' must be a class index or { layer, channel }, got ${target === null ? 'null' : Array.isArray(target) ? 'an array' : typeof target}`);
  }
  const [c, h, w] = shape;
  const steps = numberOption(op, 'steps', o.steps, 200, { min: 1, integer: true });
  const lr = numberOption(op, 'lr', o.lr, 0.05, { min: 0, exclusiveMin: true });
  const l2 = numberOption(op, 'l2', o.l2, 1e-2, { min: 0 });
  const lambdaTV = numberOption(op, 'lambdaTV', o.lambdaTV, 0.1, { min: 0 });
  const maxShift = numberOption(op, 'jitter', o.jitter, Math.max(1, Math.round(Math.min(h, w) / 32)), { min: 0, integer: true });
  const init = initOption(op, o.init, [1, c, h, w]);
  const optimizer = optimizerOption(op, o.optimizer);
  const generator = generatorOption(op, o.generator);
  const onStep = callbackOption<VisualizeOptions['onStep']>(op, 'onStep', o.onStep);
  const signal = signalOption(op, o.signal);
  const device = init?.device ?? model.parameters()[0]?.device ?? 'cpu';

  const score = (xj: Tensor): Tensor => {
    if (layer) {
      const [a] = captureOutputs(op, [layer], () => model.call(xj));
      if (a.ndim < 2 || channel >= a.shape[1]) {
        throw new RangeError(`${op}: option 'target.channel' ${channel} is out of range for layer '${layer.name}' with output shape ${fmtShape(a.shape)}`);
      }
      return a.narrow(1, channel, 1).mean();
    }
    const out = outputTensor(op, model.call(xj), model);
    if (out.ndim !== 2) throw new TypeError(`${op}: a class target needs a model output [N, classes], got shape ${fmtShape(out.shape)}`);
    if (classIndex >= out.shape[1]) throw new RangeError(`${op}: option 'target' ${classIndex} is out of range for ${out.shape[1]} classes`);
    return out.narrow(1, classIndex, 1).mean();
  };

  return inEvalMode(model, () =>
    tidy(async () => {
      const x = init ? clone(init.detach()) : randn([1, c, h, w], { generator, device }).mul(0.01);
      const shifts = await randomShifts(steps, maxShift, generator);
      const scores: number[] = [];
      await optimizeImage({
        x,
        steps,
        lr,
        optimizer,
        shifts,
        signal,
        objective: (xj, xs) => {
          const s = score(xj);
          let reg: Tensor = zeros([], { device: xs.device });
          if (l2 > 0) reg = reg.add(xs.square().sum().mul(l2 / (h * w)));
          if (lambdaTV > 0) reg = reg.add(totalVariation(xs, 2).mul(lambdaTV / (h * w)));
          return { loss: reg.sub(s), parts: [s, reg] };
        },
        report: (step, [, s, regularisation]) => {
          scores.push(s);
          return onStep?.({ step, steps, score: s, regularisation });
        },
      });
      const result: Visualization = { image: x, scores };
      return result;
    }),
  );
}
