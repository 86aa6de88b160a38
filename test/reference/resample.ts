/**
 * Float64 reference of nearest and bilinear resampling on [N, C, H, W], following PyTorch's coordinate
 * rules. Nearest's source index is a floor, so a rounding difference would pick another pixel: its scale
 * and product are rounded to float32 (Math.fround) exactly where PyTorch's CPU kernel computes in float.
 * Bilinear is continuous in the source coordinate, so it is computed in plain float64.
 */
import { Nd } from './nd';

export interface ResampleRefOptions {
  size: [number, number];
  mode: 'nearest' | 'bilinear';
  alignCorners?: boolean;
  /** The user's scale factors when they set the size (and recomputeScaleFactor was not set). */
  scales?: [number, number];
}

function nearestIndex(o: number, input: number, output: number, scale?: number): number {
  if (output === input) return o;
  if (output === 2 * input) return o >> 1;
  const s = scale !== undefined ? Math.fround(1 / scale) : Math.fround(input / output);
  return Math.min(Math.floor(Math.fround(o * s)), input - 1);
}

/** Source indices and weights of output position o along one axis. */
function linearSource(o: number, input: number, output: number, align: boolean, scale?: number): [number, number, number, number] {
  if (output === input) return [o, o, 1, 0];
  let src: number;
  if (align) {
    src = output > 1 ? (o * (input - 1)) / (output - 1) : 0;
  } else {
    const ratio = scale !== undefined ? 1 / scale : input / output;
    src = Math.max(ratio * (o + 0.5) - 0.5, 0);
  }
  const i0 = Math.min(Math.floor(src), input - 1);
  const l1 = Math.min(Math.max(src - i0, 0), 1);
  const i1 = i0 < input - 1 ? i0 + 1 : i0;
  return [i0, i1, 1 - l1, l1];
}

export function interpolate(x: Nd, o: ResampleRefOptions): Nd {
  const [N, C, H, W] = x.shape;
  const [OH, OW] = o.size;
  const y = Nd.zeros([N, C, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let v: number;
          if (o.mode === 'nearest') {
            v = x.get(n, c, nearestIndex(oh, H, OH, o.scales?.[0]), nearestIndex(ow, W, OW, o.scales?.[1]));
          } else {
            const [h0, h1, a0, a1] = linearSource(oh, H, OH, !!o.alignCorners, o.scales?.[0]);
            const [w0, w1, b0, b1] = linearSource(ow, W, OW, !!o.alignCorners, o.scales?.[1]);
            v =
              a0 * (b0 * x.get(n, c, h0, w0) + b1 * x.get(n, c, h0, w1)) +
              a1 * (b0 * x.get(n, c, h1, w0) + b1 * x.get(n, c, h1, w1));
          }
          y.set([n, c, oh, ow], v);
        }
  return y;
}
