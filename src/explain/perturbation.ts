/**
 * The gradient-free methods that re-run the model on perturbed inputs, a batch of copies per forward:
 *
 * - Score-CAM (Wang et al. 2020): each channel k, upsampled to the input and min-max normalised, masks
 *   the image; the target scores of the K masked images, softmaxed over k, weigh the channels (as
 *   pytorch-grad-cam does, on the target's raw score).
 * - Ablation-CAM (Desai & Ramaswamy 2020): each channel k of the layer is zeroed in turn; its weight is
 *   the relative drop of the target score, (S − S_k) / S.
 * @module
 */
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { mul } from '../ops/elementwise';
import { narrow } from '../ops/indexing';
import { ones, tensor } from '../ops/creation';
import { softmax } from '../ops/softmax';
import { interpolate } from '../ops/resample';
import { tidy } from '../memory';
import { explainWith, outputTensor, perChannel, type CamMethod, type LayerContext } from './pipeline';
import { captureOutputs } from './capture';
import { targetScores, type ResolvedTargets } from './targets';
import { normalizePerImage } from './postprocess';
import type { CamOptions, Explanation } from './types';

// Image i's target repeated b times; a score function still sees image i's index.
function repeatTarget(targets: ResolvedTargets, i: number, b: number): ResolvedTargets {
  const t = targets[i];
  const one = typeof t === 'number' ? t : (row: Tensor) => t(row, i);
  return new Array(b).fill(one);
}

async function scoreCamWeights({ op, model, input, acts, targets, batchSize, progress }: LayerContext): Promise<Tensor> {
  const [n, k] = acts.shape;
  const size: [number, number] = [input.shape[2], input.shape[3]];
  const masks = normalizePerImage(interpolate(acts, { size, mode: 'bilinear' }).reshape([n * k, ...size])).reshape([n, k, 1, ...size]);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const image = narrow(input, 0, i, 1);
    for (let s = 0; s < k; s += batchSize) {
      const b = Math.min(batchSize, k - s);
      const part = await tidy(async () => {
        const batch = mul(image, narrow(narrow(masks, 0, i, 1).reshape([k, 1, ...size]), 0, s, b));
        return targetScores(op, outputTensor(op, model.call(batch), model), repeatTarget(targets, i, b)).data();
      });
      scores.set(part, i * k + s);
      progress(i * k + s + b, n * k);
    }
  }
  return perChannel(softmax(tensor(scores, [n, k], { device: acts.device }), 1), acts);
}

async function ablationCamWeights({ op, model, input, layer, acts, targets, scores, batchSize, progress }: LayerContext): Promise<Tensor> {
  const [n, k] = acts.shape;
  const original = await scores.data();
  const weights = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const base = original[i] === 0 ? 1e-7 : original[i];
    for (let s = 0; s < k; s += batchSize) {
      const b = Math.min(batchSize, k - s);
      const keepMask = new Float32Array(b * k).fill(1);
      for (let j = 0; j < b; j++) keepMask[j * k + s + j] = 0;
      const part = await tidy(async () => {
        const mask = tensor(keepMask, [b, k, 1, 1], { device: acts.device });
        const batch = mul(narrow(input, 0, i, 1), ones([b, 1, 1, 1], { device: input.device }));
        let out: unknown;
        captureOutputs(op, [layer], () => { out = model.call(batch); }, [true], (_, a) => mul(a, mask));
        return targetScores(op, outputTensor(op, out, model), repeatTarget(targets, i, b)).data();
      });
      for (let j = 0; j < b; j++) weights[i * k + s + j] = (original[i] - part[j]) / base;
      progress(i * k + s + b, n * k);
    }
  }
  return perChannel(tensor(weights, [n, k], { device: acts.device }), acts);
}

const SCORE_CAM: CamMethod = { grads: false, weigh: scoreCamWeights };
const ABLATION_CAM: CamMethod = { grads: false, weigh: ablationCamWeights };

/**
 * Score-CAM: channel weights from the target scores of the image masked by each upsampled channel; K
 * forward passes per image, `batchSize` at a time.
 * @example const { maps } = await explain.scoreCam(model, x, { layers: 'layer4', batchSize: 64 });
 */
export function scoreCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('scoreCam', SCORE_CAM, model, input, options);
}

/** Ablation-CAM: channel weights from the relative drop of the target score when the channel is zeroed. */
export function ablationCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('ablationCam', ABLATION_CAM, model, input, options);
}
