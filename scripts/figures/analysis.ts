/**
 * The pictures of docs/analysis.md, made by the library itself on real MNIST digits (downsampled to
 * 14×14 to keep the run short):
 *
 * - a CIFAR-style ResNet of 6n + 2 layers and its plain twin (the same layers without shortcuts, same
 *   initial weights, both with batch norm and He initialisation) trained for a few epochs with the same
 *   SGD one-cycle schedule; their 2-D loss surfaces along filter-normalised random directions, a 1-D
 *   slice, and the ResNet's surface along the PCA directions of its training trajectory;
 * - the lesion study of both (each block deleted in turn, k blocks at random) and the path-length
 *   distribution of the ResNet;
 * - signal propagation through a 1000-layer vanilla tanh CNN: delta-orthogonal at the critical point
 *   against Gaussian initialisations.
 *
 * Run: npm run figures:analysis (FIG_N = blocks per stage, default 5; FIG_STEPS = grid points per axis,
 * default 15; FIG_DEPTH = depth of the vanilla CNN, default 1000). Prints the figures quoted in the doc.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ds from '../../src';
import { progressBar } from '../../src/cli/analysis-data';

const { analysis, data, io, models, optim, train } = ds;
const OUT = path.resolve(__dirname, '..', '..', 'docs', 'images', 'analysis');
const N = Number(process.env.FIG_N ?? 5);
const STEPS = Number(process.env.FIG_STEPS ?? 15);
const DEPTH = Number(process.env.FIG_DEPTH ?? 1000);
const EPOCHS = 3;

/** MNIST at 14×14 (bilinear), normalised. */
function digits(): { trainSet: ds.data.TensorDataset; testSet: ds.data.TensorDataset } {
  const { train: tr, test: te } = data.mnist();
  const shrink = (set: ds.data.TensorDataset) => {
    const [x, y] = set.tensors;
    return new data.TensorDataset(ds.interpolate(x, { size: [14, 14], mode: 'bilinear' }), y);
  };
  return { trainSet: shrink(tr), testSet: shrink(te) };
}

async function trainNet(name: string, net: ds.models.CifarResNet, trainSet: ds.data.TensorDataset, testSet: ds.data.TensorDataset, trajectory?: ds.analysis.ParameterVector[]) {
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: new ds.Generator(1) });
  const opt = new optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const sched = new optim.OneCycleLR(opt, { maxLr: 0.05, epochs: EPOCHS, stepsPerEpoch: loader.length });
  // The trajectory for PCA: the weights every 25 steps (read synchronously inside the step callback).
  const snapshot = () => new Map(net.namedParameters().map(([n, p]) => [n, Float32Array.from(p.dataSync())]));
  if (trajectory) trajectory.push(snapshot());
  const bar = progressBar(`${name} training`)!;
  const history = await train.fit(net, loader, {
    epochs: EPOCHS, optimizer: opt, scheduler: sched, testLoader: new data.DataLoader(testSet, { batchSize: 500 }),
    onStep: ({ step, steps }) => {
      if (trajectory && step % 25 === 0) trajectory.push(snapshot());
      bar({ done: step, total: steps });
    },
    onEpochEnd: (r) => console.log(`${name} epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(3)}, test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`),
  });
  return history[history.length - 1];
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  ds.manualSeed(0);
  const { trainSet, testSet } = digits();
  const [tx, ty] = testSet.tensors;
  const evalBatch: [ds.Tensor, ds.Tensor] = [tx.narrow(0, 0, 256), ty.narrow(0, 0, 256)];
  const depth = 6 * N + 2;

  // Signal propagation: tanh, width 16, 8×8 maps, one input.
  const x = ds.randn([1, 16, 8, 8], { generator: new ds.Generator(5) });
  const inits = [
    ['delta-orthogonal, critical', { init: 'deltaOrthogonal' }],
    ['Gaussian, critical', { init: 'gaussian' }],
    ['Gaussian, sw2 = 0.8, sb2 = 0', { init: 'gaussian', weightVariance: 0.8, biasVariance: 0 }],
  ] as const;
  const at = [9, 99, DEPTH - 1].filter((i) => i < DEPTH);
  const results: [string, ds.analysis.SignalPropagation][] = [];
  for (const [name, opts] of inits) {
    const net = models.vanillaCNN({ depth: DEPTH, width: 16, inChannels: 16, generator: new ds.Generator(6), ...opts });
    const s = await analysis.signalPropagation(net, x, { layers: Array.from({ length: DEPTH }, (_, i) => `convs.${i}`), jacobianLayers: at, probes: 32, generator: new ds.Generator(8), onProgress: progressBar(name) });
    results.push([name, s]);
    const last = s.jacobians[s.jacobians.length - 1].singularValues;
    console.log(`${name}: activation RMS layer 1 ${s.activationRms[0].toExponential(2)}, layer ${DEPTH} ${s.activationRms[DEPTH - 1].toExponential(2)}; gradient RMS layer 1 ${s.gradientRms[0].toExponential(2)}; Jacobian at ${DEPTH}: max/min singular value ${(last[0] / last[last.length - 1]).toExponential(2)}`);
    net.dispose();
  }
  const layerAxis = Array.from({ length: DEPTH }, (_, i) => i + 1);
  await io.plotLines(path.join(OUT, 'signal-activations.png'), results.map(([name, s]) => ({ name, x: layerAxis, values: s.activationRms.map(Math.log10) })),
    { title: `activations through ${DEPTH} tanh layers`, xLabel: 'layer', yLabel: 'log10 RMS of pre-activations', width: 520, height: 320 });
  await io.plotLines(path.join(OUT, 'signal-gradients.png'), results.map(([name, s]) => ({ name, x: layerAxis, values: s.gradientRms.map(Math.log10) })),
    { title: 'back-propagated gradients', xLabel: 'layer', yLabel: 'log10 RMS of gradients', width: 520, height: 320 });
  await io.plotLines(path.join(OUT, 'signal-jacobian.png'), results.map(([name, s]) => {
    const sv = s.jacobians[s.jacobians.length - 1].singularValues;
    return { name, x: sv.map((_, i) => (i + 1) / sv.length), values: sv.map((v) => Math.log10(v / Math.sqrt(s.jacobians[s.jacobians.length - 1].meanSquared))) };
  }), { title: `Jacobian at layer ${DEPTH}`, xLabel: 'rank / probes', yLabel: 'log10 singular value / RMS', width: 520, height: 320 });

  // Twins: the same initial weights (the plain net has no shortcut parameters to differ in).
  const resnet = new models.CifarResNet(N, { inChannels: 1, generator: new ds.Generator(7) });
  const plain = new models.CifarResNet(N, { inChannels: 1, plain: true, generator: new ds.Generator(7) });
  const trajectory: ds.analysis.ParameterVector[] = [];
  const t0 = Date.now();
  const rRes = await trainNet(`resnet-${depth}`, resnet, trainSet, testSet, trajectory);
  const rPlain = await trainNet(`plain-${depth}`, plain, trainSet, testSet);
  console.log(`training: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  // 2-D surfaces along the same kind of directions (filter-normalised, seed 3), on 256 test digits.
  const surfaces: Record<string, ds.analysis.Landscape> = {};
  for (const [name, net] of [[`resnet-${depth}`, resnet], [`plain-${depth}`, plain]] as const) {
    const s = await analysis.landscape(net, ds.crossEntropy, evalBatch, {
      directions: 2, range: 1, steps: STEPS, generator: new ds.Generator(3), onProgress: progressBar(`${name} surface`),
    });
    surfaces[name] = s;
    const centre = s.loss[Math.floor(s.loss.length / 2)];
    const max = Math.max(...s.loss);
    console.log(`${name}: loss at the minimum ${centre.toFixed(3)}, max on the grid ${max.toFixed(2)}, fraction of grid below 2× centre+0.1 ${(s.loss.filter((v) => v < 2 * centre + 0.1).length / s.loss.length).toFixed(2)}`);
    await io.writeHeatmap(path.join(OUT, `${name}-surface.png`), { x: s.x, y: s.y!, z: s.loss }, {
      title: `${name} (${name.startsWith('plain') ? 'no shortcuts' : 'shortcuts'})`, xLabel: 'direction 1', yLabel: 'direction 2',
      zLabel: 'test loss', log: true, zRange: [0.01, 50], contours: 12, width: 420, height: 360,
    });
  }

  // 1-D slices through the same surfaces (the middle row).
  const mid = Math.floor(STEPS / 2);
  await io.plotLines(path.join(OUT, 'slice-1d.png'), Object.entries(surfaces).map(([name, s]) => ({
    name, x: s.x, values: Array.from(s.loss.subarray(mid * STEPS, (mid + 1) * STEPS), (v) => Math.log10(v)),
  })), { title: '1-D slice, filter-normalised direction', xLabel: 'alpha', yLabel: 'log10 test loss', width: 520, height: 320 });

  // PCA of the ResNet's trajectory (weights after every epoch, the initial ones first).
  const final = await analysis.getWeights(resnet);
  trajectory.push(final);
  const pca = analysis.pcaDirections(trajectory.slice(0, -1), final, 2);
  const reach = 1.3 * Math.max(...pca.path.flat().map(Math.abs));
  const ps = await analysis.landscape(resnet, ds.crossEntropy, evalBatch, { directions: pca.directions, range: reach, steps: 13, onProgress: progressBar('PCA surface') });
  console.log(`PCA: explained variance ${pca.explainedVariance.map((v) => (100 * v).toFixed(1)).join('%, ')}%`);
  await io.writeHeatmap(path.join(OUT, 'resnet-pca-trajectory.png'), { x: ps.x, y: ps.y!, z: ps.loss }, {
    title: 'training path, PCA directions', xLabel: `PC1 (${(100 * pca.explainedVariance[0]).toFixed(0)}%)`, yLabel: `PC2 (${(100 * pca.explainedVariance[1]).toFixed(0)}%)`,
    zLabel: 'test loss', log: true, contours: 12, path: [...pca.path.map(([a, b]) => [a, b] as [number, number]), [0, 0]], width: 420, height: 360,
  });

  // Lesions: each block, then k blocks at random.
  const blocksN = 3 * N;
  const ks = Array.from({ length: Math.min(blocksN - 2, 6) }, (_, i) => i + 1);
  const lesions: Record<string, ds.analysis.LesionResult> = {};
  for (const [name, net] of [[`resnet-${depth}`, resnet], [`plain-${depth}`, plain]] as const) {
    const r = await analysis.lesion(net, [tx.narrow(0, 0, 500), ty.narrow(0, 0, 500)], { k: ks, trials: 5, generator: new ds.Generator(4), onProgress: progressBar(`${name} lesion`) });
    lesions[name] = r;
    console.log(`${name} lesion: intact ${(100 * r.baseline).toFixed(2)}%, single deletions ${r.single.map((s) => (100 * s.accuracy).toFixed(1)).join(' ')}`);
    console.log(`${name} random k=${ks.join(',')}: ${r.random.map((g) => (100 * g.mean).toFixed(1)).join(' ')}`);
  }
  await io.plotLines(path.join(OUT, 'lesion-single.png'), Object.entries(lesions).map(([name, r]) => ({
    name, values: r.single.map((s) => s.accuracy),
  })), { title: 'delete one block', xLabel: 'block deleted (shape-keeping blocks in order)', yLabel: 'test accuracy', yRange: [0, 1], width: 520, height: 320 });
  await io.plotLines(path.join(OUT, 'lesion-random.png'), Object.entries(lesions).map(([name, r]) => ({
    name, x: r.random.map((g) => g.k), values: r.random.map((g) => g.mean),
  })), { title: 'delete k blocks at random', xLabel: 'blocks deleted', yLabel: 'test accuracy', yRange: [0, 1], width: 520, height: 320 });
  const dist = analysis.pathLengthDistribution(blocksN);
  await io.plotLines(path.join(OUT, 'path-lengths.png'), [{ name: `${blocksN} blocks: 2^${blocksN} paths`, x: dist.map((d) => d.length), values: dist.map((d) => d.fraction) }],
    { title: 'path lengths of the unravelled ResNet', xLabel: 'residual blocks on the path', yLabel: 'fraction of paths', width: 520, height: 320 });

  console.log(`final accuracies: resnet ${(100 * rRes.testAccuracy).toFixed(2)}%, plain ${(100 * rPlain.testAccuracy).toFixed(2)}%`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
