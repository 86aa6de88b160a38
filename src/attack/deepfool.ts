/**
 * DeepFool (Moosavi-Dezfooli, Fawzi & Frossard 2016): at each step the classifier is linearised around
 * the current image; for every candidate class k the boundary with the label l is the hyperplane
 * f_k + w_k·r = 0 (f_k = Z_k − Z_l, w_k = ∇f_k); the step goes to the nearest one, r = (|f_k| + 10⁻⁴)·
 * w_k/‖w_k‖₂² (L2) or (|f_k| + 10⁻⁴)·sign(w_k)/‖w_k‖₁ (L∞, the dual norm). Steps accumulate until the
 * image leaves its class; the total is scaled by (1 + overshoot). Candidates are the top classes of the
 * clean logits. Untargeted only.
 * @module
 */
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { enableGrad, grad, noGrad } from '../autograd';
import { dispose, tidy } from '../memory';
import { tensor } from '../ops/creation';
import { gather, stack } from '../ops/indexing';
import { add, mul, sign } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { checkNumber } from '../ops/util';
import { Victim, checkImages, checkLabels, report, underAttack } from './victim';
import { perImageNorm, type Norm } from './steps';
import type { AttackOptions, AttackResult, Labels } from './types';

/** Options of {@link deepfool}. */
export interface DeepFoolOptions extends AttackOptions {
  /** 'l2' (default) or 'linf'. */
  norm?: Norm;
  /** Iterations at most. Default 50. */
  steps?: number;
  /** The final perturbation is (1 + overshoot)·r. Default 0.02. */
  overshoot?: number;
  /** Classes considered (the label and the next top classes). Default 10. */
  candidates?: number;
}

/**
 * DeepFool: the smallest step to the nearest linearised decision boundary, repeated until the label
 * changes. Labels are the true classes (there is no targeted DeepFool).
 * @example const r = await attack.deepfool(net, images, labels, { norm: 'l2' });
 */
export async function deepfool(model: Module, images: Tensor, labels: Labels, options: DeepFoolOptions = {}): Promise<AttackResult> {
  const op = 'deepfool';
  const x = checkImages(op, images);
  if (options.targeted) throw new RangeError(`${op}: DeepFool is untargeted (it moves to the nearest boundary); use cw or pgd for a target`);
  const norm = options.norm ?? 'l2';
  if (norm !== 'linf' && norm !== 'l2') throw new RangeError(`${op}: norm must be 'linf' or 'l2', got ${String(norm)}`);
  const steps = options.steps === undefined ? 50 : checkNumber(op, 'steps', options.steps, { min: 1, integer: true });
  const overshoot = options.overshoot === undefined ? 0.02 : checkNumber(op, 'overshoot', options.overshoot, { min: 0 });
  const victim = new Victim(op, model, x, options);
  const n = x.shape[0];
  const bcast = [n, ...x.shape.slice(1).map(() => 1)];
  return underAttack(victim, () =>
    tidy(async () => {
      const y = checkLabels(op, labels, x);
      const yv = await y.data();
      const clean = await tidy(() => noGrad(() => victim.logits(x))).data();
      const classes = clean.length / n;
      const k = Math.min(options.candidates === undefined ? 10 : checkNumber(op, 'candidates', options.candidates, { min: 2, integer: true }), classes);
      // Per image, the k − 1 most likely classes other than the label.
      const cand = Array.from({ length: n }, (_, i) => {
        const row = Array.from({ length: classes }, (_, c) => c).filter((c) => c !== yv[i]);
        row.sort((a, b) => clean[i * classes + b] - clean[i * classes + a]);
        return row.slice(0, k - 1);
      });
      const candIdx = Array.from({ length: k - 1 }, (_, j) => tensor(Int32Array.from(cand, (r) => r[j]), [n, 1], { dtype: 'int32', device: x.device }));
      let total = x.mul(0);
      let adv = x.clone();
      for (let s = 0; s < steps; s++) {
        const pred = await tidy(() => noGrad(() => argmax(victim.logits(adv), 1))).data();
        const active = Array.from(pred, (p, i) => p === yv[i]);
        if (!active.some(Boolean)) break;
        const next = tidy(() => {
          const xr = adv.detach();
          xr.requiresGrad = true;
          const logits = enableGrad(() => victim.logits(xr));
          const own = gather(logits, 1, y.reshape([n, 1])).reshape([n]);
          const fs: Tensor[] = [];
          const ws: Tensor[] = [];
          candIdx.forEach((idx, j) => {
            const f = enableGrad(() => gather(logits, 1, idx).reshape([n]).sub(own));
            const [w] = grad(f.sum(), [xr], { retainGraph: j < candIdx.length - 1 });
            fs.push(f.detach());
            ws.push(w);
          });
          const dual = norm === 'l2' ? 2 : 1;
          return { f: stack(fs, 0), wn: stack(ws.map((w) => perImageNorm(w, dual).reshape([n])), 0), ws };
        });
        const [f, wn] = await Promise.all([next.f.data(), next.wn.data()]);
        // Per image, the candidate whose linearised boundary is nearest, and the step's coefficient.
        const coef = new Float32Array((k - 1) * n);
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          let bestJ = 0;
          let bestD = Infinity;
          for (let j = 0; j < k - 1; j++) {
            const d = Math.abs(f[j * n + i]) / (wn[j * n + i] + 1e-12);
            if (d < bestD) {
              bestD = d;
              bestJ = j;
            }
          }
          const a = Math.abs(f[bestJ * n + i]) + 1e-4;
          const w = wn[bestJ * n + i] + 1e-12;
          coef[bestJ * n + i] = norm === 'l2' ? a / (w * w) : a / w;
        }
        const moved = tidy(() => {
          let r: Tensor | null = null;
          next.ws.forEach((w, j) => {
            const cj = tensor(coef.subarray(j * n, (j + 1) * n), bcast, { device: x.device });
            const term = mul(norm === 'l2' ? w : sign(w), cj);
            r = r ? add(r, term) : term;
          });
          const t = add(total, r!);
          return { total: t, adv: victim.clip(add(x, mul(t, 1 + overshoot))) };
        });
        dispose([next, total, adv]);
        ({ total, adv } = moved);
      }
      dispose(candIdx);
      return report(victim, x, adv, y, false);
    }),
  );
}
