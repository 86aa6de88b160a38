/**
 * Pictures of attacks: each image beside its perturbation (amplified, gray is zero) and the adversarial
 * image, with predictions and confidences; and robust accuracy against ε for FGSM and PGD. Used by
 * `deepscope attack` and the demo.
 * @module
 */
import * as path from 'path';
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { MNIST_MEAN, MNIST_STD } from '../data/mnist';
import { TensorDataset } from '../data/dataset';
import { DataLoader } from '../data/loader';
import { narrow } from '../ops/indexing';
import { dispose, tidy } from '../memory';
import { grid, type GridPanel } from '../explain/grid';
import { fgsm } from '../attack/fgsm';
import { pgd } from '../attack/iterative';
import { robustness, plotRobustness, type RobustnessReport } from '../attack/robustness';
import { classify } from '../attack/victim';
import type { AttackResult, Normalization } from '../attack/types';

/** The MNIST normalisation the LeNets are trained with, for attacks in pixel space. */
export const MNIST_NORMALIZATION: Normalization = { mean: MNIST_MEAN, std: MNIST_STD };

/**
 * Writes `file`: per image, the original (label and prediction), the perturbation amplified to the full
 * gray range, and the adversarial image (its prediction and confidence). `images` in pixel space [N, C, H, W].
 */
export function writeAttackPanel(file: string, images: Tensor, result: AttackResult, labels: ArrayLike<number>, clean: { predictions: number[]; confidences: number[] }, scale: number): void {
  tidy(() => {
    const n = images.shape[0];
    const delta = result.adversarial.sub(images);
    const panels: GridPanel[] = [];
    for (let i = 0; i < n; i++) {
      const d = narrow(delta, 0, i, 1).squeeze(0);
      const amp = Math.max(result.norms.linf[i], 1e-12);
      panels.push(
        { image: narrow(images, 0, i, 1).squeeze(0), label: `${labels[i]}: ${clean.predictions[i]} ${(100 * clean.confidences[i]).toFixed(0)}%` },
        { image: d.div(2 * amp).add(0.5), label: `x${(0.5 / amp).toFixed(0)}` },
        { image: narrow(result.adversarial, 0, i, 1).squeeze(0).clamp(0, 1), label: `-> ${result.predictions[i]} ${(100 * result.confidences[i]).toFixed(0)}%` },
      );
    }
    grid(panels, { columns: 6, scale, path: file });
  });
}

/** Robust accuracy of FGSM and PGD (10 steps) against ε, written as a PNG; resolves to the reports. */
export async function writeRobustnessCurve(file: string, model: Module, images: Tensor, labels: Tensor, epsilons: readonly number[], normalize?: Normalization): Promise<Record<string, RobustnessReport>> {
  const set = new TensorDataset(images, labels);
  const loader = new DataLoader(set, { batchSize: 100 });
  const reports = {
    FGSM: await robustness(model, loader, fgsm, { epsilons, normalize }),
    'PGD (10 steps)': await robustness(model, loader, pgd, { epsilons, normalize, attackOptions: { steps: 10 } }),
  };
  await plotRobustness(file, reports, { title: 'Robust accuracy against the Linf budget', xLabel: 'eps (pixels in [0, 1])' });
  return reports;
}

/** The demo's panels: 8 test digits under PGD at ε = 0.15, and the robustness curve on 300 digits. */
export async function writeDemoAttackPanels(dir: string, model: Module, normalised: Tensor, labels: Tensor): Promise<void> {
  const pixels = tidy(() => narrow(normalised, 0, 0, Math.min(300, normalised.shape[0])).to('cpu').mul(MNIST_STD).add(MNIST_MEAN));
  const y = narrow(labels, 0, 0, pixels.shape[0]).to('cpu');
  try {
    const eight = narrow(pixels, 0, 0, 8);
    const l8 = narrow(y, 0, 0, 8);
    const clean = await classify(model, eight, { normalize: MNIST_NORMALIZATION });
    const adv = await pgd(model, eight, l8, { eps: 0.15, steps: 20, normalize: MNIST_NORMALIZATION });
    writeAttackPanel(path.join(dir, 'adversarial.png'), eight, adv, await l8.data(), clean, 3);
    dispose(adv);
    await writeRobustnessCurve(path.join(dir, 'robustness.png'), model, pixels, y, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], MNIST_NORMALIZATION);
  } finally {
    dispose([pixels, y]);
  }
}
