/**
 * nn.foldBatchNorm: eval-mode batch norms folded into the convolution or linear layer before them. The
 * folded model must compute the same function; pairs that cannot be folded (pre-activation order, a layer
 * output that feeds more than the batch norm, a layer run twice) must be left alone and reported.
 */
import * as ds from '../../src';
import { models, nn, Tensor } from '../../src';

// Non-trivial statistics, so that folding changes the weights by more than rounding.
function randomiseNorms(model: nn.Module): void {
  for (const m of model.modules()) {
    if (!(m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm1d)) continue;
    const c = m.numFeatures;
    const old = [m.running_mean, m.running_var, m.weight, m.bias];
    if (m.running_mean) m.running_mean = ds.randn([c]).mul(0.3);
    if (m.running_var) m.running_var = ds.rand([c]).add(0.5);
    m.weight = ds.randn([c]).mul(0.5).add(1);
    m.bias = ds.randn([c]).mul(0.2);
    for (const t of old) t?.dispose();
  }
}

function maxAbs(a: ArrayLike<number>): number {
  return Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

// Outputs before and after folding. Folding rescales each weight by s (one float32 rounding, 6e-8
// relative) and moves the shift into the bias; through ResNet-18's 20 layers the outputs agree to about
// 1e-6 of their scale, so 1e-4 is a bound with margin that a wrong fold (a missed ε, a swapped mean sign:
// errors of 1e-2 and more) cannot meet.
function expectSameFunction(model: nn.Module, x: Tensor, fold: () => void): void {
  const before = (model.call(x) as Tensor).dataSync();
  fold();
  const after = (model.call(x) as Tensor).dataSync();
  const scale = maxAbs(before);
  expect(maxAbs(Array.from(before, (v, i) => v - after[i]))).toBeLessThan(1e-4 * scale);
}

describe('foldBatchNorm', () => {
  test('folds every convolution-batch norm pair of ResNet-18 and keeps its outputs', () => {
    ds.manualSeed(1);
    const model = models.resnet18({ numClasses: 7 });
    randomiseNorms(model);
    model.eval();
    ds.tidy(() => {
      const x = ds.randn([2, 3, 40, 40]);
      let report!: nn.FoldReport;
      expectSameFunction(model, x, () => { report = nn.foldBatchNorm(model, x); });
      expect(report.folded).toHaveLength(20);
      expect(report.folded).toContainEqual(['conv1', 'bn1']);
      expect(report.folded).toContainEqual(['layer2.0.downsample.0', 'layer2.0.downsample.1']);
      expect(report.skipped).toEqual([]);
    });
    expect(model.modules().some((m) => m instanceof nn.BatchNorm2d)).toBe(false);
    expect(model.getSubmodule('layer1.0.bn2')).toBeInstanceOf(nn.Identity);
    expect((model.getSubmodule('layer1.0.conv2') as nn.Conv2d).bias?.shape).toEqual([64]);
    model.dispose();
  });

  test('folds Sequential chains (VGG-BN style) and a Linear followed by BatchNorm1d', () => {
    ds.manualSeed(2);
    const vgg = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 6, 3, { padding: 1, groups: 2, bias: false }), new nn.BatchNorm2d(6), new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(6, 4),
    );
    randomiseNorms(vgg);
    vgg.eval();
    ds.tidy(() => {
      const x = ds.randn([3, 3, 13, 11]);
      let report!: nn.FoldReport;
      expectSameFunction(vgg, x, () => { report = nn.foldBatchNorm(vgg, x); });
      expect(report.folded).toEqual([['0', '1'], ['4', '5']]);
    });
    vgg.dispose();

    const mlp = new nn.Sequential(new nn.Linear(9, 6, { bias: false }), new nn.BatchNorm1d(6), new nn.ReLU(), new nn.Linear(6, 3));
    randomiseNorms(mlp);
    mlp.eval();
    ds.tidy(() => {
      const x = ds.randn([4, 9]);
      let report!: nn.FoldReport;
      expectSameFunction(mlp, x, () => { report = nn.foldBatchNorm(mlp, x); });
      expect(report.folded).toEqual([['0', '1']]);
    });
    mlp.dispose();
  });

  test('leaves pre-activation, shared outputs, repeated layers and batch statistics alone, and says why', () => {
    class Shared extends nn.Module {
      declare conv: nn.Conv2d;
      declare bn: nn.BatchNorm2d;
      declare again: nn.Conv2d;
      declare bnAgain: nn.BatchNorm2d;
      constructor() {
        super();
        this.registerModule('conv', new nn.Conv2d(3, 3, 3, { padding: 1 }));
        this.registerModule('bn', new nn.BatchNorm2d(3));
        this.registerModule('again', new nn.Conv2d(3, 3, 1));
        this.registerModule('bnAgain', new nn.BatchNorm2d(3));
      }
      override forward(x: Tensor): Tensor {
        const y = this.conv.call(x);
        const z = this.bn.call(y).add(y); // conv's output also feeds the add
        return this.bnAgain.call(this.again.call(this.again.call(z))); // `again` runs twice
      }
    }
    ds.manualSeed(3);
    const model = new nn.Sequential(new nn.BatchNorm2d(3), new Shared(), new nn.Conv2d(3, 2, 1), new nn.BatchNorm2d(2, { trackRunningStats: false }));
    randomiseNorms(model);
    model.eval();
    ds.tidy(() => {
      const x = ds.randn([2, 3, 6, 5]);
      let report!: nn.FoldReport;
      expectSameFunction(model, x, () => { report = nn.foldBatchNorm(model, x); });
      expect(report.folded).toEqual([]);
      expect(Object.fromEntries(report.skipped)).toEqual({
        '0': 'its input is not the output of a Conv2d or Linear',
        '1.bn': "the output of '1.conv' feeds other operations too",
        '1.bnAgain': 'a module in the pair runs more than once per forward',
        '3': 'it has no running statistics (trackRunningStats: false)',
      });
    });
    model.dispose();
  });

  test('rejects a model in training mode and bad samples', () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
    expect(() => nn.foldBatchNorm(model, ds.randn([1, 1, 5, 5]))).toThrow(/foldBatchNorm: the model must be in eval mode \(call model.eval\(\)\); 'the model' is training/);
    model.eval();
    expect(() => nn.foldBatchNorm(model, [] as Tensor[])).toThrow(TypeError);
    expect(() => nn.foldBatchNorm({} as nn.Module, ds.randn([1]))).toThrow(/foldBatchNorm: model must be a Module/);
    model.dispose();
  });
});
