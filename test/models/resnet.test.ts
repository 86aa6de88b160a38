import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;
// Building a network queues the initialisation of all its weights (He-normal draws); the counts of the
// settings beyond the seven (another ~500 M weights to draw) run with DEEPSCOPE_FULL=1 only.
const full = process.env.DEEPSCOPE_FULL === '1';
const fullTest = full ? test : test.skip;
type Net = ds.models.ResNet;

function withNet<T>(make: () => Net, f: (net: Net) => T): T {
  const net = make();
  try {
    return f(net);
  } finally {
    net.dispose();
  }
}

describe('ResNet / ResNeXt parameter counts', () => {
  // The numbers, which are torchvision's (`sum(p.numel() for p in m.parameters())`).
  test.each([
    ['resnet18', 11_689_512],
    ['resnet34', 21_797_672],
    ['resnet50', 25_557_032],
    ['resnet101', 44_549_160],
    ['resnet152', 60_192_808],
    ['resnext50_32x4d', 25_028_904],
    ['resnext101_32x8d', 88_791_336],
    // torchvision's other ResNeXt and wide ResNets.
    ...(full ? [['resnext101_64x4d', 83_455_272], ['wide_resnet50_2', 68_883_240]] as [string, number][] : []),
  ])('%s has %d parameters', (name, count) => {
    const make = (models as unknown as Record<string, () => Net>)[name];
    withNet(make, (net) => expect(net.numParameters()).toBe(count));
  });

  fullTest("the paper's settings of Table 3 (50 layers, same complexity as ResNet-50) stay within 3% of 25.5 M", () => {
    // Xie et al. Table 3: 1×64d (ResNet-50), 2×40d, 4×24d, 8×14d, 32×4d keep FLOPs and parameters
    // (≈4.1 GFLOPs, ≈25 M) roughly constant.
    const counts: Record<string, number> = {};
    for (const [c, d] of [[2, 40], [4, 24], [8, 14], [32, 4]]) {
      counts[`${c}x${d}d`] = withNet(() => models.resnext({ depth: 50, cardinality: c, width: d }), (n) => n.numParameters());
    }
    expect(counts).toEqual({ '2x40d': 25_425_000, '4x24d': 25_292_968, '8x14d': 25_603_016, '32x4d': 25_028_904 });
    for (const v of Object.values(counts)) expect(Math.abs(v - 25_557_032) / 25_557_032).toBeLessThan(0.03);
  });

  fullTest("the paper's 2× complexity settings (Table 4) and the wider ResNet-101", () => {
    // ResNeXt-101 64×4d: the paper's Table 5 gives 83.6 M; ours (torchvision's) 83,455,272.
    const c = (f: () => Net) => withNet(f, (n) => n.numParameters());
    expect(c(() => models.resnext101_2x64d())).toBe(84_198_184);
    expect(c(() => models.wideResnet101_1x100d())).toBe(85_611_336);
    expect(c(() => models.resnext50_2x64d())).toBe(46_248_744);
    expect(c(() => models.resnext50_64x4d())).toBe(45_192_488);
    expect(c(() => models.resnext101_32x4d())).toBe(44_177_704);
  });

  test('plain counterparts: the same layers without the shortcut projections', () => {
    // resnet18's three projections: 64·128 + 2·128, 128·256 + 2·256, 256·512 + 2·512 = 173,824.
    withNet(() => models.plainResnet18(), (n) => {
      expect(n.numParameters()).toBe(11_689_512 - 173_824);
      expect([...n.stateDict().keys()].some((k) => k.includes('downsample'))).toBe(false);
    });
    withNet(() => models.plainResnet34(), (n) => expect(n.numParameters()).toBe(21_797_672 - 173_824));
  });

  test('numClasses changes only the classifier', () => {
    withNet(() => models.resnet18({ numClasses: 10 }), (n) => expect(n.numParameters()).toBe(11_689_512 - 990 * 513));
  });
});

describe('ResNet structure', () => {
  test("torchvision's state dict names (122 entries for resnet18)", () => {
    withNet(() => models.resnet18(), (net) => {
      const keys = [...net.stateDict().keys()];
      expect(keys.length).toBe(122);
      expect(keys.slice(0, 7)).toEqual([
        'conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'layer1.0.conv1.weight',
      ]);
      for (const k of ['layer2.0.downsample.0.weight', 'layer2.0.downsample.1.running_var', 'layer4.1.bn2.bias', 'fc.weight', 'fc.bias']) {
        expect(keys).toContain(k);
      }
      expect(net.stateDict().get('layer3.0.downsample.0.weight')!.shape).toEqual([256, 128, 1, 1]);
    });
    withNet(() => models.resnet50({ widths: [16, 32, 64, 128] }), (net) => {
      const keys = [...net.stateDict().keys()];
      expect(keys.length).toBe(320);
      expect(keys).toContain('layer1.0.downsample.1.running_mean');
      expect(keys).toContain('layer4.2.bn3.weight');
      expect(net.stateDict().get('fc.weight')!.shape).toEqual([1000, 4 * 128]);
    });
  });

  test('stride on the 3×3 (torchvision v1.5) by default, on the first 1×1 with paper: true', () => {
    const counts: number[] = []; // the same parameters either way
    for (const paper of [false, true]) {
      withNet(() => models.resnet50({ paper, widths: [16, 32, 64, 128] }), (net) => {
        const b = net.layer2.at(0) as ds.models.Bottleneck;
        expect(b.conv1.stride).toEqual(paper ? [2, 2] : [1, 1]);
        expect(b.conv2.stride).toEqual(paper ? [1, 1] : [2, 2]);
        expect((b.downsample as ds.nn.Sequential).at(0)).toHaveProperty('stride', [2, 2]);
        expect(net.numParameters()).toBe(counts.length ? counts[0] : (counts.push(net.numParameters()), counts[0]));
        const y = ds.noGrad(() => ds.tidy(() => net.features(ds.randn([1, 3, 64, 64])).shape));
        expect(y).toEqual([1, 4 * 128, 2, 2]);
      });
    }
  });

  test('ResNeXt: the 3×3 of every bottleneck is a grouped convolution of C groups of d·2^i channels', () => {
    withNet(() => models.resnext50_32x4d(), (net) => {
      const b = net.layer1.at(0) as ds.models.Bottleneck;
      expect(b.conv2.groups).toBe(32);
      expect(b.conv2.weight.shape).toEqual([128, 4, 3, 3]);
      expect((net.layer4.at(0) as ds.models.Bottleneck).conv2.weight.shape).toEqual([1024, 32, 3, 3]);
      expect(b.conv3.weight.shape).toEqual([256, 128, 1, 1]);
    });
    // Stage 1 at its full 64 planes, the others reduced (the layout does not depend on them).
    withNet(() => models.resnext101_32x8d({ widths: [64, 16, 16, 16] }), (net) => {
      expect((net.layer1.at(0) as ds.models.Bottleneck).conv2.weight.shape).toEqual([256, 8, 3, 3]);
      expect(net.layer3.length).toBe(23);
    });
  });

  test("zeroInitResidual: every block's last BN starts at zero, so identity blocks start as the identity", () => {
    const widths = [16, 32, 64, 128];
    withNet(() => models.resnet18({ zeroInitResidual: true, numClasses: 10, widths }), (net) => {
      for (const [name, m] of net.namedModules()) {
        if (m instanceof models.BasicBlock) {
          expect(m.bn2.weight!.dataSync().every((v) => v === 0)).toBe(true);
          expect(m.bn1.weight!.dataSync().every((v) => v === 1)).toBe(true);
          void name;
        }
      }
      net.eval();
      ds.noGrad(() => ds.tidy(() => {
        const x = ds.relu(ds.randn([2, 16, 8, 8])); // a post-ReLU input, as the stem delivers
        const y = net.layer1.call(x);
        expect(y.sub(x).abs().max().itemSync()).toBe(0);
      }));
    });
    withNet(() => models.resnet50({ zeroInitResidual: true, widths }), (net) => {
      const b = net.layer3.at(2) as ds.models.Bottleneck;
      expect(b.bn3.weight!.dataSync().every((v) => v === 0)).toBe(true);
      expect(b.bn2.weight!.dataSync().every((v) => v === 1)).toBe(true);
    });
  });

  test("output shapes at the paper's 224×224 input (resnet18)", () => {
    withNet(() => models.resnet18(), (net) => {
      net.eval();
      const shapes: Record<string, number[]> = {};
      for (const n of ['maxpool', 'layer1', 'layer2', 'layer3', 'layer4']) {
        net.getSubmodule(n).registerForwardHook((_m, _i, out) => {
          shapes[n] = [...(out as ds.Tensor).shape];
        });
      }
      const y = ds.noGrad(() => ds.tidy(() => net.call(ds.randn([1, 3, 224, 224])).shape));
      expect(y).toEqual([1, 1000]);
      // Table 1 of the paper: conv2_x 56×56, conv3_x 28×28, conv4_x 14×14, conv5_x 7×7.
      expect(shapes).toEqual({
        maxpool: [1, 64, 56, 56], layer1: [1, 64, 56, 56], layer2: [1, 128, 28, 28], layer3: [1, 256, 14, 14], layer4: [1, 512, 7, 7],
      });
    });
  });
});

describe('forward and backward on small inputs, every network', () => {
  const names = [
    'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
    'plainResnet18', 'plainResnet34', 'plainResnet50', 'plainResnet101', 'plainResnet152',
    'resnext50_32x4d', 'resnext101_32x4d', 'resnext101_32x8d', 'resnext101_64x4d', 'resnext50_2x64d', 'resnext50_64x4d',
    'resnext101_2x64d', 'wideResnet101_1x100d', 'wide_resnet50_2', 'wide_resnet101_2',
  ];
  // Full widths for the two reference networks; the others at stage widths 16–128 (the same depth,
  // blocks, groups and strides) to keep the suite fast, or at full width with DEEPSCOPE_FULL=1.
  const fullWidth = new Set(process.env.DEEPSCOPE_FULL ? names : ['resnet18', 'resnext50_32x4d']);
  test.each(names)('%s: [2, 3, 32, 32] → [2, 10], gradients reach the stem', (name) => {
    ds.manualSeed(1);
    const make = (models as unknown as Record<string, (o: ds.models.ResNetOptions) => Net>)[name];
    const net = make(fullWidth.has(name) ? { numClasses: 10 } : { numClasses: 10, widths: [16, 32, 64, 128] });
    try {
      ds.tidy(() => {
        const out = net.call(ds.randn([2, 3, 32, 32]));
        expect(out.shape).toEqual([2, 10]);
        net.loss(out, ds.tensor([3, 7], undefined, { dtype: 'int32' })).backward();
      });
      const g = net.conv1.weight.grad!.dataSync();
      expect(g.every(Number.isFinite)).toBe(true);
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(net.fc.weight.grad!.shape).toEqual([10, net.fc.inFeatures]);
    } finally {
      net.dispose();
    }
  });

  test('paper stride placement runs forward and backward too', () => {
    const net = models.resnet50({ paper: true, numClasses: 4, widths: [16, 32, 64, 128] });
    ds.tidy(() => net.loss(net.call(ds.randn([2, 3, 32, 32])), ds.tensor([0, 3], undefined, { dtype: 'int32' })).backward());
    expect(net.layer2.at(0).getSubmodule('conv1').parameters()[0].grad!.dataSync().some((v) => v !== 0)).toBe(true);
    net.dispose();
  });
});

describe('ResNet training on MNIST', () => {
  test('a reduced ResNet (one basic block per stage, widths 16–128) lowers the loss', async () => {
    ds.manualSeed(0);
    const data = mnistSubset(512);
    const net = new models.ResNet(models.BasicBlock, [1, 1, 1, 1], { numClasses: 10, inChannels: 1, widths: [16, 32, 64, 128] });
    const losses = await shortRun(net, data, { epochs: 3, batch: 64, lr: 2e-3 });
    expect(mean(losses.slice(-8))).toBeLessThan(0.5 * mean(losses.slice(0, 8)));
    ds.dispose([data.x, data.y]);
    net.dispose();
  });
});

describe('CIFAR-10 ResNets (the paper §4.2)', () => {
  test('6n+2 layers, option-A shortcuts without parameters: the paper\'s 0.27 M … 1.7 M', () => {
    // resnet20 by hand: stem 3·16·9 + 32; stage 1: 3·2·(16·16·9 + 32); stage 2: 16·32·9 + 64 + 32·32·9 + 64
    // then 2·2·(32·32·9 + 64); stage 3 likewise at 64; fc 64·10 + 10.
    const r20 = 464 + 3 * 4672 + 13952 + 2 * 18560 + 55552 + 2 * 73984 + 650;
    expect(r20).toBe(269_722);
    const counts = [models.resnet20, models.resnet32, models.resnet44, models.resnet56, models.resnet110].map((f) => {
      const net = f();
      const c = net.numParameters();
      net.dispose();
      return c;
    });
    expect(counts).toEqual([269_722, 464_154, 658_586, 853_018, 1_727_962]);
    const b = models.resnet20({ shortcut: 'B' });
    expect(b.numParameters()).toBe(269_722 + (16 * 32 + 64) + (32 * 64 + 128));
    b.dispose();
  });

  test('option A: the identity subsampled and zero-padded with channels', () => {
    const x = ds.randn([1, 4, 5, 5]);
    const y = new models.ShortcutA(4, 8, 2).call(x);
    expect(y.shape).toEqual([1, 8, 3, 3]);
    const v = y.dataSync();
    expect([...v.slice(0, 18)].every((t) => t === 0)).toBe(true);
    expect([...v.slice(54)].every((t) => t === 0)).toBe(true);
    expect(v[18]).toBe(x.dataSync()[0]);
    expect(v[19]).toBe(x.dataSync()[2]);
  });

  test.each([['resnet20', {}], ['resnet56', {}], ['resnet20', { plain: true }]] as [string, ds.models.CifarResNetOptions][])(
    '%s %o: [2, 3, 32, 32] → [2, 10], backward reaches conv1', (name, opts) => {
      const net = (models as unknown as Record<string, (o: ds.models.CifarResNetOptions) => ds.models.CifarResNet>)[name](opts);
      const shapes: number[][] = [];
      for (const l of [net.layer1, net.layer2, net.layer3]) l.registerForwardHook((_m, _i, o) => void shapes.push([...(o as ds.Tensor).shape]));
      ds.tidy(() => net.loss(net.call(ds.randn([2, 3, 32, 32])), ds.tensor([0, 9], undefined, { dtype: 'int32' })).backward());
      expect(shapes).toEqual([[2, 16, 32, 32], [2, 32, 16, 16], [2, 64, 8, 8]]);
      expect(net.conv1.weight.grad!.dataSync().some((v) => v !== 0)).toBe(true);
      net.dispose();
    });
});
