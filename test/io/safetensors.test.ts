/**
 * safetensors: round trips, a file assembled byte by byte from the spec (with dtype conversions), every
 * corruption the reader must reject, and fuzzing (random byte flips and truncations of a valid file must
 * each load or reject cleanly).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { rng, settledMemory } from '../helpers';

const { io } = ds;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-safetensors-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string) => path.join(dir, name);

/** Assembles a file from a header object (or raw header text) and data bytes, padding the header with spaces. */
function assemble(header: unknown, data: Uint8Array | number[], { pad = true }: { pad?: boolean } = {}): Buffer {
  let h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  if (pad) {
    const p = (8 - ((8 + h.length) % 8)) % 8;
    h = Buffer.concat([h, Buffer.alloc(p, 0x20)]);
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, Buffer.from(data)]);
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));

describe('round trip', () => {
  test('names, shapes, dtypes, values (NaN, ±Inf, −0, subnormals) and metadata survive', async () => {
    const f = tmp('rt.safetensors');
    const special = new Float32Array([NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38, 1 / 3]);
    const dict = new Map<string, ds.Tensor>([
      ['conv.weight', ds.randn([4, 3, 2, 2], { generator: new ds.Generator(1) })],
      ['special', ds.tensor(special)],
      ['labels', ds.tensor(new Int32Array([-2147483648, 2147483647, 0, -1]), [2, 2])],
      ['scalar', ds.tensor(2.5)],
      ['empty', ds.zeros([0, 3])],
      ['ünïcode "quoted" \\ name', ds.ones([1, 1, 1, 1, 1, 2])],
      ['__proto__', ds.full([3], 7)],
    ]);
    const metadata = { format: 'pt', epoch: '12', 'with "quotes"': 'and\nnewline' };
    await io.writeSafetensors(f, dict, metadata);

    const raw = fs.readFileSync(f);
    const n = Number(raw.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0); // header padded to 8 bytes
    expect(raw[8]).toBe(0x7b);
    const header = await io.readSafetensorsHeader(f);
    expect(header.entries.map((e) => e.name)).toEqual([...dict.keys()]);
    expect(header.entries.find((e) => e.name === 'labels')!.dtype).toBe('I32');

    const { tensors, metadata: meta } = await io.readSafetensors(f);
    expect(meta).toEqual(metadata);
    expect([...tensors.keys()]).toEqual([...dict.keys()]);
    for (const [k, t] of dict) {
      const u = tensors.get(k)!;
      expect(u.shape).toEqual(t.shape);
      expect(u.dtype).toBe(t.dtype);
      expect(Buffer.from(bytesOf(u.dataSync())).equals(Buffer.from(bytesOf(t.dataSync())))).toBe(true);
    }
    ds.dispose([[...dict.values()], [...tensors.values()]]);
  });

  test('a plain object works as the dict; no metadata writes no __metadata__', async () => {
    const f = tmp('obj.safetensors');
    const a = ds.tensor([1, 2, 3]);
    await io.writeSafetensors(f, { a });
    expect(fs.readFileSync(f).toString('latin1')).not.toContain('__metadata__');
    const { tensors, metadata } = await io.readSafetensors(f, { device: 'cpu' });
    expect(metadata).toEqual({});
    expect([...tensors.get('a')!.dataSync()]).toEqual([1, 2, 3]);
    ds.dispose([a, [...tensors.values()]]);
  });

  test('writer validation', async () => {
    const a = ds.tensor([1]);
    await expect(io.writeSafetensors(tmp('x'), { __metadata__: a })).rejects.toThrow(/'__metadata__' cannot name a tensor/);
    await expect(io.writeSafetensors(tmp('x'), { a }, { n: 3 as never })).rejects.toThrow(/metadata 'n' must be a string/);
    const b = ds.tensor([1]);
    b.dispose();
    await expect(io.writeSafetensors(tmp('x'), { b })).rejects.toThrow(/writeSafetensors: argument 'b' is a disposed tensor/);
    expect(fs.existsSync(tmp('x'))).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    a.dispose();
  });
});

describe('a file written by hand from the spec', () => {
  test('F32, I32, F64, F16, BF16, F8, I64, U64, U32, I16, U16, I8, U8, BOOL load with the stated conversions', async () => {
    const parts: [string, string, number[], Uint8Array][] = [];
    const add = (name: string, dtype: string, shape: number[], data: Uint8Array) => parts.push([name, dtype, shape, data]);
    add('f32', 'F32', [2], bytesOf(new Float32Array([1.5, -2])));
    add('i32', 'I32', [2, 1], bytesOf(new Int32Array([7, -9])));
    add('f64', 'F64', [3], bytesOf(new Float64Array([1 / 3, -2.5, 1e300])));
    // half: 1, -2, 65504 (max), 2^-24 (smallest subnormal), +inf, NaN
    add('f16', 'F16', [6], bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00])));
    // bfloat16 is the top half of a float32: 1, 3.140625, -123.5
    add('bf16', 'BF16', [3], bytesOf(new Uint16Array([0x3f80, 0x4049, 0xc2f7])));
    // E5M2 is the top byte of a half: 1, -2; E4M3 (bias 7): 0x38 = 1, 0xc4 = -3, 0x01 = 2^-9, 0x7f = NaN
    add('f8e5m2', 'F8_E5M2', [2], new Uint8Array([0x3c, 0xc0]));
    add('f8e4m3', 'F8_E4M3', [4], new Uint8Array([0x38, 0xc4, 0x01, 0x7f]));
    add('i64', 'I64', [3], bytesOf(new BigInt64Array([-5n, 2147483647n, -2147483648n])));
    add('u64', 'U64', [1], bytesOf(new BigUint64Array([123n])));
    add('u32', 'U32', [1], bytesOf(new Uint32Array([2147483647])));
    add('i16', 'I16', [2], bytesOf(new Int16Array([-32768, 5])));
    add('u16', 'U16', [1], bytesOf(new Uint16Array([65535])));
    add('i8', 'I8', [2], bytesOf(new Int8Array([-128, 127])));
    add('u8', 'U8', [1, 2], new Uint8Array([0, 255]));
    add('bool', 'BOOL', [3], new Uint8Array([1, 0, 1]));
    add('zero', 'F16', [0, 4], new Uint8Array(0));
    let off = 0;
    const header: Record<string, unknown> = { __metadata__: { who: 'hand' } };
    for (const [name, dtype, shape, data] of parts) {
      header[name] = { dtype, shape, data_offsets: [off, off + data.length] };
      off += data.length;
    }
    const f = tmp('hand.safetensors');
    fs.writeFileSync(f, assemble(header, cat(...parts.map((p) => p[3]))));
    const { tensors, metadata } = await io.readSafetensors(f);
    expect(metadata).toEqual({ who: 'hand' });
    const v = (k: string) => [...tensors.get(k)!.dataSync()];
    const dt = (k: string) => tensors.get(k)!.dtype;
    expect(v('f32')).toEqual([1.5, -2]);
    expect(v('i32')).toEqual([7, -9]);
    expect(tensors.get('i32')!.shape).toEqual([2, 1]);
    expect(v('f64')).toEqual([Math.fround(1 / 3), -2.5, Infinity]);
    expect(v('f16')).toEqual([1, -2, 65504, 2 ** -24, Infinity, NaN]);
    expect(v('bf16')).toEqual([1, 3.140625, -123.5]);
    expect(v('f8e5m2')).toEqual([1, -2]);
    expect(v('f8e4m3')).toEqual([1, -3, 2 ** -9, NaN]);
    expect(v('i64')).toEqual([-5, 2147483647, -2147483648]);
    expect(v('u64')).toEqual([123]);
    expect(v('u32')).toEqual([2147483647]);
    expect(v('i16')).toEqual([-32768, 5]);
    expect(v('u16')).toEqual([65535]);
    expect(v('i8')).toEqual([-128, 127]);
    expect(v('u8')).toEqual([0, 255]);
    expect(v('bool')).toEqual([1, 0, 1]);
    expect(tensors.get('zero')!.shape).toEqual([0, 4]);
    for (const k of ['f32', 'f64', 'f16', 'bf16', 'f8e5m2', 'f8e4m3', 'zero']) expect(dt(k)).toBe('float32');
    for (const k of ['i32', 'i64', 'u64', 'u32', 'i16', 'u16', 'i8', 'u8', 'bool']) expect(dt(k)).toBe('int32');
    ds.dispose([...tensors.values()]);
  });

  test('an unpadded header, and one padded with spaces beyond alignment, both load', async () => {
    const data = bytesOf(new Float32Array([4]));
    for (const [name, text] of [
      ['unpadded', '{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}'],
      ['spaces', '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}                 '],
    ]) {
      const f = tmp(`${name}.safetensors`);
      fs.writeFileSync(f, assemble(text, data, { pad: false }));
      const { tensors } = await io.readSafetensors(f);
      expect([...tensors.get('x')!.dataSync()]).toEqual([4]);
      ds.dispose([...tensors.values()]);
    }
  });
});

describe('corrupt files reject with one Error naming the file and the problem', () => {
  const entry = (dtype: string, shape: number[], offs: number[]) => ({ dtype, shape, data_offsets: offs });
  const d8 = new Uint8Array(8);
  const cases: [string, Buffer, RegExp][] = [
    ['empty file', Buffer.alloc(0), /the file is 0 bytes, too short for the 8-byte header length/],
    ['5 bytes', Buffer.alloc(5), /too short for the 8-byte header length/],
    ['header length beyond the file', (() => { const b = assemble({}, []); b.writeBigUInt64LE(1000n); return b; })(), /the header length 1000 exceeds the 8 bytes after the length field/],
    ['header length 2^64 − 1', (() => { const b = assemble({}, []); b.writeBigUInt64LE(2n ** 64n - 1n); return b; })(), /the header length 18446744073709551615 exceeds/],
    ['header length 0', (() => { const b = Buffer.alloc(8); return b; })(), /the header length 0 is too small/],
    ['invalid JSON', assemble('{"a": {"dtype": "F32",', []), /the header is not valid JSON \(invalid JSON at character/],
    ['not starting with {', assemble(' {}', []), /the header does not start with '\{'/],
    ['trailing characters after the object', assemble('{"a":1} [1]', [], { pad: false }), /trailing characters/],
    ['invalid UTF-8', (() => { const h = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]); const l = Buffer.alloc(8); l.writeBigUInt64LE(8n); return Buffer.concat([l, h]); })(), /the header is not valid UTF-8/],
    ['duplicate names', assemble('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', d8), /duplicate key "a"/],
    ['unknown dtype', assemble({ a: entry('F99', [2], [0, 8]) }, d8), /tensor "a": unknown or unsupported dtype "F99"/],
    ['missing dtype', assemble({ a: { shape: [2], data_offsets: [0, 8] } }, d8), /tensor "a": 'dtype' is missing/],
    ['negative shape', assemble({ a: entry('F32', [-2], [0, 8]) }, d8), /tensor "a": 'shape' is not an array of non-negative integers/],
    ['fractional offset', assemble({ a: entry('F32', [2], [0, 7.5]) }, d8), /'data_offsets' is not a pair of non-negative integers/],
    ['three offsets', assemble({ a: entry('F32', [2], [0, 4, 8]) }, d8), /'data_offsets' is not a pair/],
    ['offsets backwards', assemble({ a: entry('F32', [0], [8, 0]) }, d8), /data_offsets \[8, 0\] run backwards/],
    ['offsets past the data', assemble({ a: entry('F32', [4], [0, 16]) }, d8), /data_offsets \[0, 16\] run past the 8-byte data section/],
    ['huge lying shape', assemble({ a: entry('F32', [1e9, 1e9], [0, 8]) }, d8), /shape \[1000000000, 1000000000\] of F32 needs 4000000000000000000 bytes but data_offsets \[0, 8\] hold 8|too many elements/],
    ['shape × dtype ≠ range', assemble({ a: entry('F64', [2], [0, 8]) }, d8), /tensor "a": shape \[2\] of F64 needs 16 bytes but data_offsets \[0, 8\] hold 8/],
    ['overlap (sized)', assemble({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, new Uint8Array(12)), /tensor "b": data_offsets \[4, 12\] overlap the previous tensor, which ends at byte 8/],
    ['gap', assemble({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, new Uint8Array(12)), /tensor "b": data_offsets \[8, 12\] leave a gap after byte 4/],
    ['trailing bytes', assemble({ a: entry('F32', [1], [0, 4]) }, d8), /the tensors cover 4 bytes but the data section has 8/],
    ['truncated data', assemble({ a: entry('F32', [4], [0, 16]) }, d8), /run past the 8-byte data section \(truncated file\?\)/],
    ['metadata not strings', assemble({ __metadata__: { a: 1 } }, []), /metadata "a" is not a string/],
    ['metadata not an object', assemble({ __metadata__: 'x' }, []), /'__metadata__' is not an object/],
    ['entry not an object', assemble({ a: [1, 2] }, []), /tensor "a": the entry is not an object/],
    ['rank 7', assemble({ a: entry('F32', [1, 1, 1, 1, 1, 1, 1], [0, 4]) }, new Uint8Array(4)), /rank 7; at most 6 is supported/],
    ['deep nesting', assemble(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`, []), /nesting deeper than 64/],
    ['I64 out of int32 range', assemble({ big: entry('I64', [2], [0, 16]) }, bytesOf(new BigInt64Array([1n, 2n ** 40n]))), /tensor "big": I64 value 1099511627776 at index 1 is outside the int32 range/],
    ['U32 out of int32 range', assemble({ u: entry('U32', [1], [0, 4]) }, bytesOf(new Uint32Array([4294967295]))), /tensor "u": U32 value 4294967295 at index 0 is outside the int32 range/],
  ];
  test.each(cases)('%s', async (name, bytes, msg) => {
    const f = tmp(`bad-${name.replace(/\W+/g, '_')}.safetensors`);
    fs.writeFileSync(f, bytes);
    const before = (await settledMemory()).tensors;
    const p = io.readSafetensors(f);
    await expect(p).rejects.toThrow(Error);
    await expect(io.readSafetensors(f)).rejects.toThrow(new RegExp(`^readSafetensors: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    await expect(io.readSafetensors(f)).rejects.toThrow(msg);
    expect((await settledMemory()).tensors).toBe(before);
  });

  test('a missing file and a directory', async () => {
    await expect(io.readSafetensors(tmp('nope.safetensors'))).rejects.toThrow(/readSafetensors: cannot open .*nope.safetensors: ENOENT/);
    await expect(io.readSafetensors(dir)).rejects.toThrow(/readSafetensors: .*: not a regular file|cannot open/);
  });
});

describe('fuzzing', () => {
  test('random byte flips and truncations of a valid file load or reject cleanly', async () => {
    const f = tmp('fuzz-src.safetensors');
    const dict = {
      w: ds.randn([5, 3], { generator: new ds.Generator(2) }),
      b: ds.tensor([1, 2, 3]),
      idx: ds.tensor(new Int32Array([4, 5])),
      s: ds.tensor(9),
    };
    await io.writeSafetensors(f, dict, { note: 'fuzz' });
    ds.dispose(Object.values(dict));
    const good = fs.readFileSync(f);
    const n = Number(good.readBigUInt64LE(0));
    const r = rng(1234);
    const before = (await settledMemory()).tensors;
    let loaded = 0;
    let rejected = 0;
    const g = tmp('fuzz.safetensors');
    for (let trial = 0; trial < 400; trial++) {
      const bytes = Buffer.from(good);
      let data = bytes;
      const kind = r();
      if (kind < 0.25) {
        data = bytes.subarray(0, Math.floor(r() * bytes.length));
      } else {
        const flips = 1 + Math.floor(r() * 4);
        for (let k = 0; k < flips; k++) {
          // Mostly in the length field and header, where flips matter; often in the data (which loads).
          const where = r() < 0.6 ? Math.floor(r() * (8 + n)) : 8 + n + Math.floor(r() * (bytes.length - 8 - n));
          bytes[where] = r() < 0.5 ? bytes[where] ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
        }
      }
      fs.writeFileSync(g, data);
      try {
        const { tensors } = await io.readSafetensors(g);
        loaded++;
        ds.dispose([...tensors.values()]);
      } catch (e) {
        rejected++;
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.startsWith(`readSafetensors: ${g}: `)).toBe(true);
      }
    }
    if (process.env.FUZZ_STATS) console.log({ loaded, rejected });
    expect(loaded).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(100);
    expect((await settledMemory()).tensors).toBe(before);
  });
});
