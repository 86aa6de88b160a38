/**
 * Ensembles of paths: path counts and the binomial length distribution, and lesions: deleting a
 * residual block whose branch is zero (an identity block) changes nothing; deleting a plain block is the
 * identity; the default block list, random groups, restoration of the forward and errors.
 */
import * as ds from '../../src';
import { Tensor } from '../../src/tensor';
import { Module } from '../../src/nn/module';

const { analysis, models, nn } = ds;

describe('paths', () => {
  test('2ⁿ paths; lengths are binomial: counts C(n, k), fractions summing to 1', () => {
    expect(analysis.pathCount(0)).toBe(1);
    expect(analysis.pathCount(3)).toBe(8);
    expect(analysis.pathCount(54)).toBe(2 ** 54);
    expect(analysis.pathLengthDistribution(3).map((p) => p.count)).toEqual([1, 3, 3, 1]);
    expect(analysis.pathLengthDistribution(4).map((p) => p.fraction)).toEqual([1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16]);
    const d = analysis.pathLengthDistribution(54);
    expect(d[27].count).toBe(1946939425648112); // C(54, 27), exact below 2^53
    expect(d.reduce((s, p) => s + p.fraction, 0)).toBeCloseTo(1, 12);
    const mean = d.reduce((s, p) => s + p.length * p.fraction, 0);
    expect(mean).toBeCloseTo(27, 10); // n/2
    const big = analysis.pathLengthDistribution(1000);
    expect(big[500].fraction).toBeCloseTo(Math.sqrt(2 / (Math.PI * 1000)), 4); // the normal approximation
    expect(() => analysis.pathCount(-1)).toThrow(/pathCount: n must be an integer from 0 to 1023/);
    expect(() => analysis.pathLengthDistribution(1.5)).toThrow(RangeError);
  });
});

/** Ten well separated points per class in 4 dimensions, as a [1, 4, 1, 1] image each. */
function blobs(): [Tensor, Tensor] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 30; i++) {
    const c = i % 3;
    for (let k = 0; k < 4; k++) xs.push((k === c ? 3 : 0) + 0.1 * Math.sin(7 * i + k));
    ys.push(c);
  }
  return [ds.tensor(xs, [30, 4, 1, 1]), ds.tensor(ys, [30], { dtype: 'int32' })];
}

describe('lesion', () => {
  test('an identity block (residual branch zeroed) deletes without effect, and the forward is restored', async () => {
    const [x, y] = blobs();
    const gen = new ds.Generator(5);
    const net = new models.CifarResNet(1, { inChannels: 4, numClasses: 3, generator: gen });
    net.eval();
    // Zero the last BN of layer1.0: its branch outputs 0, so the block computes relu(0 + x) = x (x ≥ 0).
    const block = net.getSubmodule('layer1.0') as InstanceType<typeof models.BasicBlock>;
    ds.nn.init.zeros_(block.bn2.weight!);
    ds.nn.init.zeros_(block.bn2.bias!);
    let calls = 0;
    const r = await analysis.lesion(net, [x, y], { k: [1], trials: 3, generator: new ds.Generator(1), onProgress: () => calls++ });
    expect(r.blocks).toEqual(['layer1.0']); // the stride-2 blocks of stages 2 and 3 change the shape
    expect(r.single[0].accuracy).toBe(r.baseline);
    expect(r.single[0].loss).toBeCloseTo(r.baselineLoss, 6);
    expect(calls).toBe(1 + 1 + 3);
    expect(r.random[0].accuracies).toEqual([r.baseline, r.baseline, r.baseline]);
    expect(block.forward).toBe(models.BasicBlock.prototype.forward);
    net.dispose();
  }, 30000);

  test('random groups, named blocks with a custom bypass, and errors', async () => {
    const [x, y] = blobs();
    const net = new models.CifarResNet(2, { inChannels: 4, numClasses: 3, generator: new ds.Generator(2) });
    const r = await analysis.lesion(net, [[x, y]], { k: [1, 3], trials: 2, generator: new ds.Generator(3) });
    expect(r.blocks).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    expect(r.random.map((g) => g.k)).toEqual([1, 3]);
    expect(r.random[0].accuracies).toHaveLength(2);
    for (const g of r.random) expect(g.mean).toBeCloseTo(g.accuracies.reduce((s, a) => s + a, 0) / g.accuracies.length, 12);
    // A bypass that outputs zeros everywhere: the logits are then the classifier's bias alone for every sample.
    const zero = await analysis.lesion(net, [x, y], { blocks: ['layer3.1'], bypass: (_b, t) => t.mul(0) });
    const counts = [0, 1, 2].map((c) => Array.from(y.dataSync()).filter((v) => v === c).length);
    expect(counts.map((n) => n / 30)).toContain(zero.single[0].accuracy);
    await expect(analysis.lesion(net, [x, y], { k: [5] })).rejects.toThrow(/lesion: every k must be an integer from 1 to 4/);
    await expect(analysis.lesion(net, [x, y], { blocks: ['layer9'] })).rejects.toThrow(/getSubmodule: CifarResNet has no child 'layer9'/);
    await expect(analysis.lesion(new nn.Linear(4, 3) as Module, [x.reshape([30, 4]), y])).rejects.toThrow(/lesion: the model has no residual blocks/);
    net.dispose();
  }, 30000);
});
