/**
 * The safetensors format, read and written here without dependencies. A file is
 *
 * ```text
 * [8 bytes]  N, the header length, unsigned 64-bit little-endian
 * [N bytes]  UTF-8 JSON: { "__metadata__"?: { string: string }, name: { dtype, shape, data_offsets: [begin, end] }, ... },
 *            starting with '{', possibly padded at the end with spaces
 * [rest]     the tensors' bytes, row-major, little-endian; offsets are relative to the end of the header,
 *            and the tensors tile the rest of the file exactly (no gaps, no overlaps)
 * ```
 *
 * Both directions stream in slices of 8 MB: the writer copies each tensor out slice by slice into one
 * reused buffer and writes it; the reader allocates each tensor and fills it slice by slice from
 * positioned reads. Neither holds the file, or a host copy of a whole tensor, in memory. A file is
 * checked entirely before any tensor is allocated, so a corrupt or hostile header never causes a huge
 * allocation, and every problem rejects with one Error naming the file.
 * @module
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tensor, fmtShape } from '../tensor';
import { DType } from '../dtype';
import { DeviceLike, device as parseDevice } from '../device';
import { native } from '../native';
import { JsonValue, parseJsonStrict } from './json';

/**
 * Element types of the format that this library reads. F32 and I32 load as they are; the others are
 * converted on load: F64, F16, BF16, F8_E4M3 and F8_E5M2 to float32 (rounding to nearest); I64, U64,
 * U32, I16, U16, I8, U8 and BOOL to int32, where a value outside the int32 range is an error naming the
 * tensor. The writer writes F32 and I32.
 */
export type SafetensorsDType = 'F32' | 'I32' | 'F64' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'I64' | 'U64' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F32: 4, I32: 4, F64: 8, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, I64: 8, U64: 8, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
};
const FLOATS = new Set<SafetensorsDType>(['F32', 'F64', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
/** Bytes moved at a time between a file and a tensor: the only host buffers either direction holds. */
const CHUNK = 1 << 23;
const MAX_RANK = 6;

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  /** The tensor's name. */
  name: string;
  /** Its element type in the file. */
  dtype: SafetensorsDType;
  /** Its shape. */
  shape: number[];
  /** Its byte range in the data section, [begin, end). */
  dataOffsets: [number, number];
}

/** A parsed and checked safetensors header. */
export interface SafetensorsHeader {
  /** The tensors in header order. */
  entries: SafetensorsEntry[];
  /** The `__metadata__` strings ({} when absent). */
  metadata: Record<string, string>;
  /** Where the data section starts in the file: 8 + header length. */
  dataStart: number;
}

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** Device of the loaded tensors. Default `'cpu'`. */
  device?: DeviceLike;
}

/** What {@link readSafetensors} returns. */
export interface SafetensorsContents {
  /** The tensors by name, in header order. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings ({} when absent). */
  metadata: Record<string, string>;
}

/** Tensors by name, as a Map or a plain object (a state dict). */
export type TensorDict = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

/** @internal The entries of a Map or plain object of tensors. */
export function dictEntries(d: TensorDict): [string, Tensor][] {
  if (d instanceof Map) return [...d.entries()];
  if (typeof d !== 'object' || d === null) return [];
  return Object.entries(d as Record<string, Tensor>);
}

function assertLittleEndian(op: string): void {
  if (os.endianness() !== 'LE') throw new Error(`${op}: big-endian hosts are not supported`);
}

// ----------------------------------------------------------------------------------------------- writer

/**
 * Writes tensors (float32 as F32, int32 as I32) and optional string metadata to a safetensors file.
 * Tensors go out in the dict's order, each copied from its device in 8 MB slices through one reused
 * buffer, so memory grows by that buffer only, whatever the size of the tensors. The file is written under a temporary name and renamed at the end, so a failed or
 * interrupted write never leaves a truncated file in place of an existing one.
 * @example await io.writeSafetensors('weights.safetensors', model.stateDict(), { epoch: '3' });
 */
export async function writeSafetensors(file: string, tensors: TensorDict, metadata?: Readonly<Record<string, string>>): Promise<void> {
  const op = 'writeSafetensors';
  assertLittleEndian(op);
  if (typeof file !== 'string' || file === '') throw new TypeError(`${op}: file must be a non-empty path string`);
  if (typeof tensors !== 'object' || tensors === null) throw new TypeError(`${op}: tensors must be a Map or an object of Tensors`);
  const entries = dictEntries(tensors);
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) throw new TypeError(`${op}: metadata must be an object of strings`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`${op}: metadata '${k}' must be a string, got ${typeof v}`);
    }
    if (Object.keys(metadata).length) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new TypeError(`${op}: '__metadata__' cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: '${name}' must be a Tensor`);
    t._h(op, name);
    const bytes = t.size * 4;
    const info = { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += bytes;
  }
  let header = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const pad = (8 - ((8 + header.length) % 8)) % 8;
  if (pad) header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await fsp.open(tmp, 'w');
  let ok = false;
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await writeFully(fh, len, 0);
    await writeFully(fh, header, 8);
    let pos = 8 + header.length;
    const staging = Buffer.allocUnsafe(Math.min(CHUNK, offset));
    for (const [name, t] of entries) {
      const bytes = t.size * 4;
      for (let done = 0; done < bytes; done += CHUNK) {
        const slice = staging.subarray(0, Math.min(CHUNK, bytes - done));
        await native.readInto(t._h(op, name), slice, done);
        await writeFully(fh, slice, pos);
        pos += slice.byteLength;
      }
    }
    ok = true;
  } finally {
    await fh.close();
    if (!ok) await fsp.rm(tmp, { force: true });
  }
  await fsp.rename(tmp, file);
}

async function writeFully(fh: fsp.FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesWritten } = await fh.write(buf, done, buf.byteLength - done, position + done);
    done += bytesWritten;
  }
}

// ----------------------------------------------------------------------------------------------- reader

async function readFully(fh: fsp.FileHandle, buf: Uint8Array, position: number, fail: (m: string) => never): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesRead } = await fh.read(buf, done, buf.byteLength - done, position + done);
    if (bytesRead === 0) fail(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

function isObj(v: JsonValue | undefined): v is Map<string, JsonValue> {
  return v instanceof Map;
}

function checkInt(v: JsonValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and checks the header; `fail` throws. */
async function parseHeader(fh: fsp.FileHandle, fileSize: number, fail: (m: string) => never): Promise<SafetensorsHeader> {
  if (fileSize < 8) fail(`the file is ${fileSize} bytes, too short for the 8-byte header length`);
  const lenBuf = new Uint8Array(8);
  await readFully(fh, lenBuf, 0, fail);
  const n64 = Buffer.from(lenBuf).readBigUInt64LE(0);
  if (n64 > BigInt(fileSize - 8)) fail(`the header length ${n64} exceeds the ${fileSize - 8} bytes after the length field`);
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`the header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (n < 2) fail(`the header length ${n} is too small for a JSON object`);
  const raw = new Uint8Array(n);
  await readFully(fh, raw, 8, fail);
  if (raw[0] !== 0x7b) fail("the header does not start with '{'");
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    fail('the header is not valid UTF-8');
  }
  let json: JsonValue;
  try {
    json = parseJsonStrict(text!);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(json!)) fail('the header is not a JSON object');
  const dataLen = fileSize - 8 - n;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of json! as Map<string, JsonValue>) {
    const what = `tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__') {
      if (!isObj(v)) fail("'__metadata__' is not an object");
      const pairs: [string, string][] = [];
      for (const [k, s] of v as Map<string, JsonValue>) {
        if (typeof s !== 'string') fail(`metadata ${JSON.stringify(k)} is not a string`);
        pairs.push([k, s as string]);
      }
      metadata = Object.fromEntries(pairs);
      continue;
    }
    if (!isObj(v)) fail(`${what}: the entry is not an object`);
    const info = v as Map<string, JsonValue>;
    const dtype = info.get('dtype');
    if (typeof dtype !== 'string') fail(`${what}: 'dtype' is missing or not a string`);
    if (!Object.prototype.hasOwnProperty.call(ITEM_SIZE, dtype as string)) fail(`${what}: unknown or unsupported dtype ${JSON.stringify(dtype)}`);
    const shape = info.get('shape');
    if (!Array.isArray(shape) || !shape.every(checkInt)) fail(`${what}: 'shape' is not an array of non-negative integers`);
    if ((shape as number[]).length > MAX_RANK) fail(`${what}: rank ${(shape as number[]).length}; at most ${MAX_RANK} is supported`);
    const offs = info.get('data_offsets');
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(checkInt)) fail(`${what}: 'data_offsets' is not a pair of non-negative integers`);
    const [begin, end] = offs as [number, number];
    if (begin > end) fail(`${what}: data_offsets [${begin}, ${end}] run backwards`);
    if (end > dataLen) fail(`${what}: data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data section (truncated file?)`);
    let numel = 1;
    for (const d of shape as number[]) {
      numel *= d;
      if (!Number.isSafeInteger(numel)) fail(`${what}: shape ${fmtShape(shape as number[])} has too many elements`);
    }
    const bytes = numel * ITEM_SIZE[dtype as SafetensorsDType];
    if (bytes !== end - begin) {
      fail(`${what}: shape ${fmtShape(shape as number[])} of ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: shape as number[], dataOffsets: [begin, end] });
  }
  // The byte ranges must tile the data section: sorted, each starting where the previous ended.
  const sorted = [...entries].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let pos = 0;
  for (const e of sorted) {
    const [b, en] = e.dataOffsets;
    if (b < pos) fail(`tensor ${JSON.stringify(e.name)}: data_offsets [${b}, ${en}] overlap the previous tensor, which ends at byte ${pos}`);
    if (b > pos) fail(`tensor ${JSON.stringify(e.name)}: data_offsets [${b}, ${en}] leave a gap after byte ${pos}`);
    pos = en;
  }
  if (pos !== dataLen) fail(`the tensors cover ${pos} bytes but the data section has ${dataLen}`);
  return { entries, metadata, dataStart: 8 + n };
}

async function openChecked(op: string, file: string): Promise<{ fh: fsp.FileHandle; size: number; fail: (m: string) => never }> {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${op}: file must be a non-empty path string`);
  const fail = (m: string): never => {
    throw new Error(`${op}: ${file}: ${m}`);
  };
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw new Error(`${op}: cannot open ${file}: ${(e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) fail('not a regular file');
    return { fh, size: st.size, fail };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * Reads and checks the header of a safetensors file (names, dtypes, shapes, byte ranges, metadata)
 * without reading any tensor data.
 */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const { fh, size, fail } = await openChecked('readSafetensorsHeader', file);
  try {
    return await parseHeader(fh, size, fail);
  } finally {
    await fh.close();
  }
}

let halfTable: Float32Array | null = null;
function halves(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    halfTable[h] = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
  }
  return halfTable;
}

function e4m3(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 7;
  if (e === 15 && m === 7) return NaN;
  return e === 0 ? s * m * 2 ** -9 : s * (1 + m / 8) * 2 ** (e - 7);
}

/**
 * Converts `count` elements of `dtype` from `raw` into `out` at `at`. Returns the index of the first
 * value outside the int32 range, or -1.
 */
function convert(dtype: SafetensorsDType, raw: ArrayBuffer, count: number, out: Float32Array | Int32Array, at: number): number {
  switch (dtype) {
    case 'F64': {
      const src = new Float64Array(raw, 0, count);
      for (let i = 0; i < count; i++) out[at + i] = src[i];
      return -1;
    }
    case 'F16': {
      const src = new Uint16Array(raw, 0, count);
      const t = halves();
      for (let i = 0; i < count; i++) out[at + i] = t[src[i]];
      return -1;
    }
    case 'BF16': {
      const src = new Uint16Array(raw, 0, count);
      const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
      for (let i = 0; i < count; i++) bits[at + i] = src[i] << 16;
      return -1;
    }
    case 'F8_E5M2': {
      const src = new Uint8Array(raw, 0, count);
      const t = halves();
      for (let i = 0; i < count; i++) out[at + i] = t[src[i] << 8];
      return -1;
    }
    case 'F8_E4M3': {
      const src = new Uint8Array(raw, 0, count);
      for (let i = 0; i < count; i++) out[at + i] = e4m3(src[i]);
      return -1;
    }
    case 'I64':
    case 'U64': {
      const src = new Int32Array(raw, 0, 2 * count);
      const signed = dtype === 'I64';
      for (let i = 0; i < count; i++) {
        const lo = src[2 * i];
        const hi = src[2 * i + 1];
        if (signed ? hi !== lo >> 31 : hi !== 0 || lo < 0) return i;
        out[at + i] = lo;
      }
      return -1;
    }
    case 'U32': {
      const src = new Uint32Array(raw, 0, count);
      for (let i = 0; i < count; i++) {
        if (src[i] > 0x7fffffff) return i;
        out[at + i] = src[i];
      }
      return -1;
    }
    case 'I16':
      out.set(new Int16Array(raw, 0, count), at);
      return -1;
    case 'U16':
      out.set(new Uint16Array(raw, 0, count), at);
      return -1;
    case 'I8':
      out.set(new Int8Array(raw, 0, count), at);
      return -1;
    case 'U8':
      out.set(new Uint8Array(raw, 0, count), at);
      return -1;
    case 'BOOL': {
      const src = new Uint8Array(raw, 0, count);
      for (let i = 0; i < count; i++) out[at + i] = src[i] ? 1 : 0;
      return -1;
    }
    default:
      throw new Error(`unreachable dtype ${dtype}`);
  }
}

function rawValue(dtype: SafetensorsDType, raw: ArrayBuffer, i: number): string {
  const dv = new DataView(raw);
  if (dtype === 'I64') return dv.getBigInt64(8 * i, true).toString();
  if (dtype === 'U64') return dv.getBigUint64(8 * i, true).toString();
  return String(dv.getUint32(4 * i, true));
}

/**
 * @internal Fills `target` (of the entry's element count, float32 for float entries and int32 for the
 * others) with the entry's data, slice by slice: positioned reads into `buffers.raw`, converted into
 * `buffers.converted` when the dtype is not F32/I32, then copied into the tensor in stream order.
 */
export async function fillFromFile(
  fh: fsp.FileHandle,
  dataStart: number,
  e: SafetensorsEntry,
  target: Tensor,
  buffers: SliceBuffers,
  fail: (m: string) => never,
): Promise<void> {
  const [begin, end] = e.dataOffsets;
  const item = ITEM_SIZE[e.dtype];
  const numel = (end - begin) / item;
  const direct = e.dtype === 'F32' || e.dtype === 'I32';
  const per = Math.floor(CHUNK / Math.max(item, 4));
  for (let done = 0; done < numel; done += per) {
    const count = Math.min(per, numel - done);
    const raw = new Uint8Array(buffers.raw, 0, count * item);
    await readFully(fh, raw, dataStart + begin + done * item, fail);
    let slice: Uint8Array = raw;
    if (!direct) {
      const out = target.dtype === 'float32' ? new Float32Array(buffers.converted!, 0, count) : new Int32Array(buffers.converted!, 0, count);
      const bad = convert(e.dtype, buffers.raw, count, out, 0);
      if (bad >= 0) {
        fail(`tensor ${JSON.stringify(e.name)}: ${e.dtype} value ${rawValue(e.dtype, buffers.raw, bad)} at index ${done + bad} is outside the int32 range`);
      }
      slice = new Uint8Array(buffers.converted!, 0, count * 4);
    }
    await native.writeFrom(target._h('readSafetensors', e.name), slice, done * 4);
  }
}

/** @internal The two host buffers of {@link fillFromFile}, allocated once per file. */
export interface SliceBuffers {
  /** File bytes, as read. */
  raw: ArrayBuffer;
  /** Converted values (null when every entry is F32 or I32). */
  converted: ArrayBuffer | null;
}

/** @internal Buffers for filling tensors from `entries`. */
export function sliceBuffers(entries: readonly SafetensorsEntry[]): SliceBuffers {
  const largest = entries.reduce((m, e) => Math.max(m, e.dataOffsets[1] - e.dataOffsets[0]), 0);
  const needConvert = entries.some((e) => e.dtype !== 'F32' && e.dtype !== 'I32');
  return { raw: new ArrayBuffer(Math.min(CHUNK, largest)), converted: needConvert ? new ArrayBuffer(CHUNK) : null };
}

/** @internal The dtype a safetensors entry loads as. */
export function loadedDType(e: SafetensorsEntry): DType {
  return FLOATS.has(e.dtype) ? 'float32' : 'int32';
}

/** @internal {@link openChecked} and {@link parseHeader} in one: an open file and its checked header. */
export async function openSafetensors(op: string, file: string): Promise<{ fh: fsp.FileHandle; header: SafetensorsHeader; fail: (m: string) => never }> {
  assertLittleEndian(op);
  const { fh, size, fail } = await openChecked(op, file);
  try {
    return { fh, header: await parseHeader(fh, size, fail), fail };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/**
 * Reads a safetensors file into tensors on `device`. The whole header is checked first (see the module
 * documentation); then each tensor is allocated on the device and filled in 8 MB slices from positioned
 * reads, so memory grows by the tensors plus two slice buffers, never by a copy of the file or of a
 * tensor. dtypes other than F32 and I32 are converted as {@link SafetensorsDType} states. Any problem
 * rejects with an Error naming the file and the problem, and no tensor survives a failed read.
 * @example const { tensors, metadata } = await io.readSafetensors('weights.safetensors');
 */
export async function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents> {
  const op = 'readSafetensors';
  const dev = parseDevice(options.device ?? 'cpu');
  const { fh, header, fail } = await openSafetensors(op, file);
  const tensors = new Map<string, Tensor>();
  try {
    const buffers = sliceBuffers(header.entries);
    for (const e of header.entries) {
      const dtype = loadedDType(e);
      const t = new Tensor(native.empty(dtype, e.shape, dev.type, dev.index), e.shape, dtype, dev);
      tensors.set(e.name, t);
      await fillFromFile(fh, header.dataStart, e, t, buffers, fail);
    }
    return { tensors, metadata: header.metadata };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  } finally {
    await fh.close();
  }
}
