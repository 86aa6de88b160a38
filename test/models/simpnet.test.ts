import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

// Σ (9·cin·cout + cout) for the 3×3 convolutions, 2·cout for each BN's weight and bias, in·classes +
// classes for the linear layer.
function expectedCount(widths: readonly number[], classes = 10, cin = 3): number {
  let total = 0;
  for (const w of widths) {
    total += 9 * cin * w + w + 2 * w;
    cin = w;
  }
  return total + cin * classes + classes;
}

describe('SimpNet', () => {
  test("parameter counts of the reference configurations: the paper's 5.48 M and 8.9 M, the slim 600 K and 300 K", () => {
    const configs = [['5m', 5478223], ['8m', 8902729], ['600k', 601021], ['300k', 300964]] as const;
    for (const [config, count] of configs) {
      const net = models.simpnet({ config });
      expect(net.numParameters()).toBe(count);
      expect(expectedCount(models.SIMPNET_CONFIGS[config])).toBe(count);
      net.dispose();
    }
    expect(Math.round(5478223 / 1e4) / 100).toBe(5.48);
    expect(Math.round(8902729 / 1e5) / 10).toBe(8.9);
    expect(Math.round(601021 / 1e4) / 100).toBe(0.6);
    expect(Math.round(300964 / 1e4) / 100).toBe(0.3);
    // The slim configurations' dropout follows their prototxts: 0.1 then 0.2 for 600 K, none for 300 K.
    const probs = (net: ds.models.SimpNet) => net.features.children().flatMap((m) => (m instanceof ds.nn.Dropout ? [m.p] : []));
    const n600 = models.simpnet({ config: '600k' });
    expect(new Set(probs(n600).slice(0, 8))).toEqual(new Set([0.1]));
    expect(probs(n600).slice(8)).toEqual([0.2, 0.2]);
    expect(n600.drop.p).toBe(0.2);
    const n300 = models.simpnet({ config: '300k' });
    expect(new Set([...probs(n300), n300.drop.p])).toEqual(new Set([0]));
    ds.dispose([n600, n300]);
    expect(() => models.simpnet({ config: '1m' as never })).toThrow(new RangeError('SimpNet: config must be one of 5m, 8m, 600k, 300k, got 1m'));
    const slim = models.simpnet({ widths: Array(13).fill(8), numClasses: 100 });
    expect(slim.numParameters()).toBe(expectedCount(Array(13).fill(8), 100));
    slim.dispose();
  });

  test('layout: 13 conv-BN-ReLU, SAF-pooling after the 5th and 10th, torchvision-style names', () => {
    const net = models.simpnet();
    const kinds = net.features.children().map((m) => m.constructor.name);
    expect(kinds.filter((k) => k === 'Conv2d')).toHaveLength(13);
    expect(kinds.filter((k) => k === 'SAFPool')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'Dropout')).toHaveLength(10);
    // conv1 BN ReLU drop, ... the 5th conv's ReLU is followed by SAF-pooling.
    expect(kinds.slice(16, 20)).toEqual(['Conv2d', 'BatchNorm2d', 'ReLU', 'SAFPool']);
    const names = [...net.stateDict().keys()];
    expect(names.slice(0, 7)).toEqual([
      'features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias',
      'features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked',
    ]);
    expect(names.slice(-2)).toEqual(['classifier.weight', 'classifier.bias']);
    net.dispose();
  });

  test('SAF-pooling: 2×2 max-pool then dropout (identity in eval)', () => {
    const saf = new models.SAFPool(0.2);
    const x = ds.randn([2, 3, 6, 6]);
    saf.eval();
    const pooled = ds.maxPool2d(x, { kernelSize: 2 });
    expect(Array.from(saf.call(x).dataSync())).toEqual(Array.from(pooled.dataSync()));
    saf.train();
    const y = saf.call(ds.ones([4, 8, 8, 8]));
    const v = Array.from(y.dataSync() as Float32Array);
    const zeros = v.filter((a) => a === 0).length / v.length;
    expect(zeros).toBeGreaterThan(0.1);
    expect(zeros).toBeLessThan(0.3);
    expect(v.filter((a) => a !== 0).every((a) => Math.abs(a - 1 / 0.8) < 1e-6)).toBe(true);
  });

  test('output shape on CIFAR-10 input 32×32 (5 M network)', () => {
    const net = models.simpnet();
    net.eval();
    const out = ds.noGrad(() => net.call(ds.randn([1, 3, 32, 32])));
    expect(out.shape).toEqual([1, 10]);
    out.dispose();
    net.dispose();
  });

  test('forward and backward of a slim network on 4×4 inputs', () => {
    const net = models.simpnet({ widths: Array(13).fill(6), numClasses: 5 });
    const x = ds.randn([2, 3, 4, 4], { requiresGrad: true });
    const out = net.call(x);
    expect(out.shape).toEqual([2, 5]);
    ds.tidy(() => net.loss(out, ds.tensor([1, 4], undefined, { dtype: 'int32' })).backward());
    for (const p of net.parameters()) expect(p.grad).not.toBeNull();
    expect(x.grad!.shape).toEqual([2, 3, 4, 4]);
    expect(Array.from((net.features.children()[0] as ds.nn.Conv2d).weight.grad!.dataSync()).some((g) => g !== 0)).toBe(true);
    net.dispose();
  });

  test('a slim SimpNet trains on MNIST: the loss falls', async () => {
    ds.manualSeed(0);
    // 256 digits, average-pooled to 14×14, through a SimpNet with 16–32 channels.
    const data = mnistSubset(256, (x) => ds.avgPool2d(x, { kernelSize: 2 }));
    const net = models.simpnet({ widths: [16, 16, 16, 16, 24, 24, 24, 24, 24, 32, 32, 32, 32], inChannels: 1, dropout: [0.05, 0.05] });
    const losses = await shortRun(net, data, { epochs: 6, batch: 32, lr: 3e-3 });
    expect(mean(losses.slice(-6))).toBeLessThan(0.7 * mean(losses.slice(0, 6)));
    net.dispose();
    ds.dispose([data.x, data.y]);
  });
});
