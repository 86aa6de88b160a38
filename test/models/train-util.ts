/** Shared helper of the model-family tests: a short MNIST run that returns the losses. */
import * as ds from '../../src';

/** First `n` MNIST training images (28×28, normalised) and labels; `transform` maps the images. */
export function mnistSubset(n: number, transform?: (x: ds.Tensor) => ds.Tensor): { x: ds.Tensor; y: ds.Tensor } {
  const { train } = ds.data.mnist();
  const t = (train as ds.data.TensorDataset).tensors;
  const idx = ds.arange(0, n);
  let x = ds.indexSelect(t[0], 0, idx);
  const y = ds.indexSelect(t[1], 0, idx);
  if (transform) {
    const x2 = ds.noGrad(() => transform(x));
    x.dispose();
    x = x2;
  }
  idx.dispose();
  return { x, y };
}

type RunOptions = { epochs: number; batch: number; lr: number };
type LossFn = (output: ds.Tensor, target: ds.Tensor) => ds.Tensor;

/**
 * Trains `net` with Adam for `epochs` over (x, y) in batches; returns the per-batch losses. The loss is
 * `net.loss`, or `options.loss` for a network that is not a Classifier (e.g. a plain Sequential).
 */
export async function shortRun(net: ds.models.Classifier, data: { x: ds.Tensor; y: ds.Tensor }, options: RunOptions): Promise<number[]>;
export async function shortRun(net: ds.nn.Module, data: { x: ds.Tensor; y: ds.Tensor }, options: RunOptions & { loss: LossFn }): Promise<number[]>;
export async function shortRun(
  net: ds.nn.Module,
  data: { x: ds.Tensor; y: ds.Tensor },
  options: RunOptions & { loss?: LossFn },
): Promise<number[]> {
  const lossFn: LossFn = options.loss ?? ((o, t) => (net as ds.models.Classifier).loss(o, t));
  const opt = new ds.optim.Adam(net.parameters(), { lr: options.lr });
  const n = data.x.shape[0];
  const losses: number[] = [];
  for (let e = 0; e < options.epochs; e++) {
    for (let b = 0; b < n; b += options.batch) {
      const l = ds.tidy(() => {
        const loss = lossFn(net.call(data.x.slice(0, b, b + options.batch)) as ds.Tensor, data.y.slice(0, b, b + options.batch));
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss;
      });
      losses.push(await l.item());
      l.dispose();
    }
  }
  return losses;
}

/** Mean of a slice of numbers. */
export const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
