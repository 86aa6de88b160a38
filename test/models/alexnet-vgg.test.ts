import * as ds from '../../src';

const { models } = ds;

// Parameter counts: a k×k convolution from c to c' has c'·(c·k²+1); derivations in src/models/alexnet.ts
// and src/models/vgg.ts. torchvision's numbers are those of the issue; the paper's AlexNet is 60,965,224.
const convCount = (c: number, out: number, k: number, groups = 1) => out * ((c / groups) * k * k + 1);
const linCount = (i: number, o: number) => o * (i + 1);

describe('AlexNet', () => {
  test('torchvision: 61,100,840 parameters and its state dict names (224×224 shapes: the summary test)', () => {
    const net = models.alexnet();
    expect(net.numParameters()).toBe(61100840);
    expect(net.numParameters()).toBe(
      convCount(3, 64, 11) + convCount(64, 192, 5) + convCount(192, 384, 3) + convCount(384, 256, 3) + convCount(256, 256, 3) +
        linCount(9216, 4096) + linCount(4096, 4096) + linCount(4096, 1000),
    );
    expect([...net.stateDict().keys()]).toEqual([
      'features.0.weight', 'features.0.bias', 'features.3.weight', 'features.3.bias', 'features.6.weight', 'features.6.bias',
      'features.8.weight', 'features.8.bias', 'features.10.weight', 'features.10.bias',
      'classifier.1.weight', 'classifier.1.bias', 'classifier.4.weight', 'classifier.4.bias', 'classifier.6.weight', 'classifier.6.bias',
    ]);
    net.dispose();
  });

  test("the paper's two towers: LRN, groups 2 in conv2/4/5, 60,965,224 parameters, 227×227 → 1000, Section 5's init", () => {
    const net = models.alexnet({ paper: true });
    const convs = net.features.children().filter((m): m is ds.nn.Conv2d => m instanceof ds.nn.Conv2d);
    expect(convs.map((c) => c.groups)).toEqual([1, 2, 1, 2, 2]);
    expect(convs.map((c) => c.outChannels)).toEqual([96, 256, 384, 384, 256]);
    expect(convs[1].weight.shape).toEqual([256, 48, 5, 5]);
    const lrns = net.features.children().filter((m): m is ds.nn.LocalResponseNorm => m instanceof ds.nn.LocalResponseNorm);
    expect(lrns.map((l) => [l.size, l.alpha, l.beta, l.k])).toEqual([[5, 1e-4, 0.75, 2], [5, 1e-4, 0.75, 2]]);
    // ReLU then LRN then pool, after conv1 and conv2.
    expect(net.features.children().slice(0, 4).map((m) => m.constructor.name)).toEqual(['Conv2d', 'ReLU', 'LocalResponseNorm', 'MaxPool2d']);
    const expected =
      convCount(3, 96, 11) + convCount(96, 256, 5, 2) + convCount(256, 384, 3) + convCount(384, 384, 3, 2) + convCount(384, 256, 3, 2) +
      linCount(9216, 4096) + linCount(4096, 4096) + linCount(4096, 1000);
    expect(expected).toBe(60965224);
    expect(net.numParameters()).toBe(60965224);
    expect([...convs[1].bias!.dataSync()].every((v) => v === 1)).toBe(true);
    expect([...convs[2].bias!.dataSync()].every((v) => v === 0)).toBe(true);
    const w = convs[0].weight.dataSync();
    const std = Math.sqrt(Array.from(w).reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.009);
    expect(std).toBeLessThan(0.011);
    net.dispose();
    // Shapes at the paper's 227×227 on a reduced-width copy (1/8 of the filters: the full net's forward is
    // 1.1 G multiply-adds), 55×55 after conv1 and 6×6×256/8 before the classifier as in Figure 2.
    const small = models.alexnet({ paper: true, widthMultiplier: 1 / 8 });
    const s = models.summary(small, [3, 227, 227], { print: false });
    expect(s.rows.find((r) => r.name === 'features.0')!.outputShape).toEqual([1, 12, 55, 55]);
    expect(s.rows.find((r) => r.name === 'features.14')!.outputShape).toEqual([1, 32, 6, 6]);
    expect(s.rows.at(-1)!.outputShape).toEqual([1, 1000]);
    small.dispose();
  });

  test('forward and backward of both variants (reduced widths, smallest inputs)', () => {
    for (const [paper, size] of [[false, 63], [true, 227]] as const) {
      const net = models.alexnet({ paper, widthMultiplier: 1 / 16, numClasses: 5 });
      const x = ds.randn([2, 3, size, size], { requiresGrad: true });
      const loss = net.loss(net.call(x), ds.tensor([1, 4], undefined, { dtype: 'int32' }));
      loss.backward();
      expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
      for (const p of net.parameters()) expect(p.grad?.shape).toEqual(p.shape);
      expect(x.grad!.shape).toEqual([2, 3, size, size]);
      net.dispose();
    }
  });
});

// Every VGG ends in the same classifier: 25088 → hidden → hidden → 1000. A full-size build costs ~10 s of
// queued random initialisation (138 M draws), so one network (vgg16) is built at full size, which checks
// the classifier's count too, and the others with `hidden: 8`; their full count is the built count less
// the 8-wide classifier plus the 4096-wide one, exact arithmetic on the same layer list.
const classifier = (hidden: number) => linCount(25088, hidden) + linCount(hidden, hidden) + linCount(hidden, 1000);
const fullCount = (net: ds.models.VGG) => net.numParameters() - classifier(8) + classifier(4096);

const TORCHVISION: [string, number, number][] = [
  ['vgg11', 132863336, 8],
  ['vgg13', 133047848, 10],
  ['vgg16', 138357544, 13],
  ['vgg19', 143667240, 16],
];

describe('VGG', () => {
  test('torchvision counts exactly, with and without batch norm', () => {
    expect(classifier(4096)).toBe(123642856);
    const make = models as unknown as Record<string, (o?: ds.models.VGGOptions) => ds.models.VGG>;
    for (const [name, count, convs] of TORCHVISION) {
      const net = make[name]({ hidden: 8 });
      expect([name, fullCount(net)]).toEqual([name, count]);
      net.dispose();
      const bn = make[`${name}_bn`]({ hidden: 8 });
      // Each convolution's channels gain a BN weight and bias.
      expect(bn.features.children().filter((m) => m instanceof ds.nn.BatchNorm2d).length).toBe(convs);
      const bnParams = bn.features.children().reduce((a, m) => a + (m instanceof ds.nn.BatchNorm2d ? 2 * (m as ds.nn.BatchNorm2d).numFeatures : 0), 0);
      expect(fullCount(bn)).toBe(count + bnParams);
      expect(bn.stateDict().has('features.1.running_mean')).toBe(true);
      bn.dispose();
    }
    const bn16 = models.vgg16_bn({ hidden: 8 });
    expect(fullCount(bn16)).toBe(138365992);
    bn16.dispose();
  });

  test("Table 1's configurations reproduce Table 2 (133, 133, 133, 134, 138, 144 M)", () => {
    const table2: [ds.models.VGGConfig, number][] = [['A', 133], ['A-LRN', 133], ['B', 133], ['C', 134], ['D', 138], ['E', 144]];
    for (const [config, millions] of table2) {
      const net = models.vgg({ config, hidden: 8 });
      const count = fullCount(net);
      expect([config, Math.round(count / 1e6)]).toEqual([config, millions]);
      if (config === 'C') {
        expect(count).toBe(138357544 - 256 * 256 * 8 - 2 * 512 * 512 * 8);
        const oneByOne = net.features.children().filter((m) => m instanceof ds.nn.Conv2d && (m as ds.nn.Conv2d).kernelSize[0] === 1);
        expect(oneByOne.map((m) => (m as ds.nn.Conv2d).outChannels)).toEqual([256, 512, 512]);
      }
      if (config === 'A-LRN') {
        expect(count).toBe(132863336);
        expect(net.features.at(2)).toBeInstanceOf(ds.nn.LocalResponseNorm);
      }
      net.dispose();
    }
  });

  test('torchvision names: features.N, classifier.0/3/6; vgg16 at 224×224 gives [1, 1000], 7×7 before the classifier', () => {
    const net = models.vgg16();
    expect(net.numParameters()).toBe(138357544); // the one full-size build
    const keys = [...net.stateDict().keys()];
    expect(keys.slice(0, 4)).toEqual(['features.0.weight', 'features.0.bias', 'features.2.weight', 'features.2.bias']);
    expect(keys.slice(-6)).toEqual(['classifier.0.weight', 'classifier.0.bias', 'classifier.3.weight', 'classifier.3.bias', 'classifier.6.weight', 'classifier.6.bias']);
    expect(keys).toContain('features.28.weight');
    // The full net at 32×32 (a 224×224 forward is 15.5 G multiply-adds, too slow for the suite): every
    // convolution's output has 49× fewer positions than at 224×224 (32 → 1 and 224 → 7 through the same
    // five pools), and the adaptive pool makes the classifier's the same, so torchvision's 15.47 GFLOPS
    // for vgg16 is 49 × (conv multiply-adds at 32) + (linear multiply-adds).
    const s = models.summary(net, [3, 32, 32], { print: false });
    const conv = s.rows.filter((r) => r.type === 'Conv2d').reduce((a, r) => a + r.multAdds, 0);
    const lin = s.rows.filter((r) => r.type === 'Linear').reduce((a, r) => a + r.multAdds, 0);
    expect(lin).toBe(25088 * 4096 + 4096 * 4096 + 4096 * 1000);
    expect(49 * conv + lin).toBe(15470264320);
    net.dispose();
    // Shapes at 224×224 on a reduced-width copy.
    const small = models.vgg16({ widthMultiplier: 1 / 16, hidden: 32 });
    const t = models.summary(small, [3, 224, 224], { print: false });
    expect(t.rows.find((r) => r.name === 'features.0')!.outputShape).toEqual([1, 4, 224, 224]);
    expect(t.rows.find((r) => r.name === 'features.30')!.outputShape).toEqual([1, 32, 7, 7]);
    expect(t.rows.at(-1)!.outputShape).toEqual([1, 1000]);
    small.dispose();
  });

  test('forward and backward of every configuration, with and without batch norm (reduced widths, 32×32)', () => {
    for (const config of Object.keys(models.VGG_CONFIGS) as ds.models.VGGConfig[]) {
      for (const batchNorm of [false, true]) {
        const net = models.vgg({ config, batchNorm, widthMultiplier: 1 / 16, hidden: 32, numClasses: 4 });
        const x = ds.randn([2, 3, 32, 32], { requiresGrad: true });
        const loss = net.loss(net.call(x), ds.tensor([0, 3], undefined, { dtype: 'int32' }));
        loss.backward();
        expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
        for (const p of net.parameters()) expect(p.grad?.shape).toEqual(p.shape);
        net.dispose();
      }
    }
    // The paper's variant has no adaptive pool: 224×224 only.
    const paper = models.vgg({ config: 'A', paper: true, widthMultiplier: 1 / 16, hidden: 16 });
    expect(ds.noGrad(() => paper.call(ds.randn([1, 3, 224, 224]))).shape).toEqual([1, 1000]);
    expect(() => ds.noGrad(() => paper.call(ds.randn([1, 3, 64, 64])))).toThrow();
    paper.dispose();
  });
});

describe('summary', () => {
  test('rows, parameters and multiply-adds of AlexNet at 224×224', () => {
    const net = models.alexnet();
    const s = models.summary(net, [3, 224, 224], { print: false });
    expect(s.totalParameters).toBe(61100840);
    expect(s.rows.reduce((a, r) => a + r.parameters, 0)).toBe(61100840);
    const conv1 = s.rows[0];
    expect(conv1).toEqual({ name: 'features.0', type: 'Conv2d', outputShape: [1, 64, 55, 55], parameters: 23296, multAdds: 64 * 55 * 55 * 3 * 121 });
    // torchvision's 0.71 GFLOPS.
    expect(s.totalMultAdds).toBe(714188480);
    expect(s.rows.map((r) => r.name)).toContain('avgpool');
    expect(s.rows.at(-1)!.outputShape).toEqual([1, 1000]);
    expect(s.text).toContain('features.0 (Conv2d)');
    expect(s.text).toContain('Total parameters: 61,100,840');
    expect(s.text).toContain('Total mult-adds: 714,188,480');
    expect(net.training).toBe(true); // restored
    net.dispose();
  });

  test('LeNet-5 (modules with their own parameters, grouped convolutions) and bad shapes', () => {
    const net = models.lenet5();
    const s = models.summary(net, [1, 32, 32], { print: false, batchSize: 2 });
    expect(s.inputShape).toEqual([2, 1, 32, 32]);
    expect(s.totalParameters).toBe(60000); // the RBF codes are a buffer
    expect(s.trainableParameters).toBe(60000);
    expect(s.rows.find((r) => r.name === 'c3')!.parameters).toBe(1516);
    expect(s.rows.at(-1)!.outputShape).toEqual([2, 10]);
    expect(() => models.summary(net, [0, 32], { print: false })).toThrow(/inputShape/);
  });
});

describe('training a reduced VGG and AlexNet on MNIST', () => {
  // 256 digits (replicated to 3 channels; upsampled to 64×64 for AlexNet's stride-4 stem), 8 epochs of
  // Adam: the mean epoch loss falls by more than 20% (measured: 2.30 → 1.6–1.75).
  test('the loss falls', () => {
    const { train } = ds.data.mnist({ padTo32: true });
    const tds = train as ds.data.TensorDataset;
    const n = 256;
    const idx = ds.arange(0, n);
    const x32 = ds.indexSelect(tds.tensors[0], 0, idx);
    const y = ds.indexSelect(tds.tensors[1], 0, idx);
    const x = ds.cat([x32, x32, x32], 1);
    for (const which of ['vgg', 'alexnet'] as const) {
      ds.manualSeed(0);
      const net: ds.models.VGG | ds.models.AlexNet =
        which === 'vgg'
          ? models.vgg11_bn({ widthMultiplier: 1 / 8, hidden: 64, numClasses: 10, dropout: 0 })
          : models.alexnet({ widthMultiplier: 1 / 8, numClasses: 10, dropout: 0 });
      const input = which === 'vgg' ? x : ds.tidy(() => ds.interpolate(x, { size: [64, 64], mode: 'bilinear' }));
      const opt = new ds.optim.Adam(net.parameters(), { lr: which === 'vgg' ? 3e-3 : 1e-3 });
      const losses: number[] = [];
      for (let epoch = 0; epoch < 8; epoch++) {
        let total = 0;
        for (let b = 0; b < n; b += 32) {
          total += ds.tidy(() => {
            const loss = net.loss(net.call(input.slice(0, b, b + 32)), y.slice(0, b, b + 32));
            opt.zeroGrad();
            loss.backward();
            opt.step();
            return loss.dataSync()[0];
          });
        }
        losses.push(total / (n / 32));
      }
      expect([which, losses.at(-1)! < 0.8 * losses[0]]).toEqual([which, true]);
      net.dispose();
    }
  });
});
