import * as ds from '../../src';

describe('streams', () => {
  test('ops return before they run; many queued ops then one read', async () => {
    let x = ds.zeros([256, 256]);
    const chain: ds.Tensor[] = [];
    for (let i = 0; i < 200; i++) {
      x = x.add(1);
      chain.push(x);
    }
    const v = await x.data();
    expect(v[0]).toBe(200);
    expect(v[v.length - 1]).toBe(200);
    ds.dispose(chain);
  });

  test('disposing inputs while their ops are queued is safe', async () => {
    const a = ds.randn([512, 512], { generator: new ds.Generator(1) });
    const expected = a.sum().itemSync() * 2;
    const b = a.mul(2);
    a.dispose();
    const s = b.sum();
    b.dispose();
    expect(await s.item()).toBeCloseTo(expected, 0);
  });

  test('reads from two async chains at once', async () => {
    const chain = async (seed: number) => {
      let t = ds.full([1000], seed);
      for (let i = 0; i < 50; i++) {
        const n = t.add(1);
        t.dispose();
        t = n;
        if (i % 10 === 0) await t.data();
      }
      return (await t.data())[999];
    };
    const [a, b] = await Promise.all([chain(1), chain(100)]);
    expect(a).toBe(51);
    expect(b).toBe(150);
  });

  test('the event loop keeps turning while a long op runs', async () => {
    const big = ds.randn([2000, 2000], { generator: new ds.Generator(2) });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let t = big;
    for (let i = 0; i < 20; i++) t = t.exp().log();
    await t.data();
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  test('dataInto reuses a caller buffer and checks its size', async () => {
    const buf = new Float32Array(4);
    const x = ds.tensor([1, 2, 3, 4]);
    expect(await x.mul(2).dataInto(buf)).toBe(buf);
    expect([...buf]).toEqual([2, 4, 6, 8]);
    await x.add(1).dataInto(buf);
    expect([...buf]).toEqual([2, 3, 4, 5]);
    await expect(x.dataInto(new Float32Array(3))).rejects.toThrow(/dataInto: target holds 12 bytes but the tensor of shape \[4\] has 16/);
  });

  test('data(), dataSync(), item() and array() agree', async () => {
    const x = ds.tensor([[1, 2], [3, 4]]);
    expect([...(await x.data())]).toEqual([...x.dataSync()]);
    expect(await x.array()).toEqual([[1, 2], [3, 4]]);
    expect(await x.sum().item()).toBe(10);
    await expect(x.item()).rejects.toThrow(/item: only one-element tensors/);
  });

  test('a kernel-time failure rejects the read of every tensor it touched, naming the op, and the process survives', async () => {
    // An out-of-range cast target cannot be expressed from JS; a deliberately inconsistent native call can.
    const { native } = await import('../../src/native');
    const x = ds.ones([4]);
    const wrong = ds.zeros([3]);
    native.run('relu', [x._h()], [wrong._h()], {});
    await expect(wrong.data()).rejects.toThrow(/relu: internal check failed/);
    const downstream = wrong.add(1);
    await expect(downstream.data()).rejects.toThrow(/relu/);
    expect(() => downstream.dataSync()).toThrow(/relu/);
    expect([...(await x.add(1).data())]).toEqual([2, 2, 2, 2]);
  });
});
