/** Element types: `float32` for data, `int32` for labels and indices. */
export type DType = 'float32' | 'int32';

/** @internal */
export const DTYPES: readonly DType[] = ['float32', 'int32'];

/** Typed array matching a dtype. */
export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

/** @internal */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32';
}

/** @internal */
export function arrayFor(dtype: DType, buffer: ArrayBuffer): Float32Array | Int32Array {
  return dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer);
}
