/**
 * `deepscope lesion`: the lesion study of Veit et al. on a model of the zoo with its checkpoint, on MNIST
 * test digits: each residual block deleted in turn, and k blocks at random. Writes `lesion.png` (accuracy
 * per deleted block), `lesion-random.png` (accuracy against k) and `lesion.json`, with the path count
 * and path-length distribution of the network's blocks.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { DeviceLike } from '../device';
import { Generator } from '../random';
import { dispose } from '../memory';
import { lesion, pathCount, pathLengthDistribution, type LesionResult } from '../analysis/lesion';
import { plotLines } from '../io/plot';
import { summaryModelArg } from './summary';
import { CliError, applyThreads, checkDevice, collect, deviceArg, firstLine, nonNegativeInt, percent, positiveInt, prepareOutDir } from './common';
import { buildZooModel, resolveZooModel } from './zoo';
import { batches, digitsFor, intList, progressBar } from './analysis-data';

/** Options of `deepscope lesion`, as parsed. */
export interface LesionCliOptions {
  model?: string;
  checkpoint?: string;
  block?: string[];
  k?: number[];
  trials: number;
  samples: number;
  batchSize: number;
  seed: number;
  out: string;
  device: DeviceLike;
  threads?: number;
  json?: boolean;
}

/** Adds the `lesion` command to `program`. */
export function registerLesion(program: Command): void {
  program
    .command('lesion')
    .description('accuracy of a residual (or plain) network with blocks deleted at test time: ResNets as ensembles of paths')
    .option('-m, --model <name>', "a model of the zoo (default: the checkpoint's metadata)", summaryModelArg)
    .option('-c, --checkpoint <file>', 'weights (safetensors); without it the weights are random')
    .option('-b, --block <path>', 'a block to delete, by module path (repeat; default: every shape-keeping residual block)', collect)
    .option('--k <list>', 'numbers of blocks to delete together at random, e.g. 1,2,4', intList('--k'))
    .option('--trials <n>', 'random subsets per k', positiveInt('--trials'), 10)
    .option('--samples <n>', 'MNIST test digits', positiveInt('--samples'), 1000)
    .option('--batch-size <n>', 'digits per forward pass', positiveInt('--batch-size'), 250)
    .option('--seed <n>', 'seed of the random subsets', nonNegativeInt('--seed'), 0)
    .option('-o, --out <dir>', 'output directory', 'deepscope-lesion')
    .option('-d, --device <device>', 'cpu, cuda or cuda:N', deviceArg, 'cpu')
    .option('-t, --threads <n>', 'CPU threads', positiveInt('--threads'))
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExamples:\n  deepscope lesion --model resnet20 --checkpoint resnet20.safetensors --k 1,2,4,6\n  deepscope lesion --model plainResnet18 --checkpoint plain18.safetensors')
    .action(async (opts: LesionCliOptions) => {
      applyThreads(opts.threads);
      checkDevice(opts.device);
      const zoo = await resolveZooModel(opts.model, opts.checkpoint);
      const out = prepareOutDir(opts.out);
      const model = await buildZooModel(zoo.name, opts.checkpoint, opts.device);
      const [x, y] = digitsFor(zoo, opts.samples, opts.device);
      try {
        let r: LesionResult;
        try {
          r = await lesion(model, batches(x, y, opts.batchSize), {
            blocks: opts.block, k: opts.k, trials: opts.trials, generator: new Generator(opts.seed), onProgress: progressBar(`lesion ${zoo.name}`, opts.json),
          });
        } catch (e) {
          throw new CliError(`lesion: ${firstLine(e).replace(/^\w+: /, '')}`);
        }
        const png = path.join(out, 'lesion.png');
        await plotLines(png, [
          { name: 'block deleted', values: r.single.map((s) => s.accuracy) },
          { name: 'intact', values: r.single.map(() => r.baseline) },
        ], { title: `${zoo.name}: one block deleted`, xLabel: 'block (forward order)', yLabel: 'accuracy', yRange: [0, 1] });
        const files = [png];
        if (r.random.length > 0) {
          const png2 = path.join(out, 'lesion-random.png');
          await plotLines(png2, [{ name: `mean of ${opts.trials}`, x: r.random.map((g) => g.k), values: r.random.map((g) => g.mean) }],
            { title: `${zoo.name}: k blocks deleted at random`, xLabel: 'blocks deleted', yLabel: 'accuracy', yRange: [0, 1] });
          files.push(png2);
        }
        const n = r.blocks.length;
        const summary = { model: zoo.name, samples: opts.samples, ...r, paths: { blocks: n, count: pathCount(n), lengths: pathLengthDistribution(n) }, files };
        fs.writeFileSync(path.join(out, 'lesion.json'), `${JSON.stringify(summary)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          process.stdout.write(`${zoo.name}: intact ${percent(r.baseline)}\n`);
          for (const s of r.single) process.stdout.write(`  without ${s.block}: ${percent(s.accuracy)}\n`);
          for (const g of r.random) process.stdout.write(`  ${g.k} random blocks deleted: ${percent(g.mean)} ± ${percent(g.std)}\n`);
          process.stdout.write(`${n} blocks: 2^${n} paths, most of length ${Math.floor(n / 2)}${n % 2 ? ` or ${Math.ceil(n / 2)}` : ''} → ${files.join(', ')}\n`);
        }
      } finally {
        dispose([x, y]);
        model.dispose();
      }
    });
}
