/**
 * `deepscope predict`: the top classes of image files, from a model of the zoo with a checkpoint
 * (torchvision's, timm's or ours, as safetensors) or from an ONNX file, with torchvision's ImageNet
 * preprocessing (resize the shorter side, center crop, normalise) and optional class names.
 * @module
 */
import * as fs from 'fs';
import { Command } from 'commander';
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import type { DeviceLike } from '../device';
import * as models from '../models';
import { softmax } from '../ops/softmax';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { decodeImage, RawImage } from '../io/image';
import { loadTorchvision } from '../io/torchvision';
import { CenterCrop, Compose, Normalize, Resize, ToTensor, IMAGENET_MEAN, IMAGENET_STD } from '../data/transforms';
import { ProgressBar } from '../util/progress';
import { summaryModelArg, SUMMARY_MODELS } from './summary';
import { CliError, applyThreads, checkDevice, choiceArg, collect, deviceArg, firstLine, positiveInt, usageError } from './common';
import { loadForModel, normalizeImages } from './zoo';

/** Options of `deepscope predict`, as parsed. */
export interface PredictCliOptions {
  onnx?: string;
  model?: string;
  checkpoint?: string;
  image: string[];
  topk: number;
  labels?: string;
  numClasses?: number;
  transformInput?: boolean;
  resize?: number;
  crop?: number;
  normalize: 'imagenet' | 'none';
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

/** One image's prediction. */
export interface Prediction {
  /** The image file. */
  image: string;
  /** The top classes, most probable first. */
  top: { index: number; label?: string; probability: number }[];
}

/**
 * Class names from a file: a JSON array of strings, or one name per line (blank lines at the end
 * ignored), as torchvision's `imagenet_classes.txt`.
 */
export function readLabels(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read labels '${file}': ${firstLine(e)}`);
  }
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new CliError(`labels '${file}' is not valid JSON: ${firstLine(e)}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) throw new CliError(`labels '${file}' must be a JSON array of strings`);
    return parsed as string[];
  }
  return text.replace(/\s+$/, '').split(/\r?\n/).map((s) => s.trim());
}

/**
 * The zoo model `name` with `numClasses` outputs (the model's default without); `transformInput` for
 * GoogLeNet, as torchvision builds it for its pretrained weights.
 */
function buildModel(name: string, numClasses: number | undefined, transformInput: boolean): Module {
  if (transformInput && name !== 'googlenet') throw usageError(`--transform-input is for googlenet, not '${name}'`);
  if (numClasses === undefined && !transformInput) return SUMMARY_MODELS[name].build();
  const factory = (models as unknown as Record<string, unknown>)[name];
  if (typeof factory !== 'function') throw usageError(`--num-classes is not available for model '${name}'`);
  return (factory as (o: { numClasses?: number; transformInput?: boolean }) => Module)({ numClasses, ...(transformInput ? { transformInput } : {}) });
}

/** The model of the command line, loaded and in eval mode on `device`. */
async function loadModel(opts: PredictCliOptions): Promise<Module> {
  if (opts.onnx) {
    if (!fs.existsSync(opts.onnx)) throw new CliError(`ONNX file '${opts.onnx}' not found`);
    try {
      const m = await (await import('../io/onnx')).importOnnx(opts.onnx);
      return m.to(opts.device).eval();
    } catch (e) {
      throw new CliError(`cannot import '${opts.onnx}': ${firstLine(e)}`);
    }
  }
  const name = opts.model!;
  const checkpoint = opts.checkpoint!;
  if (!fs.existsSync(checkpoint)) throw new CliError(`checkpoint '${checkpoint}' not found`);
  const model = buildModel(name, opts.numClasses, opts.transformInput ?? false);
  try {
    model.to(opts.device);
    await loadTorchvision(model, checkpoint);
    return model.eval();
  } catch (e) {
    model.dispose();
    const hint = /shape mismatch/.test(firstLine(e)) && opts.numClasses === undefined ? ' (a different number of classes? give --num-classes)' : '';
    throw new CliError(`checkpoint '${checkpoint}' does not fit model '${name}': ${firstLine(e)}${hint}`);
  }
}

function readImageFile(file: string): RawImage {
  if (!fs.existsSync(file)) throw new CliError(`image '${file}' not found`);
  try {
    const img = decodeImage(fs.readFileSync(file));
    // Gray pictures as RGB, as PIL's convert('RGB') gives torchvision's models.
    if (img.channels !== 1) return img;
    const data = new Uint8Array(img.width * img.height * 3);
    for (let i = 0; i < img.width * img.height; i++) data.fill(img.data[i], 3 * i, 3 * i + 3);
    return { ...img, channels: 3, data };
  } catch (e) {
    throw new CliError(`cannot read image '${file}': ${firstLine(e)}`);
  }
}

/** The top `k` of each row of `probs` [N, classes]. */
function topK(probs: Float32Array, n: number, classes: number, k: number, labels: string[] | undefined): Prediction['top'][] {
  const out: Prediction['top'][] = [];
  for (let r = 0; r < n; r++) {
    const row = probs.subarray(r * classes, (r + 1) * classes);
    const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
    out.push(order.map((index) => ({ index, ...(labels ? { label: labels[index] } : {}), probability: row[index] })));
  }
  return out;
}

function printPredictions(preds: Prediction[]): void {
  for (const p of preds) {
    process.stdout.write(`${p.image}\n`);
    p.top.forEach((t, i) => {
      const pct = `${(100 * t.probability).toFixed(2)}%`.padStart(7);
      process.stdout.write(`  ${String(i + 1).padStart(2)}. ${pct}  ${t.label !== undefined ? `${t.label} (${t.index})` : `class ${t.index}`}\n`);
    });
  }
}

/** Runs `predict` with parsed options; resolves with the predictions (also printed). */
export async function runPredict(opts: PredictCliOptions): Promise<Prediction[]> {
  applyThreads(opts.threads);
  checkDevice(opts.device);
  if (!!opts.onnx === !!(opts.model || opts.checkpoint)) throw usageError('give either --onnx FILE, or --model NAME with --checkpoint FILE');
  if (!opts.onnx && (!opts.model || !opts.checkpoint)) throw usageError('--model and --checkpoint go together');
  if (opts.onnx && opts.numClasses !== undefined) throw usageError('--num-classes goes with --model, not --onnx');
  const labels = opts.labels !== undefined ? readLabels(opts.labels) : undefined;
  const mnistStyle = !opts.onnx && opts.model!.startsWith('lenet5');
  const crop = opts.crop ?? (opts.onnx ? 224 : SUMMARY_MODELS[opts.model!].input[1]);
  const resizeTo = opts.resize ?? Math.floor((crop * 256) / 224);
  if (resizeTo < crop) throw usageError(`--resize ${resizeTo} is smaller than the crop ${crop}`);
  const model = await loadModel(opts);
  const chain = new Compose<RawImage>([
    new ToTensor(),
    new Resize(resizeTo),
    new CenterCrop(crop),
    ...(opts.normalize === 'imagenet' ? [new Normalize(IMAGENET_MEAN, IMAGENET_STD)] : []),
  ]);
  const bar = opts.json || opts.image.length < 2 ? null : new ProgressBar({ total: opts.image.length, label: 'predict', stream: process.stderr });
  const preds: Prediction[] = [];
  try {
    for (const file of opts.image) {
      // The LeNets see digits as `deepscope eval` gives them: 28×28 in a 32×32 frame, MNIST statistics.
      let x: Tensor;
      if (mnistStyle) {
        if (!fs.existsSync(file)) throw new CliError(`image '${file}' not found`);
        const digit = await loadForModel(file, SUMMARY_MODELS[opts.model!].input, true);
        x = tidy(() => normalizeImages(digit.unsqueeze(0), 'mnist').to(opts.device));
        digit.dispose();
      } else {
        x = tidy(() => chain.apply(readImageFile(file)).unsqueeze(0).to(opts.device));
      }
      const probs = noGrad(() =>
        tidy(() => {
          const y = model.call(x) as Tensor;
          if (y.ndim !== 2) throw new CliError(`the model's output has shape [${y.shape.join(', ')}], not [1, classes]`);
          return softmax(y, 1);
        }),
      );
      x.dispose();
      const classes = probs.shape[1];
      const data = (await probs.data()) as Float32Array;
      probs.dispose();
      if (labels && labels.length < classes) throw new CliError(`labels '${opts.labels}' has ${labels.length} names but the model has ${classes} classes`);
      preds.push({ image: file, top: topK(data, 1, classes, Math.min(opts.topk, classes), labels)[0] });
      bar?.tick();
    }
  } finally {
    bar?.done();
    model.dispose();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(preds, null, 2)}\n`);
  else printPredictions(preds);
  return preds;
}

/** Adds the `predict` command to `program`. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description("the top classes of image files, from a zoo model's checkpoint (torchvision, timm or ours) or an ONNX file")
    .requiredOption('-i, --image <file>', 'a PNG or JPEG file (repeat for several)', collect)
    .option('--onnx <file>', 'an ONNX model taking [1, 3, H, W] images')
    .option('-m, --model <name>', 'a model of the zoo (with --checkpoint)', summaryModelArg)
    .option('-c, --checkpoint <file>', 'its weights: a safetensors state dict with torchvision names (see docs/pytorch-checkpoints.md)')
    .option('-k, --topk <n>', 'classes to show', positiveInt('--topk'), 5)
    .option('--labels <file>', 'class names: one per line, or a JSON array')
    .option('--num-classes <n>', 'classes of the checkpoint, when not the model\'s default (1000 for ImageNet models)', positiveInt('--num-classes'))
    .option('--transform-input', "googlenet: re-normalise the input as torchvision's pretrained GoogLeNet expects (its transform_input)")
    .option('--resize <n>', 'shorter side before the crop (default: crop × 256/224, 256 for 224)', positiveInt('--resize'))
    .option('--crop <n>', "center crop (default: the model's input size, 224 for ImageNet models and ONNX)", positiveInt('--crop'))
    .option('--normalize <how>', "imagenet (the mean and std of torchvision's models) or none", choiceArg('normalisation', ['imagenet', 'none'] as const, false), 'imagenet')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print [{ image, top: [{ index, label, probability }] }] as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  deepscope predict --model resnet50 --checkpoint resnet50.safetensors --image cat.jpg --labels imagenet_classes.txt\n  deepscope predict --onnx resnet50.onnx --image cat.jpg --image dog.png --topk 3 --json',
    )
    .action(async (opts: PredictCliOptions) => {
      await runPredict(opts);
    });
}
