/**
 * `deepscope gradcam`: class activation maps of a model of the zoo (random or checkpoint weights) for
 * image files, written as heat-map overlays (PNG) with a JSON account of targets and scores.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import type { DeviceLike } from '../device';
import { readImage } from '../io/image';
import { readSafetensorsHeader } from '../io/safetensors';
import { loadInto } from '../io/checkpoint';
import { MNIST_MEAN, MNIST_STD } from '../data/mnist';
import { interpolate } from '../ops/resample';
import { pad, stack } from '../ops/indexing';
import { tensor } from '../ops/creation';
import { dispose, tidy } from '../memory';
import * as explain from '../explain';
import type { CamOptions, Explanation } from '../explain';
import { COLORMAP_NAMES, type ColormapName } from '../explain/colormap';
import { ProgressBar } from '../util/progress';
import { SUMMARY_MODELS, summaryModelArg } from './summary';
import { CliError, applyThreads, checkDevice, deviceArg, firstLine, nonNegativeInt, numberArg, positiveInt, prepareOutDir, usageError } from './common';

/** What the command needs of a method's result. */
type MethodResult = Pick<Explanation, 'maps' | 'scores' | 'targets'> & { layers?: Explanation['layers'] };
type CamFn = (model: Module, input: Tensor, options: CamOptions) => Promise<MethodResult>;

/** The methods by their command-line names: the class activation maps, then the input-gradient maps. */
export const GRADCAM_METHODS: Readonly<Record<string, CamFn>> = {
  cam: explain.cam,
  gradcam: explain.gradCam,
  'gradcam++': explain.gradCamPlusPlus,
  xgradcam: explain.xGradCam,
  hirescam: explain.hiResCam,
  layercam: explain.layerCam,
  eigencam: explain.eigenCam,
  scorecam: explain.scoreCam,
  ablationcam: explain.ablationCam,
  'guided-gradcam': explain.guidedGradCam,
  'guided-backprop': explain.guidedBackprop,
  saliency: explain.saliency,
  smoothgrad: explain.smoothGrad,
  'integrated-gradients': explain.integratedGradients,
};

/** Input normalisations: what the model was trained on. */
export type Normalization = 'imagenet' | 'mnist' | 'none';

/** Options of `deepscope gradcam`, as parsed. */
export interface GradcamCliOptions {
  model?: string;
  checkpoint?: string;
  image: string[];
  method: string;
  layer?: string[];
  target?: number;
  colormap: ColormapName;
  alpha: number;
  normalize?: Normalization;
  batchSize: number;
  augSmooth?: boolean;
  eigenSmooth?: boolean;
  out: string;
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

function methodArg(value: string): string {
  const v = value.toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(GRADCAM_METHODS, v)) throw usageError(`unknown method '${value}' (known: ${Object.keys(GRADCAM_METHODS).join(', ')})`);
  return v;
}

function colormapArg(value: string): ColormapName {
  if (!(COLORMAP_NAMES as readonly string[]).includes(value)) throw usageError(`unknown colormap '${value}' (known: ${COLORMAP_NAMES.join(', ')})`);
  return value as ColormapName;
}

function normalizeArg(value: string): Normalization {
  if (!['imagenet', 'mnist', 'none'].includes(value)) throw usageError(`unknown normalisation '${value}' (known: imagenet, mnist, none)`);
  return value as Normalization;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

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

function normalized(x: Tensor, how: Normalization): Tensor {
  if (how === 'none') return x;
  if (how === 'mnist') return x.sub(MNIST_MEAN).div(MNIST_STD);
  const c = x.shape[1];
  const mean = tensor(IMAGENET_MEAN.slice(0, c), [1, c, 1, 1], { device: x.device });
  const std = tensor(IMAGENET_STD.slice(0, c), [1, c, 1, 1], { device: x.device });
  return x.sub(mean).div(std);
}

/** Adds the `gradcam` command to `program`. */
export function registerGradcam(program: Command): void {
  program
    .command('gradcam')
    .description('class activation maps (Grad-CAM and its relatives) of a model for image files, as PNG overlays')
    .requiredOption('-i, --image <file>', 'a PNG or JPEG file (repeat for several)', collect)
    .option('-m, --model <name>', "a model of the zoo, as in `deepscope summary` (default: the checkpoint's metadata)", summaryModelArg)
    .option('-c, --checkpoint <file>', 'weights (safetensors); without it the weights are random')
    .option('--method <name>', `${Object.keys(GRADCAM_METHODS).join(', ')}`, methodArg, 'gradcam')
    .option('-l, --layer <path>', 'target layer by module path, e.g. layer4 or features.28 (repeat for several; default: the last spatial layer)', collect)
    .option('--target <class>', 'class to explain (default: each image\'s prediction)', nonNegativeInt('--target'))
    .option('--colormap <name>', COLORMAP_NAMES.join(', '), colormapArg, 'jet')
    .option('--alpha <a>', 'opacity of the heat map over the image', numberArg('--alpha'), 0.5)
    .option('--normalize <how>', 'input normalisation: imagenet, mnist or none (default: mnist for the LeNets, imagenet otherwise)', normalizeArg)
    .option('--batch-size <n>', 'masked copies per forward pass (scorecam, ablationcam)', positiveInt('--batch-size'), 32)
    .option('--aug-smooth', 'average over flips and scalings of the input')
    .option('--eigen-smooth', 'first principal component instead of the weighted sum')
    .option('-o, --out <dir>', 'output directory', 'deepscope-gradcam')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  deepscope gradcam --model lenet5-modern --checkpoint deepscope-demo/model.safetensors --image digit.png\n  deepscope gradcam --model resnet18 --checkpoint resnet18.safetensors --image cat.jpg --method gradcam++ --layer layer4')
    .action(async (opts: GradcamCliOptions) => {
      applyThreads(opts.threads);
      checkDevice(opts.device);
      if (opts.alpha > 1) throw usageError(`--alpha must be in [0, 1], got ${opts.alpha}`);
      for (const f of opts.image) if (!fs.existsSync(f)) throw new CliError(`image '${f}' not found`);
      let name = opts.model;
      if (opts.checkpoint) {
        if (!fs.existsSync(opts.checkpoint)) throw new CliError(`checkpoint '${opts.checkpoint}' not found`);
        let saved: string | undefined;
        try {
          saved = (await readSafetensorsHeader(opts.checkpoint)).metadata.model;
        } catch (e) {
          throw new CliError(`cannot read checkpoint '${opts.checkpoint}': ${firstLine(e)}`);
        }
        if (!name && saved && Object.prototype.hasOwnProperty.call(SUMMARY_MODELS, saved)) name = saved;
      }
      if (!name) throw usageError('give --model (or a checkpoint whose metadata names it)');
      const spec = SUMMARY_MODELS[name];
      const mnistStyle = name.startsWith('lenet5');
      const norm = opts.normalize ?? (mnistStyle ? 'mnist' : 'imagenet');
      const out = prepareOutDir(opts.out);
      const model = spec.build();
      const images: Tensor[] = [];
      try {
        if (opts.device !== 'cpu') model.to(opts.device);
        if (opts.checkpoint) {
          try {
            await loadInto(model, opts.checkpoint, { device: opts.device });
          } catch (e) {
            throw new CliError(`checkpoint '${opts.checkpoint}' does not fit model '${name}': ${firstLine(e)}`);
          }
        } else {
          process.stderr.write(`deepscope: warning: no --checkpoint: ${name} has random weights, its maps mean little\n`);
        }
        for (const f of opts.image) images.push(await loadForModel(f, spec.input, mnistStyle));
        const shown = stack(images, 0).to(opts.device);
        const x = normalized(shown, norm);
        let bar: ProgressBar | null = null;
        const options: CamOptions = {
          layers: opts.layer,
          targets: opts.target,
          batchSize: opts.batchSize,
          augSmooth: opts.augSmooth,
          eigenSmooth: opts.eigenSmooth,
          onProgress: opts.json ? undefined : ({ layer, done, total }) => {
            bar ??= new ProgressBar({ total, label: `${opts.method} ${layer}`, stream: process.stderr });
            bar.update(done);
            if (done === total) {
              bar.done();
              bar = null;
            }
          },
        };
        const t0 = Date.now();
        let result: MethodResult;
        try {
          result = await GRADCAM_METHODS[opts.method](model, x, options);
        } catch (e) {
          throw new CliError(`${opts.method}: ${firstLine(e).replace(/^\w+: /, '')}`);
        }
        const seconds = (Date.now() - t0) / 1000;
        const rows = opts.image.map((file, n) => {
          const png = path.join(out, `${path.parse(file).name}-${opts.method.replace('++', 'pp')}.png`);
          tidy(() => {
            const image = shown.narrow(0, n, 1).squeeze(0).to('cpu');
            const heat = explain.overlay(image, result.maps.narrow(0, n, 1).squeeze(0).to('cpu'), { colormap: opts.colormap, alpha: opts.alpha });
            const label = result.targets[n] === null ? opts.method : `${opts.method}: class ${result.targets[n]}`;
            // Small inputs (32×32 digits) are scaled up to at least 224 pixels, nearest-neighbour.
            const scale = Math.max(1, Math.ceil(224 / Math.max(image.shape[1], image.shape[2])));
            explain.grid([{ image, label: path.basename(file) }, { image: heat, label }], { scale, path: png });
          });
          return { image: file, target: result.targets[n], score: result.scores[n], layers: (result.layers ?? []).map((l) => l.layer), overlay: png };
        });
        dispose([result, shown, x]);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ model: name, method: opts.method, seconds, results: rows }, null, 2)}\n`);
        } else {
          for (const r of rows) {
            const where = r.layers.length ? ` at ${r.layers.join(' + ')}` : '';
            process.stdout.write(`${r.image}: class ${r.target} (score ${r.score.toFixed(3)}), ${opts.method}${where} → ${r.overlay}\n`);
          }
        }
      } finally {
        dispose(images);
        model.dispose();
      }
    });
}
