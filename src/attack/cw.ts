/**
 * Carlini & Wagner's L2 attack (2017). In tanh space, x' = lo + (hi − lo)·(tanh(w) + 1)/2 stays in the
 * box by construction; Adam minimises ‖x' − x‖²₂ + c·max(margin(x'), −κ) over w, where the margin is
 * max_{i≠t} Z_i − Z_t for a target t (Z_y − max_{i≠y} Z_i untargeted). A binary search per image finds
 * the smallest c that succeeds (after a success c falls, after a failure it rises, ×10 until bracketed);
 * each image keeps its successful adversarial of smallest L2 norm, or the image itself if none succeeded.
 * @module
 */
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { grad, noGrad } from '../autograd';
import { dispose, tidy } from '../memory';
import { tensor } from '../ops/creation';
import { add, div, maximum, mul, sqrt, sub, tanh, where } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { checkNumber } from '../ops/util';
import { Victim, checkImages, checkLabels, fooled, report, underAttack } from './victim';
import { margin } from './margin';
import type { AttackOptions, AttackResult, Labels } from './types';

/** Options of {@link cw}. */
export interface CwOptions extends AttackOptions {
  /** Initial trade-off constant c (the search then moves it per image). Default 0.1. */
  c?: number;
  /** Confidence κ: the margin the attack asks for beyond the decision boundary. Default 0. */
  kappa?: number;
  /** Adam steps per value of c. Default 100. */
  steps?: number;
  /** Adam's learning rate on w. Default 0.01. */
  lr?: number;
  /** Values of c tried per image. Default 6. */
  binarySearchSteps?: number;
}

const atanh = (v: Tensor) => mul(sub(v.add(1).log(), v.neg().add(1).log()), 0.5);

/**
 * Carlini–Wagner L2: the smallest L2 perturbation the optimisation finds, per image.
 * @example const r = await attack.cw(net, images, targets, { targeted: true, steps: 200 });
 */
export async function cw(model: Module, images: Tensor, labels: Labels, options: CwOptions = {}): Promise<AttackResult> {
  const op = 'cw';
  const x = checkImages(op, images);
  const c0 = options.c === undefined ? 0.1 : checkNumber(op, 'c', options.c, { min: 0 });
  const kappa = options.kappa === undefined ? 0 : checkNumber(op, 'kappa', options.kappa, { min: 0 });
  const steps = options.steps === undefined ? 100 : checkNumber(op, 'steps', options.steps, { min: 1, integer: true });
  const lr = options.lr === undefined ? 0.01 : checkNumber(op, 'lr', options.lr, { min: 0 });
  const searches = options.binarySearchSteps === undefined ? 6 : checkNumber(op, 'binarySearchSteps', options.binarySearchSteps, { min: 1, integer: true });
  const victim = new Victim(op, model, x, options);
  const targeted = options.targeted ?? false;
  const [lo, hi] = victim.bounds;
  const n = x.shape[0];
  const bcast = [n, ...x.shape.slice(1).map(() => 1)];
  return underAttack(victim, () =>
    tidy(async () => {
      const y = checkLabels(op, labels, x);
      const yv = await y.data();
      const w0 = tidy(() => atanh(sub(div(sub(x, lo), hi - lo).mul(2), 1).clamp(-1 + 1e-6, 1 - 1e-6)));
      const toImage = (w: Tensor) => add(mul(tanh(w).add(1), (hi - lo) / 2), lo);
      const c = new Float64Array(n).fill(c0);
      const lower = new Float64Array(n);
      const upper = new Float64Array(n).fill(Infinity);
      const bestL2 = new Float64Array(n).fill(Infinity);
      let best = x.clone();
      for (let round = 0; round < searches; round++) {
        const cT = tensor(Float32Array.from(c), [n], { device: x.device });
        let w = w0.clone();
        let m = w.mul(0);
        let v = w.mul(0);
        const succeeded = new Array<boolean>(n).fill(false);
        for (let t = 1; t <= steps; t++) {
          const next = tidy(() => {
            const [g] = grad(() => {
              const xa = toImage(w);
              const l2 = sub(xa, x).square().reshape([n, -1]).sum(1);
              const f = maximum(margin(victim.logits(xa), y, targeted), -kappa);
              return add(l2, mul(cT, f)).sum();
            }, [w]);
            const m2 = add(mul(m, 0.9), mul(g, 0.1));
            const v2 = add(mul(v, 0.999), mul(g.square(), 0.001));
            const step = div(div(m2, 1 - 0.9 ** t), add(sqrt(div(v2, 1 - 0.999 ** t)), 1e-8));
            const w2 = sub(w, mul(step, lr));
            const xa = noGrad(() => toImage(w2));
            const l2 = noGrad(() => sub(xa, x).square().reshape([n, -1]).sum(1));
            const pred = noGrad(() => argmax(victim.logits(xa), 1));
            return { w: w2, m: m2, v: v2, xa, l2, pred };
          });
          w.dispose();
          m.dispose();
          v.dispose();
          ({ w, m, v } = next);
          const [l2, pred] = await Promise.all([next.l2.data(), next.pred.data()]);
          const ok = fooled(pred, yv, targeted);
          const better = ok.map((s, i) => s && l2[i] < bestL2[i]);
          ok.forEach((s, i) => {
            if (s) succeeded[i] = true;
            if (better[i]) bestL2[i] = l2[i];
          });
          if (better.some(Boolean)) {
            const take = tensor(better.map((b) => (b ? 1 : 0)), bcast, { device: x.device }).gt(0);
            const merged = where(take, next.xa, best);
            best.dispose();
            take.dispose();
            best = merged;
          }
          dispose([next.xa, next.l2, next.pred]);
        }
        dispose([w, m, v, cT]);
        for (let i = 0; i < n; i++) {
          if (succeeded[i]) {
            upper[i] = Math.min(upper[i], c[i]);
            c[i] = (lower[i] + upper[i]) / 2;
          } else {
            lower[i] = Math.max(lower[i], c[i]);
            c[i] = Number.isFinite(upper[i]) ? (lower[i] + upper[i]) / 2 : c[i] * 10;
          }
        }
      }
      return report(victim, x, best, y, targeted);
    }),
  );
}
