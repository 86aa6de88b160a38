import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

// The closed form of the parameter count (see src/models/densenet.ts): stem conv + BN, per dense layer
// with m input maps 2m + m·b·k + 2·b·k + 9·b·k², per transition 2m + m·⌊θm⌋, then norm5 and the classifier.
function closedForm(k: number, blocks: number[], c0: number, b = 4, theta = 0.5, classes = 1000): number {
  let p = 3 * 49 * c0 + 2 * c0;
  let m = c0;
  blocks.forEach((n, i) => {
    for (let j = 0; j < n; j++) {
      p += 2 * m + m * b * k + 2 * b * k + 9 * b * k * k;
      m += k;
    }
    if (i < blocks.length - 1) {
      const o = Math.floor(theta * m);
      p += 2 * m + m * o;
      m = o;
    }
  });
  return p + 2 * m + (m + 1) * classes;
}

describe('DenseNet-BC', () => {
  test("torchvision's exact parameter counts, and DenseNet-264 by the same construction (built one at a time)", () => {
    const cases: [() => ds.models.DenseNet, number, number, number[], number][] = [
      [models.densenet121, 7978856, 32, [6, 12, 24, 16], 64],
      [models.densenet169, 14149480, 32, [6, 12, 32, 32], 64],
      [models.densenet201, 20013928, 32, [6, 12, 48, 32], 64],
      [models.densenet161, 28681000, 48, [6, 12, 36, 24], 96],
      [models.densenet264, 33337704, 32, [6, 12, 64, 48], 64],
    ];
    for (const [make, expected, k, blocks, c0] of cases) {
      expect(closedForm(k, blocks, c0)).toBe(expected);
      const net = make();
      expect(net.numParameters()).toBe(expected);
      net.dispose();
    }
  });

  test("torchvision's state-dict names and shapes", () => {
    const net = models.densenet121();
    const sd = net.stateDict();
    const shape = (n: string) => sd.get(n)?.shape;
    expect(shape('features.conv0.weight')).toEqual([64, 3, 7, 7]);
    expect(shape('features.norm0.running_mean')).toEqual([64]);
    expect(shape('features.denseblock1.denselayer1.norm1.weight')).toEqual([64]);
    expect(shape('features.denseblock1.denselayer1.conv1.weight')).toEqual([128, 64, 1, 1]);
    expect(shape('features.denseblock1.denselayer1.conv2.weight')).toEqual([32, 128, 3, 3]);
    expect(shape('features.denseblock1.denselayer6.norm1.num_batches_tracked')).toEqual([]);
    expect(shape('features.transition1.conv.weight')).toEqual([128, 256, 1, 1]);
    expect(shape('features.denseblock4.denselayer16.conv2.weight')).toEqual([32, 128, 3, 3]);
    expect(shape('features.norm5.running_var')).toEqual([1024]);
    expect(shape('classifier.weight')).toEqual([1000, 1024]);
    // As torchvision: 120 conv weights (1 stem, 2·58 in the layers, 3 transitions), 121 BNs × 5 entries, the linear layer.
    expect(sd.size).toBe(120 + 121 * 5 + 2);
    net.dispose();
  });

  test('output shape at the paper\'s 224×224, and forward+backward on the smallest input (32×32)', () => {
    const net = models.densenet121().eval();
    const out = ds.noGrad(() => net.call(ds.randn([1, 3, 224, 224])));
    expect(out.shape).toEqual([1, 1000]);
    out.dispose();
    net.train();
    const x = ds.randn([2, 3, 32, 32]);
    const loss = ds.crossEntropy(net.call(x), ds.tensor([3, 7], undefined, { dtype: 'int32' }));
    loss.backward();
    const g = net.features.getSubmodule('conv0') as ds.nn.Conv2d;
    expect(g.weight.grad!.shape).toEqual([64, 3, 7, 7]);
    expect(Number.isFinite(loss.itemSync())).toBe(true);
    expect(net.classifier.weight.grad!.abs().sum().itemSync()).toBeGreaterThan(0);
    net.dispose();
  });

  test('options: growth rate, block configuration, bottleneck size, compression, dropout', () => {
    const net = new models.DenseNet({ growthRate: 12, blockConfig: [3, 3, 3], numInitFeatures: 24, bnSize: 2, compression: 1, dropRate: 0.2, numClasses: 7 });
    // No compression: 24 + 3·12 = 60 through every transition → 60 + 36 = 96, 96 + 36 = 132.
    expect(net.numFeatures).toBe(132);
    expect(closedForm(12, [3, 3, 3], 24, 2, 1, 7)).toBe(net.numParameters());
    const y = net.call(ds.randn([2, 3, 32, 32]));
    expect(y.shape).toEqual([2, 7]);
    y.sum().backward();
    expect((net.features.getSubmodule('denseblock1.denselayer1.conv1') as ds.nn.Conv2d).weight.shape).toEqual([24, 24, 1, 1]);
    const bc = new models.DenseNet({ growthRate: 12, blockConfig: [3, 3, 3], numInitFeatures: 24 });
    expect(bc.numFeatures).toBe(Math.floor((Math.floor((24 + 36) / 2) + 36) / 2) + 36);
    net.dispose();
    bc.dispose();
  });

  test('a reduced DenseNet-BC trains on MNIST (loss falls)', async () => {
    ds.manualSeed(0);
    const data = mnistSubset(384);
    const net = new models.DenseNet({ inChannels: 1, growthRate: 8, blockConfig: [2, 2, 2], numInitFeatures: 16, numClasses: 10 });
    const losses = await shortRun(net, data, { epochs: 4, batch: 32, lr: 3e-3 });
    expect(mean(losses.slice(-6))).toBeLessThan(0.6 * mean(losses.slice(0, 6)));
    ds.dispose([data.x, data.y]);
    net.dispose();
  });
});
