/** Float64 references of the indexing and joining ops, written element by element. */
import { Nd } from './nd';

function withDim(shape: readonly number[], dim: number, size: number): number[] {
  const s = [...shape];
  s[dim] = size;
  return s;
}

export function cat(xs: Nd[], dim: number): Nd {
  const d = dim < 0 ? dim + xs[0].ndim : dim;
  const out = Nd.zeros(withDim(xs[0].shape, d, xs.reduce((n, x) => n + x.shape[d], 0)));
  for (let i = 0; i < out.size; i++) {
    const idx = out.unravel(i);
    let k = 0;
    let j = idx[d];
    while (j >= xs[k].shape[d]) j -= xs[k++].shape[d];
    const src = [...idx];
    src[d] = j;
    out.data[i] = xs[k].data[xs[k].offset(src)];
  }
  return out;
}

export function stack(xs: Nd[], dim: number): Nd {
  const d = dim < 0 ? dim + xs[0].ndim + 1 : dim;
  return cat(
    xs.map((x) => {
      const s = [...x.shape];
      s.splice(d, 0, 1);
      return x.reshape(s);
    }),
    d,
  );
}

/** Python slicing x[start:end:step] along dim. */
export function slice(x: Nd, dim: number, start: number, end: number | undefined, step: number): Nd {
  const d = dim < 0 ? dim + x.ndim : dim;
  const D = x.shape[d];
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + D : v, 0), D);
  const picks: number[] = [];
  for (let i = norm(start); i < (end === undefined ? D : norm(end)); i += step) picks.push(i);
  return indexSelect(x, d, Nd.from(picks, [picks.length]));
}

export function indexSelect(x: Nd, dim: number, index: Nd): Nd {
  const d = dim < 0 ? dim + x.ndim : dim;
  const out = Nd.zeros(withDim(x.shape, d, index.size));
  for (let i = 0; i < out.size; i++) {
    const idx = out.unravel(i);
    idx[d] = index.data[idx[d]];
    out.data[i] = x.data[x.offset(idx)];
  }
  return out;
}

export function gather(x: Nd, dim: number, index: Nd): Nd {
  const d = dim < 0 ? dim + x.ndim : dim;
  const out = Nd.zeros(index.shape);
  for (let i = 0; i < out.size; i++) {
    const idx = index.unravel(i);
    idx[d] = index.data[i];
    out.data[i] = x.data[x.offset(idx)];
  }
  return out;
}

/** torch.nn.functional.pad: pads from the last axis, negative pads crop (constant). */
export function pad(x: Nd, pads: number[], mode: 'constant' | 'reflect' | 'replicate', value = 0): Nd {
  const lo = x.shape.map(() => 0);
  const hi = x.shape.map(() => 0);
  for (let i = 0; i < pads.length / 2; i++) {
    lo[x.ndim - 1 - i] = pads[2 * i];
    hi[x.ndim - 1 - i] = pads[2 * i + 1];
  }
  const out = Nd.zeros(x.shape.map((s, d) => s + lo[d] + hi[d]));
  for (let i = 0; i < out.size; i++) {
    const idx = out.unravel(i);
    let inside = true;
    const src = idx.map((v, d) => {
      let s = v - lo[d];
      const n = x.shape[d];
      if (mode === 'constant') {
        if (s < 0 || s >= n) inside = false;
      } else if (mode === 'replicate') {
        s = Math.min(Math.max(s, 0), n - 1);
      } else {
        if (s < 0) s = -s;
        if (s >= n) s = 2 * (n - 1) - s;
      }
      return s;
    });
    out.data[i] = inside ? x.data[x.offset(src)] : value;
  }
  return out;
}
