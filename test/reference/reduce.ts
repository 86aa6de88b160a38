/** Float64 reference of the reductions, and of shape/layout ops. */
import { Nd } from './nd';

function normAxes(axes: number | number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  return (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + ndim : a));
}

/** Groups the input's elements by output position. */
function groups(x: Nd, axes: number | number[] | undefined, keepdim: boolean): { out: Nd; members: number[][] } {
  const ax = normAxes(axes, x.ndim);
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const out = Nd.zeros(keepdim ? kept : x.shape.filter((_, i) => !ax.includes(i)));
  const keptNd = Nd.zeros(kept);
  const members: number[][] = Array.from({ length: out.size }, () => []);
  for (let i = 0; i < x.size; i++) {
    const idx = x.unravel(i).map((v, d) => (ax.includes(d) ? 0 : v));
    members[keptNd.offset(idx)].push(i);
  }
  return { out, members };
}

export function reduce(kind: 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'argmin' | 'var' | 'logsumexp', x: Nd, axes?: number | number[], keepdim = false, correction = 1): Nd {
  const { out, members } = groups(x, axes, keepdim);
  members.forEach((m, o) => {
    const v = m.map((i) => x.data[i]);
    const s = v.reduce((a, b) => a + b, 0);
    switch (kind) {
      case 'sum': out.data[o] = s; break;
      case 'mean': out.data[o] = s / v.length; break;
      case 'max': out.data[o] = Math.max(...v); break;
      case 'min': out.data[o] = Math.min(...v); break;
      case 'argmax': out.data[o] = v.indexOf(Math.max(...v)); break;
      case 'argmin': out.data[o] = v.indexOf(Math.min(...v)); break;
      case 'var': {
        const mean = s / v.length;
        out.data[o] = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - correction);
        break;
      }
      case 'logsumexp': {
        const mx = Math.max(...v);
        out.data[o] = mx + Math.log(v.reduce((a, b) => a + Math.exp(b - mx), 0));
        break;
      }
    }
  });
  return out;
}

export function permute(x: Nd, perm: number[]): Nd {
  const out = Nd.zeros(perm.map((p) => x.shape[p]));
  for (let i = 0; i < out.size; i++) {
    const idx = out.unravel(i);
    const src = new Array<number>(x.ndim);
    perm.forEach((p, d) => (src[p] = idx[d]));
    out.data[i] = x.data[x.offset(src)];
  }
  return out;
}
