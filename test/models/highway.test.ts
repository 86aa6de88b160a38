import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

describe('Highway networks', () => {
  test('parameter counts of the layers and the MLP', () => {
    expect(new models.HighwayLinear(50).numParameters()).toBe(2 * (50 * 50 + 50));
    expect(new models.HighwayLinear(50, { carryGate: true }).numParameters()).toBe(3 * (50 * 50 + 50));
    expect(new models.HighwayConv2d(8, 3).numParameters()).toBe(2 * (8 * 8 * 9 + 8));
    expect(new models.HighwayConv2d(8, 5, { carryGate: true }).numParameters()).toBe(3 * (8 * 8 * 25 + 8));
    // Input 784 → 50, 50 highway layers, 50 → 10.
    const net = models.highwayMLP({ depth: 50, width: 50 });
    expect(net.numParameters()).toBe(785 * 50 + 50 * 2 * (50 * 50 + 50) + 51 * 10);
    expect(models.highwayMLP({ depth: 50, width: 50, plain: true }).numParameters()).toBe(785 * 50 + 50 * (50 * 50 + 50) + 51 * 10);
    expect([...net.stateDict().keys()].slice(0, 6)).toEqual([
      'input.weight', 'input.bias', 'output.weight', 'output.bias', 'layers.0.plain.weight', 'layers.0.plain.bias',
    ]);
  });

  test('y = H(x)·T(x) + x·(1 − T(x)), the gate bias starting at −2, and the independent carry gate', () => {
    const layer = new models.HighwayLinear(6);
    expect([...layer.gate.bias!.dataSync()]).toEqual(new Array(6).fill(-2));
    expect([...new models.HighwayLinear(4, { gateBias: -3 }).gate.bias!.dataSync()]).toEqual(new Array(4).fill(-3));
    const x = ds.randn([3, 6]);
    const sig = (v: ds.Tensor) => ds.sigmoid(v);
    const h = ds.relu(layer.plain.call(x));
    const t = sig(layer.gate.call(x));
    const expected = h.mul(t).add(x.mul(ds.sub(1, t)));
    const y = layer.call(x);
    const d = y.sub(expected).abs().max().itemSync();
    expect(d).toBeLessThan(1e-6);
    // At initialisation T ≈ σ(−2 + small) ≈ 0.12: the layer is close to the identity.
    expect(t.mean().itemSync()).toBeGreaterThan(0.05);
    expect(t.mean().itemSync()).toBeLessThan(0.25);

    const cl = new models.HighwayLinear(6, { carryGate: true, activation: 'tanh' });
    const c = sig(cl.carry!.call(x));
    const e2 = ds.tanh(cl.plain.call(x)).mul(sig(cl.gate.call(x))).add(x.mul(c));
    expect(cl.call(x).sub(e2).abs().max().itemSync()).toBeLessThan(1e-6);
    expect([...cl.carry!.bias!.dataSync()]).toEqual(new Array(6).fill(2));
  });

  test('forward and backward: convolutional layer and the MLP', () => {
    const conv = new models.HighwayConv2d(4, 3);
    const x = ds.randn([2, 4, 7, 7], { requiresGrad: true });
    const y = conv.call(x);
    expect(y.shape).toEqual([2, 4, 7, 7]);
    y.square().sum().backward();
    for (const p of conv.parameters()) expect(p.grad!.abs().sum().itemSync()).toBeGreaterThan(0);
    expect(x.grad!.shape).toEqual([2, 4, 7, 7]);

    const net = models.highwayMLP({ depth: 5, width: 16, carryGate: true });
    const out = net.call(ds.randn([2, 1, 28, 28]));
    expect(out.shape).toEqual([2, 10]);
    net.loss(out, ds.tensor([1, 2], undefined, { dtype: 'int32' })).backward();
    for (const p of net.parameters()) expect(p.grad).not.toBeNull();
  });

  // The paper's Figure 1: plain networks deeper than ~20 layers fail to train, highway networks of 50 and
  // 100 layers train. Here both networks have the same input, H and output weights (PyTorch's default
  // initialisation, std 1/√(3·fan-in), under which a plain ReLU layer shrinks the signal's second moment
  // by about 6, so after 50 layers nothing of the input is left), the same 512 MNIST digits, the same
  // optimiser (Adam, lr 1e-3, batches of 32) and steps. Criterion: after 4 epochs the highway network's
  // mean training loss over the last 8 steps is below 1.2 (from ln 10 ≈ 2.30; it reaches about 0.6),
  // while the plain network's stays above 2.2 (it cannot get beyond the class frequencies).
  test('a 50-layer highway MLP trains on MNIST where the plain 50-layer MLP of the same init does not', async () => {
    const data = mnistSubset(512);
    const run = async (plain: boolean) => {
      ds.manualSeed(7);
      const net = models.highwayMLP({ depth: 50, width: 50, plain });
      const losses = await shortRun(net, data, { epochs: 4, batch: 32, lr: 1e-3 });
      net.dispose();
      return mean(losses.slice(-8));
    };
    const highway = await run(false);
    const plain = await run(true);
    expect(highway).toBeLessThan(1.2);
    expect(plain).toBeGreaterThan(2.2);
    ds.dispose([data.x, data.y]);
  });
});
