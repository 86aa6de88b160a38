/**
 * Looking inside networks: class activation maps (CAM, Grad-CAM, Grad-CAM++, XGrad-CAM, HiResCAM,
 * LayerCAM, EigenCAM, Score-CAM, Ablation-CAM). Every method takes `(model, input, options)` and resolves
 * to an {@link Explanation}; target layers are named by module path, targets are classes or score
 * functions, whole batches at once. The input-gradient methods (vanilla saliency, SmoothGrad, integrated
 * gradients, guided backpropagation, Guided Grad-CAM) take the same arguments and resolve to a
 * {@link Saliency}: signed attributions per input value and a map per image. Pictures of the maps
 * (colour maps, overlays, labelled grids) and metrics to compare methods (Average Drop, Increase in
 * Confidence, deletion and insertion). Feature inversion, activation maximisation and the perceptual
 * loss reconstruct or synthesise images from what a layer represents.
 * @example
 * import { explain, models } from 'deepscope';
 * const net = models.resnet18();
 * const { maps, scores } = await explain.gradCam(net, images, { layers: 'layer4', targets: 243 });
 * explain.overlay(images, maps, { path: 'gradcam.png' });
 * @module
 */
export { cam, gradCam, gradCamPlusPlus, xGradCam, hiResCam, layerCam, eigenCam, type CamClassicOptions } from './cam';
export { scoreCam, ablationCam } from './perturbation';
export { normalizePerImage } from './postprocess';
export { projection2d } from './projection';
export type { CamOptions, Explanation, LayerMap, LayerRef, ScoreFn, Target, Targets } from './types';
export { colormap, applyColormap, COLORMAP_NAMES, type Colormap, type ColormapName } from './colormap';
export { overlay, type OverlayOptions } from './overlay';
export { grid, type GridPanel, type GridOptions } from './grid';
export {
  confidenceChange,
  deletionInsertion,
  auc,
  type ClassTargets,
  type Baseline,
  type ConfidenceChangeOptions,
  type ConfidenceChange,
  type DeletionInsertionOptions,
  type DeletionInsertion,
  type MetricCurves,
} from './metrics';
export { plotCurves, type PlotCurvesOptions } from './curves';
export { saliency, smoothGrad, guidedBackprop, guidedGradCam, type SmoothGradOptions } from './saliency';
export { integratedGradients, type IntegratedGradientsOptions, type IntegratedGradientsResult } from './integrated';
export type { Saliency, SaliencyOptions } from './types';
export { invert, type InvertOptions, type InvertStep, type Inversion } from './inversion';
export { visualize, type VisualizeOptions, type VisualizeStep, type Visualization, type ChannelTarget } from './visualize';
export { perceptualLoss, gramMatrix, type PerceptualLoss, type PerceptualOptions } from './perceptual';
export { alphaNorm, totalVariation, roll, jitter, type JitterOptions } from './regularizers';
export type { ImageOptimizer } from './optimize';
