/**
 * Signal propagation through depth (Xiao, Bahri, Sohl-Dickstein, Schoenholz & Pennington, "Dynamical
 * isometry and a mean field theory of CNNs", ICML 2018): per layer, the root-mean-square of the
 * activations going forward and of the gradients coming back, and the singular values of the
 * input–output Jacobian. With delta-orthogonal initialisation at the critical point (`models.vanillaCNN`'s
 * default) the three stay near constant over hundreds or thousands of layers; with Gaussian weights off
 * the critical line the activations and gradients explode or vanish geometrically and the Jacobian's
 * spectrum spreads over orders of magnitude.
 *
 * **Jacobian by random projections.** For the Jacobian J (m outputs × n inputs) of a layer's output
 * with respect to the model's input, k orthonormal random probes U (m × k) give k vector–Jacobian
 * products Jᵀuᵢ (one backward pass each through a graph kept from one forward pass). The singular values
 * of UᵀJ are the square roots of the eigenvalues of the k×k Gram matrix of those products; with k ≥ m the
 * probes are the standard basis and the values are J's exactly, with k < m they are those of a random
 * k-row compression (bounded above by J's by interlacing), and trace/k estimates the mean squared
 * singular value tr(JJᵀ)/m without bias.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator } from '../random';
import { grad } from '../autograd';
import { tidy } from '../memory';
import { randn, tensor } from '../ops/creation';
import { Module } from '../nn/module';
import { symmetricEigen } from './linalg';
import { checkModule } from './weights';

/** Options of {@link signalPropagation}. */
export interface SignalOptions {
  /**
   * The layers whose outputs are measured, by module path. Default: every module without children that
   * has a weight of two or more axes (convolutions, linear layers), in the order they run.
   */
  layers?: readonly string[];
  /**
   * Indices into the measured layers (negative from the end) at which to estimate the Jacobian's
   * singular values. Default `[-1]`: the last layer. `[]` skips the Jacobian.
   */
  jacobianLayers?: readonly number[];
  /** Random probes per Jacobian (k above). Default 32. */
  probes?: number;
  /** Stream of the probes and of the output gradient's seed. */
  generator?: Generator;
  /** Called after each backward pass. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** The Jacobian's singular values at one layer. */
export interface JacobianSpectrum {
  /** The layer's module path. */
  layer: string;
  /** Its index among the measured layers (its depth). */
  index: number;
  /** Singular values of UᵀJ, largest first (J's own when the probes cover the output). */
  singularValues: number[];
  /** Estimate of the mean squared singular value tr(JJᵀ)/m. */
  meanSquared: number;
  /** Whether the probes covered the whole output (exact values). */
  exact: boolean;
}

/** The result of {@link signalPropagation}. */
export interface SignalPropagation {
  /** Measured layers in forward order. */
  layers: string[];
  /** Root-mean-square of each layer's output, √(mean h²). */
  activationRms: number[];
  /**
   * Root-mean-square of the gradient at each layer's output, for a standard normal seed at the model's
   * output (∂(g·f(x))/∂h with g ~ N(0, I)).
   */
  gradientRms: number[];
  /** The Jacobian spectra asked for. */
  jacobians: JacobianSpectrum[];
}

function rms(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s / Math.max(1, a.length));
}

/** k orthonormal vectors of length m (Gram–Schmidt on Gaussian draws, twice for accuracy); the basis if k ≥ m. */
function probesFor(m: number, k: number, generator?: Generator): Float64Array[] {
  if (k >= m) return Array.from({ length: m }, (_, i) => Float64Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
  const draws = tidy(() => randn([k, m], { generator }).dataSync());
  const out: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const v = Float64Array.from(draws.subarray(i * m, (i + 1) * m));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of out) {
        let d = 0;
        for (let j = 0; j < m; j++) d += v[j] * q[j];
        for (let j = 0; j < m; j++) v[j] -= d * q[j];
      }
    }
    let n = 0;
    for (let j = 0; j < m; j++) n += v[j] * v[j];
    n = Math.sqrt(n);
    for (let j = 0; j < m; j++) v[j] /= n;
    out.push(v);
  }
  return out;
}

function defaultLayers(model: Module): string[] {
  return model.namedModules()
    .filter(([, mod]) => mod.children().length === 0 && mod.namedParameters({ recurse: false }).some(([p, t]) => p === 'weight' && t.ndim >= 2))
    .map(([name]) => name);
}

/**
 * Runs `model` once on `input` and measures, per layer (see {@link SignalOptions.layers}), the RMS of the
 * activations and of the back-propagated gradients, and the singular values of the Jacobian of the
 * chosen layers' outputs with respect to the input (see the module description). The model runs in its
 * current mode; no `.grad` is touched. Use a batch of one for the Jacobian of a single example (a batch
 * of B gives the block-diagonal Jacobian of all B).
 * @example
 * const net = models.vanillaCNN({ depth: 200, width: 16 });
 * const s = await analysis.signalPropagation(net, ds.randn([1, 1, 16, 16]), { jacobianLayers: [49, 99, 199] });
 * console.log(s.activationRms[0], s.activationRms[199], s.jacobians[2].singularValues);
 */
export async function signalPropagation(model: Module, input: Tensor, options: SignalOptions = {}): Promise<SignalPropagation> {
  const op = 'signalPropagation';
  const m = checkModule(op, model);
  if (!(input instanceof Tensor) || input.dtype !== 'float32') throw new TypeError(`${op}: argument 'input' must be a float32 Tensor`);
  if (!input.isLeaf) throw new TypeError(`${op}: argument 'input' must be a leaf tensor (detach it), got the output of an op of shape ${fmtShape(input.shape)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object`);
  const { probes = 32, generator, onProgress } = options;
  if (!Number.isInteger(probes) || probes < 1) throw new RangeError(`${op}: probes must be a positive integer, got ${probes}`);
  const names = options.layers ? [...options.layers] : defaultLayers(m);
  if (names.length === 0) throw new RangeError(`${op}: the model has no layers with weights to measure; name them with options.layers`);
  const mods = names.map((n) => m.getSubmodule(n));
  const jl = (options.jacobianLayers ?? [-1]).map((i) => {
    const j = i < 0 ? names.length + i : i;
    if (!Number.isInteger(i) || j < 0 || j >= names.length) throw new RangeError(`${op}: jacobianLayers entry ${i} is outside the ${names.length} measured layers`);
    return j;
  });

  const flipped = !input.requiresGrad;
  if (flipped) input.requiresGrad = true;
  try {
    return await tidy(async () => {
      const outputs: (Tensor | null)[] = names.map(() => null);
      const handles = mods.map((mod, i) => mod.registerForwardHook((_m, _in, out) => {
        if (out instanceof Tensor && outputs[i] === null) outputs[i] = out;
      }));
      let y: Tensor;
      try {
        y = m.call(input) as Tensor;
      } finally {
        for (const h of handles) h.remove();
      }
      if (!(y instanceof Tensor)) throw new TypeError(`${op}: the model must return a Tensor`);
      const missing = outputs.findIndex((o) => o === null);
      if (missing >= 0) throw new RangeError(`${op}: layer '${names[missing]}' did not run in the forward pass`);
      const acts = outputs as Tensor[];
      const total = 1 + jl.reduce((s, j) => s + Math.min(probes, acts[j].size), 0);
      let done = 0;
      const activationRms: number[] = [];
      for (const a of acts) activationRms.push(rms((await a.data()) as Float32Array));
      const seed = randn(y.shape, { generator, device: y.device });
      const grads = grad(y, acts, { gradOutput: seed, retainGraph: true });
      const gradientRms: number[] = [];
      for (const g of grads) gradientRms.push(rms((await g.data()) as Float32Array));
      onProgress?.({ done: ++done, total });
      const jacobians: JacobianSpectrum[] = [];
      for (const j of jl) {
        const h = acts[j];
        const us = probesFor(h.size, probes, generator);
        const vjps: Float32Array[] = [];
        for (const u of us) {
          const [g] = grad(h, [input], { gradOutput: tensor(Float32Array.from(u), h.shape, { device: h.device }), retainGraph: true });
          vjps.push((await g.data()) as Float32Array);
          g.dispose();
          onProgress?.({ done: ++done, total });
        }
        const k = vjps.length;
        const gram = new Float64Array(k * k);
        for (let a = 0; a < k; a++) {
          for (let b = a; b < k; b++) {
            let s = 0;
            const va = vjps[a];
            const vb = vjps[b];
            for (let t = 0; t < va.length; t++) s += va[t] * vb[t];
            gram[a * k + b] = gram[b * k + a] = s;
          }
        }
        const { values } = symmetricEigen(gram, k);
        let trace = 0;
        for (let a = 0; a < k; a++) trace += gram[a * k + a];
        jacobians.push({
          layer: names[j],
          index: j,
          singularValues: Array.from(values, (v) => Math.sqrt(Math.max(0, v))),
          meanSquared: trace / k,
          exact: k === h.size,
        });
      }
      return { layers: names, activationRms, gradientRms, jacobians };
    });
  } finally {
    if (flipped) input.requiresGrad = false;
  }
}
