import * as ds from '../../src';

const vals = (t: ds.Tensor | null) => [...t!.dataSync()];

describe('autograd', () => {
  test('gradients accumulate across backward calls until cleared', () => {
    const x = ds.tensor([1, 2, 3], undefined, { requiresGrad: true });
    x.mul(2).sum().backward();
    x.mul(x).sum().backward();
    expect(vals(x.grad)).toEqual([4, 6, 8]);
  });

  test('a tensor used twice receives both contributions', () => {
    const x = ds.tensor([3], undefined, { requiresGrad: true });
    const y = x.mul(x).add(x); // x² + x
    y.backward();
    expect(vals(x.grad)).toEqual([7]);
  });

  test('diamond graphs: shared intermediates are summed once each path', () => {
    const x = ds.tensor([2], undefined, { requiresGrad: true });
    const a = x.exp();
    const y = a.mul(a).add(a.sin()); // e^{2x} + sin(e^x)
    y.backward();
    const e = Math.exp(2);
    expect(x.grad!.itemSync()).toBeCloseTo(2 * e * e + Math.cos(e) * e, 3);
  });

  test('backward with a seed gradient for non-scalar outputs', () => {
    const x = ds.tensor([1, 2], undefined, { requiresGrad: true });
    const y = x.mul(3);
    expect(() => y.backward()).toThrow(/pass a gradient of that shape/);
    y.backward(ds.tensor([1, 10]));
    expect(vals(x.grad)).toEqual([3, 30]);
  });

  test('retainGrad keeps the gradient of an intermediate', () => {
    const x = ds.tensor([1, -2], undefined, { requiresGrad: true });
    const h = x.mul(2).retainGrad();
    h.relu().sum().backward();
    expect(vals(h.grad)).toEqual([1, 0]);
    expect(vals(x.grad)).toEqual([2, 0]);
  });

  test('noGrad records nothing; detach cuts the graph; enableGrad re-enables', () => {
    const x = ds.tensor([1], undefined, { requiresGrad: true });
    const y = ds.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(x.detach().requiresGrad).toBe(false);
    const z = ds.noGrad(() => ds.enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(ds.isGradEnabled()).toBe(true);
  });

  test('noGrad covers async functions without leaking into other chains', async () => {
    const x = ds.tensor([1], undefined, { requiresGrad: true });
    let inside = true;
    let outside = false;
    await Promise.all([
      ds.noGrad(async () => {
        await new Promise((r) => setTimeout(r, 5));
        inside = x.mul(2).requiresGrad;
      }),
      (async () => {
        await new Promise((r) => setTimeout(r, 1));
        outside = x.mul(2).requiresGrad;
      })(),
    ]);
    expect(inside).toBe(false);
    expect(outside).toBe(true);
  });

  test('a second backward through a freed graph is a clear error; retainGraph allows it', () => {
    const x = ds.tensor([1, 2], undefined, { requiresGrad: true });
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(vals(x.grad).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([2 * Math.E, 2 * Math.exp(2)].map((v) => Math.round(v * 1e4) / 1e4));
    expect(() => y.backward()).toThrow(/already freed by an earlier backward\(\)/);
  });

  test('functional grad: w.r.t. an input that does not require grad, leaving .grad alone', () => {
    const img = ds.tensor([[1, 2], [3, 4]]);
    const w = ds.tensor([[1, 0], [0, 2]], undefined, { requiresGrad: true });
    const [g] = ds.grad(() => img.mul(w).sum(), [img]);
    expect(g.arraySync()).toEqual([[1, 0], [0, 2]]);
    expect(img.requiresGrad).toBe(false);
    expect(w.grad).toBeNull();
  });

  test('functional grad w.r.t. intermediates and unused inputs', () => {
    const x = ds.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const h = x.mul(x);
    const y = h.sum().mul(2);
    const unused = ds.tensor([5], undefined, { requiresGrad: true });
    const [gh, gx, gu] = ds.grad(y, [h, x, unused]);
    expect(vals(gh)).toEqual([2, 2, 2]);
    expect(vals(gx)).toEqual([4, 8, 12]);
    expect(vals(gu)).toEqual([0]);
    expect(x.grad).toBeNull();
  });

  test('deep graphs (10,000 ops) backpropagate without recursion limits', () => {
    const x = ds.tensor([1], undefined, { requiresGrad: true });
    ds.tidy(() => {
      let y = x;
      for (let i = 0; i < 10000; i++) y = y.mul(1.0001);
      y.backward();
    });
    expect(x.grad!.itemSync()).toBeCloseTo(Math.pow(1.0001, 10000), 2);
  });

  test('disposing inputs after recording does not break backward (saved tensors are kept)', () => {
    const x = ds.tensor([2, 3], undefined, { requiresGrad: true });
    const h = x.exp();
    const y = h.mul(h).sum();
    h.dispose();
    y.backward();
    expect(vals(x.grad).map((v) => +v.toFixed(3))).toEqual([2 * Math.exp(4), 2 * Math.exp(6)].map((v) => +v.toFixed(3)));
  });

  test('requiresGrad_ only on float leaves', () => {
    const x = ds.tensor([1]);
    expect(x.requiresGrad_().requiresGrad).toBe(true);
    expect(() => x.mul(2).requiresGrad_()).toThrow(/only leaf tensors/);
    expect(() => ds.tensor([1], undefined, { dtype: 'int32' }).requiresGrad_()).toThrow(/only float32/);
    expect(() => ds.tensor([1]).backward()).toThrow(/does not require grad/);
  });

  test('leaf gradients survive the tidy scope they were computed in', () => {
    const w = ds.tensor([1, 2], undefined, { requiresGrad: true });
    ds.tidy(() => {
      w.mul(w).sum().backward();
    });
    expect(vals(w.grad)).toEqual([2, 4]);
  });
});

describe('in-place updates', () => {
  test('copy_ updates parameters under noGrad and is refused while recording', () => {
    const w = ds.tensor([1, 2], undefined, { requiresGrad: true });
    w.mul(w).sum().backward();
    ds.noGrad(() => w.copy_(w.sub(w.grad!.mul(0.5))));
    expect(vals(w)).toEqual([0, 0]);
    expect(() => w.copy_(ds.tensor([1, 1]))).toThrow(/wrap it in noGrad/);
    expect(() => ds.noGrad(() => w.copy_(ds.tensor([1])))).toThrow(/copy_: 'src' has shape \[1\] but the tensor has shape \[2\]/);
  });

  test('overwriting a tensor saved for backward is detected, not silently wrong', () => {
    const w = ds.tensor([1, 2], undefined, { requiresGrad: true });
    const z = w.mul(w).sum(); // mul saves w
    ds.noGrad(() => w.copy_(ds.tensor([5, 5])));
    expect(() => z.backward()).toThrow(/saved by 'mul' was modified in place/);
  });
});
