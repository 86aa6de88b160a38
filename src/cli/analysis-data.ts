/**
 * Data and models of the analysis commands (`landscape`, `lesion`, `signal`): a model of the zoo with
 * its checkpoint, and MNIST test digits shaped as that model takes them.
 * @module
 */
import type { Tensor } from '../tensor';
import type { DeviceLike } from '../device';
import { mnist } from '../data/mnist';
import { interpolate } from '../ops/resample';
import { tidy } from '../memory';
import { ProgressBar } from '../util/progress';
import { usageError } from './common';
import type { ZooModel } from './zoo';

/**
 * The first `samples` digits of the MNIST test split, normalised with MNIST's statistics, as `model`
 * takes them: 32×32 padded digits for the LeNets, otherwise resized (bilinear) to the model's input and
 * repeated over its channels. Labels int32.
 */
export function digitsFor(model: ZooModel, samples: number, device: DeviceLike): [Tensor, Tensor] {
  const { test, train } = mnist({ padTo32: model.mnistStyle });
  try {
    const [images, labels] = test.tensors;
    if (samples > images.shape[0]) throw usageError(`--samples must be at most ${images.shape[0]} (the MNIST test split), got ${samples}`);
    return tidy(() => {
      let x = images.narrow(0, 0, samples);
      const [c, h, w] = model.spec.input;
      if (!model.mnistStyle && (x.shape[2] !== h || x.shape[3] !== w)) x = interpolate(x, { size: [h, w], mode: 'bilinear' });
      if (c !== 1) x = x.expand([samples, c, h, w]).mul(1);
      return [x.to(device), labels.narrow(0, 0, samples).to(device)] as [Tensor, Tensor];
    });
  } finally {
    test.dispose();
    train.dispose();
  }
}

/** Splits `[x, y]` into batches of at most `size` (views). */
export function batches(x: Tensor, y: Tensor, size: number): [Tensor, Tensor][] {
  const out: [Tensor, Tensor][] = [];
  for (let i = 0; i < x.shape[0]; i += size) {
    const n = Math.min(size, x.shape[0] - i);
    out.push([x.narrow(0, i, n), y.narrow(0, i, n)]);
  }
  return out;
}

/** A progress callback that draws a bar on stderr (none with `quiet`), restarting after each completion. */
export function progressBar(label: string, quiet = false): ((p: { done: number; total: number }) => void) | undefined {
  if (quiet) return undefined;
  let bar: ProgressBar | null = null;
  return ({ done, total }) => {
    bar ??= new ProgressBar({ total, label, stream: process.stderr });
    bar.update(done);
    if (done >= total) {
      bar.done();
      bar = null;
    }
  };
}

/** Parser of a comma-separated list of positive integers (`--k 1,2,4`). */
export function intList(flag: string): (value: string) => number[] {
  return (value: string) => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw usageError(`${flag} must be positive integers separated by commas, got '${value}'`);
    return parts.map(Number);
  };
}
