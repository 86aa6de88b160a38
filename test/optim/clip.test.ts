/**
 * Gradient clipping: total norms (2, 1, 3, inf) against float64 (relative tolerance 1e-6: float32 sums
 * of squares of ~50 values), and the in-place rescaling min(1, maxNorm/(norm + 1e-6)).
 */
import * as ds from '../../src';
import { rng } from '../helpers';

const { optim } = ds;

function setup(seed: number): { params: ds.Tensor[]; grads: number[][] } {
  const r = rng(seed);
  const shapes = [[3, 4], [5], [2, 2, 3], [1]];
  const params = shapes.map((s) => ds.zeros(s, { requiresGrad: true }));
  const grads = shapes.map((s) => Array.from(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => 6 * r() - 3)));
  params.forEach((p, i) => (p.grad = ds.keep(ds.tensor(grads[i], [...p.shape]))));
  return { params, grads };
}

function norm64(grads: number[][], p: number): number {
  const all = grads.flat();
  if (p === Infinity) return Math.max(...all.map(Math.abs));
  return all.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);
}

describe('clipGradNorm_', () => {
  test.each([2, 1, 3, Infinity])('norm type %p: total norm and in-place scaling', (p) => {
    const { params, grads } = setup(p === Infinity ? 99 : p);
    const gradObjects = params.map((t) => t.grad);
    const expected = norm64(grads, p);
    const maxNorm = expected / 3;
    const total = optim.clipGradNorm_(params, maxNorm, { normType: p });
    expect(typeof total).toBe('number');
    expect(Math.abs(total - expected) / expected).toBeLessThan(1e-6);
    const coef = Math.min(1, maxNorm / (expected + 1e-6));
    params.forEach((t, i) => {
      expect(t.grad).toBe(gradObjects[i]); // in place
      const got = t.grad!.dataSync();
      grads[i].forEach((g, k) => expect(Math.abs(got[k] - g * coef)).toBeLessThan(1e-6 * Math.abs(g) + 1e-7));
    });
    const after = norm64(params.map((t) => [...t.grad!.dataSync()]), p);
    expect(Math.abs(after - maxNorm) / maxNorm).toBeLessThan(1e-5);
    ds.dispose(params.map((t) => [t, t.grad]));
  });

  test('norms under maxNorm leave the gradients alone; parameters without grad are skipped', () => {
    const { params, grads } = setup(5);
    const extra = ds.zeros([3], { requiresGrad: true });
    const total = optim.clipGradNorm_([...params, extra], 1e6);
    expect(Math.abs(total - norm64(grads, 2)) / total).toBeLessThan(1e-6);
    params.forEach((t, i) => expect([...t.grad!.dataSync()]).toEqual(grads[i].map((g) => Math.fround(g * Math.min(1, 1e6 / (total + 1e-6))))));
    expect(extra.grad).toBeNull();
    expect(optim.clipGradNorm_([extra], 1)).toBe(0);
    ds.dispose([params.map((t) => [t, t.grad]), extra]);
  });

  test('errorIfNonfinite, validation, no leaks', () => {
    const p = ds.zeros([2], { requiresGrad: true });
    p.grad = ds.keep(ds.tensor([1, Infinity]));
    expect(() => optim.clipGradNorm_(p, 1, { errorIfNonfinite: true })).toThrow(/clipGradNorm_: the total norm of order 2 of the gradients is Infinity/);
    expect([...p.grad.dataSync()]).toEqual([1, Infinity]);
    expect(() => optim.clipGradNorm_(p, -1)).toThrow(/clipGradNorm_: maxNorm must be a non-negative number, got -1/);
    expect(() => optim.clipGradNorm_(p, 1, { normType: 0.5 })).toThrow(/normType must be a number >= 1 or Infinity/);
    p.grad.copyFromArray([3, 4]);
    ds.synchronize();
    const before = ds.memory().cpu;
    expect(optim.clipGradNorm_(p, 1)).toBeCloseTo(5, 5);
    optim.clipGradValue_([p], 0.1);
    ds.synchronize();
    const after = ds.memory().cpu;
    expect(after.tensors).toBe(before.tensors);
    expect(after.storages).toBe(before.storages);
    ds.dispose([p, p.grad]);
  });
});

describe('clipGradValue_', () => {
  test('clamps into [-c, c] in place', () => {
    const { params, grads } = setup(7);
    const objs = params.map((t) => t.grad);
    optim.clipGradValue_(params, 1.25);
    params.forEach((t, i) => {
      expect(t.grad).toBe(objs[i]);
      expect([...t.grad!.dataSync()]).toEqual(grads[i].map((g) => Math.fround(Math.max(-1.25, Math.min(1.25, g)))));
    });
    expect(() => optim.clipGradValue_(params, -1)).toThrow(/clipGradValue_: clipValue must be a non-negative number, got -1/);
    ds.dispose(params.map((t) => [t, t.grad]));
  });
});
