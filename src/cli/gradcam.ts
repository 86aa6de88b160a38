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
import { stack } from '../ops/indexing';
import { dispose, tidy } from '../memory';
import * as explain from '../explain';
import type { CamOptions, Explanation } from '../explain';
import { COLORMAP_NAMES, type ColormapName } from '../explain/colormap';
import { ProgressBar } from '../util/progress';
import { summaryModelArg } from './summary';
import { CliError, applyThreads, choiceArg, collect, checkDevice, deviceArg, firstLine, nonNegativeInt, numberArg, positiveInt, prepareOutDir, usageError } from './common';
import { buildZooModel, loadForModel, normalizeArg, normalizeImages, resolveZooModel, type Normalization } from './zoo';

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

/** Adds the `gradcam` command to `program`. */
export function registerGradcam(program: Command): void {
  program
    .command('gradcam')
    .description('class activation maps (Grad-CAM and its relatives) of a model for image files, as PNG overlays')
    .requiredOption('-i, --image <file>', 'a PNG or JPEG file (repeat for several)', collect)
    .option('-m, --model <name>', "a model of the zoo, as in `deepscope summary` (default: the checkpoint's metadata)", summaryModelArg)
    .option('-c, --checkpoint <file>', 'weights (safetensors); without it the weights are random')
    .option('--method <name>', `${Object.keys(GRADCAM_METHODS).join(', ')}`, choiceArg('method', Object.keys(GRADCAM_METHODS)), 'gradcam')
    .option('-l, --layer <path>', 'target layer by module path, e.g. layer4 or features.28 (repeat for several; default: the last spatial layer)', collect)
    .option('--target <class>', 'class to explain (default: each image\'s prediction)', nonNegativeInt('--target'))
    .option('--colormap <name>', COLORMAP_NAMES.join(', '), choiceArg('colormap', COLORMAP_NAMES, false), 'jet')
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
      const { name, spec, mnistStyle } = await resolveZooModel(opts.model, opts.checkpoint);
      const norm = opts.normalize ?? (mnistStyle ? 'mnist' : 'imagenet');
      const out = prepareOutDir(opts.out);
      const model = await buildZooModel(name, opts.checkpoint, opts.device);
      const images: Tensor[] = [];
      try {
        for (const f of opts.image) images.push(await loadForModel(f, spec.input, mnistStyle));
        const shown = stack(images, 0).to(opts.device);
        const x = normalizeImages(shown, norm);
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
