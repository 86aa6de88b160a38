/**
 * Float64 references of the 2-D convolutions, written as plain loops over every output (conv2d) or every
 * input tap (convTranspose2d), straight from the definitions; PyTorch semantics.
 */
import { Nd } from './nd';

export interface ConvRefOptions {
  stride?: [number, number];
  /** [top, bottom, left, right] */
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

/** conv2d: x [N, C, H, W], w [Co, C/g, kh, kw], bias [Co]. */
export function conv2d(x: Nd, w: Nd, bias: Nd | null, o: ConvRefOptions = {}): Nd {
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pb, pl, pr] = o.pad ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const g = o.groups ?? 1;
  const [n, c, h, wd] = x.shape;
  const [co, cig, kh, kw] = w.shape;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const cog = co / g;
  if (cig * g !== c) throw new Error('reference conv2d: channels');
  const out = Nd.zeros([n, co, oh, ow]);
  for (let b = 0; b < n; b++)
    for (let f = 0; f < co; f++) {
      const grp = Math.floor(f / cog);
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          let s = bias ? bias.data[f] : 0;
          for (let ci = 0; ci < cig; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * sh - pt + i * dh;
                const ix = xo * sw - pl + j * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += x.get(b, grp * cig + ci, iy, ix) * w.get(f, ci, i, j);
              }
          out.set([b, f, y, xo], s);
        }
    }
  return out;
}

export interface ConvTransposeRefOptions {
  stride?: [number, number];
  padding?: [number, number];
  outputPadding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

/** convTranspose2d: x [N, Ci, H, W], w [Ci, Co/g, kh, kw], bias [Co]; every input tap scatters. */
export function convTranspose2d(x: Nd, w: Nd, bias: Nd | null, o: ConvTransposeRefOptions = {}): Nd {
  const [sh, sw] = o.stride ?? [1, 1];
  const [ph, pw] = o.padding ?? [0, 0];
  const [oph, opw] = o.outputPadding ?? [0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const g = o.groups ?? 1;
  const [n, ci, h, wd] = x.shape;
  const [, cog, kh, kw] = w.shape;
  const cig = ci / g;
  const co = cog * g;
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  const out = Nd.zeros([n, co, oh, ow]);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < co; c++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) out.set([b, c, y, xo], bias ? bias.data[c] : 0);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < ci; c++) {
      const grp = Math.floor(c / cig);
      for (let y = 0; y < h; y++)
        for (let xi = 0; xi < wd; xi++) {
          const v = x.get(b, c, y, xi);
          for (let f = 0; f < cog; f++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const oy = y * sh - ph + i * dh;
                const ox = xi * sw - pw + j * dw;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                const idx = [b, grp * cog + f, oy, ox];
                out.set(idx, out.get(...idx) + v * w.get(c, f, i, j));
              }
        }
    }
  return out;
}

/** Gradient of conv2d with respect to its input, from the output gradient gy (plain loops over taps). */
export function conv2dGradInput(gy: Nd, w: Nd, xShape: number[], o: ConvRefOptions = {}): Nd {
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, , pl] = o.pad ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const g = o.groups ?? 1;
  const [n, , h, wd] = xShape;
  const [co, cig, kh, kw] = w.shape;
  const [, , oh, ow] = gy.shape;
  const cog = co / g;
  const dx = Nd.zeros(xShape);
  for (let b = 0; b < n; b++)
    for (let f = 0; f < co; f++) {
      const grp = Math.floor(f / cog);
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          const gv = gy.get(b, f, y, xo);
          for (let ci = 0; ci < cig; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * sh - pt + i * dh;
                const ix = xo * sw - pl + j * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const idx = [b, grp * cig + ci, iy, ix];
                dx.set(idx, dx.get(...idx) + gv * w.get(f, ci, i, j));
              }
        }
    }
  return dx;
}

/** Gradient of conv2d with respect to its weight, from x and the output gradient gy. */
export function conv2dGradWeight(x: Nd, gy: Nd, wShape: number[], o: ConvRefOptions = {}): Nd {
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, , pl] = o.pad ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const g = o.groups ?? 1;
  const [n, , h, wd] = x.shape;
  const [co, cig, kh, kw] = wShape;
  const [, , oh, ow] = gy.shape;
  const cog = co / g;
  const dW = Nd.zeros(wShape);
  for (let f = 0; f < co; f++) {
    const grp = Math.floor(f / cog);
    for (let ci = 0; ci < cig; ci++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          let s = 0;
          for (let b = 0; b < n; b++)
            for (let y = 0; y < oh; y++)
              for (let xo = 0; xo < ow; xo++) {
                const iy = y * sh - pt + i * dh;
                const ix = xo * sw - pl + j * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += gy.get(b, f, y, xo) * x.get(b, grp * cig + ci, iy, ix);
              }
          dW.set([f, ci, i, j], s);
        }
  }
  return dW;
}
