/** Float64 reference of softmax and log-softmax along one axis (written plainly: max-subtracted). */
import { Nd } from './nd';

function alongAxis(x: Nd, dim: number, f: (row: number[]) => number[]): Nd {
  const out = Nd.zeros(x.shape);
  if (x.ndim === 0) {
    out.data[0] = f([x.data[0]])[0];
    return out;
  }
  const d = dim < 0 ? dim + x.ndim : dim;
  const C = x.shape[d];
  const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const outer = x.shape.slice(0, d).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const row: number[] = [];
      for (let c = 0; c < C; c++) row.push(x.data[(o * C + c) * inner + i]);
      const r = f(row);
      for (let c = 0; c < C; c++) out.data[(o * C + c) * inner + i] = r[c];
    }
  }
  return out;
}

function lse(row: number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

export function softmax(x: Nd, dim: number): Nd {
  return alongAxis(x, dim, (row) => {
    const l = lse(row);
    return row.map((v) => Math.exp(v - l));
  });
}

export function logSoftmax(x: Nd, dim: number): Nd {
  return alongAxis(x, dim, (row) => {
    const l = lse(row);
    return row.map((v) => v - l);
  });
}
