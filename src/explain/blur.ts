/**
 * The blurred baseline of the insertion metric: a separable Gaussian blur run as two depthwise
 * convolutions, with the edges replicated so that the border does not darken.
 * @module
 */
import { Tensor } from '../tensor';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { conv2d } from '../ops/conv';
import { pad } from '../ops/indexing';

/**
 * A Gaussian blur of a float32 [N, C, H, W] batch, each channel on its own. The defaults, an 11-tap
 * kernel of σ = 5, are those of RISE's insertion metric (Petsiuk et al. 2018), which blur away detail at
 * ImageNet resolution while keeping the colours.
 */
export function gaussianBlur(x: Tensor, size = 11, sigma = 5): Tensor {
  return tidy(() => {
    const c = x.shape[1];
    const r = Math.floor(size / 2);
    const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
    const total = taps.reduce((a, b) => a + b, 0);
    const kernel = Float32Array.from({ length: c * taps.length }, (_, i) => taps[i % taps.length] / total);
    const across = tensor(kernel, [c, 1, 1, taps.length], { device: x.device });
    const down = tensor(kernel, [c, 1, taps.length, 1], { device: x.device });
    const rows = conv2d(pad(x, [r, r, 0, 0], { mode: 'replicate' }), across, null, { groups: c });
    return conv2d(pad(rows, [0, 0, r, r], { mode: 'replicate' }), down, null, { groups: c });
  });
}
