/**
 * `deepscope demo`: trains a LeNet-5 on MNIST with its measured recipe and writes the results.
 * @module
 */
import { Command } from 'commander';
import type { DeviceLike } from '../device';
import { RECIPES, type ModelName } from '../train/recipes';
import { applyThreads, deviceArg, modelArg, nonNegativeInt, positiveInt } from './common';
import { runTraining } from './run';

/** Options of `deepscope demo`, as parsed. */
export interface DemoOptions {
  out: string;
  model: ModelName;
  epochs?: number;
  seed: number;
  device: DeviceLike;
  threads?: number;
  quiet?: boolean;
}

/** The default model of the demo. */
export const DEMO_MODEL: ModelName = 'lenet5-modern';

function recipeTable(): string {
  return Object.entries(RECIPES)
    .map(([name, r]) => `  ${name.padEnd(14)} AdamW lr ${r.lr}, weight decay ${r.weightDecay}, ${r.epochs} epochs, batch ${r.batchSize}: ${r.measured}`)
    .join('\n');
}

/** Adds the `demo` command to `program`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train LeNet-5 on MNIST with a measured recipe; write the checkpoint, plots and a summary')
    .option('-o, --out <dir>', 'output directory', './deepscope-demo')
    .option('-m, --model <name>', `lenet5-modern (ReLU, max pooling) or lenet5 (the 1998 paper's network)`, modelArg, DEMO_MODEL)
    .option('-e, --epochs <n>', "epochs (default: the model's recipe)", positiveInt('--epochs'))
    .option('-s, --seed <n>', 'seed of the initial weights and the shuffles', nonNegativeInt('--seed'), 0)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads (default: DEEPSCOPE_NUM_THREADS or all cores)', positiveInt('--threads'))
    .option('-q, --quiet', 'no progress bars')
    .addHelpText(
      'after',
      `\nRecipes (8,000 training digits, 2,000 test digits, 32x32, AdamW with a one-cycle schedule):\n${recipeTable()}\n\n` +
        `Writes to the output directory: model.safetensors (the weights, with metadata), training.png (loss and\n` +
        `accuracy per epoch), samples.png (test digits and predictions), gradcam.png (Grad-CAM maps of eight\n` +
        `digits), adversarial.png (PGD at eps 0.15 on eight digits), robustness.png (robust accuracy against eps\n` +
        `for FGSM and PGD on 300 digits) and summary.json.\n\n` +
        `Examples:\n  deepscope demo\n  deepscope demo --model lenet5 --out lenet5-paper\n  deepscope eval --checkpoint deepscope-demo/model.safetensors`,
    )
    .action(async (opts: DemoOptions) => {
      applyThreads(opts.threads);
      const r = RECIPES[opts.model];
      await runTraining({
        command: 'demo',
        model: opts.model,
        epochs: opts.epochs ?? r.epochs,
        batchSize: r.batchSize,
        optimizer: r.optimizer,
        lr: r.lr,
        weightDecay: r.weightDecay,
        momentum: 0.9,
        schedule: 'onecycle',
        seed: opts.seed,
        device: opts.device,
        outDir: opts.out,
        samples: true,
        quiet: Boolean(opts.quiet),
      });
    });
}
