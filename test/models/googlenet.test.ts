import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

const labels = (v: number[]) => ds.tensor(v, undefined, { dtype: 'int32' });

describe('GoogLeNet parameter counts', () => {
  test("torchvision's 6,624,904 without aux, 13,004,888 with; the paper's 6,998,552", () => {
    const net = models.googlenet();
    expect(net.numParameters()).toBe(6_624_904);
    expect(net.aux1).toBeNull();
    net.dispose();
    const aux = models.googlenet({ auxLogits: true });
    expect(aux.numParameters()).toBe(13_004_888);
    // aux1: conv 512·128 + BN 2·128, fc1 2048·1024 + 1024, fc2 1024·1000 + 1000; aux2 the same on 528.
    expect(aux.aux1!.numParameters()).toBe(512 * 128 + 256 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000);
    expect(aux.aux1!.numParameters()).toBe(3_188_968);
    expect(aux.aux2!.numParameters()).toBe(3_191_016);
    aux.dispose();
    // Paper: no batch norm (biases instead), true 5×5 convolutions.
    const paper = models.googlenet({ paper: true });
    expect(paper.numParameters()).toBe(6_998_552);
    paper.dispose();
  });

  test("the paper's Table 1: the widths of each Inception module, and its weight counts (units of 1024)", () => {
    const net = models.googlenet({ paper: true });
    const weightsOf = (name: string) =>
      net.getSubmodule(name).namedParameters().filter(([n]) => n.endsWith('weight')).reduce((s, [, p]) => s + p.size, 0);
    for (const [name, [i, c1, r3, c3, r5, c5, pp]] of Object.entries(models.GOOGLENET_TABLE1)) {
      expect(weightsOf(name)).toBe(i * c1 + i * r3 + r3 * c3 * 9 + i * r5 + r5 * c5 * 25 + i * pp);
      expect((net.getSubmodule(name) as ds.models.Inception).outChannels).toBe(c1 + c3 + c5 + pp);
    }
    // Table 1's params column, where it follows from its widths (other rows, e.g. 4c "463K" for 497.5K, do not).
    for (const [name, k] of [['inception3a', 159], ['inception3b', 380], ['inception4b', 437]] as const) {
      expect(Math.abs(weightsOf(name) / 1024 - k)).toBeLessThanOrEqual(1);
    }
    // conv2 (1×1 reduce to 64 then 3×3 to 192): 64·64 + 64·192·9 = 114,688 = "112K".
    expect((net.conv2.conv.weight.size + net.conv3.conv.weight.size) / 1024).toBe(112);
    net.dispose();
  });
});

describe('GoogLeNet structure', () => {
  test("torchvision's state dict names; the '5×5' branch is 3×3 by default and 5×5 with paper: true", () => {
    const net = models.googlenet({ auxLogits: true });
    const keys = [...net.stateDict().keys()];
    expect(keys.slice(0, 6)).toEqual([
      'conv1.conv.weight', 'conv1.bn.weight', 'conv1.bn.bias', 'conv1.bn.running_mean', 'conv1.bn.running_var', 'conv1.bn.num_batches_tracked',
    ]);
    for (const k of [
      'conv3.bn.weight', 'inception3a.branch1.conv.weight', 'inception3a.branch2.1.bn.running_var', 'inception3b.branch3.1.conv.weight',
      'inception5b.branch4.1.conv.weight', 'aux1.conv.conv.weight', 'aux1.fc1.weight', 'aux2.fc2.bias', 'fc.weight', 'fc.bias',
    ]) expect(keys).toContain(k);
    expect(net.stateDict().get('inception3a.branch3.1.conv.weight')!.shape).toEqual([32, 16, 3, 3]);
    expect(net.stateDict().get('aux1.fc1.weight')!.shape).toEqual([1024, 2048]);
    net.dispose();
    const paper = models.googlenet({ paper: true });
    expect(paper.stateDict().get('inception3a.branch3.1.conv.weight')!.shape).toEqual([32, 16, 5, 5]);
    expect(paper.inception3a.branch1.bn).toBeNull();
    expect(paper.lrn1).toBeInstanceOf(ds.nn.LocalResponseNorm);
    expect(paper.dropout.p).toBe(0.4);
    paper.dispose();
  });

  test("output shapes at 224×224 match the paper's Table 1, with and without aux classifiers", () => {
    for (const paper of [false, true]) {
      const net = models.googlenet({ paper, auxLogits: true });
      const shapes: Record<string, number[]> = {};
      for (const n of ['maxpool2', 'inception3a', 'inception3b', 'inception4a', 'inception4e', 'maxpool4', 'inception5b']) {
        net.getSubmodule(n).registerForwardHook((_m, _i, out) => {
          shapes[n] = [...(out as ds.Tensor).shape];
        });
      }
      ds.noGrad(() => ds.tidy(() => {
        const out = net.call(ds.randn([1, 3, 224, 224])) as ds.models.GoogLeNetOutputs;
        expect([out.logits.shape, out.aux1.shape, out.aux2.shape]).toEqual([[1, 1000], [1, 1000], [1, 1000]]);
        net.eval();
        expect((net.call(ds.randn([1, 3, 224, 224])) as ds.Tensor).shape).toEqual([1, 1000]);
      }));
      expect(shapes).toEqual({
        maxpool2: [1, 192, 28, 28], inception3a: [1, 256, 28, 28], inception3b: [1, 480, 28, 28], inception4a: [1, 512, 14, 14],
        inception4e: [1, 832, 14, 14], maxpool4: [1, 832, 7, 7], inception5b: [1, 1024, 7, 7],
      });
      net.dispose();
    }
  });

  test('the Inception blocks: output widths, and the naive module passes its pooled input through', () => {
    const naive = new models.InceptionNaive(8, 4, 6, 2);
    expect(naive.outChannels).toBe(20);
    const x = ds.randn([1, 8, 5, 5]);
    const y = ds.noGrad(() => naive.call(x));
    expect(y.shape).toEqual([1, 20, 5, 5]);
    const pooled = ds.maxPool2d(x, { kernelSize: 3, stride: 1, padding: 1 }) as ds.Tensor;
    expect(y.slice(1, 12, 20).sub(pooled).abs().max().itemSync()).toBe(0);
    // Naive: 8·4 + 4, 8·6·9 + 6, 8·2·25 + 2 parameters.
    expect(naive.numParameters()).toBe(36 + 438 + 402);
    const inc = new models.Inception(192, 64, 96, 128, 16, 32, 32);
    expect(inc.outChannels).toBe(256);
    expect(ds.noGrad(() => inc.call(ds.randn([2, 192, 7, 7]))).shape).toEqual([2, 256, 7, 7]);
    ds.dispose([x, y, pooled]);
    naive.dispose();
    inc.dispose();
  });
});

describe('GoogLeNet forward and backward on small inputs', () => {
  // The smallest inputs: 32×32 for torchvision's (2×2 before its 2×2 pool after 4e), 64×64 for the
  // paper's (3×3 pool there).
  test.each([
    ['torchvision, aux', { auxLogits: true }, 32],
    ['paper', { paper: true }, 64],
  ] as [string, ds.models.GoogLeNetOptions, number][])('%s: a batch of 2 at the smallest input size, the loss reaches conv1', (_name, opts, size) => {
    ds.manualSeed(2);
    const net = models.googlenet({ ...opts, numClasses: 10 });
    ds.tidy(() => {
      const out = net.call(ds.randn([2, 3, size, size]));
      if (opts.auxLogits) expect((out as ds.models.GoogLeNetOutputs).aux1.shape).toEqual([2, 10]);
      expect(net.predict(out).shape).toEqual([2]);
      net.loss(out, labels([1, 9])).backward();
    });
    const g = net.conv1.conv.weight.grad!.dataSync();
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
    if (opts.auxLogits) expect(net.aux1!.fc2.weight.grad!.dataSync().some((v) => v !== 0)).toBe(true);
    net.dispose();
  });
});

describe('GoogLeNet transformInput', () => {
  test("re-normalises each channel to (x·std + mean − 0.5)/0.5 before conv1, as torchvision's transform_input", () => {
    ds.manualSeed(3);
    // Training-mode batch norm (without dropout): at the 0.01-std initialisation, eval-mode statistics would
    // let the signal fade to the fc bias and hide any difference in the input.
    const t = models.googlenet({ numClasses: 5, transformInput: true, dropout: 0 });
    const plain = models.googlenet({ numClasses: 5, dropout: 0 });
    plain.loadStateDict(t.stateDict());
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    ds.tidy(() => {
      const x = ds.randn([2, 3, 32, 32]);
      const xs = x.dataSync();
      const hw = 32 * 32;
      // Computed here in float64 from the definition, channel by channel.
      const moved = Float32Array.from(xs, (v, i) => {
        const c = Math.floor(i / hw) % 3;
        return (v * std[c] + mean[c] - 0.5) / 0.5;
      });
      const a = (t.call(x) as ds.Tensor).dataSync();
      const b = (plain.call(ds.tensor(moved, [2, 3, 32, 32])) as ds.Tensor).dataSync();
      const scale = Math.max(...b.map(Math.abs));
      // Float32 rounding of the moved input (one ulp of values near 1) carried through the network. Training-mode
      // batch norm over the last blocks' 2×1×1 values divides by a batch deviation that can be tiny, which
      // amplifies that rounding to about 2.5e-4 of the output's scale (measured on every ISA): 1e-3 bounds it,
      // while skipping the re-normalisation moves the output by more than half its scale, 500 times as much.
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-3 * scale);
      const untouched = (plain.call(x) as ds.Tensor).dataSync();
      expect(Math.max(...untouched.map((v, i) => Math.abs(v - a[i])))).toBeGreaterThan(0.5 * scale);
    });
    ds.dispose([t, plain]);
    expect(() => models.googlenet({ transformInput: true, inChannels: 1 })).toThrow(
      new RangeError('GoogLeNet: transformInput needs 3 input channels, got inChannels 1'),
    );
  });
});

describe('Inception training on MNIST', () => {
  test('a small network of Inception modules lowers the loss', async () => {
    ds.manualSeed(0);
    const data = mnistSubset(512);
    const net = new ds.nn.Sequential(
      new models.BasicConv2d(1, 32, 3, { padding: 1 }), new ds.nn.MaxPool2d(2),
      new models.Inception(32, 16, 16, 24, 4, 8, 8), new ds.nn.MaxPool2d(2),
      new models.Inception(56, 32, 24, 32, 8, 16, 16),
      new ds.nn.AdaptiveAvgPool2d(1), new ds.nn.Flatten(), new ds.nn.Linear(96, 10),
    );
    const losses = await shortRun(net, data, { epochs: 3, batch: 64, lr: 5e-3, loss: (out, t) => ds.crossEntropy(out, t) });
    expect(mean(losses.slice(-8))).toBeLessThan(0.75 * mean(losses.slice(0, 8)));
    ds.dispose([data.x, data.y]);
    net.dispose();
  });
});
