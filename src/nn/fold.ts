/**
 * Inference-time folding of batch normalisation into the layer before it, as onnxruntime's graph optimiser
 * and PyTorch's `fuse_conv_bn_eval` do: in eval mode `bn(conv(x))` is `conv'(x)` with
 * `w' = w·s` per output channel and `b' = (b − mean)·s + β`, `s = γ / √(var + ε)`, so one pass over the
 * activations (the normalisation) disappears.
 * @module
 */
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { traceOps } from '../ops/util';
import { tensor } from '../ops/creation';
import { Tensor } from '../tensor';
import { Conv2d } from './layers/conv';
import { Identity } from './layers/flatten';
import { Linear } from './layers/linear';
import { BatchNorm1d, BatchNorm2d } from './layers/normalization';
import { Module } from './module';

/** What {@link foldBatchNorm} did. */
export interface FoldReport {
  /** `[layer, batchNorm]` module paths whose batch norm was folded into the layer (and replaced by Identity). */
  folded: [string, string][];
  /** `[batchNorm, reason]` for each batch norm that was left in place. */
  skipped: [string, string][];
}

type Foldable = Conv2d | Linear;
type Norm = BatchNorm1d | BatchNorm2d;

/**
 * Folds every eval-mode batch norm whose input is the output of a `Conv2d` (for `BatchNorm2d`) or a
 * `Linear` (for `BatchNorm1d`) that feeds nothing else into that layer's weight and bias, and replaces the
 * batch norm by `Identity`, in place. The pairs are found by running `sample` through the model once
 * (without gradients), so it works on any graph, not only on `Sequential` chains: ResNet's `conv1`→`bn1`,
 * VGG-BN's `features.0`→`features.1`. Pre-activation orders (batch norm before the convolution, as in
 * DenseNet) are left alone and reported in `skipped`.
 *
 * Outputs are unchanged up to float32 rounding; the state dict changes (the batch norms' entries go, the
 * layers gain a `bias`), so fold after loading weights, for inference. Throws if the model is in training
 * mode.
 * @example
 * const model = models.resnet18().eval();
 * const { folded } = nn.foldBatchNorm(model, ds.randn([1, 3, 224, 224]));
 * // folded.length === 20: every convolution of ResNet-18 absorbed its batch norm
 */
export function foldBatchNorm(model: Module, sample: Tensor | Tensor[]): FoldReport {
  if (!(model instanceof Module)) throw new TypeError('foldBatchNorm: model must be a Module');
  const inputs = Array.isArray(sample) ? sample : [sample];
  if (inputs.length === 0 || !inputs.every((t) => t instanceof Tensor)) {
    throw new TypeError('foldBatchNorm: sample must be a Tensor or an array of Tensors (the model\'s inputs)');
  }
  const training = model.namedModules().filter(([, m]) => m.training);
  if (training.length > 0) {
    throw new RangeError(`foldBatchNorm: the model must be in eval mode (call model.eval()); '${training[0][0] || 'the model'}' is training`);
  }

  const paths = new Map<Module, string>(model.namedModules().map(([p, m]) => [m, p]));
  const calls = new Map<Module, number>();
  const producer = new Map<Tensor, Foldable>();
  const normInput = new Map<Norm, Tensor>();
  const uses = new Map<Tensor, number>();
  const handles = [...paths.keys()].map((m) =>
    m.registerForwardHook((mod, args, out) => {
      calls.set(mod, (calls.get(mod) ?? 0) + 1);
      if ((mod instanceof Conv2d || mod instanceof Linear) && out instanceof Tensor) producer.set(out, mod);
      if ((mod instanceof BatchNorm2d || mod instanceof BatchNorm1d) && args[0] instanceof Tensor) normInput.set(mod, args[0]);
    }),
  );
  try {
    tidy(() =>
      noGrad(() =>
        traceOps(
          (_op, opInputs) => {
            for (const t of opInputs) if (t) uses.set(t, (uses.get(t) ?? 0) + 1);
          },
          () => model.call(...inputs),
        ),
      ),
    );
  } finally {
    for (const h of handles) h.remove();
  }

  const report: FoldReport = { folded: [], skipped: [] };
  for (const [norm, x] of normInput) {
    const normPath = paths.get(norm)!;
    const layer = producer.get(x);
    const why =
      !layer ? 'its input is not the output of a Conv2d or Linear'
        : (norm instanceof BatchNorm2d) !== (layer instanceof Conv2d) ? `${layer.constructor.name} does not pair with ${norm.constructor.name}`
          : (uses.get(x) ?? 0) !== 1 ? `the output of '${paths.get(layer)}' feeds other operations too`
            : calls.get(layer) !== 1 || calls.get(norm) !== 1 ? 'a module in the pair runs more than once per forward'
              : !norm.running_mean || !norm.running_var ? 'it has no running statistics (trackRunningStats: false)'
                : null;
    if (why) {
      report.skipped.push([normPath, why]);
      continue;
    }
    foldInto(layer!, norm);
    replaceModule(model, normPath, new Identity());
    norm.dispose();
    report.folded.push([paths.get(layer!)!, normPath]);
  }
  return report;
}

// Rewrites the layer's weight and bias in float64 on the host (parameters are small next to activations).
function foldInto(layer: Foldable, norm: Norm): void {
  const c = layer.weight.shape[0];
  const mean = norm.running_mean!.dataSync();
  const variance = norm.running_var!.dataSync();
  const gamma = norm.weight?.dataSync();
  const beta = norm.bias?.dataSync();
  const w = layer.weight.dataSync();
  const b = layer.bias?.dataSync();
  const per = w.length / c;
  const nw = new Float32Array(w.length);
  const nb = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    const s = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + norm.eps);
    for (let i = o * per; i < (o + 1) * per; i++) nw[i] = w[i] * s;
    nb[o] = ((b ? b[o] : 0) - mean[o]) * s + (beta ? beta[o] : 0);
  }
  const device = layer.weight.device;
  const old = [layer.weight, layer.bias];
  layer.weight = tensor(nw, layer.weight.shape, { device });
  layer.bias = tensor(nb, [c], { device });
  for (const t of old) t?.dispose();
}

function replaceModule(root: Module, path: string, replacement: Module): void {
  const dot = path.lastIndexOf('.');
  const parent = dot < 0 ? root : root.getSubmodule(path.slice(0, dot));
  parent._modules.set(path.slice(dot + 1), replacement);
}
