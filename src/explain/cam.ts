/**
 * The class-activation-map methods that weigh a layer's activations A [N, K, h, w] with the gradients
 * G = ∂S_c/∂A of the target score, or with the classifier's weights; the map is Σ_k (weighted A)_k, then
 * ReLU. Formulas (sums over the spatial positions ij):
 *
 * - CAM (Zhou et al. 2016): w_k = W_fc[c, k] of the linear layer after global average pooling.
 * - Grad-CAM (Selvaraju et al. 2017): w_k = mean_ij G_kij.
 * - Grad-CAM++ (Chattopadhyay et al. 2018), the closed form for an exponential score from first-order
 *   gradients: α_kij = G² / (2G² + Σ_ab A_kab · G³), zero where G = 0; w_k = Σ_ij α_kij · ReLU(G_kij).
 * - XGrad-CAM (Fu et al. 2020): w_k = Σ_ij G_kij A_kij / (Σ_ij A_kij + ε).
 * - HiResCAM (Draelos & Carin 2020): the elementwise G ⊙ A, no spatial averaging.
 * - LayerCAM (Jiang et al. 2021): ReLU(G) ⊙ A.
 * - EigenCAM (Muhammad & Yeasin 2020): the first principal component of A (no gradients, no target).
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { Linear } from '../nn/layers/linear';
import { add, div, mul, relu, where, gt } from '../ops/elementwise';
import { indexSelect } from '../ops/indexing';
import { tensor } from '../ops/creation';
import { explainWith, perChannel, type CamMethod } from './pipeline';
import { resolveLayers } from './layers';
import type { CamOptions, Explanation } from './types';

const EPS = 1e-7;

const GRAD_CAM: CamMethod = { grads: true, weigh: ({ acts, grads }) => perChannel(grads!.mean([2, 3]), acts) };

const GRAD_CAM_PP: CamMethod = {
  grads: true,
  weigh: ({ acts, grads }) => {
    const g = grads!;
    const g2 = mul(g, g);
    const g3 = mul(g2, g);
    const sumA = acts.sum([2, 3], true);
    const alpha = div(g2, add(add(mul(g2, 2), mul(sumA, g3)), EPS));
    const aij = where(gt(g.abs(), 0), alpha, 0);
    return perChannel(mul(aij, relu(g)).sum([2, 3]), acts);
  },
};

const XGRAD_CAM: CamMethod = {
  grads: true,
  weigh: ({ acts, grads }) => perChannel(div(mul(grads!, acts).sum([2, 3]), add(acts.sum([2, 3]), EPS)), acts),
};

const HIRES_CAM: CamMethod = { grads: true, weigh: ({ acts, grads }) => mul(grads!, acts) };

const LAYER_CAM: CamMethod = { grads: true, weigh: ({ acts, grads }) => mul(relu(grads!), acts) };

const EIGEN_CAM: CamMethod = { grads: false, project: true, weigh: ({ acts }) => acts };

/**
 * Grad-CAM: the activations weighted by the spatial mean of the target score's gradient.
 * @example
 * const { maps, raw, scores } = await explain.gradCam(model, images, { layers: 'layer4', targets: [281, 285] });
 */
export function gradCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('gradCam', GRAD_CAM, model, input, options);
}

/** Grad-CAM++: pixel-wise weights α from the first-order gradients (better for several instances of a class). */
export function gradCamPlusPlus(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('gradCamPlusPlus', GRAD_CAM_PP, model, input, options);
}

/** XGrad-CAM: channel weights Σ G·A / Σ A, which satisfy its sensitivity and conservation axioms. */
export function xGradCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('xGradCam', XGRAD_CAM, model, input, options);
}

/** HiResCAM: Σ_k G ⊙ A without averaging the gradients, faithful to the model's computation. */
export function hiResCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('hiResCam', HIRES_CAM, model, input, options);
}

/** LayerCAM: Σ_k ReLU(G) ⊙ A; fine-grained on shallow layers too. */
export function layerCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('layerCam', LAYER_CAM, model, input, options);
}

/** EigenCAM: the first principal component of the layer's activations; class-agnostic, no gradients. */
export function eigenCam(model: Module, input: Tensor, options: CamOptions = {}): Promise<Explanation> {
  return explainWith('eigenCam', EIGEN_CAM, model, input, options);
}

/** Options of {@link cam}. */
export interface CamClassicOptions extends CamOptions {
  /** The linear classifier after the global average pooling. Default: the model's last `Linear`. */
  fc?: string | Linear;
}

/**
 * CAM (Zhou et al. 2016) for networks ending in global average pooling and one linear layer: the layer's
 * activations weighted by the classifier's row for the target class. Targets must be class indices.
 * @example const { maps } = await explain.cam(models.resnet18(), x, { layers: 'layer4' });
 */
export function cam(model: Module, input: Tensor, options: CamClassicOptions = {}): Promise<Explanation> {
  const op = 'cam';
  if (!(model instanceof Module)) throw new TypeError(`${op}: argument 'model' must be a Module`);
  let fc: Module | undefined;
  if (options.fc !== undefined) fc = resolveLayers(op, model, options.fc)[0].module;
  else fc = model.modules().filter((m) => m instanceof Linear).pop();
  if (!(fc instanceof Linear)) throw new TypeError(`${op}: ${options.fc === undefined ? 'the model has no Linear layer' : "'fc' must name a Linear layer"}`);
  const linear = fc;
  const method: CamMethod = {
    grads: false,
    weigh: ({ acts, targets, layer }) => {
      const k = acts.shape[1];
      if (linear.weight.shape[1] !== k) {
        throw new RangeError(`${op}: layer '${layer.name}' has ${k} channels but the classifier takes ${linear.weight.shape[1]} features (weight ${fmtShape(linear.weight.shape)}); CAM needs global average pooling between them`);
      }
      if (targets.some((t) => typeof t !== 'number')) throw new TypeError(`${op}: targets must be class indices (CAM reads the classifier's rows)`);
      const idx = tensor(Int32Array.from(targets as number[]), [targets.length], { dtype: 'int32', device: acts.device });
      return perChannel(indexSelect(linear.weight.detach(), 0, idx), acts);
    },
  };
  return explainWith(op, method, model, input, options);
}

