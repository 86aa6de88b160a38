import * as ds from '../../src';

// The loop's figure is a rate, so it cannot be checked against a known value; what can fail: a loop the
// compiler collapsed (absurdly high), a mis-counted thread or ISA, or a broken calibration (absurdly low).
// 2 FLOP × 16 lanes × 2 FMA ports × 6 GHz bounds one AVX-512 core at 384 GFLOP/s.
test('measureCpuPeak reports a plausible FP32 rate for the active ISA', async () => {
  const one = await ds.measureCpuPeak({ threads: 1, millis: 100 });
  expect(one.isa).toBe(ds.cpuInfo().active);
  expect(one.threads).toBe(1);
  expect(one.gflops).toBeGreaterThan(1);
  expect(one.gflops).toBeLessThan(400);
  expect(one.seconds).toBeGreaterThan(0.03);
  expect(one.seconds).toBeLessThan(5);
});

test('measureCpuPeak runs off the JS thread', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await ds.measureCpuPeak({ threads: 1, millis: 200 });
  clearInterval(timer);
  expect(ticks).toBeGreaterThan(3);
});

test('measureCpuPeak rejects bad options with RangeErrors naming them', async () => {
  await expect(ds.measureCpuPeak({ threads: 0 })).rejects.toThrow(RangeError);
  await expect(ds.measureCpuPeak({ threads: 1.5 })).rejects.toThrow(/measureCpuPeak: option 'threads'/);
  await expect(ds.measureCpuPeak({ millis: -1 })).rejects.toThrow(/measureCpuPeak: option 'millis'/);
  await expect(ds.measureCpuPeak({ millis: Number.NaN })).rejects.toThrow(RangeError);
});
