import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

// Closed form: stem 3·49·64 + BN 2·64; per Dirac layer ni → no: 9·ni·no weights + a, b (2·no) + BN (2·no);
// fc 513·1000.
function closedForm(blocks: number[]): number {
  const widths = [64, 128, 256, 512];
  let p = 3 * 49 * 64 + 2 * 64;
  let ni = 64;
  blocks.forEach((n, g) => {
    for (let j = 0; j < n; j++) {
      p += 9 * ni * widths[g] + 4 * widths[g];
      ni = widths[g];
    }
  });
  return p + 513 * 1000;
}

const maxAbs = (t: ds.Tensor) => t.abs().max().itemSync();

describe('DiracNets', () => {
  test("parameter counts of DiracNet-18 and -34 (the paper's 11.52 M and 21.64 M), built one at a time", () => {
    expect(closedForm([4, 4, 4, 4])).toBe(11523368);
    expect(closedForm([6, 8, 12, 6])).toBe(21638952);
    for (const [make, n] of [[models.diracnet18, 11523368], [models.diracnet34, 21638952]] as const) {
      const net = make();
      expect(net.numParameters()).toBe(n);
      net.dispose();
    }
  });

  test('the Dirac parameterisation: identity at a = 1, b = 0; unit-norm filters; repeated identity across widths', () => {
    const conv = new models.DiracConv2d(4, 4, 3, { beta: 0 });
    const x = ds.randn([2, 4, 5, 5]);
    expect(maxAbs(conv.call(x).sub(x))).toBeLessThan(1e-6);
    // Doubling the width: output map o copies input map o mod 4.
    const wide = new models.DiracConv2d(4, 8, 3, { beta: 0 });
    const y = wide.call(x);
    expect(maxAbs(y.slice(1, 0, 4).sub(x))).toBeLessThan(1e-6);
    expect(maxAbs(y.slice(1, 4, 8).sub(x))).toBeLessThan(1e-6);
    // Halving: output map o sums input maps o and o + 2.
    const narrow = new models.DiracConv2d(4, 2, 3, { beta: 0 });
    expect(maxAbs(narrow.call(x).sub(x.slice(1, 0, 2).add(x.slice(1, 2, 4))))).toBeLessThan(1e-6);
    // a = 0, b = 1: every filter of the effective kernel has unit L2 norm.
    const w = new models.DiracConv2d(3, 5, 3, { alpha: 0, beta: 1 }).effectiveWeight();
    const norms = w.square().sum([1, 2, 3]).sqrt().dataSync();
    for (const v of norms) expect(v).toBeCloseTo(1, 5);
    // a, b per filter: Ŵ[o] = a_o·I[o] + b_o·W[o]/‖W[o]‖.
    const c2 = new models.DiracConv2d(2, 2, 3);
    c2.alpha.copyFromArray([2, 3]);
    c2.beta.copyFromArray([0.5, -1]);
    const raw = c2.weight.dataSync();
    const eff = c2.effectiveWeight().dataSync();
    for (let o = 0; o < 2; o++) {
      let n2 = 0;
      for (let j = 0; j < 18; j++) n2 += raw[o * 18 + j] ** 2;
      for (let j = 0; j < 18; j++) {
        const delta = j === o * 9 + 4 ? 1 : 0;
        expect(eff[o * 18 + j]).toBeCloseTo([2, 3][o] * delta + [0.5, -1][o] * (raw[o * 18 + j] / Math.sqrt(n2)), 5);
      }
    }
  });

  test("output shape at the paper's 224×224; forward and backward of DiracNet-18 and -34 (quarter widths) on 32×32", () => {
    const net18 = models.diracnet18().eval();
    const out = ds.noGrad(() => net18.call(ds.randn([1, 3, 224, 224])));
    expect(out.shape).toEqual([1, 1000]);
    net18.dispose();
    const widths = [16, 32, 64, 128];
    for (const net of [models.diracnet18({ widths }), models.diracnet34({ widths })]) {
      const loss = net.loss(net.call(ds.randn([2, 3, 32, 32])), ds.tensor([1, 999], undefined, { dtype: 'int32' }));
      loss.backward();
      const first = (net.groups.at(0) as ds.nn.Sequential).at(0) as ds.models.DiracBlock;
      for (const p of [first.conv.weight, first.conv.alpha, first.conv.beta, net.conv0.weight]) expect(maxAbs(p.grad!)).toBeGreaterThan(0);
      net.dispose();
    }
  });

  // A reduced CIFAR-style DiracNet-18 (widths 8, 16, 32, 64) trained on MNIST; then fold(): the plain
  // conv–ReLU chain must give the same outputs as the trained network in eval mode, to 1e-5 of the output
  // scale (float32 convolutions with the same kernels summed in a different order).
  test('a reduced DiracNet trains on MNIST, and fold() turns it into a plain conv-ReLU chain with identical outputs', async () => {
    ds.manualSeed(3);
    const { test } = ds.data.mnist();
    const data = mnistSubset(384);
    const net = models.diracnet18({ cifar: true, widths: [8, 16, 32, 64], inChannels: 1, numClasses: 10 });
    const losses = await shortRun(net, data, { epochs: 3, batch: 32, lr: 3e-3 });
    expect(mean(losses.slice(-6))).toBeLessThan(0.6 * mean(losses.slice(0, 6)));

    net.eval();
    const folded = net.fold();
    const kinds = new Set(folded.children().map((m) => m.constructor.name));
    expect([...kinds].sort()).toEqual(['AdaptiveAvgPool2d', 'Conv2d', 'Flatten', 'Linear', 'MaxPool2d', 'ReLU']);
    expect(folded.modules().some((m) => m instanceof ds.nn.BatchNorm2d || m instanceof models.DiracConv2d)).toBe(false);
    const tx = test.tensors[0].slice(0, 0, 16);
    const [a, b] = ds.noGrad(() => [net.call(tx), folded.call(tx)]);
    const err = maxAbs(a.sub(b)) / maxAbs(a);
    expect(err).toBeLessThan(1e-5);
    // The running statistics moved away from their initial values: the BNs really were folded.
    const bn = ((net.groups.at(1) as ds.nn.Sequential).at(0) as ds.models.DiracBlock).bn;
    expect(maxAbs(bn.running_mean!)).toBeGreaterThan(1e-3);
    // ImageNet layout too (untrained weights, random BN statistics).
    const big = models.diracnet18({ widths: [8, 16, 16, 32], numClasses: 5 });
    for (const m of big.modules()) if (m instanceof ds.nn.BatchNorm2d) ds.noGrad(() => {
      m.running_mean!.copy_(ds.randn([m.numFeatures]).mul(0.1));
      m.running_var!.copy_(ds.rand([m.numFeatures]).add(0.5));
      m.weight!.copy_(ds.rand([m.numFeatures]).add(0.5));
    });
    big.eval();
    const bx = ds.randn([2, 3, 64, 64]);
    const [p, q] = ds.noGrad(() => [big.call(bx), big.fold().call(bx)]);
    expect(maxAbs(p.sub(q)) / maxAbs(p)).toBeLessThan(1e-5);
    ds.dispose([data.x, data.y]);
    net.dispose();
    folded.dispose();
    big.dispose();
  });
});
