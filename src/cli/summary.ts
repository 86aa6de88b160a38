/**
 * `deepscope summary --model NAME [--input C,H,W]`: the layer table of {@link summary} for a model by
 * name, built with default options and run once on a random input (the model's paper input size unless
 * `--input` gives another).
 * @module
 */
import { Command } from 'commander';
import * as models from '../models';
import { create, MODEL_NAMES } from '../models';
import { alexnet } from '../models/alexnet';
import { vgg, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn } from '../models/vgg';
import { summary } from '../models/summary';
import type { Module } from '../nn/module';
import { applyThreads, positiveInt, usageError } from './common';

/** A model `deepscope summary` knows: how to build it and its default input shape (without the batch). */
export interface SummaryModel {
  /** Builds the model with default options. */
  build: () => Module;
  /** The input the paper used, `[C, H, W]`. */
  input: number[];
  /** Output classes by default (1000 for the ImageNet networks). */
  classes?: number;
}

const IMAGENET = [3, 224, 224];
const imagenet = (build: () => Module) => ({ build, input: IMAGENET });
const cifar = (build: () => Module) => ({ build, input: [3, 32, 32], classes: 10 });

/** The models `deepscope summary --model` accepts, by name. */
export const SUMMARY_MODELS: Record<string, SummaryModel> = {
  ...Object.fromEntries(MODEL_NAMES.map((name) => [name, { build: () => create(name), input: [1, 32, 32] }])),
  alexnet: { build: () => alexnet(), input: [3, 224, 224] },
  'alexnet-paper': { build: () => alexnet({ paper: true }), input: [3, 227, 227] },
  vgg11: { build: () => vgg11(), input: [3, 224, 224] },
  vgg11_bn: { build: () => vgg11_bn(), input: [3, 224, 224] },
  'vgg-a-lrn': { build: () => vgg({ config: 'A-LRN' }), input: [3, 224, 224] },
  vgg13: { build: () => vgg13(), input: [3, 224, 224] },
  vgg13_bn: { build: () => vgg13_bn(), input: [3, 224, 224] },
  'vgg-c': { build: () => vgg({ config: 'C' }), input: [3, 224, 224] },
  vgg16: { build: () => vgg16(), input: [3, 224, 224] },
  vgg16_bn: { build: () => vgg16_bn(), input: [3, 224, 224] },
  vgg19: { build: () => vgg19(), input: [3, 224, 224] },
  vgg19_bn: { build: () => vgg19_bn(), input: [3, 224, 224] },
  googlenet: imagenet(() => models.googlenet()),
  'googlenet-paper': imagenet(() => models.googlenet({ paper: true })),
  ...Object.fromEntries(
    (['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'plainResnet18', 'plainResnet34', 'plainResnet50',
      'plainResnet101', 'plainResnet152', 'resnext50_32x4d', 'resnext50_2x64d', 'resnext50_64x4d', 'resnext101_32x4d',
      'resnext101_32x8d', 'resnext101_64x4d', 'resnext101_2x64d', 'wideResnet101_1x100d', 'wide_resnet50_2',
      'wide_resnet101_2', 'densenet121', 'densenet169', 'densenet201', 'densenet161', 'densenet264', 'diracnet18',
      'diracnet34'] as const).map((n) => [n, imagenet(() => (models[n] as () => Module)())]),
  ),
  ...Object.fromEntries(
    (['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110'] as const).map((n) => [n, cifar(() => (models[n] as () => Module)())]),
  ),
  simpnet: cifar(() => models.simpnet()),
  'simpnet-8m': cifar(() => models.simpnet({ config: '8m' })),
  'simpnet-600k': cifar(() => models.simpnet({ config: '600k' })),
  'simpnet-300k': cifar(() => models.simpnet({ config: '300k' })),
  'randwire-small': imagenet(() => models.randwire({ regime: 'small' })),
  'randwire-regular': imagenet(() => models.randwire({ regime: 'regular' })),
  'highway-mlp': { build: () => models.highwayMLP(), input: [1, 28, 28], classes: 10 },
  'vanilla-cnn': { build: () => models.vanillaCNN(), input: [1, 28, 28], classes: 10 },
};

/** Parser of `--input C,H,W` (any number of positive integers, without the batch). */
export function inputShapeArg(value: string): number[] {
  const parts = value.split(/[,x×]/).map((s) => s.trim());
  const dims = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw usageError(`--input must be positive integers separated by commas (C,H,W), got '${value}'`);
  }
  return dims;
}

/** Parser of `--model` for `summary`. */
export function summaryModelArg(value: string): string {
  if (!Object.prototype.hasOwnProperty.call(SUMMARY_MODELS, value)) {
    throw usageError(`unknown model '${value}' (known: ${Object.keys(SUMMARY_MODELS).join(', ')})`);
  }
  return value;
}

/** Options of `deepscope summary`, as parsed. */
export interface SummaryCliOptions {
  model: string;
  input?: number[];
  threads?: number;
  json?: boolean;
}

/** Adds the `summary` command to `program`. */
export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description("a model's layers: name, output shape, parameters, multiply-adds, with totals")
    .requiredOption('-m, --model <name>', `one of ${Object.keys(SUMMARY_MODELS).join(', ')}`, summaryModelArg)
    .option('-i, --input <C,H,W>', "input shape without the batch (default: the paper's, e.g. 3,224,224)", inputShapeArg)
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print { model, inputShape, rows: [{ name, type, outputShape, parameters, multAdds }], totalParameters, trainableParameters, totalMultAdds } as JSON')
    .addHelpText('after', '\nExamples:\n  deepscope summary --model alexnet\n  deepscope summary --model vgg16 --input 3,32,32 --json')
    .action((opts: SummaryCliOptions) => {
      applyThreads(opts.threads);
      const entry = SUMMARY_MODELS[opts.model];
      const model = entry.build();
      try {
        const s = summary(model, opts.input ?? entry.input, { print: false });
        if (opts.json) {
          const { text, ...rest } = s;
          void text;
          process.stdout.write(`${JSON.stringify({ model: opts.model, ...rest }, null, 2)}\n`);
        } else {
          process.stdout.write(`${opts.model}\n${s.text}`);
        }
      } finally {
        model.dispose();
      }
    });
}
