/**
 * Signal propagation: an orthogonal linear network preserves activation and gradient norms exactly and
 * has all Jacobian singular values 1; the Jacobian estimate with full probes equals the exact spectrum
 * of a product of Gaussian matrices; partial probes interlace and estimate the mean squared value; a
 * delta-orthogonal vanilla CNN at the critical point keeps its norms where a Gaussian one off it decays.
 */
import * as ds from '../../src';
import { Module } from '../../src/nn/module';
import { rng } from '../helpers';

const { analysis, nn, models } = ds;

function linearNet(widths: number[], init: (l: InstanceType<typeof nn.Linear>) => void): Module {
  const layers = widths.slice(1).map((w, i) => {
    const l = new nn.Linear(widths[i], w, { bias: false });
    init(l);
    return l;
  });
  return new nn.Sequential(...layers);
}

describe('signalPropagation', () => {
  test('orthogonal linear net: constant activation and gradient RMS, all singular values 1', async () => {
    const gen = new ds.Generator(4);
    const net = linearNet([12, 12, 12, 12, 12, 12], (l) => nn.init.orthogonal_(l.weight, { generator: gen }));
    const x = ds.randn([1, 12], { generator: gen });
    const s = await analysis.signalPropagation(net, x, { probes: 12, jacobianLayers: [0, -1] });
    expect(s.layers).toEqual(['0', '1', '2', '3', '4']);
    const xr = Math.hypot(...x.dataSync()) / Math.sqrt(12);
    // float32 products of 12×12 orthogonal matrices: norms kept to ~1e-6 relative.
    for (const a of s.activationRms) expect(Math.abs(a / xr - 1)).toBeLessThan(1e-5);
    for (const g of s.gradientRms) expect(Math.abs(g / s.gradientRms[4] - 1)).toBeLessThan(1e-5);
    for (const j of s.jacobians) {
      expect(j.exact).toBe(true);
      expect(j.singularValues).toHaveLength(12);
      for (const v of j.singularValues) expect(Math.abs(v - 1)).toBeLessThan(1e-5);
    }
    expect(x.requiresGrad).toBe(false);
    net.dispose();
  });

  test('the Jacobian spectrum equals the exact singular values of W3·W2·W1 (computed in float64)', async () => {
    const r = rng(11);
    const widths = [7, 9, 5, 6];
    const mats: number[][][] = [];
    const net = linearNet(widths, (l) => {
      const [o, i] = l.weight.shape;
      const w = Array.from({ length: o }, () => Array.from({ length: i }, () => Math.fround((2 * r() - 1) / Math.sqrt(i))));
      mats.push(w);
      l.weight.copyFromArray(w.flat());
    });
    // J = W3 W2 W1 (6 × 7); its singular values are √eig(J Jᵀ).
    let jm = mats[0];
    for (const w of mats.slice(1)) jm = w.map((row) => jm[0].map((_, c) => row.reduce((s, v, k) => s + v * jm[k][c], 0)));
    const m = jm.length;
    const jjt = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) jjt[a * m + b] = jm[a].reduce((s, v, k) => s + v * jm[b][k], 0);
    const exact = Array.from(analysis.symmetricEigen(jjt, m).values, (v) => Math.sqrt(Math.max(0, v)));
    const s = await analysis.signalPropagation(net, ds.randn([1, 7]), { probes: 64 });
    expect(s.jacobians[0].exact).toBe(true);
    // float32 backward passes through three small matrices: ~1e-6 relative to the largest value.
    s.jacobians[0].singularValues.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(1e-5 * exact[0]));
    // Three random probes: singular values of UᵀJ interlace below J's; the mean square is estimated.
    const p = await analysis.signalPropagation(net, ds.randn([1, 7]), { probes: 3, generator: new ds.Generator(1) });
    expect(p.jacobians[0].exact).toBe(false);
    p.jacobians[0].singularValues.forEach((v, i) => expect(v).toBeLessThanOrEqual(exact[i] * (1 + 1e-5)));
    const meanSq = exact.reduce((t, v) => t + v * v, 0) / m;
    expect(p.jacobians[0].meanSquared).toBeGreaterThan(0.1 * meanSq);
    expect(p.jacobians[0].meanSquared).toBeLessThan(10 * meanSq);
    net.dispose();
  });

  test('vanilla CNN, 64 layers: delta-orthogonal at the critical point keeps the RMS; Gaussian σ_w² = 0.5, σ_b² = 0 loses it', async () => {
    const x = ds.randn([1, 8, 8, 8], { generator: new ds.Generator(1) });
    const delta = models.vanillaCNN({ depth: 64, width: 8, inChannels: 8, generator: new ds.Generator(2) });
    const gauss = models.vanillaCNN({ depth: 64, width: 8, inChannels: 8, init: 'gaussian', weightVariance: 0.5, biasVariance: 0, generator: new ds.Generator(2) });
    const a = await analysis.signalPropagation(delta, x, { probes: 8, jacobianLayers: [] });
    const b = await analysis.signalPropagation(gauss, x, { probes: 8, jacobianLayers: [] });
    expect(a.layers).toHaveLength(65); // 64 convolutions and the classifier
    // tanh at the critical point: q^l decays only polynomially; over 64 layers it stays within 10×.
    expect(a.activationRms[63] / a.activationRms[0]).toBeGreaterThan(0.1);
    // σ_w² = 0.5 contracts by about √0.5 per layer: 0.707^63 ≈ 3e-10.
    expect(b.activationRms[63] / b.activationRms[0]).toBeLessThan(1e-6);
    delta.dispose();
    gauss.dispose();
  }, 60000);

  test('errors', async () => {
    const net = new nn.Linear(3, 2);
    await expect(analysis.signalPropagation(net, ds.randn([1, 3], { requiresGrad: true }).mul(2))).rejects.toThrow(/signalPropagation: argument 'input' must be a leaf tensor/);
    await expect(analysis.signalPropagation(net, ds.randn([1, 3]), { jacobianLayers: [4] })).rejects.toThrow(/jacobianLayers entry 4 is outside the 1 measured layers/);
    const s = await analysis.signalPropagation(net, ds.randn([1, 3]), { probes: 2 });
    expect(s.layers).toEqual(['']);
    await expect(analysis.signalPropagation(net, ds.randn([1, 3]), { layers: ['nope'] })).rejects.toThrow(/getSubmodule/);
    await expect(analysis.signalPropagation(new nn.ReLU(), ds.randn([1, 3]))).rejects.toThrow(/no layers with weights/);
    net.dispose();
  });
});
