/**
 * The CUDA plumbing: device query, allocator, stream, copies, the fill kernel and out-of-memory handling.
 * Skips, saying why, where no GPU is present.
 */
import * as ds from '../../src';

const info = ds.cuda.info();

describe('CUDA runtime', () => {
  test('info() always answers, with a reason when unavailable', () => {
    expect(typeof info.available).toBe('boolean');
    if (!info.available) expect(info.reason).not.toBe('');
    else expect(info.devices.length).toBeGreaterThan(0);
  });

  if (!info.available) {
    test.skip(`skipped: CUDA unavailable (${info.reason})`, () => undefined);
    return;
  }

  test('round trip CPU → CUDA → CPU, fill on the device', async () => {
    const x = ds.tensor([[1, 2, 3], [4, 5, 6]]);
    const g = x.to('cuda');
    expect(g.device.toString()).toBe('cuda:0');
    expect(await g.to('cpu').array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect([...(await g.data())]).toEqual([1, 2, 3, 4, 5, 6]);
    const f = ds.full([1000, 1000], 2.5, { device: 'cuda' });
    const h = f.dataSync();
    expect(h[0]).toBe(2.5);
    expect(h[h.length - 1]).toBe(2.5);
    expect(ds.zeros([5], { dtype: 'int32', device: 'cuda' }).dataSync()).toEqual(new Int32Array(5));
  });

  test('memory figures and the caching allocator', () => {
    ds.synchronize();
    const before = ds.memory().cuda;
    const t = ds.zeros([1 << 20], { device: 'cuda' });
    expect(ds.memory().cuda.bytes - before.bytes).toBe(4 << 20);
    expect(ds.memory().cuda.tensors).toBe(before.tensors + 1);
    t.dispose();
    ds.synchronize();
    expect(ds.memory().cuda.bytes).toBe(before.bytes);
    expect(ds.cuda.info().reservedBytes).toBeGreaterThanOrEqual(4 << 20);
    ds.cuda.emptyCache();
    expect(ds.cuda.info().reservedBytes).toBeLessThan(4 << 20);
  });

  test('out of memory is a RangeError naming the bytes; the process survives and later work succeeds', () => {
    const total = info.devices[0].totalMemory;
    expect(() => ds.zeros([Math.ceil((2 * total) / 4)], { device: 'cuda' })).toThrow(/CUDA out of memory: cannot allocate \d+ bytes/);
    expect(ds.ones([3], { device: 'cuda' }).dataSync()).toEqual(Float32Array.from([1, 1, 1]));
  });

  test('ops without a CUDA kernel yet say so', () => {
    const g = ds.ones([2], { device: 'cuda' });
    const missing = ds.opTable().find((r) => !r.cuda);
    if (missing?.name === 'relu') expect(() => g.relu()).toThrow(/relu: not implemented on cuda:0/);
  });
});
