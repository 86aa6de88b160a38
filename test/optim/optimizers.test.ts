/**
 * Optimizers against their update rules written out in float64 (3–5 steps on small tensors with fixed
 * float32 gradient sequences), convergence on a quadratic, state dict round trips, memory, validation.
 *
 * Tolerance: the normalised error (max |actual − expected| / max |expected|) of the float32 parameters
 * against the float64 reference is at most 1e-5 after every step (float32 rounding of a handful of
 * elementwise ops per step, on values of order 1).
 */
import * as ds from '../../src';
import { Nd } from '../reference/nd';
import { normError, rng } from '../helpers';

const { optim } = ds;
const TOL = 1e-5;

type Vec = number[];
const f32 = (xs: ArrayLike<number>): Vec => Array.from(Float32Array.from(xs));

/** Fixed inputs: an initial θ and a gradient per step, float32-representable. */
function problem(seed: number, n = 7, steps = 5): { theta: Vec; grads: Vec[] } {
  const r = rng(seed);
  const theta = f32(Array.from({ length: n }, () => 2 * r() - 1));
  const grads = Array.from({ length: steps }, () => f32(Array.from({ length: n }, () => 4 * r() - 2)));
  return { theta, grads };
}

/** Runs the optimizer with the given gradients; returns θ after every step. */
function runNative(make: (p: ds.Tensor) => ds.optim.Optimizer, theta: Vec, grads: Vec[]): Float32Array[] {
  const p = ds.tensor(Float32Array.from(theta), [theta.length], { requiresGrad: true });
  const opt = make(p);
  const out: Float32Array[] = [];
  for (const g of grads) {
    p.grad?.dispose();
    p.grad = ds.keep(ds.tensor(Float32Array.from(g), [g.length]));
    opt.step();
    out.push(p.dataSync() as Float32Array);
  }
  p.grad?.dispose();
  opt.dispose();
  p.dispose();
  return out;
}

function expectTrajectory(actual: Float32Array[], expected: Vec[]): void {
  expected.forEach((e, t) => {
    const err = normError(actual[t], Nd.from(e, [e.length]));
    if (!(err <= TOL)) throw new Error(`step ${t + 1}: normalised error ${err.toExponential(2)} exceeds ${TOL}`);
  });
}

const map = (a: Vec, f: (x: number, i: number) => number): Vec => a.map(f);

// ------------------------------------------------------------------------------------------------ SGD
interface SgdO { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean; maximize?: boolean }
/** torch.optim.SGD: g ← ±g + λθ; b ← g (t = 1) or μb + (1−τ)g; g ← g + μb (nesterov) or b; θ ← θ − γg. */
function sgdRef(theta0: Vec, grads: Vec[], o: SgdO): Vec[] {
  const { lr, momentum: mu = 0, dampening: tau = 0, weightDecay: wd = 0, nesterov = false, maximize = false } = o;
  let theta = theta0.slice();
  let b: Vec | null = null;
  return grads.map((g0) => {
    let g = map(g0, (x, i) => (maximize ? -x : x) + wd * theta[i]);
    if (mu !== 0) {
      const gg = g;
      b = b === null ? gg.slice() : map(b, (x, i) => mu * x + (1 - tau) * gg[i]);
      const bb = b;
      g = nesterov ? map(g, (x, i) => x + mu * bb[i]) : bb.slice();
    }
    theta = map(theta, (x, i) => x - lr * g[i]);
    return theta;
  });
}

// ----------------------------------------------------------------------------------------------- Adam
interface AdamO { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean; maximize?: boolean }
/**
 * torch.optim.Adam / AdamW: g ← ±g (+ λθ for Adam); θ ← θ(1 − γλ) for AdamW; m ← β1 m + (1−β1) g;
 * v ← β2 v + (1−β2) g²; v̂ ← max(v̂, v) (amsgrad) or v; θ ← θ − γ/(1−β1^t) · m / (√v̂/√(1−β2^t) + ε).
 */
function adamRef(theta0: Vec, grads: Vec[], o: AdamO, decoupled: boolean): Vec[] {
  const { lr = 1e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay: wd = decoupled ? 1e-2 : 0, amsgrad = false, maximize = false } = o;
  let theta = theta0.slice();
  const n = theta.length;
  let m = new Array<number>(n).fill(0);
  let v = new Array<number>(n).fill(0);
  let vmax = new Array<number>(n).fill(0);
  return grads.map((g0, k) => {
    const t = k + 1;
    const th = theta;
    let g = map(g0, (x) => (maximize ? -x : x));
    if (wd !== 0 && !decoupled) g = map(g, (x, i) => x + wd * th[i]);
    const base = decoupled ? map(th, (x) => x * (1 - lr * wd)) : th;
    m = map(m, (x, i) => b1 * x + (1 - b1) * g[i]);
    v = map(v, (x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
    vmax = map(vmax, (x, i) => Math.max(x, v[i]));
    const sec = amsgrad ? vmax : v;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    theta = map(base, (x, i) => x - (lr / bc1) * (m[i] / (Math.sqrt(sec[i]) / Math.sqrt(bc2) + eps)));
    return theta;
  });
}

// -------------------------------------------------------------------------------------------- RMSprop
interface RmsO { lr?: number; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean; maximize?: boolean }
/**
 * torch.optim.RMSprop: g ← ±g + λθ; v ← αv + (1−α)g²; ḡ ← αḡ + (1−α)g and ṽ = v − ḡ² (centered) or v;
 * b ← μb + g/(√ṽ + ε), θ ← θ − γb (μ > 0) or θ ← θ − γ g/(√ṽ + ε).
 */
function rmsRef(theta0: Vec, grads: Vec[], o: RmsO): Vec[] {
  const { lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay: wd = 0, momentum: mu = 0, centered = false, maximize = false } = o;
  let theta = theta0.slice();
  const n = theta.length;
  let v = new Array<number>(n).fill(0);
  let ga = new Array<number>(n).fill(0);
  let b = new Array<number>(n).fill(0);
  return grads.map((g0) => {
    const th = theta;
    const g = map(g0, (x, i) => (maximize ? -x : x) + wd * th[i]);
    v = map(v, (x, i) => alpha * x + (1 - alpha) * g[i] * g[i]);
    ga = map(ga, (x, i) => alpha * x + (1 - alpha) * g[i]);
    const avg = map(v, (x, i) => Math.sqrt(centered ? x - ga[i] * ga[i] : x) + eps);
    if (mu > 0) {
      b = map(b, (x, i) => mu * x + g[i] / avg[i]);
      theta = map(th, (x, i) => x - lr * b[i]);
    } else theta = map(th, (x, i) => x - (lr * g[i]) / avg[i]);
    return theta;
  });
}

describe('optimizers against float64 hand-computed steps', () => {
  const sgdCases: SgdO[] = [
    { lr: 0.1 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.05, momentum: 0.8, dampening: 0.3 },
    { lr: 0.1, momentum: 0.9, nesterov: true },
    { lr: 0.1, momentum: 0.9, weightDecay: 0.1 },
    { lr: 0.1, momentum: 0.5, weightDecay: 0.2, nesterov: true, maximize: true },
    { lr: 0.1, weightDecay: 0.3, maximize: true },
  ];
  test.each(sgdCases.map((c) => [JSON.stringify(c), c]))('SGD %s', (_, c) => {
    const { theta, grads } = problem(1);
    expectTrajectory(runNative((p) => new optim.SGD([p], c as SgdO), theta, grads), sgdRef(theta, grads, c as SgdO));
  });

  const adamCases: AdamO[] = [
    {},
    { lr: 0.01, weightDecay: 0.1 },
    { lr: 0.01, amsgrad: true },
    { lr: 0.02, betas: [0.5, 0.9], eps: 1e-3, weightDecay: 0.05, amsgrad: true },
    { lr: 0.01, maximize: true },
  ];
  test.each(adamCases.map((c) => [JSON.stringify(c), c]))('Adam %s', (_, c) => {
    const { theta, grads } = problem(2);
    expectTrajectory(runNative((p) => new optim.Adam([p], c as AdamO), theta, grads), adamRef(theta, grads, c as AdamO, false));
  });
  test.each(adamCases.map((c) => [JSON.stringify(c), c]))('AdamW %s', (_, c) => {
    const { theta, grads } = problem(3);
    const cc = { lr: 0.05, ...(c as AdamO) };
    expectTrajectory(runNative((p) => new optim.AdamW([p], cc), theta, grads), adamRef(theta, grads, cc, true));
  });

  const rmsCases: RmsO[] = [
    {},
    { lr: 0.01, centered: true },
    { lr: 0.01, momentum: 0.9 },
    { lr: 0.005, alpha: 0.9, centered: true, momentum: 0.5, weightDecay: 0.1 },
    { lr: 0.01, maximize: true, weightDecay: 0.1 },
  ];
  test.each(rmsCases.map((c) => [JSON.stringify(c), c]))('RMSprop %s', (_, c) => {
    const { theta, grads } = problem(4);
    expectTrajectory(runNative((p) => new optim.RMSprop([p], c as RmsO), theta, grads), rmsRef(theta, grads, c as RmsO));
  });

  test('parameter groups get their own hyper-parameters; parameters without grad are skipped', () => {
    const a = ds.tensor([1, 2], undefined, { requiresGrad: true });
    const b = ds.tensor([3, 4], undefined, { requiresGrad: true });
    const c = ds.tensor([5], undefined, { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b, c], lr: 1, momentum: 0.5 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual([[0.1, 0], [1, 0.5]]);
    a.grad = ds.keep(ds.tensor([1, 1]));
    b.grad = ds.keep(ds.tensor([1, -1]));
    opt.step();
    expect([...a.dataSync()]).toEqual([Math.fround(0.9), Math.fround(1.9)]);
    expect([...b.dataSync()]).toEqual([2, 5]);
    expect([...c.dataSync()]).toEqual([5]);
    expect(opt.state.has(c)).toBe(false);
    expect(opt.state.has(b)).toBe(true);
    opt.dispose();
    ds.dispose([a, b, c, a.grad, b.grad]);
  });
});

describe('training behaviour', () => {
  // Least squares: minimise mean((Xw − y)²) over w; the solution is known.
  const X = ds.keep(ds.tensor([[1, 2], [3, -1], [0.5, 0.5], [-2, 1], [1, 1]]));
  const wTrue = [1.5, -0.7];
  const y = ds.keep(ds.tensor([[1 * 1.5 + 2 * -0.7], [3 * 1.5 + 0.7], [0.5 * 1.5 - 0.35], [-3 - 0.7], [1.5 - 0.7]]));
  const cases: [string, (p: ds.Tensor[]) => ds.optim.Optimizer, number][] = [
    ['SGD', (p) => new optim.SGD(p, { lr: 0.05 }), 300],
    ['SGD nesterov', (p) => new optim.SGD(p, { lr: 0.02, momentum: 0.9, nesterov: true }), 300],
    ['Adam', (p) => new optim.Adam(p, { lr: 0.05 }), 600],
    ['AdamW', (p) => new optim.AdamW(p, { lr: 0.05, weightDecay: 0 }), 600],
    ['RMSprop centered', (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 }), 600],
  ];
  test.each(cases)('%s minimises a quadratic', (_, make, steps) => {
    const w = ds.zeros([2, 1], { requiresGrad: true });
    const opt = make([w]);
    let loss = Infinity;
    for (let i = 0; i < steps; i++) {
      ds.tidy(() => {
        opt.zeroGrad();
        const l = X.matmul(w).sub(y).square().mean();
        l.backward();
        opt.step();
        if (i === steps - 1) loss = l.itemSync();
      });
    }
    const got = [...w.dataSync()];
    expect(loss).toBeLessThan(1e-4);
    got.forEach((v, i) => expect(Math.abs(v - wTrue[i])).toBeLessThan(1e-2));
    opt.zeroGrad();
    opt.dispose();
    w.dispose();
  });

  const resumable: [string, (p: ds.Tensor[]) => ds.optim.Optimizer][] = [
    ['SGD momentum nesterov', (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['Adam amsgrad', (p) => new optim.Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
    ['AdamW', (p) => new optim.AdamW(p, { lr: 0.01 })],
    ['RMSprop centered momentum', (p) => new optim.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.9 })],
  ];
  test.each(resumable)('%s: two steps, stateDict, load into a fresh optimizer, two steps = four steps straight', (_, make) => {
    const { theta, grads } = problem(9, 6, 4);
    const grad = (t: number) => ds.keep(ds.tensor(Float32Array.from(grads[t]), [2, 3]));
    const init = () => ds.tensor(Float32Array.from(theta), [2, 3], { requiresGrad: true });
    const stepWith = (p: ds.Tensor, o: ds.optim.Optimizer, t: number) => {
      p.grad?.dispose();
      p.grad = grad(t);
      o.step();
    };
    // Straight through.
    const a = init();
    const oa = make([a]);
    for (let t = 0; t < 4; t++) stepWith(a, oa, t);
    // Two steps, snapshot, a new optimizer on another parameter, two more steps.
    const b = init();
    const ob = make([b]);
    stepWith(b, ob, 0);
    stepWith(b, ob, 1);
    const sd = ob.stateDict();
    // The flattened form (what a checkpoint file holds) round-trips too.
    const flat = optim.flattenOptimizerState(sd);
    const back = optim.unflattenOptimizerState(flat.tensors, flat.metadata);
    const c = ds.tensor(b.dataSync(), [2, 3], { requiresGrad: true });
    const oc = make([c]);
    oc.paramGroups[0].lr = 123; // overwritten by the dict
    oc.loadStateDict(back);
    expect(oc.paramGroups[0].lr).toBe(ob.paramGroups[0].lr);
    ob.dispose(); // the loaded state is a copy
    stepWith(c, oc, 2);
    stepWith(c, oc, 3);
    expect([...c.dataSync()]).toEqual([...a.dataSync()]);
    const steps = [...oc.state.values()][0].step;
    if (steps !== undefined) expect(steps).toBe(4);
    for (const o of [oa, oc]) o.dispose();
    ds.dispose([a, b, c, a.grad, b.grad, c.grad]);
  });

  test('steps write parameters in place and leak no tensors', () => {
    const p = ds.randn([16, 8], { requiresGrad: true, generator: new ds.Generator(3) });
    const q = ds.randn([8], { requiresGrad: true, generator: new ds.Generator(4) });
    for (const make of [
      () => new optim.SGD([p, q], { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
      () => new optim.Adam([p, q], { amsgrad: true, weightDecay: 1e-4 }),
      () => new optim.AdamW([p, q], { lr: 0.01 }),
      () => new optim.RMSprop([p, q], { centered: true, momentum: 0.9, weightDecay: 1e-4 }),
    ]) {
      const opt = make();
      const step = () =>
        ds.tidy(() => {
          opt.zeroGrad();
          p.matmul(q.reshape([8, 1])).square().sum().backward();
          opt.step();
        });
      step(); // creates the state
      ds.synchronize();
      const before = ds.memory().cpu;
      for (let i = 0; i < 20; i++) step();
      ds.synchronize();
      const after = ds.memory().cpu;
      expect(after.tensors).toBe(before.tensors);
      expect(after.storages).toBe(before.storages);
      expect(p.requiresGrad && p.isLeaf && !p.isDisposed).toBe(true);
      expect(opt.paramGroups[0].params[0]).toBe(p);
      opt.zeroGrad();
      opt.dispose();
    }
    ds.dispose([p, q]);
  });

  test('zeroGrad disposes gradients, or fills them with zeros', () => {
    const p = ds.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.1 });
    p.mul(2).sum().backward();
    const g = p.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(g);
    expect([...g.dataSync()]).toEqual([0, 0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    p.dispose();
  });
});

describe('validation', () => {
  const p = ds.keep(ds.zeros([2], { requiresGrad: true }));
  test.each<[string, () => unknown, RegExp, ErrorConstructor]>([
    ['negative lr', () => new optim.SGD([p], { lr: -1 }), /^SGD: lr must be a non-negative number, got -1$/, RangeError],
    ['missing lr', () => new optim.SGD([p], {} as never), /^SGD: lr is required$/, TypeError],
    ['NaN momentum', () => new optim.SGD([p], { lr: 1, momentum: NaN }), /SGD: momentum must be a non-negative number, got NaN/, RangeError],
    ['nesterov without momentum', () => new optim.SGD([p], { lr: 1, nesterov: true }), /SGD: nesterov needs momentum > 0 and dampening 0/, RangeError],
    ['nesterov with dampening', () => new optim.SGD([p], { lr: 1, momentum: 0.9, dampening: 0.1, nesterov: true }), /SGD: nesterov needs/, RangeError],
    ['unknown option', () => new optim.SGD([p], { lr: 1, momentun: 0.9 } as never), /SGD: unknown option 'momentun'/, TypeError],
    ['beta1 = 1', () => new optim.Adam([p], { betas: [1, 0.999] }), /^Adam: betas\[0\] must be a number in \[0, 1\), got 1$/, RangeError],
    ['beta2 < 0', () => new optim.AdamW([p], { betas: [0.9, -0.1] }), /^AdamW: betas\[1\] must be a number in \[0, 1\), got -0.1$/, RangeError],
    ['betas not a pair', () => new optim.Adam([p], { betas: [0.9] as never }), /Adam: betas must be a pair/, TypeError],
    ['negative eps', () => new optim.RMSprop([p], { eps: -1 }), /RMSprop: eps must be a non-negative number, got -1/, RangeError],
    ['centered not boolean', () => new optim.RMSprop([p], { centered: 1 as never }), /RMSprop: centered must be a boolean, got 1/, TypeError],
    ['empty params', () => new optim.Adam([]), /Adam: params must be a non-empty array/, TypeError],
    ['int32 param', () => new optim.Adam([ds.zeros([2], { dtype: 'int32' })]), /Adam: params\[0\] must be float32, got int32/, TypeError],
    ['non-leaf param', () => new optim.Adam([p.mul(2)]), /Adam: params\[0\] is not a leaf tensor \(it was computed by 'mul'\)/, TypeError],
    ['duplicate param', () => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 1 }), /SGD: params of parameter group 1, \[0\] appears more than once/, TypeError],
    ['group lr', () => new optim.SGD([{ params: [p], lr: -2 }], { lr: 1 }), /SGD: lr must be a non-negative number, got -2/, RangeError],
    ['not a tensor', () => new optim.SGD([{ params: [3 as never] }], { lr: 1 }), /SGD: params\[0\] must be a Tensor, got 3/, TypeError],
  ])('%s', (_, f, msg, kind) => {
    expect(f).toThrow(kind);
    expect(f).toThrow(msg);
  });

  test('loadStateDict refuses mismatched shapes and group layouts', () => {
    const a = ds.zeros([2], { requiresGrad: true });
    const b = ds.zeros([3], { requiresGrad: true });
    const oa = new optim.Adam([a]);
    a.grad = ds.keep(ds.ones([2]));
    oa.step();
    const ob = new optim.Adam([b]);
    expect(() => ob.loadStateDict(oa.stateDict())).toThrow(/Adam.loadStateDict: state 'expAvg' of parameter 0 has shape \[2\] but the parameter has shape \[3\]/);
    const oc = new optim.Adam([{ params: [b] }, { params: [ds.keep(ds.zeros([1], { requiresGrad: true }))] }]);
    expect(() => oc.loadStateDict(oa.stateDict())).toThrow(/the dict has 1 parameter groups, the optimizer 2/);
    expect(ob.state.size).toBe(0);
    ds.dispose([a, b, a.grad]);
    oa.dispose();
  });
});
