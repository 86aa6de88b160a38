/**
 * `deepscope landscape`: the loss surface of a model of the zoo around its checkpoint's weights, on MNIST
 * test digits: along one or two random filter-normalised directions, along the line to a second
 * checkpoint (`--to`), or along the PCA directions of a trajectory of checkpoints (`--trajectory`).
 * Writes `landscape.png` (a heat map with contours, or a line chart in 1-D), `landscape.svg` (2-D),
 * `landscape.csv` and `landscape.json`.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { DeviceLike } from '../device';
import { Generator } from '../random';
import { crossEntropy } from '../ops/loss';
import { dispose } from '../memory';
import { landscape, type Landscape } from '../analysis/landscape';
import { directionBetween, pcaDirections } from '../analysis/directions';
import { getWeights, setWeights, type ParameterVector } from '../analysis/weights';
import { loadInto } from '../io/checkpoint';
import { writeHeatmap, heatmapSvg, surfaceCsv } from '../io/heatmap';
import { plotLines } from '../io/plot';
import { COLORMAP_NAMES, type ColormapName } from '../explain/colormap';
import { summaryModelArg } from './summary';
import { CliError, applyThreads, checkDevice, choiceArg, collect, deviceArg, firstLine, nonNegativeInt, numberArg, positiveInt, prepareOutDir, usageError } from './common';
import { buildZooModel, resolveZooModel } from './zoo';
import { batches, digitsFor, progressBar } from './analysis-data';

/** Options of `deepscope landscape`, as parsed. */
export interface LandscapeCliOptions {
  model?: string;
  checkpoint?: string;
  to?: string;
  trajectory?: string[];
  dims: string;
  range: number;
  steps?: number;
  samples: number;
  batchSize: number;
  bn: 'eval' | 'train';
  normalization: 'filter' | 'layer' | 'none';
  seed: number;
  colormap: ColormapName;
  out: string;
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

/** Adds the `landscape` command to `program`. */
export function registerLandscape(program: Command): void {
  program
    .command('landscape')
    .description('loss surface around a checkpoint along filter-normalised random, interpolation or PCA directions (PNG, SVG, CSV, JSON)')
    .option('-m, --model <name>', "a model of the zoo (default: the checkpoint's metadata)", summaryModelArg)
    .option('-c, --checkpoint <file>', 'weights (safetensors) at the centre; without it the weights are random')
    .option('--to <file>', 'a second checkpoint: the 1-D line from --checkpoint (0) to it (1)')
    .option('--trajectory <file>', 'a checkpoint of the training run (repeat; with --checkpoint as the end): PCA directions', collect)
    .option('--dims <n>', 'random directions: 1 or 2', choiceArg('dimension', ['1', '2']), '2')
    .option('--range <r>', 'coordinates from -r to r (0 to 1 widened by r-1 on each side with --to)', numberArg('--range', { positive: true }), 1)
    .option('--steps <n>', 'points per axis (default 21 in 2-D, 51 in 1-D)', positiveInt('--steps'))
    .option('--samples <n>', 'MNIST test digits the loss is measured on', positiveInt('--samples'), 256)
    .option('--batch-size <n>', 'digits per forward pass', positiveInt('--batch-size'), 256)
    .option('--bn <mode>', "batch norm: 'eval' (running statistics, as the paper) or 'train' (batch statistics)", choiceArg('bn mode', ['eval', 'train'] as const), 'eval')
    .option('--normalization <how>', 'random directions: filter, layer or none', choiceArg('normalization', ['filter', 'layer', 'none'] as const), 'filter')
    .option('--seed <n>', 'seed of the random directions', nonNegativeInt('--seed'), 0)
    .option('--colormap <name>', COLORMAP_NAMES.join(', '), choiceArg('colormap', COLORMAP_NAMES, false), 'viridis')
    .option('-o, --out <dir>', 'output directory', 'deepscope-landscape')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print the surface as JSON')
    .addHelpText('after', '\nExamples:\n  deepscope landscape --model lenet5-modern --checkpoint deepscope-demo/model.safetensors\n  deepscope landscape --checkpoint a.safetensors --to b.safetensors --range 1.5\n  deepscope landscape --checkpoint final.safetensors --trajectory e1.safetensors --trajectory e2.safetensors --trajectory e3.safetensors')
    .action(async (opts: LandscapeCliOptions) => {
      applyThreads(opts.threads);
      checkDevice(opts.device);
      for (const f of [opts.to, ...(opts.trajectory ?? [])]) if (f !== undefined && !fs.existsSync(f)) throw new CliError(`checkpoint '${f}' not found`);
      if (opts.to && opts.trajectory) throw usageError('give --to or --trajectory, not both');
      if (opts.trajectory && opts.trajectory.length < 2) throw usageError('--trajectory needs at least 2 checkpoints (repeat the option)');
      if (opts.trajectory && !opts.checkpoint) throw usageError('--trajectory needs --checkpoint (the end of the run)');
      const zoo = await resolveZooModel(opts.model, opts.checkpoint ?? opts.to);
      const out = prepareOutDir(opts.out);
      const model = await buildZooModel(zoo.name, opts.checkpoint, opts.device);
      const [x, y] = digitsFor(zoo, opts.samples, opts.device);
      try {
        const readCheckpoint = async (file: string): Promise<ParameterVector> => {
          try {
            await loadInto(model, file, { device: opts.device });
          } catch (e) {
            throw new CliError(`checkpoint '${file}' does not fit model '${zoo.name}': ${firstLine(e)}`);
          }
          return getWeights(model);
        };
        const centre = await getWeights(model);
        let directions: ParameterVector[] | 1 | 2 = opts.dims === '1' ? 1 : 2;
        let range: [number, number] = [-opts.range, opts.range];
        let pathPoints: [number, number][] | undefined;
        let kind = 'random';
        if (opts.to) {
          directions = [directionBetween(centre, await readCheckpoint(opts.to))];
          range = [1 - opts.range, opts.range];
          kind = 'interpolation';
        } else if (opts.trajectory) {
          const points: ParameterVector[] = [];
          for (const f of opts.trajectory) points.push(await readCheckpoint(f));
          const pca = pcaDirections(points, centre, 2);
          directions = pca.directions;
          const reach = opts.range * 1.2 * Math.max(...pca.path.flat().map(Math.abs));
          range = [-reach, reach];
          pathPoints = [...pca.path.map(([a, b]) => [a, b] as [number, number]), [0, 0]];
          kind = 'pca';
        }
        setWeights(model, centre);
        const dims = typeof directions === 'number' ? directions : directions.length;
        const steps = opts.steps ?? (dims === 2 ? 21 : 51);
        if (steps < 2) throw usageError(`--steps must be at least 2, got ${steps}`);
        const t0 = Date.now();
        let surface: Landscape;
        try {
          surface = await landscape(model, crossEntropy, batches(x, y, opts.batchSize), {
            directions, range, steps, bn: opts.bn, normalization: opts.normalization, generator: new Generator(opts.seed),
            onProgress: progressBar(`landscape ${zoo.name}`, opts.json),
          });
        } catch (e) {
          throw new CliError(`landscape: ${firstLine(e).replace(/^\w+: /, '')}`);
        }
        const seconds = (Date.now() - t0) / 1000;
        const files = await writeSurface(out, surface, `${zoo.name}, ${kind} directions`, opts.colormap, pathPoints);
        const summary = {
          model: zoo.name, kind, dims, steps, samples: opts.samples, bn: opts.bn, seconds,
          x: surface.x, y: surface.y, loss: Array.from(surface.loss), accuracy: surface.accuracy ? Array.from(surface.accuracy) : null,
          path: pathPoints ?? null, files,
        };
        fs.writeFileSync(path.join(out, 'landscape.json'), `${JSON.stringify(summary)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          const lo = Math.min(...surface.loss);
          const hi = Math.max(...surface.loss);
          process.stdout.write(`${zoo.name}: ${surface.loss.length} points (${kind}, ${dims}-D), loss ${lo.toFixed(4)} to ${hi.toFixed(4)}, ${seconds.toFixed(1)} s → ${files.join(', ')}\n`);
        }
      } finally {
        dispose([x, y]);
        model.dispose();
      }
    });
}

/** Writes the pictures and the CSV of a surface into `out`; returns the file paths. */
async function writeSurface(out: string, s: Landscape, title: string, colormap: ColormapName, pathPoints?: [number, number][]): Promise<string[]> {
  const png = path.join(out, 'landscape.png');
  const csv = path.join(out, 'landscape.csv');
  if (s.y) {
    const grid = { x: s.x, y: s.y, z: s.loss };
    const options = { title, xLabel: 'direction 1', yLabel: 'direction 2', zLabel: 'loss', log: true, colormap, path: pathPoints };
    await writeHeatmap(png, grid, options);
    const svg = path.join(out, 'landscape.svg');
    fs.writeFileSync(svg, heatmapSvg(grid, options));
    fs.writeFileSync(csv, surfaceCsv(grid, 'loss'));
    return [png, svg, csv];
  }
  const series = [{ name: 'loss', x: s.x, values: Array.from(s.loss) }];
  if (s.accuracy) series.push({ name: 'accuracy', x: s.x, values: Array.from(s.accuracy) });
  await plotLines(png, series, { title, xLabel: 'alpha', yLabel: 'loss / accuracy' });
  fs.writeFileSync(csv, `x,loss${s.accuracy ? ',accuracy' : ''}\n${s.x.map((v, i) => `${v},${s.loss[i]}${s.accuracy ? `,${s.accuracy[i]}` : ''}`).join('\n')}\n`);
  return [png, csv];
}
