/**
 * A training run on MNIST, shared by `deepscope demo` and `deepscope train`: data, model, optimizer and
 * one-cycle schedule, progress bars, then the checkpoint, the plots and `summary.json`.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../tensor';
import type { DeviceLike } from '../device';
import { Generator, manualSeed } from '../random';
import { noGrad } from '../autograd';
import { dispose, tidy } from '../memory';
import { cpuInfo, getNumThreads } from '../backend';
import { narrow } from '../ops/indexing';
import { mnist, MNIST_MEAN, MNIST_STD } from '../data/mnist';
import { DataLoader } from '../data/loader';
import { TensorDataset } from '../data/dataset';
import { create } from '../models';
import { OneCycleLR } from '../optim/lr_scheduler';
import { save } from '../io/checkpoint';
import { ProgressBar, formatDuration } from '../util/progress';
import { fit, evaluate, type EpochRecord } from '../train/loop';
import { makeOptimizer, type ModelName, type OptimizerName } from '../train/recipes';
import { CliError, checkDevice, firstLine, packageVersion, percent, prepareOutDir, thousands } from './common';
import { writeSamples, writeTrainingPlot } from './images';
import { writeGradcamPanel } from './gradcam-panel';
import { writeDemoAttackPanels } from './attack-panels';

/** Everything a run needs. */
export interface RunConfig {
  /** Model name. */
  model: ModelName;
  /** Epochs. */
  epochs: number;
  /** Samples per batch. */
  batchSize: number;
  /** Optimizer. */
  optimizer: OptimizerName;
  /** Peak learning rate of the one-cycle schedule (or the constant one with `schedule: 'none'`). */
  lr: number;
  /** Weight decay. */
  weightDecay: number;
  /** SGD momentum. */
  momentum: number;
  /** One-cycle schedule over all steps, or a constant learning rate. */
  schedule: 'onecycle' | 'none';
  /** Seed of the initial weights and the shuffles. */
  seed: number;
  /** `cpu` or `cuda[:N]`. */
  device: DeviceLike;
  /** Output directory. */
  outDir: string;
  /** Train on the first this many training digits only (all 8,000 by default). */
  trainSize?: number;
  /** Also write `samples.png`. */
  samples: boolean;
  /** No progress bars (results are still printed). */
  quiet: boolean;
  /** Which command runs (recorded in the summary). */
  command: 'demo' | 'train';
}

/** What `summary.json` holds. */
export interface RunSummary {
  /** Model name. */
  model: string;
  /** Device trained on. */
  device: string;
  /** Epochs trained. */
  epochs: number;
  /** Final test accuracy, a fraction. */
  testAccuracy: number;
  /** Mean training loss of the last epoch. */
  trainLoss: number;
  /** Seconds of training (epochs and their evaluations). */
  seconds: number;
  /** Other figures: parameters, hyper-parameters, threads, isa, history... */
  [key: string]: unknown;
}

/** Test images evaluated per batch. */
const EVAL_BATCH = 500;
/** Digits in `samples.png`. */
const SAMPLE_COUNT = 32;

const OPTIMIZER_LABEL: Record<OptimizerName, string> = { adamw: 'AdamW', adam: 'Adam', sgd: 'SGD' };

/** Runs the training described by `cfg`; progress goes to stderr, the results to stdout. */
export async function runTraining(cfg: RunConfig): Promise<RunSummary> {
  const started = Date.now();
  checkDevice(cfg.device);
  const out = prepareOutDir(cfg.outDir);
  const err = process.stderr;
  const { train: fullTrainSet, test: testSet } = mnist({ padTo32: true, device: cfg.device });
  const trainSet =
    cfg.trainSize !== undefined && cfg.trainSize < fullTrainSet.length
      ? new TensorDataset(...fullTrainSet.tensors.map((t) => narrow(t, 0, 0, cfg.trainSize!)))
      : fullTrainSet;
  manualSeed(cfg.seed);
  const model = create(cfg.model);
  try {
    if (cfg.device !== 'cpu') model.to(cfg.device);
    const loader = new DataLoader(trainSet, { batchSize: cfg.batchSize, shuffle: true, generator: new Generator(cfg.seed) });
    const testLoader = new DataLoader(testSet, { batchSize: EVAL_BATCH });
    const optimizer = makeOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay, momentum: cfg.momentum });
    const scheduler = cfg.schedule === 'onecycle' ? new OneCycleLR(optimizer, { maxLr: cfg.lr, epochs: cfg.epochs, stepsPerEpoch: loader.length }) : undefined;
    const cpu = cpuInfo();
    const parameters = model.numParameters();
    const hyper = `${OPTIMIZER_LABEL[cfg.optimizer]} lr ${cfg.lr}${cfg.schedule === 'onecycle' ? ' (one-cycle)' : ''}, weight decay ${cfg.weightDecay}, batch ${cfg.batchSize}`;
    err.write(
      `deepscope: training ${cfg.model} (${thousands(parameters)} parameters) on ${thousands(trainSet.length)} MNIST digits, ` +
        `${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'}: ${hyper}; ${cfg.device}` +
        (cfg.device === 'cpu' ? ` (${cpu.active}, ${cpu.threads} thread${cpu.threads === 1 ? '' : 's'})` : '') +
        '\n',
    );

    let bar: ProgressBar | null = null;
    const t0 = Date.now();
    let history: EpochRecord[];
    try {
      history = await fit(model, loader, {
        epochs: cfg.epochs,
        optimizer,
        scheduler,
        testLoader,
        onEpochStart: (epoch) => {
          if (!cfg.quiet) bar = new ProgressBar({ total: loader.length, label: `epoch ${epoch}/${cfg.epochs}`, stream: err });
        },
        onStep: (s) => {
          if (!bar) return;
          bar.tick(1, Number.isFinite(s.loss) ? { loss: s.loss, acc: s.accuracy } : undefined);
        },
        onEpochEnd: (r) => {
          bar?.done({ loss: r.trainLoss, acc: r.trainAccuracy, 'test acc': r.testAccuracy });
          bar = null;
        },
      });
    } catch (e) {
      if (cfg.device !== 'cpu') throw new CliError(`training on ${cfg.device} failed: ${firstLine(e)}`);
      throw e;
    }
    const seconds = (Date.now() - t0) / 1000;
    const last = history[history.length - 1];

    const files = ['model.safetensors', 'training.png'];
    await save(model, path.join(out, 'model.safetensors'), {
      metadata: {
        format: 'deepscope',
        model: cfg.model,
        epochs: String(cfg.epochs),
        testAccuracy: String(last.testAccuracy),
        seed: String(cfg.seed),
        deepscope: packageVersion(),
      },
    });
    await writeTrainingPlot(path.join(out, 'training.png'), history, `${cfg.model} on MNIST`);
    if (cfg.samples) {
      await writeSampleGrid(path.join(out, 'samples.png'), model, testSet.tensors[0], testSet.tensors[1]);
      await writeGradcamPanel(path.join(out, 'gradcam.png'), model, testSet.tensors[0], testSet.tensors[1]);
      await writeDemoAttackPanels(out, model, testSet.tensors[0], testSet.tensors[1]);
      files.push('samples.png', 'gradcam.png', 'adversarial.png', 'robustness.png');
    }
    const summary: RunSummary = {
      model: cfg.model,
      device: String(cfg.device),
      epochs: cfg.epochs,
      testAccuracy: last.testAccuracy,
      trainLoss: last.trainLoss,
      seconds: round(seconds, 2),
      trainAccuracy: last.trainAccuracy,
      testLoss: last.testLoss,
      parameters,
      optimizer: cfg.optimizer,
      lr: cfg.lr,
      weightDecay: cfg.weightDecay,
      ...(cfg.optimizer === 'sgd' ? { momentum: cfg.momentum } : {}),
      schedule: cfg.schedule,
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      trainSamples: trainSet.length,
      testSamples: testSet.length,
      threads: getNumThreads(),
      isa: cpu.active,
      detectedIsa: cpu.detected,
      command: cfg.command,
      deepscope: packageVersion(),
      node: process.version,
      totalSeconds: round((Date.now() - started) / 1000, 2),
      history: history.map((r) => ({ ...r, seconds: round(r.seconds, 3) })),
    };
    files.push('summary.json');
    fs.writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

    if (!Number.isFinite(last.trainLoss) || last.testAccuracy < 0.2) {
      err.write(`deepscope: warning: training did not converge (train loss ${last.trainLoss.toPrecision(4)}, test accuracy ${percent(last.testAccuracy)}); try a lower --lr\n`);
    }
    const rel = path.relative(process.cwd(), out);
    const shown = rel === '' ? '.' : rel.startsWith('..') ? out : rel;
    process.stdout.write(
      `${cfg.model}: test accuracy ${percent(last.testAccuracy)} on ${thousands(testSet.length)} digits, ` +
        `train loss ${last.trainLoss.toFixed(4)}, ${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'} in ${seconds.toFixed(1)} s (${formatDuration(seconds)})\n` +
        `wrote ${files.map((f) => path.join(shown, f)).join(', ')}\n`,
    );
    return summary;
  } finally {
    model.dispose();
    if (trainSet !== fullTrainSet) trainSet.dispose();
    fullTrainSet.dispose();
    testSet.dispose();
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The first test digits with the model's predictions. */
async function writeSampleGrid(file: string, model: ReturnType<typeof create>, images: Tensor, labels: Tensor): Promise<void> {
  const n = Math.min(SAMPLE_COUNT, images.shape[0]);
  const wasTraining = model.training;
  model.eval();
  const [pixels, predicted, truth] = tidy(() =>
    noGrad(() => {
      const x = narrow(images, 0, 0, n);
      const pred = model.predict(model.call(x));
      const raw = x.mul(MNIST_STD).add(MNIST_MEAN).to('cpu'); // back to [0, 1]
      return [raw, pred.to('cpu'), narrow(labels, 0, 0, n).to('cpu')];
    }),
  );
  model.train(wasTraining);
  try {
    const side = images.shape[images.ndim - 1];
    await writeSamples(file, (await pixels.data()) as Float32Array, side, await predicted.data(), await truth.data());
  } finally {
    dispose([pixels, predicted, truth]);
  }
}

/** Evaluates `model` on the MNIST test split, as `runTraining` does after every epoch. */
export async function evaluateOnMnist(model: ReturnType<typeof create>, device: DeviceLike) {
  const { train: trainSet, test } = mnist({ padTo32: true, device });
  trainSet.dispose();
  try {
    return await evaluate(model, new DataLoader(test, { batchSize: EVAL_BATCH }));
  } finally {
    test.dispose();
  }
}
