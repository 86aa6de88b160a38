/**
 * A model of the zoo on the command line: its name (given, or from a checkpoint's metadata), built and
 * loaded with the checkpoint's weights; image files converted to what it takes (channels, size, the
 * LeNets' 28×28-in-32×32 digits) and the input normalisation it was trained with.
 * @module
 */
import * as fs from 'fs';
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import type { DeviceLike } from '../device';
import { readImage } from '../io/image';
import { readSafetensorsHeader } from '../io/safetensors';
import { loadInto } from '../io/checkpoint';
import { MNIST_MEAN, MNIST_STD } from '../data/mnist';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/transforms';
import { interpolate } from '../ops/resample';
import { pad } from '../ops/indexing';
import { tensor } from '../ops/creation';
import { tidy } from '../memory';
import { SUMMARY_MODELS, type SummaryModel } from './summary';
import { CliError, choiceArg, firstLine, usageError } from './common';

/** Input normalisations: what the model was trained on. */
export type Normalization = 'imagenet' | 'mnist' | 'none';


/** Parser of `--normalize`. */
export const normalizeArg = choiceArg('normalisation', ['imagenet', 'mnist', 'none'] as const, false);

/** A model named on the command line. */
export interface ZooModel {
  /** Its name in {@link SUMMARY_MODELS}. */
  name: string;
  /** How to build it, its input shape. */
  spec: SummaryModel;
  /** A LeNet: MNIST digits, 28×28 padded to 32×32, MNIST statistics. */
  mnistStyle: boolean;
}

/** The model named by `--model`, or by the checkpoint's metadata when `--model` is left out. */
export async function resolveZooModel(model: string | undefined, checkpoint: string | undefined): Promise<ZooModel> {
  let name = model;
  if (checkpoint) {
    if (!fs.existsSync(checkpoint)) throw new CliError(`checkpoint '${checkpoint}' not found`);
    let saved: string | undefined;
    try {
      saved = (await readSafetensorsHeader(checkpoint)).metadata.model;
    } catch (e) {
      throw new CliError(`cannot read checkpoint '${checkpoint}': ${firstLine(e)}`);
    }
    if (!name && saved && Object.prototype.hasOwnProperty.call(SUMMARY_MODELS, saved)) name = saved;
  }
  if (!name) throw usageError('give --model (or a checkpoint whose metadata names it)');
  return { name, spec: SUMMARY_MODELS[name], mnistStyle: name.startsWith('lenet5') };
}

/** Builds the model on `device` with the checkpoint's weights (random ones, with a warning, without). */
export async function buildZooModel(name: string, checkpoint: string | undefined, device: DeviceLike): Promise<Module> {
  const model = SUMMARY_MODELS[name].build();
  try {
    if (device !== 'cpu') model.to(device);
    if (checkpoint) {
      try {
        await loadInto(model, checkpoint, { device });
      } catch (e) {
        throw new CliError(`checkpoint '${checkpoint}' does not fit model '${name}': ${firstLine(e)}`);
      }
    } else {
      process.stderr.write(`deepscope: warning: no --checkpoint: ${name} has random weights\n`);
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * An image file as the model sees it: `[C, H, W]` in [0, 1] with the model's channels (gray ↔ RGB),
 * resized to its input; MNIST-style models get the digit at 28×28 padded to 32×32 as in training.
 */
export async function loadForModel(file: string, input: readonly number[], mnistStyle: boolean): Promise<Tensor> {
  const img = await readImage(file);
  return tidy(() => {
    let x = img.unsqueeze(0);
    const [c, h, w] = input;
    if (x.shape[1] !== c) x = c === 1 ? x.mean(1, true) : x.expand([1, 3, x.shape[2], x.shape[3]]).mul(1);
    if (mnistStyle && h === 32 && w === 32) {
      x = pad(interpolate(x, { size: [28, 28], mode: 'bilinear' }), [2, 2, 2, 2]);
    } else if (x.shape[2] !== h || x.shape[3] !== w) {
      x = interpolate(x, { size: [h, w], mode: 'bilinear' });
    }
    img.dispose();
    return x.squeeze(0).clamp(0, 1);
  });
}

/** The per-channel mean and std of a normalisation, for `channels` channels (null for 'none'). */
export function normalizationStats(how: Normalization, channels: number): { mean: number[]; std: number[] } | null {
  if (how === 'none') return null;
  if (how === 'mnist') return { mean: new Array<number>(channels).fill(MNIST_MEAN), std: new Array<number>(channels).fill(MNIST_STD) };
  return { mean: IMAGENET_MEAN.slice(0, channels), std: IMAGENET_STD.slice(0, channels) };
}

/** Pixel-space images [N, C, H, W] normalised as the model expects. */
export function normalizeImages(x: Tensor, how: Normalization): Tensor {
  const stats = normalizationStats(how, x.shape[1]);
  if (!stats) return x;
  const c = x.shape[1];
  const mean = tensor(stats.mean, [1, c, 1, 1], { device: x.device });
  const std = tensor(stats.std, [1, c, 1, 1], { device: x.device });
  return x.sub(mean).div(std);
}
