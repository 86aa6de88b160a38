/**
 * Szegedy et al.'s box-constrained L-BFGS attack ("Intriguing properties of neural networks", 2014):
 * for a target class t, minimise c·‖r‖²₂ + loss(x + r, t) subject to x + r in the pixel box, with the
 * projected L-BFGS of {@link minimizeBox}; a search over c per image finds the largest c (the smallest
 * perturbation) whose minimiser is classified as t: c grows ×10 after a success until a failure brackets
 * it, then bisects. Each image keeps its successful adversarial of smallest L2 norm (the image itself if
 * none succeeded). Untargeted, the target is each image's most likely class other than its label.
 * The squared norm (smooth) stands in for the paper's |r|, as in the later implementations.
 * @module
 */
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { enableGrad, grad, noGrad } from '../autograd';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { crossEntropy } from '../ops/loss';
import { add, mul, sub } from '../ops/elementwise';
import { checkNumber } from '../ops/util';
import { Victim, checkImages, checkLabels, fooled, report, underAttack } from './victim';
import { minimizeBox } from './box-lbfgs';
import type { AttackOptions, AttackResult, Labels } from './types';

/** Options of {@link lbfgs}. */
export interface LbfgsOptions extends AttackOptions {
  /** Initial weight c of the perturbation's squared norm. Default 0.01. */
  c?: number;
  /** Values of c tried per image. Default 6. */
  binarySearchSteps?: number;
  /** L-BFGS iterations per value of c. Default 50. */
  maxIter?: number;
}

/**
 * Box-constrained L-BFGS (Szegedy et al. 2014): targeted by nature (`targeted` defaults to true here).
 * @example const r = await attack.lbfgs(net, images, [3, 3, 3], { binarySearchSteps: 5 });
 */
export async function lbfgs(model: Module, images: Tensor, labels: Labels, options: LbfgsOptions = {}): Promise<AttackResult> {
  const op = 'lbfgs';
  const x = checkImages(op, images);
  const c0 = options.c === undefined ? 0.01 : checkNumber(op, 'c', options.c, { min: 0 });
  const searches = options.binarySearchSteps === undefined ? 6 : checkNumber(op, 'binarySearchSteps', options.binarySearchSteps, { min: 1, integer: true });
  const maxIter = options.maxIter === undefined ? 50 : checkNumber(op, 'maxIter', options.maxIter, { min: 1, integer: true });
  const targeted = options.targeted ?? true;
  const victim = new Victim(op, model, x, options);
  const [lo, hi] = victim.bounds;
  const n = x.shape[0];
  const dim = x.size / n;
  return underAttack(victim, () =>
    tidy(async () => {
      const y = checkLabels(op, labels, x);
      const yv = await y.data();
      const xv = Float64Array.from(await x.data());
      let targets: Int32Array;
      if (targeted) {
        targets = Int32Array.from(yv);
      } else {
        const clean = await tidy(() => noGrad(() => victim.logits(x))).data();
        const classes = clean.length / n;
        targets = Int32Array.from({ length: n }, (_, i) => {
          let best = -1;
          for (let c = 0; c < classes; c++) if (c !== yv[i] && (best < 0 || clean[i * classes + c] > clean[i * classes + best])) best = c;
          return best;
        });
      }
      const t = tensor(targets, [n], { dtype: 'int32', device: x.device });
      const lower = new Float64Array(n * dim).fill(lo);
      const upper = new Float64Array(n * dim).fill(hi);
      const c = new Float64Array(n).fill(c0);
      const cLow = new Float64Array(n);
      const cHigh = new Float64Array(n).fill(Infinity);
      const best = Float64Array.from(xv);
      const bestL2 = new Float64Array(n).fill(Infinity);
      for (let round = 0; round < searches; round++) {
        const cT = tensor(Float32Array.from(c), [n], { device: x.device });
        const objective = async (z: Float64Array) => {
          const [fv, gv] = await tidy(async () => {
            const zt = tensor(Float32Array.from(z), x.shape, { device: x.device, requiresGrad: true });
            const f = enableGrad(() => add(mul(cT, sub(zt, x).square().reshape([n, -1]).sum(1)), crossEntropy(victim.logits(zt), t, { reduction: 'none' })));
            const [g] = grad(f.sum(), [zt]);
            return Promise.all([f.detach().data(), g.data()]);
          });
          return { f: Float64Array.from(fv), g: Float64Array.from(gv) };
        };
        const { z } = await minimizeBox(objective, xv, n, lower, upper, { maxIter });
        cT.dispose();
        const preds = await tidy(() => noGrad(() => victim.logits(tensor(Float32Array.from(z), x.shape, { device: x.device })).argmax(1))).data();
        const ok = targeted ? fooled(preds, targets, true) : fooled(preds, yv, false);
        for (let i = 0; i < n; i++) {
          if (ok[i]) {
            let l2 = 0;
            for (let j = 0; j < dim; j++) l2 += (z[i * dim + j] - xv[i * dim + j]) ** 2;
            if (l2 < bestL2[i]) {
              bestL2[i] = l2;
              best.set(z.subarray(i * dim, (i + 1) * dim), i * dim);
            }
            cLow[i] = c[i];
            c[i] = Number.isFinite(cHigh[i]) ? (c[i] + cHigh[i]) / 2 : c[i] * 10;
          } else {
            cHigh[i] = c[i];
            c[i] = (cLow[i] + c[i]) / 2;
          }
        }
      }
      const adversarial = tensor(Float32Array.from(best), x.shape, { device: x.device });
      return report(victim, x, adversarial, targeted ? t : y, targeted);
    }),
  );
}
