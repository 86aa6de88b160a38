/**
 * Why architectures work, measured on your own models: loss landscapes with filter-normalised
 * directions (Li et al. 2018), lesion studies of residual networks as ensembles of paths (Veit et al.
 * 2016), and signal propagation through very deep networks (Xiao et al. 2018). The pictures are drawn
 * by `io.writeHeatmap` and `io.plotLines`; see docs/analysis.md.
 * @example
 * const surface = await analysis.landscape(model, ds.crossEntropy, [x, y], { directions: 2, steps: 21 });
 * await io.writeHeatmap('landscape.png', surface);
 * @module
 */
export { getWeights, setWeights, dot, norm, type ParameterVector } from './weights';
export {
  randomDirection,
  normalizeDirection,
  directionBetween,
  pcaDirections,
  type DirectionNormalization,
  type RandomDirectionOptions,
  type PcaDirections,
} from './directions';
export {
  landscape,
  evaluateLoss,
  type Landscape,
  type LandscapeData,
  type LandscapeOptions,
  type LandscapeProgress,
  type LossFn,
  type LossAndAccuracy,
} from './landscape';
export {
  lesion,
  shortcutOf,
  pathCount,
  pathLengthDistribution,
  type LesionOptions,
  type LesionResult,
  type LesionRow,
  type LesionGroup,
  type PathLength,
} from './lesion';
export { signalPropagation, type SignalOptions, type SignalPropagation, type JacobianSpectrum } from './signal';
export { symmetricEigen, type SymmetricEigen } from './linalg';
