/**
 * The class-activation-map methods against float64 references of their formulas on a tiny network with
 * fixed weights (the activations and gradients recomputed in float64 here), CAM = Grad-CAM on a GAP +
 * linear head, localisation of a trained detector, the zoo, options and error paths.
 */
import * as ds from '../../src';
import { Nd } from '../reference/nd';
import { conv2d, conv2dGradInput } from '../reference/conv';
import { interpolate } from '../reference/resample';
import * as ref from '../reference/cam';
import { expectError, normError, randNd, rng, settledMemory, toNd, toTensor } from '../helpers';

const { explain, nn } = ds;

/** conv (stride 2) → softplus → conv → softplus → global average pool → linear. */
class TinyNet extends nn.Module {
  declare conv1: ds.nn.Conv2d;
  declare act1: ds.nn.Softplus;
  declare conv2: ds.nn.Conv2d;
  declare act2: ds.nn.Softplus;
  declare pool: ds.nn.AdaptiveAvgPool2d;
  declare fc: ds.nn.Linear;
  constructor() {
    super();
    this.registerModule('conv1', new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1 }));
    this.registerModule('act1', new nn.Softplus());
    this.registerModule('conv2', new nn.Conv2d(4, 3, 3, { padding: 1 }));
    this.registerModule('act2', new nn.Softplus());
    this.registerModule('pool', new nn.AdaptiveAvgPool2d(1));
    this.registerModule('fc', new nn.Linear(3, 5));
  }
  override forward(x: ds.Tensor): ds.Tensor {
    const h = this.act2.call(this.conv2.call(this.act1.call(this.conv1.call(x))));
    return this.fc.call(this.pool.call(h).flatten(1));
  }
}

const softplus = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** The tiny network in float64, from its own weights; `a1` may replace the first activation. */
function reference(net: TinyNet) {
  const p = Object.fromEntries([...net.stateDict()].map(([k, t]) => [k, toNd(t)]));
  const fromA1 = (a1: Nd) => {
    const z2 = conv2d(a1, p['conv2.weight'], p['conv2.bias'], { pad: [1, 1, 1, 1] });
    const b2 = z2.map(softplus);
    const [n, k, h, w] = b2.shape;
    const y = Nd.zeros([n, 5]);
    for (let b = 0; b < n; b++)
      for (let c = 0; c < 5; c++) {
        let s = p['fc.bias'].get(c);
        for (let f = 0; f < k; f++) {
          let m = 0;
          for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) m += b2.get(b, f, i, j);
          s += (p['fc.weight'].get(c, f) * m) / (h * w);
        }
        y.set([b, c], s);
      }
    return { z2, b2, y };
  };
  const forward = (x: Nd) => {
    const a1 = conv2d(x, p['conv1.weight'], p['conv1.bias'], { stride: [2, 2], pad: [1, 1, 1, 1] }).map(softplus);
    return { a1, ...fromA1(a1) };
  };
  /** ∂y[n, c_n]/∂act1 and ∂y[n, c_n]/∂act2. */
  const grads = (x: Nd, targets: number[]) => {
    const { a1, z2 } = forward(x);
    const [n, k, h, w] = z2.shape;
    const gB = Nd.zeros(z2.shape);
    for (let b = 0; b < n; b++)
      for (let f = 0; f < k; f++)
        for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) gB.set([b, f, i, j], p['fc.weight'].get(targets[b], f) / (h * w));
    const gZ = gB.map((v, i) => v * sigmoid(z2.data[i]));
    return { gA1: conv2dGradInput(gZ, p['conv2.weight'], a1.shape, { pad: [1, 1, 1, 1] }), gB2: gB };
  };
  return { p, forward, fromA1, grads };
}

function setup(seed = 5) {
  ds.manualSeed(seed);
  const net = new TinyNet();
  const xNd = randNd(rng(seed), [2, 2, 7, 9]);
  return { net, xNd, x: toTensor(xNd), R: reference(net), targets: [1, 3] };
}

// Float32 rounding through two 3×3 convolutions and their gradient (relative ~1e-6 per value), amplified a
// little by the ratios of Grad-CAM++ and XGrad-CAM (their denominators are sums of positive softplus
// activations, well away from zero): 1e-4 leaves a wide margin yet catches any wrong term.
const TOL = 1e-4;

describe('CAM methods against float64 references of their formulas', () => {
  const gradMethods = [
    ['gradCam', ref.gradCam],
    ['gradCamPlusPlus', ref.gradCamPlusPlus],
    ['xGradCam', ref.xGradCam],
    ['hiResCam', ref.hiResCam],
    ['layerCam', ref.layerCam],
  ] as const;
  test.each(gradMethods)('%s on layer act1 (4×5 maps of a 7×9 input), targets [1, 3]', async (name, formula) => {
    const { net, x, xNd, R, targets } = setup();
    const r = await explain[name](net, x, { layers: 'act1', targets });
    const { a1 } = R.forward(xNd);
    const expected = formula(a1, R.grads(xNd, targets).gA1);
    expect(r.raw.shape).toEqual([2, 4, 5]);
    expect(normError(r.raw.dataSync(), expected)).toBeLessThan(TOL);
    const maps = ref.normalizePerImage(interpolate(expected.reshape([2, 1, 4, 5]), { size: [7, 9], mode: 'bilinear' }));
    expect(r.maps.shape).toEqual([2, 7, 9]);
    expect(normError(r.maps.dataSync(), maps.reshape([2, 7, 9]))).toBeLessThan(TOL);
    expect(r.targets).toEqual(targets);
    const { y } = R.forward(xNd);
    expect(normError(r.scores, Nd.from([y.get(0, 1), y.get(1, 3)], [2]))).toBeLessThan(1e-5);
    ds.dispose([r, net, x]);
  });

  test('CAM: the classifier row of the target class over act2', async () => {
    const { net, x, xNd, R, targets } = setup();
    const r = await explain.cam(net, x, { layers: 'act2', targets });
    const w = Nd.zeros([2, 3]);
    targets.forEach((c, n) => [0, 1, 2].forEach((k) => w.set([n, k], R.p['fc.weight'].get(c, k))));
    expect(normError(r.raw.dataSync(), ref.weighted(R.forward(xNd).b2, w))).toBeLessThan(TOL);
    ds.dispose([r, net, x]);
  });

  test('EigenCAM: the first principal component (Jacobi in float64), no gradients', async () => {
    const { net, x, xNd, R } = setup();
    const r = await explain.eigenCam(net, x, { layers: 'act1' });
    expect(normError(r.raw.dataSync(), ref.eigenProjection(R.forward(xNd).a1))).toBeLessThan(TOL);
    ds.dispose([r, net, x]);
  });

  test('Score-CAM: softmax over channels of the scores of the masked inputs', async () => {
    const { net, x, xNd, R, targets } = setup();
    const r = await explain.scoreCam(net, x, { layers: 'act1', targets, batchSize: 3 });
    const { a1 } = R.forward(xNd);
    const up = interpolate(a1, { size: [7, 9], mode: 'bilinear' });
    const weights = Nd.zeros([2, 4]);
    for (let n = 0; n < 2; n++) {
      const scores = [0, 1, 2, 3].map((k) => {
        const mask = ref.normalizePerImage(Nd.from(up.data.subarray((n * 4 + k) * 63, (n * 4 + k + 1) * 63), [1, 63]));
        const masked = Nd.from(xNd.data.subarray(n * 126, (n + 1) * 126).map((v, i) => v * mask.data[i % 63]), [1, 2, 7, 9]);
        return R.forward(masked).y.get(0, targets[n]);
      });
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      e.forEach((v, k) => weights.set([n, k], v / e.reduce((a, b) => a + b)));
    }
    expect(normError(r.raw.dataSync(), ref.weighted(a1, weights))).toBeLessThan(TOL);
    ds.dispose([r, net, x]);
  });

  test('Ablation-CAM: the relative drop of the score with each channel zeroed', async () => {
    const { net, x, xNd, R, targets } = setup();
    const seen: string[] = [];
    const r = await explain.ablationCam(net, x, { layers: 'act1', targets, batchSize: 3, onProgress: (p) => seen.push(`${p.layer} ${p.done}/${p.total}`) });
    expect(seen).toEqual(['act1 3/8', 'act1 4/8', 'act1 7/8', 'act1 8/8']);
    const { a1, y } = R.forward(xNd);
    const weights = Nd.zeros([2, 4]);
    for (let n = 0; n < 2; n++)
      for (let k = 0; k < 4; k++) {
        const ablated = a1.clone();
        for (let b = 0; b < 2; b++) for (let i = 0; i < 20; i++) if (b === n) ablated.data[(b * 4 + k) * 20 + i] = 0;
        const s = R.fromA1(ablated).y.get(n, targets[n]);
        weights.set([n, k], (y.get(n, targets[n]) - s) / y.get(n, targets[n]));
      }
    expect(normError(r.raw.dataSync(), ref.weighted(a1, weights))).toBeLessThan(TOL);
    ds.dispose([r, net, x]);
  });

  test('eigenSmooth projects the weighted activations; several layers average their normalised maps', async () => {
    const { net, x, xNd, R, targets } = setup();
    const r = await explain.layerCam(net, x, { layers: ['act1', 'act2'], targets, eigenSmooth: true });
    const { a1, b2 } = R.forward(xNd);
    const { gA1, gB2 } = R.grads(xNd, targets);
    const relu = (g: Nd) => g.map((v) => Math.max(v, 0));
    const w1 = a1.map((v, i) => v * relu(gA1).data[i]);
    const w2 = b2.map((v, i) => v * relu(gB2).data[i]);
    const raw1 = ref.eigenProjection(w1);
    const raw2 = ref.eigenProjection(w2);
    expect(r.layers.map((l) => l.layer)).toEqual(['act1', 'act2']);
    expect(normError(r.layers[0].raw.dataSync(), raw1)).toBeLessThan(TOL);
    expect(normError(r.layers[1].raw.dataSync(), raw2)).toBeLessThan(TOL);
    expect(r.raw).toBe(r.layers[0].raw);
    const up = (m: Nd) => ref.normalizePerImage(interpolate(m.reshape([2, 1, 4, 5]), { size: [7, 9], mode: 'bilinear' }));
    const u1 = up(raw1);
    const u2 = up(raw2);
    const expected = ref.normalizePerImage(u1.map((v, i) => (v + u2.data[i]) / 2));
    expect(normError(r.maps.dataSync(), expected.reshape([2, 7, 9]))).toBeLessThan(TOL);
    ds.dispose([r, net, x]);
  });
});

describe('CAM and Grad-CAM agree on a global-average-pooling + linear head', () => {
  test('tiny network: Grad-CAM · h·w = CAM on act2', async () => {
    const { net, x, targets } = setup(8);
    const a = await explain.cam(net, x, { layers: 'act2', targets });
    const b = await explain.gradCam(net, x, { layers: 'act2', targets });
    const scaled = b.raw.mul(4 * 5);
    expect(normError(scaled.dataSync(), toNd(a.raw))).toBeLessThan(1e-5);
    expect(normError(b.maps.dataSync(), toNd(a.maps))).toBeLessThan(1e-4);
    ds.dispose([a, b, scaled, net, x]);
  });

  test('ResNet-18 (10 classes, 64×64): the same maps from layer4, default targets', async () => {
    ds.manualSeed(2);
    const net = ds.models.resnet18({ numClasses: 10 });
    const x = ds.randn([2, 3, 64, 64]);
    const a = await explain.cam(net, x);
    const b = await explain.gradCam(net, x);
    expect(a.layers[0].layer).toBe('layer4');
    expect(a.targets).toEqual(b.targets);
    // Ties at zero after the ReLU aside, the maps are identical up to float32 rounding of the two orders of summation.
    expect(normError(b.raw.mul(4).dataSync(), toNd(a.raw))).toBeLessThan(1e-4);
    ds.dispose([a, b, net, x]);
  });
});

describe('options', () => {
  test('targets: default arg-max, one class for all, a tensor, score functions (the index is passed)', async () => {
    const { net, x } = setup(11);
    const logits = ds.noGrad(() => net.eval().call(x) as ds.Tensor);
    const argmax = Array.from(logits.argmax(1).dataSync());
    const d = await explain.gradCam(net, x, { layers: 'act1' });
    expect(d.targets).toEqual(argmax);
    const same = await explain.gradCam(net, x, { layers: 'act1', targets: ds.tensor(argmax, [2], { dtype: 'int32' }) });
    expect(Array.from(same.raw.dataSync())).toEqual(Array.from(d.raw.dataSync()));
    const seen: number[] = [];
    const viaFn = await explain.gradCam(net, x, {
      layers: 'act1',
      targets: (row, i) => {
        seen.push(i);
        return row.narrow(0, argmax[i], 1).sum();
      },
    });
    expect(seen).toEqual([0, 1]);
    expect(viaFn.targets).toEqual([null, null]);
    expect(normError(viaFn.raw.dataSync(), toNd(d.raw))).toBeLessThan(1e-6);
    const all2 = await explain.gradCam(net, x, { layers: 'act1', targets: 2 });
    expect(all2.targets).toEqual([2, 2]);
    ds.dispose([logits, d, same, viaFn, all2, net, x]);
  });

  test("a model whose output is penalties (LeNet-5's RBF layer): targets are its predictions, scores the negated penalties", async () => {
    ds.manualSeed(16);
    const net = ds.models.lenet5();
    const x = ds.randn([3, 1, 32, 32]);
    const out = ds.noGrad(() => net.eval().call(x) as ds.Tensor);
    const predicted = Array.from(net.predict(out).dataSync());
    const r = await explain.gradCam(net, x);
    expect(r.targets).toEqual(predicted);
    expect(r.scores).toEqual(predicted.map((c, i) => -out.dataSync()[i * 10 + c]));
    ds.dispose([net, x, out, r]);
  });

  test('a batch gives the same maps as its images one at a time', async () => {
    const { net, x, targets } = setup(12);
    const both = await explain.gradCamPlusPlus(net, x, { layers: 'act1', targets });
    for (let n = 0; n < 2; n++) {
      const one = await explain.gradCamPlusPlus(net, x.narrow(0, n, 1), { layers: 'act1', targets: [targets[n]] });
      expect(normError(one.maps.dataSync(), toNd(both.maps.narrow(0, n, 1)))).toBeLessThan(1e-5);
      ds.dispose(one);
    }
    ds.dispose([both, net, x]);
  });

  test('augSmooth: the normalised mean of the maps of the input and its flip, each scaled by 0.9, 1, 1.1', async () => {
    const { net, x } = setup(13);
    const r = await explain.gradCam(net, x, { layers: 'act1', augSmooth: true });
    const flip = (t: ds.Tensor) => t.indexSelect(t.ndim - 1, ds.tensor([8, 7, 6, 5, 4, 3, 2, 1, 0], [9], { dtype: 'int32' }));
    const parts: Nd[] = [];
    for (const flipped of [false, true])
      for (const f of [0.9, 1, 1.1]) {
        const e = await explain.gradCam(net, (flipped ? flip(x) : x).mul(f), { layers: 'act1', targets: r.targets as number[] });
        parts.push(toNd(flipped ? flip(e.maps) : e.maps));
        ds.dispose(e);
      }
    const mean = parts[0].map((_, i) => parts.reduce((s, p) => s + p.data[i], 0) / parts.length);
    expect(normError(r.maps.dataSync(), ref.normalizePerImage(mean))).toBeLessThan(1e-5);
    expect(Math.min(...r.maps.dataSync())).toBeGreaterThanOrEqual(0);
    ds.dispose([r, net, x]);
  });

  test('the model keeps its mode; no hooks stay behind; memory is flat over repeated calls', async () => {
    const { net, x, targets } = setup(14);
    net.train();
    const before = ds.noGrad(() => (net.call(x) as ds.Tensor).dataSync());
    const mem = await settledMemory();
    for (let i = 0; i < 5; i++) {
      const r = await explain.scoreCam(net, x, { layers: ['act1', 'act2'], targets, augSmooth: i === 0 });
      ds.dispose(r);
      ds.dispose(await explain.gradCam(net, x, { layers: 'act1', targets }));
    }
    expect((await settledMemory()).tensors).toBe(mem.tensors);
    expect(net.training).toBe(true);
    let calls = 0;
    const h = net.act1.registerForwardHook(() => {
      calls++;
    });
    const after = ds.noGrad(() => (net.call(x) as ds.Tensor).dataSync());
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(calls).toBe(1);
    h.remove();
    expect(net.fc.weight.grad).toBeNull();
    ds.dispose([net, x]);
  });
});

describe('error paths', () => {
  test('bad inputs, layers and targets name the op and the argument', async () => {
    const { net, x } = setup(15);
    await expect(explain.gradCam(net, ds.zeros([2, 7, 9]))).rejects.toThrow(new TypeError("gradCam: argument 'input' must be a float32 [N, C, H, W] batch, got float32 [2, 7, 9]"));
    await expect(explain.gradCam(net, x, { layers: 'conv9' })).rejects.toThrow(/^gradCam: the model \(TinyNet\) has no module 'conv9'/);
    await expect(explain.gradCam(net, x, { layers: 'fc' })).rejects.toThrow(new TypeError("gradCam: layer 'fc' must output a 4-D [N, C, h, w] tensor, got a tensor of shape [2, 5]"));
    await expect(explain.hiResCam(net, x, { layers: 'act1', targets: [1] })).rejects.toThrow(new RangeError('hiResCam: 1 targets for a batch of 2 images'));
    await expect(explain.layerCam(net, x, { layers: 'act1', targets: 5 })).rejects.toThrow(new RangeError('layerCam: targets[0] must be an integer in [0, 5), got 5'));
    await expect(explain.scoreCam(net, x, { layers: 'act1', batchSize: 0 })).rejects.toThrow(/scoreCam: .*batchSize/);
    await expect(explain.cam(net, x, { layers: 'act1' })).rejects.toThrow(/^cam: layer 'act1' has 4 channels but the classifier takes 3 features/);
    await expect(explain.cam(net, x, { layers: 'act2', targets: (r) => r.sum() })).rejects.toThrow(new TypeError("cam: targets must be class indices (CAM reads the classifier's rows)"));
    await expect(explain.gradCam({} as never, x)).rejects.toThrow(new TypeError("gradCam: argument 'model' must be a Module"));
    // A failed call leaves no hook behind: the next one works.
    const ok = await explain.gradCam(net, x, { layers: 'act1' });
    expect(ok.maps.shape).toEqual([2, 7, 9]);
    ds.dispose([ok, net, x]);
    expectError(() => ds.explain.normalizePerImage(null as never), TypeError);
  });
});
