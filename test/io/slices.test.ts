/**
 * The native byte-range copies behind the streaming safetensors reader and writer (`readInto` with a
 * byte offset, `writeFrom`), and files whose tensors span several 8 MB slices, F32 and converted (F16,
 * I64), compared value by value.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { native } from '../../src/native';

let dir: string;

/** The first index where the arrays differ, or -1 (jest's deep equality is far too slow for millions). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-slices-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readInto / writeFrom at byte offsets', () => {
  test('a slice out, a slice in, in stream order with the ops around them', async () => {
    const t = ds.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10]).mul(1); // queued op: the slice copies must wait for it
    const out = new Float32Array(3);
    await native.readInto(t._h(), out, 4 * 4);
    expect([...out]).toEqual([4, 5, 6]);
    const src = new Float32Array([-1, -2]);
    const same = await native.writeFrom(t._h(), src, 8 * 4);
    expect(same).toBe(src);
    const after = t.add(1); // queued after the write: sees it
    expect([...after.dataSync()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, -1]);
    expect([...t.dataSync()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, -1, -2]);
    ds.dispose([t, after]);
  });

  test('without an offset the array must match the whole tensor; ranges must lie inside it', async () => {
    const t = ds.zeros([4]);
    expect(() => native.readInto(t._h(), new Float32Array(3))).toThrow(/readInto: the array holds 12 bytes, the tensor 16/);
    expect(() => native.writeFrom(t._h(), new Float32Array(2), 12)).toThrow(/writeFrom: 8 bytes at byte offset 12 run past the tensor's 16 bytes/);
    expect(() => native.readInto(t._h(), new Float32Array(1), 20)).toThrow(/readInto: byte offset must be an integer in \[0, 16\]/);
    expect(() => native.writeFrom(t._h(), new Float32Array(1), 1.5)).toThrow(/writeFrom: byte offset must be an integer/);
    expect(() => native.writeFrom(t._h(), [1] as unknown as Float32Array, 0)).toThrow(/writeFrom: the array must be a typed array/);
    await expect(native.writeFrom(t._h(), new Float32Array(0), 16)).resolves.toHaveLength(0);
    t.dispose();
  });
});

describe('files with tensors of several slices', () => {
  const n = 3_000_001; // 12 MB as F32: two slices and a remainder; odd, so slices end mid-way
  test('F32 written and read back exactly', async () => {
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
    const t = ds.tensor(values, [n]);
    const file = path.join(dir, 'f32.safetensors');
    await ds.io.writeSafetensors(file, { big: t, small: ds.tensor([1, 2, 3], [3]) });
    const { tensors } = await ds.io.readSafetensors(file);
    expect(firstDifference(tensors.get('big')!.dataSync(), values)).toBe(-1);
    expect([...tensors.get('small')!.dataSync()]).toEqual([1, 2, 3]);
    ds.dispose([t, ...tensors.values()]);
  });

  test('F16 and I64 converted slice by slice', async () => {
    // F16: 4,200,000 halves (8.4 MB of file) whose values are exact in half precision.
    const m = 4_200_000;
    const halves = new Uint16Array(m);
    const expectF = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const k = i % 2048; // 1 + k/1024 · 2^(e−15) with e = 15: the values 1 .. 2 in steps of 1/1024, and signs
      halves[i] = (i % 3 === 0 ? 0x8000 : 0) | (15 << 10) | (k & 0x3ff);
      expectF[i] = (i % 3 === 0 ? -1 : 1) * (1 + (k & 0x3ff) / 1024);
    }
    const longs = new BigInt64Array(1_100_000); // 8.8 MB
    for (let i = 0; i < longs.length; i++) longs[i] = BigInt(i - 500_000);
    const header = Buffer.from(
      JSON.stringify({
        h: { dtype: 'F16', shape: [m], data_offsets: [0, 2 * m] },
        l: { dtype: 'I64', shape: [longs.length], data_offsets: [2 * m, 2 * m + 8 * longs.length] },
      }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const file = path.join(dir, 'mixed.safetensors');
    fs.writeFileSync(file, Buffer.concat([len, header, Buffer.from(halves.buffer), Buffer.from(longs.buffer)]));
    const { tensors } = await ds.io.readSafetensors(file);
    expect(tensors.get('h')!.dtype).toBe('float32');
    expect(firstDifference(tensors.get('h')!.dataSync(), expectF)).toBe(-1);
    const l = tensors.get('l')!.dataSync();
    expect(tensors.get('l')!.dtype).toBe('int32');
    expect(l[0]).toBe(-500_000);
    expect(l[l.length - 1]).toBe(longs.length - 1 - 500_000);
    expect(l[1_048_577]).toBe(1_048_577 - 500_000); // past the first slice
    ds.dispose([...tensors.values()]);
  });
});
