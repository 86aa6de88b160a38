/**
 * DataLoader and datasets: batch shapes, the last batch, coverage of every sample, seeded shuffles,
 * sync/async iteration, prefetch, custom datasets and collation, and memory over an epoch.
 */
import * as ds from '../../src';
import { expectError, settledMemory } from '../helpers';

const { DataLoader, TensorDataset, randperm, randpermAsync, defaultCollate } = ds.data;

/** A dataset whose samples are their own ids: x[i] = [i, i + 0.5] and y[i] = i (int32). */
function idDataset(n: number): ds.data.TensorDataset {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = i + 0.5;
  }
  return new TensorDataset(ds.tensor(x, [n, 2]), ds.arange(n));
}

function ids(batch: ds.Tensor[]): number[] {
  return Array.from(batch[1].dataSync());
}

function epochSync(loader: ds.data.DataLoader<ds.Tensor[]>): number[][] {
  const out: number[][] = [];
  for (const b of loader) {
    out.push(ids(b));
    ds.dispose(b);
  }
  return out;
}

async function epochAsync(loader: ds.data.DataLoader<ds.Tensor[]>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader) {
    out.push(Array.from(await b[1].data()));
    ds.dispose(b);
  }
  return out;
}

describe('randperm', () => {
  test('is a permutation, reproducible by seed, new on each call', async () => {
    const g = new ds.Generator(3);
    const a = randperm(1000, g);
    const b = randperm(1000, g);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from(b));
    const h = new ds.Generator(3);
    expect(Array.from(randperm(1000, h))).toEqual(Array.from(a));
    expect(Array.from(await randpermAsync(1000, h))).toEqual(Array.from(b));
    expect(randperm(0).length).toBe(0);
    expect(Array.from(randperm(1))).toEqual([0]);
    expect(() => randperm(-1)).toThrow(RangeError);
  });

  test('is roughly uniform: each value lands in each half about equally often', () => {
    const g = new ds.Generator(11);
    let first = 0;
    for (let t = 0; t < 400; t++) if (randperm(10, g)[0] < 5) first++;
    expect(first).toBeGreaterThan(150);
    expect(first).toBeLessThan(250);
  });
});

describe('TensorDataset', () => {
  test('get returns rows; bad inputs are refused', () => {
    ds.tidy(() => {
      const d = idDataset(5);
      expect(d.length).toBe(5);
      const [x, y] = d.get(3);
      expect(x.shape).toEqual([2]);
      expect(Array.from(x.dataSync())).toEqual([3, 3.5]);
      expect(y.shape).toEqual([]);
      expect(y.itemSync()).toBe(3);
      expect(d.get(-1)[1].itemSync()).toBe(4);
      expectError(() => d.get(5), RangeError, 'out of range');
      expectError(() => new TensorDataset(ds.zeros([3]), ds.zeros([4])), RangeError, 'first axes must match');
      expectError(() => new TensorDataset(ds.tensor(1)), RangeError, '0-d');
      expect(() => new TensorDataset()).toThrow(TypeError);
    });
  });
});

describe('DataLoader', () => {
  let data: ds.data.TensorDataset;
  beforeAll(() => {
    data = idDataset(10);
  });
  afterAll(() => data.dispose());

  test('batch shapes, length and the last batch with and without dropLast', () => {
    const loader = new DataLoader(data, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const shapes: number[][][] = [];
    for (const b of loader) {
      shapes.push(b.map((t) => [...t.shape]));
      expect(b[0].dtype).toBe('float32');
      expect(b[1].dtype).toBe('int32');
      ds.dispose(b);
    }
    expect(shapes).toEqual([
      [[4, 2], [4]],
      [[4, 2], [4]],
      [[2, 2], [2]],
    ]);
    expect(epochSync(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const drop = new DataLoader(data, { batchSize: 4, dropLast: true });
    expect(drop.length).toBe(2);
    expect(epochSync(drop)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(data).length).toBe(10);
    expect(new DataLoader(data, { batchSize: 10, dropLast: true }).length).toBe(1);
    expect(new DataLoader(data, { batchSize: 11, dropLast: true }).length).toBe(0);
    expect(epochSync(new DataLoader(data, { batchSize: 11, dropLast: true }))).toEqual([]);
  });

  test('rows travel together: x of each batch matches its ids', () => {
    for (const [x, y] of new DataLoader(data, { batchSize: 3, shuffle: true, generator: new ds.Generator(1) })) {
      const id = Array.from(y.dataSync());
      expect(Array.from(x.dataSync())).toEqual(id.flatMap((i) => [i, i + 0.5]));
      ds.dispose([x, y]);
    }
  });

  test('shuffled epochs visit every sample once, differ from each other and repeat by seed', async () => {
    const make = () => new DataLoader(data, { batchSize: 3, shuffle: true, generator: new ds.Generator(42) });
    const a = make();
    const e1 = epochSync(a);
    const e2 = epochSync(a);
    for (const e of [e1, e2]) {
      expect(e.map((b) => b.length)).toEqual([3, 3, 3, 1]);
      expect(e.flat().sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect(e1.flat()).not.toEqual(e2.flat());
    expect(e1.flat()).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The same seed gives the same sequence of epochs, synchronously or not.
    const b = make();
    expect(epochSync(b)).toEqual(e1);
    expect(await epochAsync(b)).toEqual(e2);
    // The global generator by default: manualSeed makes it reproducible too.
    ds.manualSeed(7);
    const g1 = epochSync(new DataLoader(data, { batchSize: 5, shuffle: true }));
    ds.manualSeed(7);
    const g2 = epochSync(new DataLoader(data, { batchSize: 5, shuffle: true }));
    expect(g1).toEqual(g2);
  });

  test('async iteration gives the same batches as sync iteration', async () => {
    const loader = new DataLoader(data, { batchSize: 4 });
    expect(await epochAsync(loader)).toEqual(epochSync(loader));
  });

  test('prefetch gives the same batches, sync and async', async () => {
    const base = epochSync(new DataLoader(data, { batchSize: 3, shuffle: true, generator: new ds.Generator(9) }));
    for (const prefetch of [1, 2, 10]) {
      const opts = { batchSize: 3, shuffle: true, prefetch };
      expect(epochSync(new DataLoader(data, { ...opts, generator: new ds.Generator(9) }))).toEqual(base);
      expect(await epochAsync(new DataLoader(data, { ...opts, generator: new ds.Generator(9) }))).toEqual(base);
    }
  });

  test('no memory growth over an epoch when batches are disposed or tidied', async () => {
    const big = idDataset(2000);
    try {
      const loader = new DataLoader(big, { batchSize: 64, shuffle: true, prefetch: 2, generator: new ds.Generator(0) });
      const run = async () => {
        for await (const batch of loader) {
          const [x] = batch;
          await ds.tidy(async () => {
            await x.mul(2).sum().data();
          });
          ds.dispose(batch);
        }
      };
      await run(); // warm-up
      const before = await settledMemory();
      await run();
      let after = await settledMemory();
      expect(after.tensors).toBe(before.tensors);
      expect(after.bytes).toBe(before.bytes);
      // Sync iteration inside a tidy: the batches belong to the scope and go with it.
      ds.tidy(() => {
        for (const [x, y] of loader) x.add(y.float().reshape([-1, 1]));
      });
      after = await settledMemory();
      expect(after.tensors).toBe(before.tensors);
      expect(after.bytes).toBe(before.bytes);
      // Async iteration inside an async tidy, with prefetch: the same.
      let seen = 0;
      await ds.tidy(async () => {
        for await (const [x] of loader) seen += x.shape[0];
        expect(ds.memory().cpu.tensors).toBeGreaterThan(before.tensors); // the batches are alive until the scope closes
      });
      expect(seen).toBe(2000);
      after = await settledMemory();
      expect(after.tensors).toBe(before.tensors);
      expect(after.bytes).toBe(before.bytes);
    } finally {
      big.dispose();
    }
  });

  test('breaking out of a loop frees the prefetched batches', async () => {
    const before = (await settledMemory()).tensors;
    const loader = new DataLoader(data, { batchSize: 2, prefetch: 3 });
    for (const b of loader) {
      ds.dispose(b);
      break;
    }
    expect(ds.memory().cpu.tensors).toBe(before);
    for await (const b of loader) {
      ds.dispose(b);
      break;
    }
    await new Promise((r) => setTimeout(r, 10)); // pending batches are freed when they settle
    expect((await settledMemory()).tensors).toBe(before);
  });

  test('a batch prefetched inside a closed tidy scope is still alive when handed out', () => {
    const loader = new DataLoader(data, { batchSize: 2, prefetch: 2 });
    const it = loader[Symbol.iterator]();
    const first = ds.tidy(() => it.next().value as ds.Tensor[]); // prefetches batches 1 and 2 in this scope
    const second = it.next().value as ds.Tensor[];
    expect(ids(first)).toEqual([0, 1]);
    expect(ids(second)).toEqual([2, 3]);
    ds.dispose([first, second]);
    it.return?.();
  });

  describe('custom datasets', () => {
    test('tuples of tensors and numbers are stacked; tensors made by get are freed', () => {
      const dataset: ds.data.Dataset<[ds.Tensor, number]> = {
        length: 5,
        get: (i) => [ds.full([2, 3], i), i * 10],
      };
      const before = ds.memory().cpu.tensors;
      const out: number[][] = [];
      for (const [x, y] of new DataLoader(dataset, { batchSize: 2 })) {
        expect(x.shape).toEqual([y.shape[0], 2, 3]);
        expect(y.dtype).toBe('float32');
        out.push(Array.from(y.dataSync()));
        const xs = Array.from(x.dataSync());
        expect(xs).toEqual(Array.from(y.dataSync()).flatMap((v) => new Array<number>(6).fill(v / 10)));
        ds.dispose([x, y]);
      }
      expect(out).toEqual([[0, 10], [20, 30], [40]]);
      expect(ds.memory().cpu.tensors).toBe(before);
    });

    test('tensors a dataset holds are left alone', () => {
      const rows = [ds.tensor([1, 2]), ds.tensor([3, 4]), ds.tensor([5, 6])];
      const dataset: ds.data.Dataset<ds.Tensor> = { length: 3, get: (i) => rows[i] };
      const batches = [...new DataLoader(dataset, { batchSize: 3 })];
      expect(batches[0].arraySync()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(rows.every((r) => !r.isDisposed)).toBe(true);
      ds.dispose([batches, rows]);
    });

    test('objects and typed arrays; async get with for await and prefetch', async () => {
      const dataset: ds.data.Dataset<{ image: ds.Tensor; label: Int32Array; feat: Float32Array }> = {
        length: 7,
        get: async (i) => {
          await new Promise((r) => setTimeout(r, (7 - i) % 3)); // finish out of order
          return { image: ds.full([1, 2, 2], i), label: Int32Array.of(i), feat: Float32Array.of(i, -i) };
        },
      };
      const before = (await settledMemory()).tensors;
      const seen: number[] = [];
      for await (const b of new DataLoader(dataset, { batchSize: 3, prefetch: 2, shuffle: true, generator: new ds.Generator(2) })) {
        expect(b.image.shape).toEqual([b.label.shape[0], 1, 2, 2]);
        expect(b.label.dtype).toBe('int32');
        expect(b.feat.shape).toEqual([b.label.shape[0], 2]);
        const lab = Array.from(b.label.dataSync());
        expect(Array.from(b.image.dataSync()).filter((_, k) => k % 4 === 0)).toEqual(lab);
        seen.push(...lab);
        ds.dispose(b);
      }
      expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect((await settledMemory()).tensors).toBe(before);
      // Sync iteration refuses an async dataset.
      expect(() => [...new DataLoader(dataset, { batchSize: 2 })]).toThrow(/for await/);
    });

    test('a failing get rejects the loop', async () => {
      const dataset: ds.data.Dataset<number> = {
        length: 4,
        get: async (i) => {
          if (i === 2) throw new Error('cannot read sample 2');
          return i;
        },
      };
      const loop = async () => {
        for await (const b of new DataLoader(dataset, { batchSize: 1, prefetch: 2 })) ds.dispose(b);
      };
      await expect(loop()).rejects.toThrow('cannot read sample 2');
    });

    test('a custom collate', () => {
      const dataset: ds.data.Dataset<[number, number]> = { length: 4, get: (i) => [i, i % 2] };
      const collate = (s: [number, number][]): [ds.Tensor, ds.Tensor] => [
        ds.tensor(s.map((v) => v[0])),
        ds.tensor(Int32Array.from(s.map((v) => v[1]))),
      ];
      const [b] = [...new DataLoader(dataset, { batchSize: 4, collate })];
      expect(b[1].dtype).toBe('int32');
      expect(Array.from(b[1].dataSync())).toEqual([0, 1, 0, 1]);
      ds.dispose(b);
    });
  });

  test('defaultCollate errors and bad options', () => {
    expect(() => defaultCollate([])).toThrow(RangeError);
    expect(() => defaultCollate([Float32Array.of(1, 2), Float32Array.of(1)])).toThrow(/length 2/);
    expect(() => defaultCollate(['a' as unknown as number])).toThrow(TypeError);
    expect(() => new DataLoader(data, { batchSize: 0 })).toThrow(RangeError);
    expect(() => new DataLoader(data, { prefetch: -1 })).toThrow(RangeError);
    expect(() => new DataLoader({} as ds.data.Dataset)).toThrow(TypeError);
  });

  test('an MNIST epoch: shapes and throughput', async () => {
    const { train, test } = ds.data.mnist();
    try {
      const loader = new DataLoader(train, { batchSize: 64, shuffle: true, generator: new ds.Generator(0) });
      expect(loader.length).toBe(125);
      const t0 = Date.now();
      let n = 0;
      for await (const [x, y] of loader) {
        if (n === 0) expect([x.shape, y.shape]).toEqual([[64, 1, 28, 28], [64]]);
        n += y.shape[0];
        ds.dispose([x, y]);
      }
      ds.synchronize();
      expect(n).toBe(8000);
      expect(Date.now() - t0).toBeLessThan(5000); // ~100 ms on one core
    } finally {
      train.dispose();
      test.dispose();
    }
  });
});
