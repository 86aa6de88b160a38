import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { Nd } from '../reference/nd';
import * as ref from '../reference/binary';
import { conv2d as convRef } from '../reference/conv';
import { expectClose, expectError, normError, numericGrad, randNd, rng, settledMemory, toTensor } from '../helpers';

const { nn } = ds;

// Tolerances (normalised error, see helpers.normError).
// - Forward: float32 convolution of ±1 values (exact integers, or within a few ulps on the Winograd path)
//   times α and K, against float64: ≲ 1e-6 relative; 1e-5.
// - Packed vs float forward: the same integers times the same factors in the same order: equal up to the
//   Winograd path's last-ulp errors on the integers, 1e-6.
// - Backward: float32 sums of at most a few hundred products against central differences of a float64
//   reference that is linear in each coordinate (signs held fixed away from 0): roundoff only; 1e-4.
const FWD = 1e-5;
const SAME = 1e-6;
const BWD = 1e-4;

// Values at least 0.05 away from 0 and from ±1, so that neither the sign nor the STE mask flips under the
// finite-difference step.
function safe(r: () => number, shape: number[], scale = 1.5): Nd {
  const x = randNd(r, shape, -scale, scale);
  for (let i = 0; i < x.size; i++) {
    let v = x.data[i];
    if (Math.abs(v) < 0.05) v = v < 0 ? -0.05 : 0.05;
    if (Math.abs(Math.abs(v) - 1) < 0.05) v = Math.sign(v) * 1.05;
    x.data[i] = Math.fround(v);
  }
  return x;
}

const mask = (x: Nd, g: Nd) => Nd.from(Array.from(g.data, (v, i) => (Math.abs(x.data[i]) <= 1 ? v : 0)), g.shape);
const plus = (a: Nd, b: Nd) => Nd.from(Array.from(a.data, (v, i) => v + b.data[i]), a.shape);
const scaleRows = (w: Nd, a: Nd) => Nd.from(Array.from(w.data, (v, i) => v * a.data[Math.floor(i / (w.size / w.shape[0]))]), w.shape);

// The XNOR convolution as a float64 function of its pieces: the ±1 input sx, the ±1 weights sw, the real
// input x (through K) and the real weights w (through α).
function xnorConv(sx: Nd, sw: Nd, x: Nd, w: Nd, k: [number, number], pad: [number, number, number, number]): Nd {
  const y = convRef(sx, sw, null, { pad });
  const a = ref.filterScale(w);
  const kk = ref.xnorScale(x, k, { pad });
  const [, o, oh, ow] = y.shape;
  return Nd.from(Array.from(y.data, (v, i) => v * a.data[Math.floor(i / (oh * ow)) % o] * kk.data[Math.floor(i / (o * oh * ow)) * oh * ow + (i % (oh * ow))]), y.shape);
}

describe('nn.BinaryConv2d', () => {
  test("'xnor': forward as the reference; packed (noGrad) and float (training) forms agree", () => {
    const r = rng(1);
    const layer = new nn.BinaryConv2d(70, 5, 3, { padding: 1 });
    const x = safe(r, [2, 70, 6, 5]);
    const w = Nd.from(layer.weight!.dataSync(), layer.weight!.shape);
    const want = ref.binaryConv2d(x, w, { pad: [1, 1, 1, 1] }, ref.filterScale(w), ref.xnorScale(x, [3, 3], { pad: [1, 1, 1, 1] }));
    const packed = ds.noGrad(() => layer.call(toTensor(x)));
    const float = layer.call(toTensor(x, { requiresGrad: true }));
    expectClose(packed, want, FWD, 'packed');
    expectClose(float, want, FWD, 'float');
    expect(normError(packed.dataSync(), Nd.from(float.dataSync(), want.shape))).toBeLessThanOrEqual(SAME);
  });

  test("'xnor' backward: STE through both signs plus the exact gradients of α and K", () => {
    const r = rng(2);
    const pad: [number, number, number, number] = [1, 1, 1, 1];
    const layer = new nn.BinaryConv2d(3, 4, 3, { padding: 1 });
    const w = safe(r, [4, 3, 3, 3]);
    layer.weight = toTensor(w);
    const x = safe(r, [1, 3, 5, 4]);
    const tx = toTensor(x, { requiresGrad: true });
    const y = layer.call(tx);
    const cot = randNd(r, [...y.shape]);
    y.backward(toTensor(cot));
    const sx = ref.sign(x);
    const sw = ref.sign(w);
    // Signs are constant under the step (inputs away from 0): FD in x / w sees only the K / α paths.
    const gx = plus(numericGrad((v) => xnorConv(sx, sw, v, w, [3, 3], pad), x, cot), mask(x, numericGrad((s) => xnorConv(s, sw, x, w, [3, 3], pad), sx, cot)));
    const gw = plus(numericGrad((v) => xnorConv(sx, sw, x, v, [3, 3], pad), w, cot), mask(w, numericGrad((s) => xnorConv(sx, s, x, w, [3, 3], pad), sw, cot)));
    expectClose(tx.grad!, gx, BWD, 'input gradient');
    expectClose(layer.weight!.grad!, gw, BWD, 'weight gradient');
  });

  test("'bwn': conv2d(x, α·sign(W)) + bias; input gradient by finite differences, weight gradient STE + α path", () => {
    const r = rng(3);
    const layer = new nn.BinaryConv2d(5, 3, [3, 2], { mode: 'bwn', stride: [2, 1], bias: true });
    const w = safe(r, [3, 5, 3, 2]);
    layer.weight = toTensor(w);
    const b = Nd.from(layer.bias!.dataSync(), [3]);
    const x = randNd(r, [2, 5, 7, 4]);
    const f = (xv: Nd, wv: Nd, s: Nd) => convRef(xv, scaleRows(s, ref.filterScale(wv)), b, { stride: [2, 1] });
    const tx = toTensor(x, { requiresGrad: true });
    const y = layer.call(tx);
    expectClose(y, f(x, w, ref.sign(w)), FWD, 'forward');
    const cot = randNd(r, [...y.shape]);
    y.backward(toTensor(cot));
    expectClose(tx.grad!, numericGrad((v) => f(v, w, ref.sign(w)), x, cot), BWD, 'input gradient');
    const gw = plus(numericGrad((v) => f(x, v, ref.sign(w)), w, cot), mask(w, numericGrad((s) => f(x, w, s), ref.sign(w), cot)));
    expectClose(layer.weight!.grad!, gw, BWD, 'weight gradient');
  });

  test('pack(): packed signs and α replace the weight (32× smaller), outputs unchanged, checkpoint round trip', async () => {
    for (const mode of ['xnor', 'bwn'] as const) {
      const layer = new nn.BinaryConv2d(130, 16, 3, { padding: 1, mode, bias: true });
      const x = ds.randn([2, 130, 5, 5]);
      const before = ds.noGrad(() => layer.call(x)).dataSync();
      const weightBytes = layer.weight!.numel() * 4;
      layer.pack();
      expect(layer.packed).toBe(true);
      expect([...layer.stateDict().keys()]).toEqual(['bias', 'packedWeight', 'alpha']);
      // 130 channels need 3 words (192 bits) per tap: 130·32 / 192 of the float size.
      expect(weightBytes / (layer.packedWeight!.numel() * 4)).toBeCloseTo((130 * 32) / 192, 6);
      const after = ds.noGrad(() => layer.call(x)).dataSync();
      expect(normError(after, Nd.from(before, [before.length]))).toBeLessThanOrEqual(SAME);
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ds-binary-')), 'packed.safetensors');
      await ds.io.save(layer, file);
      // On disk too: packed words, α and bias plus the safetensors header, against 16·130·9 floats.
      expect(fs.statSync(file).size).toBeLessThan((16 * 130 * 9 * 4) / 10);
      const fresh = new nn.BinaryConv2d(130, 16, 3, { padding: 1, mode, bias: true }).pack();
      await ds.io.loadInto(fresh, file);
      expect([...ds.noGrad(() => fresh.call(x)).dataSync()]).toEqual([...after]);
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  });

  test('pack() frees the latent weights: ds.memory() falls by the float bytes less the packed ones', async () => {
    const layer = new nn.BinaryConv2d(256, 64, 3);
    const before = (await settledMemory()).bytes;
    layer.pack();
    const after = (await settledMemory()).bytes;
    // 256 channels: 4 words per tap, 9 taps, 64 filters; plus α (64 floats).
    expect(before - after).toBe(64 * 256 * 9 * 4 - (64 * 9 * 4 * 8 + 64 * 4));
    layer.dispose();
  });

  test('errors: bad mode, packed layers refuse gradients', () => {
    expectError(() => new nn.BinaryConv2d(3, 4, 3, { mode: 'xor' as 'xnor' }), TypeError, 'BinaryConv2d', 'mode', 'xor');
    expectError(() => new nn.BinaryConv2d(0, 4, 3), RangeError, 'BinaryConv2d', 'inChannels');
    const layer = new nn.BinaryConv2d(3, 4, 3).pack();
    expectError(() => layer.call(ds.randn([1, 3, 5, 5], { requiresGrad: true })), TypeError, 'binaryConv2d', 'requires grad');
    expectError(() => layer.call(ds.randn([1, 5, 5, 5])), RangeError, 'binaryConv2d', '5 channels');
  });
});

describe('nn.BinaryLinear', () => {
  // (sx · swᵀ)[i, j] · α[j] · mean |x[i, :]|, linear in sx and sw (the FD of the STE paths needs that).
  const xnorLinear = (sx: Nd, sw: Nd, x: Nd, w: Nd) => {
    const [m, k] = x.shape;
    const n = sw.shape[0];
    const a = ref.filterScale(w);
    const out = Nd.zeros([m, n]);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += Math.abs(x.data[i * k + q]);
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let q = 0; q < k; q++) d += sx.data[i * k + q] * sw.data[j * k + q];
        out.data[i * n + j] = d * a.data[j] * (s / k);
      }
    }
    return out;
  };

  test("'xnor': forward, packed = float, STE backward", () => {
    const r = rng(4);
    const layer = new nn.BinaryLinear(67, 5);
    const w = safe(r, [5, 67]);
    layer.weight = toTensor(w);
    const x = safe(r, [3, 67]);
    const want = xnorLinear(ref.sign(x), ref.sign(w), x, w);
    expectClose(ds.noGrad(() => layer.call(toTensor(x))), want, FWD, 'packed');
    const tx = toTensor(x, { requiresGrad: true });
    const y = layer.call(tx);
    expectClose(y, want, FWD, 'float');
    const cot = randNd(r, [3, 5]);
    y.backward(toTensor(cot));
    const sx = ref.sign(x);
    const sw = ref.sign(w);
    const gx = plus(numericGrad((v) => xnorLinear(sx, sw, v, w), x, cot), mask(x, numericGrad((s) => xnorLinear(s, sw, x, w), sx, cot)));
    expectClose(tx.grad!, gx, BWD, 'input gradient');
  });

  test("'bwn' and pack(): linear(x, α·sign(W)), unchanged after packing", () => {
    const layer = new nn.BinaryLinear(100, 7, { mode: 'bwn', bias: true });
    const x = ds.randn([4, 100]);
    const w = Nd.from(layer.weight!.dataSync(), [7, 100]);
    const sw = scaleRows(ref.sign(w), ref.filterScale(w));
    const b = layer.bias!.dataSync();
    const xs = x.dataSync();
    const want = Nd.zeros([4, 7]);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 7; j++) {
        let s = b[j];
        for (let q = 0; q < 100; q++) s += xs[i * 100 + q] * sw.data[j * 100 + q];
        want.data[i * 7 + j] = s;
      }
    expectClose(layer.call(x), want, FWD);
    expectClose(ds.noGrad(() => layer.pack().call(x)), want, FWD, 'packed');
  });
});
