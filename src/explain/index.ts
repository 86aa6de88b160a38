/**
 * Looking inside networks: class activation maps (CAM, Grad-CAM, Grad-CAM++, XGrad-CAM, HiResCAM,
 * LayerCAM, EigenCAM, Score-CAM, Ablation-CAM). Every method takes `(model, input, options)` and resolves
 * to an {@link Explanation}; target layers are named by module path, targets are classes or score
 * functions, whole batches at once.
 * @example
 * import { explain, models } from 'deepscope';
 * const net = models.resnet18();
 * const { maps, scores } = await explain.gradCam(net, images, { layers: 'layer4', targets: 243 });
 * @module
 */
export { cam, gradCam, gradCamPlusPlus, xGradCam, hiResCam, layerCam, eigenCam, type CamClassicOptions } from './cam';
export { scoreCam, ablationCam } from './perturbation';
export { normalizePerImage } from './postprocess';
export { projection2d } from './projection';
export type { CamOptions, Explanation, LayerMap, LayerRef, ScoreFn, Target, Targets } from './types';
export { invert, type InvertOptions, type InvertStep, type Inversion } from './inversion';
export { visualize, type VisualizeOptions, type VisualizeStep, type Visualization, type ChannelTarget } from './visualize';
export { perceptualLoss, gramMatrix, type PerceptualLoss, type PerceptualOptions } from './perceptual';
export { alphaNorm, totalVariation, roll, jitter, type JitterOptions } from './regularizers';
export type { ImageOptimizer } from './optimize';
