import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

describe('very deep vanilla CNNs', () => {
  test("tanh's critical point for σ_b² = 2×10⁻⁵ is σ_w² ≈ 1.05 (Xiao et al.), ReLU's is σ_w² = 2", () => {
    const c = models.tanhCriticalPoint(2e-5);
    expect(Math.abs(c.weightVariance - 1.05)).toBeLessThan(0.005);
    expect(c.q).toBeGreaterThan(0);
    // σ_b² → 0: the critical point tends to σ_w² = 1 (q* → 0).
    expect(Math.abs(models.tanhCriticalPoint(1e-9).weightVariance - 1)).toBeLessThan(0.01);
    const net = models.vanillaCNN({ depth: 2, width: 4, activation: 'relu' });
    expect(net.variances).toEqual({ weight: 2, bias: 0 });
    net.dispose();
  });

  test('1,000 tanh layers: buildable, kernels orthogonal at the centre tap, activations keep their scale', () => {
    const width = 16;
    const net = models.vanillaCNN({ depth: 1000, width, inChannels: width, activation: 'tanh' });
    const convs = net.convs.children() as ds.nn.Conv2d[];
    expect(convs).toHaveLength(1000);
    expect(net.numParameters()).toBe(1000 * (width * width * 9 + width) + width * 10 + 10);
    const sw2 = net.variances.weight;
    // Centre taps: Qᵀ·Q = σ_w²·I; every other tap zero.
    for (const conv of [convs[0], convs[499], convs[999]]) {
      const w = conv.weight.dataSync();
      const centre = (o: number, i: number) => w[((o * width + i) * 3 + 1) * 3 + 1];
      for (let a = 0; a < width; a++)
        for (let b = 0; b < width; b++) {
          let dot = 0;
          for (let o = 0; o < width; o++) dot += centre(o, a) * centre(o, b);
          expect(Math.abs(dot - (a === b ? sw2 : 0))).toBeLessThan(1e-4);
        }
      let offCentre = 0;
      for (let k = 0; k < w.length; k++) if (k % 9 !== 4) offCentre = Math.max(offCentre, Math.abs(w[k]));
      expect(offCentre).toBe(0);
    }
    // Mean squared activation through depth, starting from inputs at the fixed point's scale.
    const q = new Map<number, number>();
    const probe = [1, 10, 100, 300, 500, 700, 1000];
    const handles = probe.map((d) => convs[d - 1].registerForwardHook((_m, _i, out: ds.Tensor) => {
      q.set(d, ds.tidy(() => ds.tanh(out).square().mean().itemSync()));
    }));
    const { q: qStar } = models.tanhCriticalPoint(2e-5);
    ds.manualSeed(1);
    ds.noGrad(() => ds.tidy(() => { net.call(ds.mul(ds.randn([2, width, 8, 8]), Math.sqrt(qStar))); }));
    handles.forEach((h) => h.remove());
    for (const d of probe) {
      expect(q.get(d)!).toBeGreaterThan(0.5 * qStar);
      expect(q.get(d)!).toBeLessThan(2 * qStar);
    }
    net.dispose();
    // Off the critical point (σ_w² = 0.5) the signal dies long before 1,000 layers.
    const ordered = models.vanillaCNN({ depth: 100, width, inChannels: width, weightVariance: 0.5 });
    let last = 0;
    const h = (ordered.convs.children()[99] as ds.nn.Conv2d).registerForwardHook((_m, _i, out: ds.Tensor) => {
      last = ds.tidy(() => ds.tanh(out).square().mean().itemSync());
    });
    ds.noGrad(() => ds.tidy(() => { ordered.call(ds.mul(ds.randn([2, width, 8, 8]), Math.sqrt(qStar))); }));
    h.remove();
    expect(last).toBeLessThan(0.01 * qStar);
    ordered.dispose();
  });

  test.each(['deltaOrthogonal', 'orthogonal', 'gaussian', 'kaiming'] as const)('forward and backward, %s init, tanh and relu', (init) => {
    for (const activation of ['tanh', 'relu'] as const) {
      const net = models.vanillaCNN({ depth: 6, width: 8, activation, init, inChannels: 1 });
      const x = ds.randn([2, 1, 6, 6], { requiresGrad: true });
      const out = net.call(x);
      expect(out.shape).toEqual([2, 10]);
      ds.tidy(() => net.loss(out, ds.tensor([0, 9], undefined, { dtype: 'int32' })).backward());
      expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
      expect(x.grad!.shape).toEqual([2, 1, 6, 6]);
      net.dispose();
    }
  });

  test('a 1,000-layer tanh network backpropagates gradients of sensible size to its first layer', () => {
    const net = models.vanillaCNN({ depth: 1000, width: 8, inChannels: 8, numClasses: 4 });
    const x = ds.randn([2, 8, 4, 4]);
    const loss = net.loss(net.call(x), ds.tensor([1, 3], undefined, { dtype: 'int32' }));
    loss.backward();
    const first = Array.from((net.convs.children()[0] as ds.nn.Conv2d).weight.grad!.dataSync() as Float32Array);
    const norm = Math.sqrt(first.reduce((s, v) => s + v * v, 0));
    expect(Number.isFinite(norm)).toBe(true);
    expect(norm).toBeGreaterThan(1e-6);
    net.dispose();
  });

  test('a vanilla CNN (depth 8, delta-orthogonal, tanh) trains on MNIST: the loss falls', async () => {
    ds.manualSeed(0);
    const data = mnistSubset(256, (x) => ds.avgPool2d(x, { kernelSize: 2 }));
    const net = models.vanillaCNN({ depth: 8, width: 32, inChannels: 1 });
    const losses = await shortRun(net, data, { epochs: 10, batch: 32, lr: 5e-3 });
    expect(mean(losses.slice(-6))).toBeLessThan(0.8 * mean(losses.slice(0, 6)));
    net.dispose();
    ds.dispose([data.x, data.y]);
  });
});
