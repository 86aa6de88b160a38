import * as ds from '../../src';

describe('memory', () => {
  test('10,000 small ops in a tidy loop leave memory() where it started', () => {
    const w = ds.randn([8, 8], { requiresGrad: true });
    ds.synchronize();
    const before = ds.memory().cpu;
    for (let i = 0; i < 10000; i++) {
      ds.tidy(() => {
        const y = w.mul(1.5).add(i).relu().sum();
        if (i % 1000 === 0) y.backward();
      });
    }
    w.grad?.dispose();
    w.grad = null;
    ds.synchronize();
    const after = ds.memory().cpu;
    expect(after.tensors).toBe(before.tensors);
    expect(after.storages).toBe(before.storages);
    expect(after.bytes).toBe(before.bytes);
  });

  test('tidy keeps what it returns (arrays and objects), keep() exempts, dispose() frees', () => {
    ds.synchronize();
    const start = ds.memory().cpu.tensors;
    const { a, list } = ds.tidy(() => {
      const tmp = ds.ones([3]);
      const kept = ds.keep(tmp.mul(2));
      return { a: tmp.add(1), list: [kept, tmp.mul(3)] };
    });
    expect([...a.dataSync()]).toEqual([2, 2, 2]);
    expect([...list[0].dataSync()]).toEqual([2, 2, 2]);
    expect(ds.memory().cpu.tensors).toBe(start + 3);
    ds.dispose([a, list]);
    expect(ds.memory().cpu.tensors).toBe(start);
    expect(a.isDisposed).toBe(true);
  });

  test('nested tidy moves returned tensors to the outer scope', () => {
    const start = ds.memory().cpu.tensors;
    ds.tidy(() => {
      const inner = ds.tidy(() => ds.ones([2]).mul(2));
      expect(inner.isDisposed).toBe(false);
    });
    expect(ds.memory().cpu.tensors).toBe(start);
  });

  test('async tidy scopes are isolated from each other', async () => {
    // Checked on the tensors themselves: the global count may move meanwhile as the finalizer collects
    // garbage of earlier tests.
    const made: ds.Tensor[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = ds.tidy(async () => {
      const t = ds.ones([4]);
      made.push(t);
      await gate;
      return t.add(1);
    });
    const fast = ds.tidy(async () => {
      const t = ds.ones([4]);
      made.push(t);
      await new Promise((r) => setTimeout(r, 1));
      return (await t.data())[0];
    });
    expect(await fast).toBe(1);
    // The fast scope closed while the slow one was still running: only its own tensor is gone.
    expect(made.map((t) => t.isDisposed)).toEqual([false, true]);
    release();
    const s = await slow;
    expect(made.every((t) => t.isDisposed)).toBe(true);
    expect([...(await s.data())]).toEqual([2, 2, 2, 2]);
    s.dispose();
  });

  test('tidy disposes its tensors when the function throws', () => {
    const start = ds.memory().cpu.tensors;
    expect(() =>
      ds.tidy(() => {
        ds.ones([3]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(ds.memory().cpu.tensors).toBe(start);
  });

  test('a graph is freed when its outputs are disposed without backward', () => {
    ds.synchronize();
    const before = ds.memory().cpu;
    const x = ds.randn([100], { requiresGrad: true });
    // The intermediates are disposed by tidy, but y's graph keeps what backward would need.
    const y = ds.tidy(() => x.exp().mul(x).sin().sum());
    x.dispose();
    ds.synchronize();
    expect(ds.memory().cpu.bytes).toBeGreaterThan(before.bytes + 3 * 400);
    y.dispose();
    ds.synchronize();
    expect(ds.memory().cpu.bytes).toBe(before.bytes);
  });

  test('dispose twice is harmless; using a disposed tensor is a TypeError naming the op', () => {
    const x = ds.ones([2, 2]);
    x.dispose();
    x.dispose();
    expect(() => x.add(1)).toThrow(TypeError);
    expect(() => x.add(1)).toThrow(/add: argument 'input' is a disposed tensor \(shape \[2, 2\]\)/);
    expect(() => x.dataSync()).toThrow(/dataSync: .* disposed/);
  });

  test('host memory figures follow allocations', () => {
    ds.synchronize();
    const before = ds.memory().cpu.bytes;
    const big = ds.zeros([1024, 1024]);
    expect(ds.memory().cpu.bytes - before).toBe(4 * 1024 * 1024);
    big.dispose();
    ds.synchronize();
    expect(ds.memory().cpu.bytes).toBe(before);
  });
});

describe('finalizer safety net', () => {
  test('tensors dropped without dispose are freed by garbage collection', () => {
    // A child process with --expose-gc, against the built package.
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const path = require('path') as typeof import('path');
    const script = `
      const ds = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'lib'))});
      ds.synchronize();
      const before = ds.memory().cpu;
      (function () { for (let i = 0; i < 200; i++) ds.ones([1000]).add(1); })();
      const during = ds.memory().cpu;
      const settle = (n) => { global.gc(); if (n === 0) { ds.synchronize(); console.log(JSON.stringify({ before, during, after: ds.memory().cpu })); } else setTimeout(() => settle(n - 1), 10); };
      settle(20);`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { before, during, after } = JSON.parse(r.stdout);
    expect(during.bytes - before.bytes).toBe(400 * 4000);
    expect(after.bytes).toBe(before.bytes);
    expect(after.tensors).toBe(before.tensors);
  });
});
