/**
 * The pictures and figures of docs/attacks.md, made by the library itself: a modern LeNet-5 trained on
 * MNIST pixels ([0, 1]) and its FGSM-adversarially-trained twin; every attack on the same digits; robust
 * accuracy against ε for both networks. Run: npm run figures:attacks (about two minutes on two cores).
 */
import * as path from 'path';
import * as ds from '../../src';

const { attack, data, models, optim, train } = ds;
const OUT = path.resolve(__dirname, '..', '..', 'docs', 'images', 'attacks');

async function trainLeNet(trainSet: ds.data.TensorDataset, adversarial: boolean): Promise<ds.models.Classifier & ds.nn.Module> {
  ds.manualSeed(0);
  const m = models.create('lenet5-modern') as ds.models.Classifier & ds.nn.Module;
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: new ds.Generator(0) });
  const opt = new optim.AdamW(m.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  const transform = adversarial ? (x: ds.Tensor, y: ds.Tensor) => attack.adversarialBatch(m, x, y, { eps: 0.2 }) : undefined;
  await train.fit(m, loader, { epochs: 4, optimizer: opt, transform });
  return m;
}

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

async function main(): Promise<void> {
  const { train: trainSet, test: testSet } = data.mnist({ normalize: false, padTo32: true });
  const net = await trainLeNet(trainSet, false);
  const hardened = await trainLeNet(trainSet, true);
  const [images, labels] = testSet.tensors;
  const x = images.narrow(0, 0, 6);
  const y = Array.from(labels.narrow(0, 0, 6).dataSync());
  const targets = y.map((l) => (l + 5) % 10);

  const runs: [string, () => Promise<ds.attack.AttackResult>][] = [
    ['FGSM 0.2', () => attack.fgsm(net, x, y, { eps: 0.2 })],
    ['PGD 0.2', () => attack.pgd(net, x, y, { eps: 0.2, steps: 40, generator: new ds.Generator(1) })],
    ['PGD-L2 2', () => attack.pgd(net, x, y, { eps: 2, norm: 'l2', steps: 40, generator: new ds.Generator(1) })],
    ['MI-FGSM 0.2', () => attack.mifgsm(net, x, y, { eps: 0.2 })],
    ['DeepFool', () => attack.deepfool(net, x, y)],
    ['C&W to +5', () => attack.cw(net, x, targets, { targeted: true, steps: 200, c: 1, lr: 0.05, binarySearchSteps: 5 })],
    ['L-BFGS to +5', () => attack.lbfgs(net, x, targets, { targeted: true, maxIter: 50 })],
  ];
  const results: [string, ds.attack.AttackResult][] = [];
  for (const [name, run] of runs) {
    const t0 = Date.now();
    const r = await run();
    results.push([name, r]);
    const ok = r.success.filter(Boolean).length;
    console.log(`${name}: ${ok}/6 succeeded, mean L2 ${mean(r.norms.l2).toFixed(3)}, mean Linf ${mean(r.norms.linf).toFixed(3)}, ${Date.now() - t0} ms`);
  }
  const clean = await attack.classify(net, x);
  for (const [kind, file] of [['adversarial', 'attacks.png'], ['perturbation', 'perturbations.png']] as const) {
    const panels: ds.explain.GridPanel[] = [];
    for (let i = 0; i < 6; i++) {
      panels.push({ image: x.narrow(0, i, 1).squeeze(0), label: `${y[i]}: ${clean.predictions[i]}` });
      for (const [name, r] of results) {
        const adv = r.adversarial.narrow(0, i, 1).squeeze(0);
        const d = adv.sub(x.narrow(0, i, 1).squeeze(0));
        const image = kind === 'adversarial' ? adv : d.div(2 * Math.max(r.norms.linf[i], 1e-12)).add(0.5);
        panels.push({ image, label: i === 0 ? `${name}: ${r.predictions[i]}` : `${r.predictions[i]}` });
      }
    }
    ds.explain.grid(panels, { columns: results.length + 1, scale: 3, path: path.join(OUT, file) });
  }

  const evalSet = new ds.data.TensorDataset(images.narrow(0, 0, 500), labels.narrow(0, 0, 500));
  const loader = new data.DataLoader(evalSet, { batchSize: 100 });
  const epsilons = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
  const reports: Record<string, ds.attack.RobustnessReport> = {};
  for (const [who, m] of [['standard', net], ['FGSM-trained', hardened]] as const) {
    reports[`${who}, FGSM`] = await attack.robustness(m, loader, attack.fgsm, { epsilons });
    reports[`${who}, PGD-20`] = await attack.robustness(m, loader, attack.pgd, { epsilons, attackOptions: { steps: 20 } });
  }
  for (const [k, r] of Object.entries(reports)) console.log(`${k}: ${r.accuracy.map((a, i) => `ε=${epsilons[i]}: ${(100 * a).toFixed(1)}%`).join(', ')}`);
  const df = await attack.robustness(net, loader, attack.deepfool, { epsilons: [0.5, 1, 1.5, 2], norm: 'l2' });
  console.log(`DeepFool (L2) on 500 digits: mean minimal L2 ${df.meanMinimalNorm!.toFixed(3)}; robust accuracy at L2 0.5/1/1.5/2: ${df.accuracy.map((a) => (100 * a).toFixed(1)).join('/')}%`);
  await attack.plotRobustness(path.join(OUT, 'robustness.png'), reports, { title: 'LeNet-5 on 500 MNIST digits: robust accuracy', xLabel: 'eps (Linf, pixels in [0, 1])' });
  console.log(`wrote attacks.png, perturbations.png, robustness.png to ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
