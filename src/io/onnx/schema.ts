/**
 * Access to the ONNX schema (the protobufjs static code of `onnx-proto`): tensors to and from
 * `TensorProto`, attributes to and from plain values, and int64 fields as numbers.
 * @module
 */
import { onnx } from 'onnx-proto';
import { Tensor, fmtShape } from '../../tensor';
import { tensor } from '../../ops/creation';

export { onnx };

/** @internal The value of an attribute, as the op tables see it. */
export type AttrValue = number | string | number[] | string[] | onnx.ITensorProto;

type Int64 = number | { toNumber(): number } | null | undefined;

/** @internal protobufjs decodes int64 fields as `Long` objects (the `long` package is installed). */
export function int(v: Int64): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

const T = onnx.TensorProto.DataType;

/** @internal A float32 or int32 tensor as a `TensorProto` (little-endian raw data). */
export function tensorProto(name: string, t: Tensor): onnx.ITensorProto {
  const data = t.dataSync();
  const dataType = t.dtype === 'float32' ? T.FLOAT : T.INT32;
  return { name, dims: [...t.shape], dataType, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

/** @internal An int64 `TensorProto` (shapes, axes, pads). */
export function int64Proto(name: string, values: readonly number[], dims: readonly number[] = [values.length]): onnx.ITensorProto {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims: [...dims], dataType: T.INT64, rawData: new Uint8Array(raw.buffer) };
}

/** @internal A float32 `TensorProto` from numbers. */
export function floatProto(name: string, values: readonly number[], dims: readonly number[] = [values.length]): onnx.ITensorProto {
  const raw = new Float32Array(values);
  return { name, dims: [...dims], dataType: T.FLOAT, rawData: new Uint8Array(raw.buffer) };
}

/** @internal The dims of a `TensorProto`. */
export function protoDims(p: onnx.ITensorProto): number[] {
  return (p.dims ?? []).map((d) => int(d as Int64));
}

function rawView(p: onnx.ITensorProto): Uint8Array | null {
  const raw = p.rawData;
  if (!raw || raw.length === 0) return null;
  // Copied so that the typed array below is aligned.
  return new Uint8Array(raw);
}

/**
 * @internal The values of a `TensorProto` as JS numbers: float types as a Float32Array, integer and bool
 * types as a number array.
 */
export function protoValues(p: onnx.ITensorProto, where: string): { float: Float32Array | null; ints: number[] | null } {
  const raw = rawView(p);
  const n = protoDims(p).reduce((a, b) => a * b, 1);
  switch (p.dataType) {
    case T.FLOAT:
      return { float: raw ? new Float32Array(raw.buffer) : Float32Array.from(p.floatData ?? []), ints: null };
    case T.DOUBLE:
      return { float: Float32Array.from(raw ? new Float64Array(raw.buffer) : (p.doubleData ?? [])), ints: null };
    case T.INT64:
      return { float: null, ints: raw ? Array.from(new BigInt64Array(raw.buffer), Number) : (p.int64Data ?? []).map((v) => int(v as Int64)) };
    case T.INT32:
    case T.INT16:
    case T.INT8:
    case T.UINT8:
    case T.BOOL:
      if (raw) {
        const arr = p.dataType === T.INT32 ? new Int32Array(raw.buffer) : p.dataType === T.INT16 ? new Int16Array(raw.buffer) : p.dataType === T.INT8 ? new Int8Array(raw.buffer) : raw;
        return { float: null, ints: Array.from(arr) };
      }
      return { float: null, ints: (p.int32Data ?? []).slice(0, n) };
    default:
      throw new TypeError(`importOnnx: ${where}: tensor '${p.name}' has ONNX data type ${T[p.dataType ?? 0] ?? p.dataType}, which is not supported`);
  }
}

/** @internal A float `TensorProto` as a float32 tensor. */
export function protoToTensor(p: onnx.ITensorProto, where: string): Tensor {
  const { float, ints } = protoValues(p, where);
  const dims = protoDims(p);
  const data = float ?? Float32Array.from(ints!);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) {
    throw new RangeError(`importOnnx: ${where}: tensor '${p.name}' of shape ${fmtShape(dims)} holds ${data.length} values`);
  }
  return tensor(data, dims);
}

/** @internal Whether a `TensorProto` holds floating-point values. */
export function isFloatProto(p: onnx.ITensorProto): boolean {
  return p.dataType === T.FLOAT || p.dataType === T.DOUBLE;
}

/** @internal An attribute proto from a plain value (numbers are ints unless `float` is set). */
export function attrProto(name: string, v: number | string | readonly number[], float = false): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return float ? { name, type: A.FLOAT, f: v } : { name, type: A.INT, i: v };
  return float ? { name, type: A.FLOATS, floats: [...v] } : { name, type: A.INTS, ints: [...v] };
}

/** @internal A node's attributes as plain values by name. */
export function attrsOf(node: onnx.INodeProto): Map<string, AttrValue> {
  const A = onnx.AttributeProto.AttributeType;
  const m = new Map<string, AttrValue>();
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    switch (a.type) {
      case A.FLOAT: m.set(name, a.f ?? 0); break;
      case A.INT: m.set(name, int(a.i as Int64)); break;
      case A.STRING: m.set(name, new TextDecoder().decode(a.s ?? new Uint8Array())); break;
      case A.FLOATS: m.set(name, [...(a.floats ?? [])]); break;
      case A.INTS: m.set(name, (a.ints ?? []).map((v) => int(v as Int64))); break;
      case A.STRINGS: m.set(name, (a.strings ?? []).map((s) => new TextDecoder().decode(s))); break;
      case A.TENSOR: if (a.t) m.set(name, a.t); break;
      default: break;
    }
  }
  return m;
}
