/**
 * Training: a reusable loop for classifiers ({@link trainEpoch}, {@link evaluate}, {@link fit}), the
 * measured {@link RECIPES} per model, and {@link makeOptimizer}. The `deepscope` command line is built on
 * these.
 *
 * @example
 * import { data, models, optim, train, Generator, manualSeed } from 'deepscope';
 * manualSeed(0);
 * const { train: trainSet, test } = data.mnist({ padTo32: true });
 * const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: new Generator(0) });
 * const testLoader = new data.DataLoader(test, { batchSize: 500 });
 * const model = models.create('lenet5-modern');
 * const r = train.RECIPES['lenet5-modern'];
 * const optimizer = train.makeOptimizer(r.optimizer, model.parameters(), r);
 * const scheduler = new optim.OneCycleLR(optimizer, { maxLr: r.lr, epochs: r.epochs, stepsPerEpoch: loader.length });
 * const history = await train.fit(model, loader, { epochs: r.epochs, optimizer, scheduler, testLoader });
 * console.log(history.at(-1)!.testAccuracy); // ≈ 0.98
 * @module
 */
export {
  trainEpoch,
  evaluate,
  fit,
  type BatchSource,
  type StepInfo,
  type TrainEpochOptions,
  type EvaluateOptions,
  type EpochResult,
  type EpochRecord,
  type FitOptions,
} from './loop';
export {
  RECIPES,
  OPTIMIZER_NAMES,
  makeOptimizer,
  type Recipe,
  type OptimizerName,
  type ModelName,
  type MakeOptimizerOptions,
} from './recipes';
export { truncatedBptt, detachState, type RecurrentState, type TruncatedBpttOptions, type WindowResult } from './bptt';
