/**
 * The pipeline every class-activation-map method shares: checks, eval mode, target layers, a forward
 * pass that captures activations (and the gradients of the target scores with respect to them), the
 * method's channel weighting, the sum over channels (or the first principal component), the ReLU, and
 * the final maps; with `augSmooth`, the same over six augmented inputs.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { classScores } from '../nn/scores';
import { enableGrad, grad, noGrad } from '../autograd';
import { tidy } from '../memory';
import { relu, mul } from '../ops/elementwise';
import { indexSelect } from '../ops/indexing';
import { tensor } from '../ops/creation';
import { checkNumber, checkTensor } from '../ops/util';
import { defaultLayer, resolveLayers, type ResolvedLayer } from './layers';
import { captureOutputs } from './capture';
import { resolveTargets, targetClasses, targetScores, type ResolvedTargets } from './targets';
import { projection2d } from './projection';
import { finalMaps, normalizePerImage } from './postprocess';
import type { CamOptions, Explanation } from './types';

/** What a method sees of one target layer. */
export interface LayerContext {
  /** The method's name, for messages. */
  op: string;
  /** The model, in eval mode. */
  model: Module;
  /** The (possibly augmented) input [N, C, H, W]. */
  input: Tensor;
  /** The layer. */
  layer: ResolvedLayer;
  /** Its activations [N, K, h, w] (detached). */
  acts: Tensor;
  /** ∂(Σ target scores)/∂acts, when the method asks for gradients. */
  grads: Tensor | null;
  /** The targets. */
  targets: ResolvedTargets;
  /** The target scores on this input, [N]. */
  scores: Tensor;
  /** Copies per extra forward pass. */
  batchSize: number;
  /** Reports `done` of `total` copies for this layer (see {@link CamOptions.onProgress}). */
  progress: (done: number, total: number) => void;
}

/** A class-activation-map method. */
export interface CamMethod {
  /** Whether it needs the gradients of the scores with respect to the activations. */
  grads: boolean;
  /** The weighted activations [N, K, h, w], summed over K (or projected) into the map. */
  weigh: (ctx: LayerContext) => Tensor | Promise<Tensor>;
  /** Always project on the first principal component (EigenCAM). */
  project?: boolean;
}

/** Checks the input of an explanation method: a float32 [N, C, H, W] batch. */
export function checkImages(op: string, input: unknown): Tensor {
  const x = checkTensor(op, 'input', input);
  if (x.dtype !== 'float32' || x.ndim !== 4) {
    throw new TypeError(`${op}: argument 'input' must be a float32 [N, C, H, W] batch, got ${x.dtype} ${fmtShape(x.shape)}`);
  }
  return x;
}

/** Runs `fn` with the model in eval mode, restoring its mode afterwards. */
export async function inEvalMode<T>(model: Module, fn: () => Promise<T>): Promise<T> {
  const wasTraining = model.training;
  model.eval();
  try {
    return await fn();
  } finally {
    if (wasTraining) model.train();
  }
}

/** The model's output as class scores (see {@link classScores}); a model returning anything but a tensor is an error. */
export function outputTensor(op: string, out: unknown, model: Module): Tensor {
  if (out instanceof Tensor) return classScores(model, out);
  throw new TypeError(`${op}: the model must return a tensor in eval mode, got ${out === null ? 'null' : typeof out}`);
}

/** Activations [N, K, h, w] scaled by channel weights [N, K]. */
export function perChannel(w: Tensor, a: Tensor): Tensor {
  return mul(a, w.reshape([w.shape[0], w.shape[1], 1, 1]));
}

function flipW(x: Tensor): Tensor {
  const w = x.shape[x.ndim - 1];
  const idx = tensor(Int32Array.from({ length: w }, (_, i) => w - 1 - i), [w], { dtype: 'int32', device: x.device });
  return indexSelect(x, x.ndim - 1, idx);
}

interface Pass {
  raws: Tensor[];
  scores: Tensor;
  targets: ResolvedTargets;
}

async function onePass(op: string, method: CamMethod, model: Module, x: Tensor, layers: ResolvedLayer[], options: CamOptions, given: ResolvedTargets | null): Promise<Pass> {
  const batchSize = options.batchSize ?? 32;
  const xin = x.detach();
  xin.requiresGrad = method.grads;
  let out: Tensor | null = null;
  const captured = captureOutputs(op, layers, () => {
    out = outputTensor(op, method.grads ? enableGrad(() => model.call(xin)) : noGrad(() => model.call(xin)), model);
  }, layers.map(() => true));
  const targets = given ?? (await resolveTargets(op, out!, options.targets));
  const scores = method.grads ? targetScores(op, out!, targets) : noGrad(() => targetScores(op, out!, targets));
  const grads = method.grads ? grad(scores.sum(), captured) : null;
  const acts = captured.map((a) => a.detach());
  const raws: Tensor[] = [];
  for (let i = 0; i < layers.length; i++) {
    const weighted = await noGrad(() =>
      method.weigh({
        op, model, input: x, layer: layers[i], acts: acts[i], grads: grads ? grads[i] : null, targets, scores, batchSize,
        progress: (done, total) => options.onProgress?.({ layer: layers[i].name, done, total }),
      }),
    );
    const map = method.project || options.eigenSmooth ? await projection2d(weighted) : weighted.sum(1);
    raws.push(relu(map));
  }
  return { raws, scores: scores.detach(), targets };
}

const AUGMENTATIONS: readonly { flip: boolean; factor: number }[] = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));

/** Runs a class-activation-map method: see {@link CamOptions} and {@link Explanation}. */
export async function explainWith(op: string, method: CamMethod, model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module`);
  checkImages(op, input);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  if (options.batchSize !== undefined) checkNumber(op, 'batchSize', options.batchSize, { min: 1, integer: true });
  const size: [number, number] = [input.shape[2], input.shape[3]];
  return inEvalMode(model, () =>
    tidy(async () => {
      const layers = options.layers !== undefined ? resolveLayers(op, model, options.layers) : [defaultLayer(op, model, input)];
      const base = await onePass(op, method, model, input, layers, options, null);
      let maps = finalMaps(base.raws, size);
      let raws = base.raws;
      if (options.augSmooth) {
        const passes: { maps: Tensor; raws: Tensor[] }[] = [];
        for (const { flip, factor } of AUGMENTATIONS) {
          if (!flip && factor === 1) {
            passes.push({ maps, raws });
            continue;
          }
          const x = mul(flip ? flipW(input) : input, factor);
          const p = await onePass(op, method, model, x, layers, options, base.targets);
          const back = flip ? p.raws.map(flipW) : p.raws;
          passes.push({ maps: finalMaps(back, size), raws: back });
        }
        const mean = (ts: Tensor[]) => ts.reduce((a, b) => a.add(b)).div(ts.length);
        maps = normalizePerImage(mean(passes.map((p) => p.maps)));
        raws = layers.map((_, i) => mean(passes.map((p) => p.raws[i])));
      }
      const result: Explanation = {
        maps,
        raw: raws[0],
        layers: layers.map((l, i) => ({ layer: l.name, raw: raws[i] })),
        scores: Array.from(await base.scores.data()),
        targets: targetClasses(base.targets),
      };
      return result;
    }),
  );
}
