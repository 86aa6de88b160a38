/**
 * Localisation: a small CNN trained here (seconds) to tell canvases with a bright square from empty ones
 * puts the peak of its Grad-CAM map inside the square on held-out images; and every family of the zoo
 * runs through the methods with its default target layer.
 */
import * as ds from '../../src';
import { rng } from '../helpers';

const { explain, nn } = ds;
const SIZE = 32;

interface Sample {
  image: Float32Array;
  box: [number, number, number] | null; // top, left, side
}

function canvas(r: () => number, withSquare: boolean): Sample {
  const image = new Float32Array(SIZE * SIZE).map(() => 0.2 * r());
  if (!withSquare) return { image, box: null };
  const side = 5 + Math.floor(r() * 4);
  const top = Math.floor(r() * (SIZE - side));
  const left = Math.floor(r() * (SIZE - side));
  for (let i = top; i < top + side; i++) for (let j = left; j < left + side; j++) image[i * SIZE + j] = 0.8 + 0.2 * r();
  return { image, box: [top, left, side] };
}

function batch(samples: Sample[]): ds.Tensor {
  const data = new Float32Array(samples.length * SIZE * SIZE);
  samples.forEach((s, i) => data.set(s.image, i * SIZE * SIZE));
  return ds.tensor(data, [samples.length, 1, SIZE, SIZE]);
}

test('a trained square detector: the Grad-CAM peak lies inside the square in ≥ 90% of held-out images', async () => {
  ds.manualSeed(21);
  const r = rng(21);
  const net = new nn.Sequential({
    conv1: new nn.Conv2d(1, 8, 3, { padding: 1 }),
    relu1: new nn.ReLU(),
    conv2: new nn.Conv2d(8, 16, 3, { padding: 1, stride: 2 }),
    relu2: new nn.ReLU(),
    conv3: new nn.Conv2d(16, 16, 3, { padding: 1 }),
    relu3: new nn.ReLU(),
    pool: new nn.AdaptiveAvgPool2d(1),
    flat: new nn.Flatten(),
    fc: new nn.Linear(16, 2),
  });
  const opt = new ds.optim.Adam(net.parameters(), { lr: 0.01 });
  let loss = Infinity;
  for (let step = 0; step < 150; step++) {
    const samples = Array.from({ length: 32 }, (_, i) => canvas(r, i % 2 === 0));
    loss = await ds.tidy(async () => {
      const labels = ds.tensor(samples.map((s) => (s.box ? 1 : 0)), [32], { dtype: 'int32' });
      const l = ds.crossEntropy(net.call(batch(samples)) as ds.Tensor, labels);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.item();
    });
  }
  expect(loss).toBeLessThan(0.1);
  const held = Array.from({ length: 100 }, () => canvas(r, true));
  const x = batch(held);
  const { maps, targets } = await explain.gradCam(net, x, { layers: 'relu3', targets: 1 });
  expect(targets.every((t) => t === 1)).toBe(true);
  const m = maps.dataSync();
  let inside = 0;
  held.forEach(({ box }, n) => {
    const plane = m.subarray(n * SIZE * SIZE, (n + 1) * SIZE * SIZE);
    const peak = plane.indexOf(Math.max(...plane));
    const [i, j] = [Math.floor(peak / SIZE), peak % SIZE];
    const [top, left, side] = box!;
    if (i >= top && i < top + side && j >= left && j < left + side) inside++;
  });
  expect(inside).toBeGreaterThanOrEqual(90);
  ds.dispose([maps, x, net]);
});

describe('the zoo: default layers and every method', () => {
  // [name, build, input, default layer, a 64-channel early layer for the per-channel methods]
  const cases: [string, () => ds.nn.Module, number[], string, string][] = [
    ['LeNet-5 (c5 is 1×1: s4 is the last map)', () => ds.models.lenet5(), [1, 1, 32, 32], 's4', 'c3'],
    ['ResNet-18', () => ds.models.resnet18({ numClasses: 10 }), [1, 3, 64, 64], 'layer4', 'layer1'],
    ['VGG-11 (a quarter of the width)', () => ds.models.vgg11({ numClasses: 10, widthMultiplier: 0.25, hidden: 256 }), [1, 3, 64, 64], 'features', 'features.1'],
    ['DenseNet-121', () => ds.models.densenet121({ numClasses: 10 }), [1, 3, 64, 64], 'features', 'features.relu0'],
    ['GoogLeNet', () => ds.models.googlenet({ numClasses: 10 }), [1, 3, 64, 64], 'inception5b', 'conv1'],
  ];
  test.each(cases)('%s', async (_name, build, shape, layer, early) => {
    ds.manualSeed(3);
    const net = build();
    const x = ds.randn(shape);
    const g = await explain.gradCam(net, x);
    expect(g.layers[0].layer).toBe(layer);
    expect(g.maps.shape).toEqual([1, shape[2], shape[3]]);
    const inUnit = (m: ds.Tensor) => expect(m.dataSync().every((t) => t >= 0 && t <= 1)).toBe(true);
    for (const method of ['gradCamPlusPlus', 'xGradCam', 'hiResCam', 'layerCam', 'eigenCam'] as const) {
      const e = await explain[method](net, x, { layers: layer });
      inUnit(e.maps);
      ds.dispose(e);
    }
    for (const method of ['scoreCam', 'ablationCam'] as const) {
      const e = await explain[method](net, x, { layers: early, batchSize: 64 });
      expect(e.maps.shape).toEqual([1, shape[2], shape[3]]);
      inUnit(e.maps);
      ds.dispose(e);
    }
    const saliencies = [
      await explain.saliency(net, x),
      await explain.smoothGrad(net, x, { samples: 2 }),
      await explain.integratedGradients(net, x, { steps: 4 }),
      await explain.guidedBackprop(net, x),
      await explain.guidedGradCam(net, x, { layers: layer }),
    ];
    for (const e of saliencies) {
      expect(e.attributions.shape).toEqual(shape);
      inUnit(e.maps);
    }
    const inv = await explain.invert(net, x, { layer: early, steps: 3 });
    expect(inv.image.shape).toEqual(shape);
    expect(inv.losses).toHaveLength(3);
    ds.dispose([g, saliencies, inv, net, x]);
  });
});
