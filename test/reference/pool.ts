/**
 * Float64 reference of 2-D pooling on [N, C, H, W] (PyTorch semantics), written plainly: every output
 * scans its window element by element.
 */
import { Nd } from './nd';

export interface PoolRefOptions {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation?: [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

/** PyTorch's pooling output size along one axis. */
export function poolOutSize(input: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = d * (k - 1) + 1;
  let out = Math.floor((input + 2 * p - span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= input + p) out -= 1;
  return out;
}

/** Max pooling: values and flat (ih·W + iw) argmax indices; the first maximum of a window wins. */
export function maxPool2d(x: Nd, o: PoolRefOptions): { values: Nd; indices: number[] } {
  const [N, C, H, W] = x.shape;
  const [kh, kw] = o.kernel;
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const [dh, dw] = o.dilation ?? [1, 1];
  const OH = poolOutSize(H, kh, sh, ph, dh, !!o.ceilMode);
  const OW = poolOutSize(W, kw, sw, pw, dw, !!o.ceilMode);
  const values = Nd.zeros([N, C, OH, OW]);
  const indices: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const ih = oh * sh - ph + i * dh;
              const iw = ow * sw - pw + j * dw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = x.get(n, c, ih, iw);
              if (at < 0 || v > best) {
                best = v;
                at = ih * W + iw;
              }
            }
          values.set([n, c, oh, ow], best);
          indices.push(at);
        }
  return { values, indices };
}

/** Average pooling with PyTorch's divisor rules. */
export function avgPool2d(x: Nd, o: PoolRefOptions): Nd {
  const [N, C, H, W] = x.shape;
  const [kh, kw] = o.kernel;
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const OH = poolOutSize(H, kh, sh, ph, 1, !!o.ceilMode);
  const OW = poolOutSize(W, kw, sw, pw, 1, !!o.ceilMode);
  const out = Nd.zeros([N, C, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let sum = 0;
          let inside = 0; // input elements in the window
          let padded = 0; // window positions inside the padded input
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const ih = oh * sh - ph + i;
              const iw = ow * sw - pw + j;
              if (ih < H + ph && iw < W + pw) padded++;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              sum += x.get(n, c, ih, iw);
              inside++;
            }
          const div = o.divisorOverride ?? ((o.countIncludePad ?? true) ? padded : inside);
          out.set([n, c, oh, ow], inside === 0 ? 0 : sum / div);
        }
  return out;
}

function adaptiveWindows(input: number, output: number): [number, number][] {
  return Array.from({ length: output }, (_, i) => [Math.floor((i * input) / output), Math.ceil(((i + 1) * input) / output)]);
}

/** Adaptive pooling: window i spans floor(i·H/out) .. ceil((i+1)·H/out) − 1. */
export function adaptivePool2d(kind: 'avg' | 'max', x: Nd, out: [number, number]): { values: Nd; indices: number[] } {
  const [N, C, H, W] = x.shape;
  const rows = adaptiveWindows(H, out[0]);
  const cols = adaptiveWindows(W, out[1]);
  const values = Nd.zeros([N, C, out[0], out[1]]);
  const indices: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < out[0]; oh++)
        for (let ow = 0; ow < out[1]; ow++) {
          let sum = 0;
          let count = 0;
          let best = -Infinity;
          let at = -1;
          for (let ih = rows[oh][0]; ih < rows[oh][1]; ih++)
            for (let iw = cols[ow][0]; iw < cols[ow][1]; iw++) {
              const v = x.get(n, c, ih, iw);
              sum += v;
              count++;
              if (at < 0 || v > best) {
                best = v;
                at = ih * W + iw;
              }
            }
          values.set([n, c, oh, ow], kind === 'avg' ? sum / count : best);
          indices.push(at);
        }
  return { values, indices };
}
