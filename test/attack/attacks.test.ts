/**
 * The attacks: one-step attacks against a float64 reference, budgets and boxes respected, and on a LeNet-5
 * trained here on MNIST (pixels in [0, 1]): FGSM's damage, PGD at least as strong, targeted L-BFGS and C&W
 * reaching their targets with smaller perturbations than FGSM, DeepFool smaller still, adversarial
 * training raising robust accuracy; normalisation, options, reports, errors and memory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ds from '../../src';
import { rng, settledMemory } from '../helpers';
import { linearLossGradient, oneStep } from './reference';

const { attack, data, models, optim, train, nn } = ds;

let trainSet: ds.data.TensorDataset;
let testSet: ds.data.TensorDataset;
let net: ds.models.Classifier & ds.nn.Module;
let x: ds.Tensor; // 100 test digits
let y: ds.Tensor;
let cleanAccuracy = 0;

async function trainLeNet(seed: number, transform?: (m: ds.nn.Module) => (bx: ds.Tensor, by: ds.Tensor) => [ds.Tensor, ds.Tensor]) {
  ds.manualSeed(seed);
  const m = models.create('lenet5-modern') as ds.models.Classifier & ds.nn.Module;
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: new ds.Generator(seed) });
  const opt = new optim.AdamW(m.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  await train.fit(m, loader, { epochs: 2, optimizer: opt, transform: transform?.(m) });
  return m;
}

async function accuracy(m: ds.nn.Module, images: ds.Tensor, labels: ds.Tensor): Promise<number> {
  const pred = await ds.tidy(() => ds.noGrad(() => (m.eval().call(images) as ds.Tensor).argmax(1))).data();
  const l = await labels.data();
  return pred.filter((p, i) => p === l[i]).length / pred.length;
}

const robust = (r: ds.attack.AttackResult) => r.success.filter((s) => !s).length / r.success.length;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

beforeAll(async () => {
  ({ train: trainSet, test: testSet } = data.mnist({ normalize: false, padTo32: true }));
  net = await trainLeNet(0);
  x = testSet.tensors[0].narrow(0, 0, 100);
  y = testSet.tensors[1].narrow(0, 0, 100);
  cleanAccuracy = await accuracy(net, x, y);
}, 120_000);

afterAll(() => ds.dispose([trainSet, testSet, net]));

describe('one-step attacks against the float64 reference (a linear classifier)', () => {
  const setup = () => {
    ds.manualSeed(1);
    const lin = new nn.Sequential(new nn.Flatten(), new nn.Linear(18, 4));
    const r = rng(1);
    const xs = Float64Array.from({ length: 3 * 18 }, () => r());
    const labels = [0, 3, 1];
    const w = Float64Array.from((lin.children()[1] as ds.nn.Linear).weight.dataSync());
    const b = Float64Array.from((lin.children()[1] as ds.nn.Linear).bias!.dataSync());
    return { lin, xs, labels, w, b, xt: ds.tensor(Float32Array.from(xs), [3, 2, 3, 3]) };
  };
  test.each([
    ['fgsm', 'linf', false],
    ['fgsm', 'linf', true],
    ['fgm', 'l2', false],
    ['fgm', 'l2', true],
  ] as const)('%s (%s), targeted %s', async (name, norm, targeted) => {
    const { lin, xs, labels, w, b, xt } = setup();
    const eps = norm === 'linf' ? 0.1 : 0.5;
    const r = await attack[name](lin, xt, labels, { eps, targeted });
    const g = linearLossGradient(w, b, 4, Float64Array.from(xt.dataSync()), labels);
    const expected = oneStep(Float64Array.from(xt.dataSync()), targeted ? g.map((v) => -v) : g, 3, eps, norm);
    const got = r.adversarial.dataSync();
    // float32 storage of x ± ε (one rounding, 6e-8) and of the normalised step: 1e-6 absolute.
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-6);
    expect(r.adversarial.shape).toEqual([3, 2, 3, 3]);
    ds.dispose([r, lin, xt]);
    void xs;
  });
});

describe('budgets and boxes', () => {
  test('every fixed-budget attack stays in its ε-ball and in [0, 1]; the norms are reported', async () => {
    const imgs = x.narrow(0, 0, 16);
    const labels = y.narrow(0, 0, 16);
    const runs: [string, Promise<ds.attack.AttackResult>, 'linf' | 'l2', number][] = [
      ['fgsm', attack.fgsm(net, imgs, labels, { eps: 0.1 }), 'linf', 0.1],
      ['fgm', attack.fgm(net, imgs, labels, { eps: 1.5 }), 'l2', 1.5],
      ['bim', attack.bim(net, imgs, labels, { eps: 0.1, steps: 5 }), 'linf', 0.1],
      ['pgd linf', attack.pgd(net, imgs, labels, { eps: 0.1, steps: 5, generator: new ds.Generator(1) }), 'linf', 0.1],
      ['pgd l2', attack.pgd(net, imgs, labels, { eps: 1.5, norm: 'l2', steps: 5, generator: new ds.Generator(1) }), 'l2', 1.5],
      ['mifgsm', attack.mifgsm(net, imgs, labels, { eps: 0.1, steps: 5 }), 'linf', 0.1],
    ];
    for (const [name, p, norm, eps] of runs) {
      const r = await p;
      const a = r.adversarial.dataSync();
      expect([name, a.every((v) => v >= 0 && v <= 1)]).toEqual([name, true]);
      const norms = norm === 'linf' ? r.norms.linf : r.norms.l2;
      // float32: the ball's edge is computed as x ± ε, rounding by a few ulps.
      expect([name, Math.max(...norms) <= eps * (1 + 1e-5)]).toEqual([name, true]);
      // The reported norms are those of adversarial − images.
      const d = ds.sub(r.adversarial, imgs).reshape([16, -1]);
      const linf = Array.from(d.abs().max(1).dataSync());
      linf.forEach((v, i) => expect(Math.abs(v - r.norms.linf[i])).toBeLessThan(1e-6));
      ds.dispose([r, d]);
    }
  });
});

describe('on a LeNet-5 trained on MNIST', () => {
  test('FGSM at ε = 0.25 drops the accuracy by a wide margin; PGD is at least as strong', async () => {
    expect(cleanAccuracy).toBeGreaterThan(0.93);
    const f = await attack.fgsm(net, x, y, { eps: 0.25 });
    const p = await attack.pgd(net, x, y, { eps: 0.25, steps: 20, generator: new ds.Generator(2) });
    const fgsmAcc = robust(f);
    const pgdAcc = robust(p);
    console.log(`LeNet-5 on 100 MNIST test digits: clean ${cleanAccuracy}, FGSM ε=0.25 ${fgsmAcc}, PGD-20 ε=0.25 ${pgdAcc}`);
    expect(fgsmAcc).toBeLessThan(cleanAccuracy - 0.5);
    expect(pgdAcc).toBeLessThanOrEqual(fgsmAcc);
    // The reported predictions are the model's on the adversarial images.
    expect(await accuracy(net, f.adversarial, y)).toBeCloseTo(fgsmAcc, 10);
    ds.dispose([f, p]);
  });

  test('targeted L-BFGS and C&W reach the target for ≥ 90% with L2 norms smaller than FGSM; DeepFool smaller than FGSM', async () => {
    const n = 20;
    const imgs = x.narrow(0, 0, n);
    const labels = Array.from(y.narrow(0, 0, n).dataSync());
    const targets = labels.map((l) => (l + 1) % 10);
    const f = await attack.fgsm(net, imgs, labels, { eps: 0.25 });
    const fgsmL2 = mean(f.norms.l2.filter((_, i) => f.success[i]));
    const lb = await attack.lbfgs(net, imgs, targets, { targeted: true, binarySearchSteps: 5, maxIter: 30 });
    const c = await attack.cw(net, imgs, targets, { targeted: true, steps: 100, binarySearchSteps: 4, c: 1, lr: 0.05 });
    const df = await attack.deepfool(net, imgs, labels);
    const rate = (r: ds.attack.AttackResult) => r.success.filter(Boolean).length / n;
    const l2 = (r: ds.attack.AttackResult) => mean(r.norms.l2.filter((_, i) => r.success[i]));
    console.log(
      `targeted (label+1) on ${n} digits: L-BFGS ${rate(lb)} (mean L2 ${l2(lb).toFixed(3)}), C&W ${rate(c)} (${l2(c).toFixed(3)}); ` +
        `DeepFool untargeted ${rate(df)} (${l2(df).toFixed(3)}); FGSM ε=0.25 ${rate(f)} (${fgsmL2.toFixed(3)})`,
    );
    expect(rate(lb)).toBeGreaterThanOrEqual(0.9);
    expect(rate(c)).toBeGreaterThanOrEqual(0.9);
    expect(lb.predictions.filter((p, i) => p === targets[i]).length).toBe(lb.success.filter(Boolean).length);
    expect(l2(lb)).toBeLessThan(fgsmL2);
    expect(l2(c)).toBeLessThan(fgsmL2);
    expect(rate(df)).toBeGreaterThanOrEqual(0.9);
    expect(l2(df)).toBeLessThan(fgsmL2);
    for (const r of [lb, c, df]) expect(r.adversarial.dataSync().every((v) => v >= 0 && v <= 1)).toBe(true);
    ds.dispose([f, lb, c, df]);
  }, 120_000);

  test('adversarial training (FGSM, ε = 0.2, half of each batch) raises robust accuracy at ε = 0.2', async () => {
    const robustNet = await trainLeNet(0, (m) => (bx, by) => attack.adversarialBatch(m, bx, by, { eps: 0.2 }));
    const plain = robust(await attack.fgsm(net, x, y, { eps: 0.2 }));
    const hardened = robust(await attack.fgsm(robustNet, x, y, { eps: 0.2 }));
    const clean = await accuracy(robustNet, x, y);
    console.log(`FGSM ε=0.2 robust accuracy: standard ${plain}, adversarially trained ${hardened} (clean ${clean})`);
    expect(hardened).toBeGreaterThan(plain + 0.3);
    expect(clean).toBeGreaterThan(0.9);
    robustNet.dispose();
  }, 120_000);
});

describe('options', () => {
  test('normalize: attacking a normalising model in pixel space equals attacking the model behind the normalisation', async () => {
    class Normalised extends nn.Module {
      constructor(readonly inner: ds.nn.Module) {
        super();
        this.registerModule('inner', inner);
      }
      override forward(t: ds.Tensor): ds.Tensor {
        return this.inner.call(t.sub(0.1307).div(0.3081)) as ds.Tensor;
      }
    }
    const imgs = x.narrow(0, 0, 8);
    const labels = y.narrow(0, 0, 8);
    // net expects pixels; `inner` expects normalised input, so wrap the other way round.
    const expectsNormalised = new (class extends nn.Module {
      override forward(t: ds.Tensor): ds.Tensor {
        return net.call(t.mul(0.3081).add(0.1307)) as ds.Tensor;
      }
    })();
    const a = await attack.pgd(expectsNormalised, imgs, labels, { eps: 0.1, steps: 3, generator: new ds.Generator(4), normalize: { mean: 0.1307, std: 0.3081 } });
    const b = await attack.pgd(new Normalised(expectsNormalised), imgs, labels, { eps: 0.1, steps: 3, generator: new ds.Generator(4) });
    const da = a.adversarial.dataSync();
    const db = b.adversarial.dataSync();
    for (let i = 0; i < da.length; i++) expect(Math.abs(da[i] - db[i])).toBeLessThan(1e-6);
    ds.dispose([a, b]);
  });

  test('labels as an array or a tensor; stopWhenFooled freezes fooled images; restarts keep the first success', async () => {
    const imgs = x.narrow(0, 0, 12);
    const arr = Array.from(y.narrow(0, 0, 12).dataSync());
    const a = await attack.bim(net, imgs, arr, { eps: 0.3, steps: 10 });
    const t = await attack.bim(net, imgs, ds.tensor(arr, [12], { dtype: 'int32' }), { eps: 0.3, steps: 10 });
    expect(Array.from(a.adversarial.dataSync())).toEqual(Array.from(t.adversarial.dataSync()));
    const stop = await attack.bim(net, imgs, arr, { eps: 0.3, steps: 10, stopWhenFooled: true });
    // Frozen as soon as fooled: never more perturbation than running all the steps, and still fooled.
    stop.norms.linf.forEach((v, i) => expect(v).toBeLessThanOrEqual(a.norms.linf[i] + 1e-7));
    expect(stop.success.filter(Boolean).length).toBeGreaterThanOrEqual(a.success.filter(Boolean).length - 1);
    const restarts = await attack.pgd(net, imgs, arr, { eps: 0.15, steps: 5, restarts: 3, generator: new ds.Generator(5) });
    const single = await attack.pgd(net, imgs, arr, { eps: 0.15, steps: 5, restarts: 1, generator: new ds.Generator(5) });
    expect(restarts.success.filter(Boolean).length).toBeGreaterThanOrEqual(single.success.filter(Boolean).length);
    ds.dispose([a, t, stop, restarts, single]);
  });

  test('robustness: accuracy against ε for a budget attack and a minimisation attack, and the plot', async () => {
    const small = new ds.data.TensorDataset(x.narrow(0, 0, 40), y.narrow(0, 0, 40));
    const loader = new data.DataLoader(small, { batchSize: 20 });
    const eps = [0, 0.05, 0.1, 0.2];
    const f = await attack.robustness(net, loader, attack.fgsm, { epsilons: eps });
    expect(f.samples).toBe(40);
    expect(f.accuracy[0]).toBeCloseTo(f.clean, 10);
    for (let k = 1; k < eps.length; k++) expect(f.accuracy[k]).toBeLessThanOrEqual(f.accuracy[k - 1] + 0.05);
    expect(f.meanMinimalNorm).toBeNull();
    const d = await attack.robustness(net, loader, attack.deepfool, { epsilons: [0, 0.5, 1, 2, 4], norm: 'l2' });
    expect(d.accuracy[0]).toBeLessThanOrEqual(d.clean);
    expect(d.accuracy[4]).toBeLessThan(d.accuracy[0] + 1e-12);
    // Robust at ε: correct and not fooled within ε; ε = 0 leaves only the images DeepFool failed on.
    for (let k = 1; k < 5; k++) expect(d.accuracy[k]).toBeLessThanOrEqual(d.accuracy[k - 1]);
    expect(d.meanMinimalNorm).toBeGreaterThan(0);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deepscope-attack-')), 'robustness.png');
    await attack.plotRobustness(file, { FGSM: f });
    expect(ds.io.decodeImage(fs.readFileSync(file)).width).toBe(640);
    small.dispose();
  });
});

describe('errors, model state and memory', () => {
  test('bad arguments name the attack and the argument', async () => {
    const imgs = x.narrow(0, 0, 4);
    const labels = [1, 2, 3, 4];
    await expect(attack.fgsm(net, imgs, labels, { eps: -1 })).rejects.toThrow(/fgsm: .*eps/);
    await expect(attack.fgsm(net, imgs, [1, 2], { eps: 0.1 })).rejects.toThrow(/fgsm: argument 'labels' must be an int32 tensor \[4\] or an array of 4/);
    await expect(attack.pgd(net, imgs, labels, { eps: 0.1, norm: 'l1' as never })).rejects.toThrow(new RangeError("pgd: norm must be 'linf' or 'l2', got l1"));
    await expect(attack.deepfool(net, imgs, labels, { targeted: true })).rejects.toThrow(/^deepfool: DeepFool is untargeted/);
    await expect(attack.cw(net, imgs, labels, { bounds: [1, 0] })).rejects.toThrow(/cw: bounds must be \[low, high\] with low < high/);
    await expect(attack.bim(net, ds.zeros([4]), labels, { eps: 0.1 })).rejects.toThrow(/bim: argument 'images' must be a float32 batch/);
    await expect(attack.fgsm({} as never, imgs, labels, { eps: 0.1 })).rejects.toThrow(new TypeError("fgsm: argument 'model' must be a Module"));
    expect(() => attack.adversarialBatch(net, imgs, ds.tensor(labels, [4], { dtype: 'int32' }), { eps: 0.1, ratio: 2 })).toThrow(/adversarialBatch: .*ratio/);
  });

  test("the model's mode is restored, its parameters get no gradient, memory stays flat", async () => {
    const imgs = x.narrow(0, 0, 4);
    const labels = y.narrow(0, 0, 4);
    net.train();
    // Training left gradients in .grad; the attacks must neither add to them nor replace them.
    const grads = net.parameters().map((p) => (p.grad ? Array.from(p.grad.dataSync()) : null));
    const before = await settledMemory();
    for (let i = 0; i < 3; i++) {
      ds.dispose(await attack.pgd(net, imgs, labels, { eps: 0.1, steps: 3, stopWhenFooled: i === 1, restarts: 2 }));
      ds.dispose(await attack.cw(net, imgs, labels, { steps: 3, binarySearchSteps: 2 }));
      ds.dispose(await attack.deepfool(net, imgs, labels, { steps: 3 }));
      ds.dispose(await attack.lbfgs(net, imgs, labels, { maxIter: 3, binarySearchSteps: 2 }));
      ds.dispose(await attack.mifgsm(net, imgs, labels, { eps: 0.1, steps: 3 }));
    }
    expect((await settledMemory()).tensors).toBe(before.tensors);
    expect(net.training).toBe(true);
    expect(net.parameters().map((p) => (p.grad ? Array.from(p.grad.dataSync()) : null))).toEqual(grads);
    net.eval();
  });
});

describe('the zoo', () => {
  test.each([
    ['ResNet-18', () => models.resnet18({ numClasses: 10 }), [2, 3, 32, 32]],
    ['VGG-11 (a quarter of the width)', () => models.vgg11_bn({ numClasses: 10, widthMultiplier: 0.25, hidden: 256 }), [2, 3, 32, 32]],
    ['DenseNet-121', () => models.densenet121({ numClasses: 10 }), [2, 3, 32, 32]],
    ['GoogLeNet', () => models.googlenet({ numClasses: 10 }), [2, 3, 32, 32]],
    ['LeNet-5 (penalties)', () => models.lenet5(), [2, 1, 32, 32]],
  ] as [string, () => ds.nn.Module, number[]][])('%s: every attack runs and respects the box', async (_name, build, shape) => {
    ds.manualSeed(7);
    const m = build();
    const imgs = ds.rand(shape);
    const labels = [1, 2];
    const runs = [
      await attack.fgsm(m, imgs, labels, { eps: 0.03 }),
      await attack.pgd(m, imgs, labels, { eps: 0.03, steps: 2 }),
      await attack.mifgsm(m, imgs, labels, { eps: 0.03, steps: 2 }),
      await attack.cw(m, imgs, labels, { steps: 2, binarySearchSteps: 1 }),
      await attack.deepfool(m, imgs, labels, { steps: 2, candidates: 3 }),
      await attack.lbfgs(m, imgs, [3, 4], { maxIter: 2, binarySearchSteps: 1 }),
    ];
    for (const r of runs) {
      expect(r.adversarial.shape).toEqual(shape);
      expect(r.adversarial.dataSync().every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(r.predictions).toHaveLength(2);
    }
    ds.dispose([runs, m, imgs]);
  }, 120_000);
});
