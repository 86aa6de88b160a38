/**
 * `deepscope train`: the demo's loop with explicit hyper-parameters.
 * @module
 */
import { Command } from 'commander';
import type { DeviceLike } from '../device';
import { RECIPES, type ModelName, type OptimizerName } from '../train/recipes';
import { applyThreads, deviceArg, modelArg, nonNegativeInt, numberArg, optimizerArg, positiveInt, usageError } from './common';
import { runTraining } from './run';

/** Options of `deepscope train`, as parsed. */
export interface TrainOptions {
  model: ModelName;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  optimizer?: OptimizerName;
  momentum: number;
  schedule: string;
  seed: number;
  device: DeviceLike;
  out: string;
  threads?: number;
  trainSize?: number;
  samples?: boolean;
  quiet?: boolean;
}

/** Adds the `train` command to `program`. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model on MNIST with explicit hyper-parameters; write the checkpoint and a summary')
    .requiredOption('-m, --model <name>', 'lenet5 or lenet5-modern', modelArg)
    .option('-e, --epochs <n>', "epochs (default: the model's recipe)", positiveInt('--epochs'))
    .option('-b, --batch-size <n>', "samples per batch (default: the model's recipe, 64)", positiveInt('--batch-size'))
    .option('--lr <lr>', "peak learning rate (default: the model's recipe)", numberArg('--lr', { positive: true }))
    .option('--weight-decay <wd>', "weight decay (default: the model's recipe)", numberArg('--weight-decay'))
    .option('--optimizer <name>', 'adamw, adam or sgd (default: adamw)', optimizerArg)
    .option('--momentum <m>', 'SGD momentum', numberArg('--momentum'), 0.9)
    .option('--schedule <name>', 'onecycle (the learning rate rises to --lr and anneals, over all steps) or none', 'onecycle')
    .option('-s, --seed <n>', 'seed of the initial weights and the shuffles', nonNegativeInt('--seed'), 0)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-o, --out <dir>', 'output directory', './deepscope-train')
    .option('-t, --threads <n>', 'CPU threads (default: DEEPSCOPE_NUM_THREADS or all cores)', positiveInt('--threads'))
    .option('--train-size <n>', 'train on the first n of the 8,000 training digits (quick experiments)', positiveInt('--train-size'))
    .option('--samples', 'also write samples.png, gradcam.png, adversarial.png and robustness.png')
    .option('-q, --quiet', 'no progress bars')
    .addHelpText(
      'after',
      `\nWrites model.safetensors, training.png and summary.json to the output directory.\n\n` +
        `Example:\n  deepscope train --model lenet5 --epochs 5 --optimizer sgd --lr 0.05 --out runs/sgd`,
    )
    .action(async (opts: TrainOptions) => {
      if (opts.schedule !== 'onecycle' && opts.schedule !== 'none') throw usageError(`unknown schedule '${opts.schedule}' (use onecycle or none)`);
      if (opts.momentum >= 1) throw usageError(`--momentum must be in [0, 1), got ${opts.momentum}`);
      applyThreads(opts.threads);
      const r = RECIPES[opts.model];
      await runTraining({
        command: 'train',
        model: opts.model,
        epochs: opts.epochs ?? r.epochs,
        batchSize: opts.batchSize ?? r.batchSize,
        optimizer: opts.optimizer ?? r.optimizer,
        lr: opts.lr ?? r.lr,
        weightDecay: opts.weightDecay ?? r.weightDecay,
        momentum: opts.momentum,
        schedule: opts.schedule,
        seed: opts.seed,
        device: opts.device,
        outDir: opts.out,
        trainSize: opts.trainSize,
        samples: Boolean(opts.samples),
        quiet: Boolean(opts.quiet),
      });
    });
}
