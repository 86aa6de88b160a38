/**
 * A projected L-BFGS for many independent box-constrained problems at once (one per image), in the
 * spirit of L-BFGS-B: min f_i(z_i) subject to l ≤ z_i ≤ u, i = 1..N, where one batched evaluation gives
 * every f_i and ∇f_i (a forward and a backward pass of the network).
 *
 * Per problem and iteration: the variables held at a bound by a gradient pushing outward are fixed; the
 * two-loop recursion over the last `memory` (s, y) pairs, restricted to the free variables and scaled by
 * γ = sᵀy/yᵀy, gives the direction; a projected backtracking line search (Armijo, halving) finds the step
 * along the projection path P(z + αd). Pairs with sᵀy ≤ 10⁻¹⁰ are skipped (curvature condition);
 * a non-descent direction resets the memory to steepest descent. A problem stops when its projected
 * gradient ‖P(z − ∇f) − z‖∞ falls below `tol`, or when its line search fails.
 * @module
 */

/** Values and gradients of the N problems at one batch of points. */
export interface BatchedValues {
  /** f_i, [N]. */
  f: Float64Array;
  /** ∇f_i, [N·dim], problem after problem. */
  g: Float64Array;
}

/** The batched objective: values [N] and gradients [N·dim] at points [N·dim]. */
export type BatchedObjective = (z: Float64Array) => Promise<BatchedValues>;

/** The result of {@link minimizeBox}. */
export interface BoxMinimum {
  /** The points reached, [N·dim]. */
  z: Float64Array;
  /** Their values, [N]. */
  f: Float64Array;
}

/** Options of {@link minimizeBox}. */
export interface BoxLbfgsOptions {
  /** Iterations at most. Default 100. */
  maxIter?: number;
  /** Pairs kept. Default 10. */
  memory?: number;
  /** Projected-gradient tolerance. Default 1e-5. */
  tol?: number;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Minimises N box-constrained problems from `z0`; resolves to the points and values reached. */
export async function minimizeBox(
  objective: BatchedObjective,
  z0: Float64Array,
  n: number,
  lower: Float64Array,
  upper: Float64Array,
  options: BoxLbfgsOptions = {},
): Promise<BoxMinimum> {
  const { maxIter = 100, memory = 10, tol = 1e-5 } = options;
  const dim = z0.length / n;
  const z = Float64Array.from(z0, (v, j) => Math.min(Math.max(v, lower[j]), upper[j]));
  let { f, g } = await objective(z);
  const history: { s: Float64Array; y: Float64Array; rho: number }[][] = Array.from({ length: n }, () => []);
  const active = new Array<boolean>(n).fill(true);
  const view = (a: Float64Array, i: number) => a.subarray(i * dim, (i + 1) * dim);
  for (let iter = 0; iter < maxIter && active.some(Boolean); iter++) {
    const dirs: Float64Array[] = [];
    for (let i = 0; i < n; i++) {
      const zi = view(z, i);
      const gi = view(g, i);
      const li = view(lower, i);
      const ui = view(upper, i);
      const free = new Uint8Array(dim);
      let pg = 0;
      for (let j = 0; j < dim; j++) {
        free[j] = (zi[j] <= li[j] && gi[j] > 0) || (zi[j] >= ui[j] && gi[j] < 0) ? 0 : 1;
        pg = Math.max(pg, Math.abs(Math.min(Math.max(zi[j] - gi[j], li[j]), ui[j]) - zi[j]));
      }
      if (pg < tol) active[i] = false;
      const q = Float64Array.from(gi, (v, j) => v * free[j]);
      const h = history[i];
      const alphas: number[] = [];
      for (let k = h.length - 1; k >= 0; k--) {
        let sq = 0;
        for (let j = 0; j < dim; j++) if (free[j]) sq += h[k].s[j] * q[j];
        const a = h[k].rho * sq;
        alphas[k] = a;
        for (let j = 0; j < dim; j++) if (free[j]) q[j] -= a * h[k].y[j];
      }
      if (h.length > 0) {
        const last = h[h.length - 1];
        const gamma = dot(last.s, last.y) / dot(last.y, last.y);
        for (let j = 0; j < dim; j++) q[j] *= gamma;
      } else {
        // A first step no longer than one pixel range: the raw gradient's scale is arbitrary.
        let gmax = 0;
        for (let j = 0; j < dim; j++) gmax = Math.max(gmax, Math.abs(q[j]));
        if (gmax > 0) for (let j = 0; j < dim; j++) q[j] /= gmax;
      }
      for (let k = 0; k < h.length; k++) {
        let yr = 0;
        for (let j = 0; j < dim; j++) if (free[j]) yr += h[k].y[j] * q[j];
        const b = h[k].rho * yr;
        for (let j = 0; j < dim; j++) if (free[j]) q[j] += (alphas[k] - b) * h[k].s[j];
      }
      const d = Float64Array.from(q, (v, j) => -v * free[j]);
      if (dot(d, gi) >= 0) {
        h.length = 0;
        let gmax = 0;
        for (let j = 0; j < dim; j++) gmax = Math.max(gmax, Math.abs(gi[j] * free[j]));
        for (let j = 0; j < dim; j++) d[j] = gmax > 0 ? (-gi[j] * free[j]) / gmax : 0;
      }
      dirs.push(d);
    }
    // Batched backtracking: every active problem tries its own step; one evaluation per round.
    const step = new Float64Array(n).fill(1);
    const accepted = active.map((a) => !a);
    const trial = Float64Array.from(z);
    let result = { f, g };
    for (let round = 0; round < 30 && accepted.some((a) => !a); round++) {
      for (let i = 0; i < n; i++) {
        if (accepted[i]) continue;
        const zi = view(z, i);
        const ti = view(trial, i);
        const li = view(lower, i);
        const ui = view(upper, i);
        for (let j = 0; j < dim; j++) ti[j] = Math.min(Math.max(zi[j] + step[i] * dirs[i][j], li[j]), ui[j]);
      }
      result = await objective(trial);
      for (let i = 0; i < n; i++) {
        if (accepted[i]) continue;
        let decrease = 0;
        const gi = view(g, i);
        const zi = view(z, i);
        const ti = view(trial, i);
        for (let j = 0; j < dim; j++) decrease += gi[j] * (ti[j] - zi[j]);
        if (result.f[i] <= f[i] + 1e-4 * decrease) accepted[i] = true;
        else step[i] /= 2;
      }
    }
    const newG = Float64Array.from(g);
    const newF = Float64Array.from(f);
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      if (!accepted[i]) {
        active[i] = false; // no decrease along a descent direction: converged as far as float32 allows
        continue;
      }
      const s = Float64Array.from(view(trial, i), (v, j) => v - z[i * dim + j]);
      const y = Float64Array.from(view(result.g, i), (v, j) => v - g[i * dim + j]);
      const sy = dot(s, y);
      if (sy > 1e-10) {
        history[i].push({ s, y, rho: 1 / sy });
        if (history[i].length > memory) history[i].shift();
      }
      z.set(view(trial, i), i * dim);
      newG.set(view(result.g, i), i * dim);
      newF[i] = result.f[i];
    }
    f = newF;
    g = newG;
  }
  return { z, f };
}
