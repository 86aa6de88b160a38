/**
 * A minimal float64 n-d array for the reference ops: contiguous row-major data and a shape. Everything
 * here is written for clarity, not speed: it is the independent oracle the native kernels are checked
 * against.
 */
export class Nd {
  constructor(
    readonly data: Float64Array,
    readonly shape: number[],
  ) {
    if (data.length !== Nd.numel(shape)) throw new Error(`Nd: ${data.length} values for shape [${shape}]`);
  }

  static numel(shape: readonly number[]): number {
    return shape.reduce((a, b) => a * b, 1);
  }

  static zeros(shape: readonly number[]): Nd {
    return new Nd(new Float64Array(Nd.numel(shape)), [...shape]);
  }

  static from(values: ArrayLike<number>, shape: readonly number[]): Nd {
    return new Nd(Float64Array.from(values), [...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  strides(): number[] {
    const s = new Array<number>(this.shape.length);
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= this.shape[i];
    }
    return s;
  }

  /** Multi-index of flat position `i`. */
  unravel(i: number): number[] {
    const idx = new Array<number>(this.shape.length);
    for (let d = this.shape.length - 1; d >= 0; d--) {
      idx[d] = i % this.shape[d];
      i = Math.floor(i / this.shape[d]);
    }
    return idx;
  }

  offset(idx: readonly number[]): number {
    let o = 0;
    for (let d = 0; d < this.shape.length; d++) o = o * this.shape[d] + idx[d];
    return o;
  }

  get(...idx: number[]): number {
    return this.data[this.offset(idx)];
  }

  set(idx: readonly number[], v: number): void {
    this.data[this.offset(idx)] = v;
  }

  map(f: (x: number, i: number) => number): Nd {
    return new Nd(this.data.map(f), [...this.shape]);
  }

  reshape(shape: readonly number[]): Nd {
    return new Nd(this.data, [...shape]);
  }

  clone(): Nd {
    return new Nd(Float64Array.from(this.data), [...this.shape]);
  }
}

/** NumPy broadcast of two shapes (throws when incompatible). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error('not broadcastable');
    out.push(Math.max(x, y) === 0 || Math.min(x, y) === 0 ? 0 : Math.max(x, y));
  }
  return out;
}

/** Value of `x` at the output multi-index `idx` under broadcasting. */
export function broadcastGet(x: Nd, idx: readonly number[]): number {
  const lead = idx.length - x.ndim;
  let o = 0;
  for (let d = 0; d < x.ndim; d++) o = o * x.shape[d] + (x.shape[d] === 1 ? 0 : idx[lead + d]);
  return x.data[o];
}

/** Elementwise combination of several broadcast operands. */
export function zipWith(xs: Nd[], f: (...v: number[]) => number): Nd {
  const shape = xs.map((x) => x.shape).reduce((a, b) => broadcastShape(a, b));
  const out = Nd.zeros(shape);
  for (let i = 0; i < out.size; i++) {
    const idx = out.unravel(i);
    out.data[i] = f(...xs.map((x) => broadcastGet(x, idx)));
  }
  return out;
}
