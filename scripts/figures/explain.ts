/**
 * The pictures of docs/explain.md, made by the library itself: a modern LeNet-5 trained for a few epochs
 * on the MNIST subset, every explanation method on the same test digits, the deletion and insertion
 * curves, feature inversions and class visualisations, and the square detector of the localisation test.
 * Run: npm run figures:explain (about a minute on two cores). Prints the figures quoted in the doc.
 */
import * as path from 'path';
import * as ds from '../../src';

const { explain, data, models, optim, train } = ds;
const OUT = path.resolve(__dirname, '..', '..', 'docs', 'images', 'explain');
const DIGITS = [0, 1, 2, 3, 4, 7];

/** The model on [0, 1] pixels: MNIST's normalisation first. */
class PixelSpace extends ds.nn.Module {
  constructor(readonly inner: ds.nn.Module) {
    super();
    this.registerModule('inner', inner);
  }
  override forward(x: ds.Tensor): ds.Tensor {
    return this.inner.call(x.sub(data.MNIST_MEAN).div(data.MNIST_STD)) as ds.Tensor;
  }
}

async function main(): Promise<void> {
  ds.manualSeed(0);
  const { train: trainSet, test: testSet } = data.mnist({ padTo32: true });
  const model = models.create('lenet5-modern');
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: new ds.Generator(0) });
  const opt = new optim.AdamW(model.parameters(), { lr: 4e-3, weightDecay: 0.01 });
  const history = await train.fit(model, loader, { epochs: 3, optimizer: opt, testLoader: new data.DataLoader(testSet, { batchSize: 500 }) });
  console.log(`lenet5-modern, 3 epochs: test accuracy ${(100 * history[2].testAccuracy).toFixed(2)}%`);

  const [images, labels] = testSet.tensors;
  const idx = ds.tensor(DIGITS, [DIGITS.length], { dtype: 'int32' });
  const x = images.indexSelect(0, idx);
  const pixels = x.mul(data.MNIST_STD).add(data.MNIST_MEAN).clamp(0, 1);
  const truth = Array.from(labels.indexSelect(0, idx).dataSync());
  const layers = 'features.4';

  // Every method on the same digits: one column per method.
  const methods: [string, () => Promise<{ maps: ds.Tensor }>][] = [
    ['Grad-CAM', () => explain.gradCam(model, x, { layers })],
    ['Grad-CAM++', () => explain.gradCamPlusPlus(model, x, { layers })],
    ['XGrad-CAM', () => explain.xGradCam(model, x, { layers })],
    ['HiResCAM', () => explain.hiResCam(model, x, { layers })],
    ['LayerCAM', () => explain.layerCam(model, x, { layers })],
    ['EigenCAM', () => explain.eigenCam(model, x, { layers })],
    ['Score-CAM', () => explain.scoreCam(model, x, { layers })],
    ['Ablation-CAM', () => explain.ablationCam(model, x, { layers })],
    ['saliency', () => explain.saliency(model, x)],
    ['SmoothGrad', () => explain.smoothGrad(model, x, { generator: new ds.Generator(1) })],
    ['IG', () => explain.integratedGradients(model, x)],
    ['guided GC', () => explain.guidedGradCam(model, x, { layers })],
  ];
  const maps: ds.Tensor[] = [];
  for (const [name, run] of methods) {
    const t0 = Date.now();
    maps.push((await run()).maps);
    console.log(`${name}: ${Date.now() - t0} ms for ${DIGITS.length} digits`);
  }
  const panels: ds.explain.GridPanel[] = [];
  DIGITS.forEach((_, i) => {
    const digit = pixels.narrow(0, i, 1).squeeze(0);
    panels.push({ image: digit, label: i === 0 ? 'input' : '' });
    methods.forEach(([name], m) => panels.push({ image: explain.overlay(digit, maps[m].narrow(0, i, 1).squeeze(0), { alpha: 0.5 }), label: i === 0 ? name : '' }));
  });
  explain.grid(panels, { columns: methods.length + 1, scale: 2, path: path.join(OUT, 'methods.png') });

  // Quality metrics of Grad-CAM against a map that ignores the image. They mask the input, so they see the
  // model in pixel space (black is 0), with the normalisation inside.
  const pixelModel = new PixelSpace(model);
  const gc = await explain.gradCam(model, x, { layers });
  const flat = ds.full(gc.maps.shape, 0.5);
  for (const [name, m] of [['Grad-CAM', gc.maps], ['constant map', flat]] as const) {
    const c = await explain.confidenceChange(pixelModel, pixels, m, { targets: truth });
    const di = await explain.deletionInsertion(pixelModel, pixels, m, { targets: truth, steps: 32 });
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    console.log(`${name}: average drop ${c.averageDrop.toFixed(1)}%, increase ${c.increaseInConfidence.toFixed(1)}%, deletion AUC ${mean(di.deletion.auc).toFixed(3)}, insertion AUC ${mean(di.insertion.auc).toFixed(3)}`);
    if (name === 'Grad-CAM') await explain.plotCurves(path.join(OUT, 'deletion-insertion.png'), di, { title: 'Grad-CAM on LeNet-5: deletion and insertion' });
  }

  // Feature inversion from the first and second convolution blocks.
  const inv: ds.explain.GridPanel[] = [];
  for (let i = 0; i < 3; i++) {
    const one = x.narrow(0, i, 1);
    inv.push({ image: pixels.narrow(0, i, 1).squeeze(0), label: i === 0 ? 'input' : '' });
    for (const layer of ['features.1', 'features.4', 'classifier.2']) {
      const r = await explain.invert(model, one, { layer, steps: 300, generator: new ds.Generator(i) });
      console.log(`inversion from ${layer}: feature error ${r.featureError.toFixed(4)}`);
      inv.push({ image: r.image.mul(data.MNIST_STD).add(data.MNIST_MEAN).clamp(0, 1).squeeze(0), label: i === 0 ? layer : '' });
    }
  }
  explain.grid(inv, { columns: 4, scale: 3, path: path.join(OUT, 'inversion.png') });

  // Class visualisations: the input each logit likes best, from noise.
  const vis: ds.explain.GridPanel[] = [];
  for (let c = 0; c < 10; c++) {
    const r = await explain.visualize(model, { target: c, shape: [1, 32, 32], steps: 200, generator: new ds.Generator(c) });
    const img = r.image.squeeze(0);
    vis.push({ image: img.sub(img.min()).div(img.max().sub(img.min()).add(1e-7)), label: String(c) });
  }
  explain.grid(vis, { columns: 10, scale: 3, path: path.join(OUT, 'classes.png') });
  console.log(`wrote ${['methods.png', 'deletion-insertion.png', 'inversion.png', 'classes.png'].join(', ')} to ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
