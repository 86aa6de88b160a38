/**
 * Learning-rate schedulers, as torch.optim.lr_scheduler: they set `lr` on an optimizer's parameter
 * groups each time `step()` is called (once per epoch, or per batch for {@link OneCycleLR}).
 * @module
 */
import { Optimizer, ParamGroup } from './optimizer';

/** A scheduler's state: plain numbers, arrays and strings, so it can be stored as JSON. */
export type SchedulerStateDict = Record<string, unknown>;

/** Anything built on {@link Optimizer}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any>;

/**
 * Base class of the schedulers. Construction records each group's `initialLr` (its `lr`, unless set
 * already) and performs step 0; each `step()` then advances `lastEpoch` and writes the new rates into
 * `optimizer.paramGroups[i].lr`. Call it after `optimizer.step()`.
 *
 * Like PyTorch's, StepLR, MultiStepLR and CosineAnnealingLR compute each rate from the group's current
 * one (chainable: several schedulers may act on one optimizer); in isolation their rates equal the
 * closed forms given in each class.
 */
export abstract class LRScheduler {
  /** The rates at step 0: each group's `initialLr`. */
  baseLrs: number[];
  /** Steps taken; 0 right after construction. */
  lastEpoch = -1;
  /** @internal */ protected lastLr: number[] = [];

  /**
   * @param name the scheduler's name, for messages
   * @param optimizer the optimizer whose groups' `lr` it sets
   */
  protected constructor(
    /** The scheduler's name, for messages. */ readonly name: string,
    /** The optimizer whose groups' `lr` it sets. */ readonly optimizer: AnyOptimizer,
  ) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${name}: optimizer must be an Optimizer`);
    for (const g of optimizer.paramGroups) if (typeof g.initialLr !== 'number') g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** Performs step 0; subclasses call it at the end of their constructor. */
  protected start(): void {
    this.step();
  }

  /** The rates for `lastEpoch` (already advanced), given the groups' current rates. */
  protected abstract computeLr(): number[];

  /** Advances one step and sets the groups' learning rates. */
  step(): void {
    this.lastEpoch++;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g: ParamGroup, i: number) => (g.lr = lrs[i]));
    this.lastLr = lrs;
  }

  /** The learning rates the last `step()` set, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state (everything but the optimizer), JSON-serialisable. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'optimizer' && k !== 'name') out[k] = JSON.parse(JSON.stringify(v));
    return out;
  }

  /**
   * Restores a state from {@link LRScheduler.stateDict} of the same kind of scheduler. The groups' `lr`
   * is not touched: it comes back with the optimizer's own state dict.
   */
  loadStateDict(dict: SchedulerStateDict): void {
    if (typeof dict !== 'object' || dict === null) throw new TypeError(`${this.name}.loadStateDict: expected an object`);
    for (const k of Object.keys(dict)) {
      if (!(k in this) || k === 'optimizer' || k === 'name') throw new TypeError(`${this.name}.loadStateDict: unknown key '${k}'`);
    }
    Object.assign(this, JSON.parse(JSON.stringify(dict)));
  }
}

function checkPositiveInt(name: string, option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name}: ${option} must be a positive integer, got ${String(v)}`);
  if (v <= 0) throw new RangeError(`${name}: ${option} must be a positive integer, got ${v}`);
  return v;
}

function checkNonNegative(name: string, option: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${name}: ${option} must be a non-negative number, got ${String(v)}`);
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name}: ${option} must be a non-negative number, got ${v}`);
  return v;
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Multiplicative factor of the decay. Default 0.1. */
  gamma?: number;
}

/**
 * Multiplies the rate by `gamma` every `stepSize` steps: lr(t) = base · gamma^⌊t / stepSize⌋.
 * @example const sched = new optim.StepLR(opt, 30, { gamma: 0.1 }); // per epoch: train, then sched.step()
 */
export class StepLR extends LRScheduler {
  /** Steps between decays. */ stepSize: number;
  /** Multiplicative factor of the decay. */ gamma: number;

  constructor(optimizer: AnyOptimizer, stepSize: number, { gamma = 0.1 }: StepLROptions = {}) {
    super('StepLR', optimizer);
    this.stepSize = checkPositiveInt('StepLR', 'stepSize', stepSize);
    this.gamma = checkNonNegative('StepLR', 'gamma', gamma);
    this.start();
  }

  protected computeLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g: ParamGroup) => g.lr);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr: number) => lr * this.gamma);
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Multiplicative factor of the decay. Default 0.1. */
  gamma?: number;
}

/**
 * Multiplies the rate by `gamma` at each milestone: lr(t) = base · gamma^(number of milestones ≤ t).
 * @example const sched = new optim.MultiStepLR(opt, [30, 80], { gamma: 0.1 });
 */
export class MultiStepLR extends LRScheduler {
  /** Steps at which the rate decays, increasing (a milestone listed twice decays twice). */ milestones: number[];
  /** Multiplicative factor of the decay. */ gamma: number;

  constructor(optimizer: AnyOptimizer, milestones: readonly number[], { gamma = 0.1 }: MultiStepLROptions = {}) {
    super('MultiStepLR', optimizer);
    if (!Array.isArray(milestones)) throw new TypeError('MultiStepLR: milestones must be an array of positive integers');
    milestones.forEach((m, i) => checkPositiveInt('MultiStepLR', `milestones[${i}]`, m));
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = checkNonNegative('MultiStepLR', 'gamma', gamma);
    this.start();
  }

  protected computeLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.optimizer.paramGroups.map((g: ParamGroup) => g.lr * this.gamma ** hits);
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** The lowest rate. Default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing from the base rate down to `etaMin` over `tMax` steps (then back up, periodically):
 * lr(t) = etaMin + (base − etaMin)·(1 + cos(π·t/tMax))/2. Computed with PyTorch's recursive form.
 * @example const sched = new optim.CosineAnnealingLR(opt, 100, { etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half-period, in steps. */ tMax: number;
  /** The lowest rate. */ etaMin: number;

  constructor(optimizer: AnyOptimizer, tMax: number, { etaMin = 0 }: CosineAnnealingLROptions = {}) {
    super('CosineAnnealingLR', optimizer);
    this.tMax = checkPositiveInt('CosineAnnealingLR', 'tMax', tMax);
    this.etaMin = checkNonNegative('CosineAnnealingLR', 'etaMin', etaMin);
    this.start();
  }

  protected computeLr(): number[] {
    const t = this.lastEpoch;
    const T = this.tMax;
    const e = this.etaMin;
    return this.optimizer.paramGroups.map((g: ParamGroup, i: number) => {
      if (t === 0) return g.lr;
      if ((t - 1 - T) % (2 * T) === 0) return g.lr + ((this.baseLrs[i] - e) * (1 - Math.cos(Math.PI / T))) / 2;
      return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (g.lr - e) + e;
    });
  }
}

/** Options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** The peak rate, for every group or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs, with `stepsPerEpoch`: totalSteps = epochs · stepsPerEpoch. */
  epochs?: number;
  /** Steps per epoch, with `epochs`. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the rate. Default 0.3. */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Initial rate = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** Final rate = initial rate / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial rate, down to the final rate) instead of two. Default false. */
  threePhase?: boolean;
  /**
   * Cycle the momentum (SGD's `momentum`, Adam's β1) inversely to the rate, between `baseMomentum` and
   * `maxMomentum`. Default false (PyTorch's default is true).
   */
  cycleMomentum?: boolean;
  /** Lowest momentum when cycling. Default 0.85. */
  baseMomentum?: number;
  /** Highest momentum when cycling. Default 0.95. */
  maxMomentum?: number;
}

interface Phase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr' | 'minLr';
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

/**
 * The 1cycle policy (Smith), stepped once per batch: from maxLr/divFactor up to maxLr over the first
 * pctStart of `totalSteps`, then down to maxLr/(divFactor·finalDivFactor); with `threePhase`, down to the
 * initial rate by 2·pctStart and to the final rate at the end. With phase ends e₁ = pctStart·T − 1,
 * e₂ = T − 1 (three phases: e₁, e₂ = 2·pctStart·T − 2, e₃ = T − 1), step t in phase k from rate a to b has
 * p = (t − e_{k−1})/(e_k − e_{k−1}) (e₀ = 0) and lr = b + (a − b)(1 + cos πp)/2 ('cos') or a + (b − a)p ('linear').
 * Stepping more than totalSteps times throws.
 * @example const sched = new optim.OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the cycle. */ totalSteps: number;
  /** `'cos'` or `'linear'`. */ annealStrategy: 'cos' | 'linear';
  /** Whether momentum is cycled. */ cycleMomentum: boolean;
  /** @internal */ phases: Phase[];
  /** @internal Which option holds the momentum: `momentum` (SGD, RMSprop) or `betas` (Adam). */ momentumKey: string;

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const n = 'OneCycleLR';
    if (typeof options !== 'object' || options === null) throw new TypeError(`${n}: options must be an object with maxLr`);
    const {
      maxLr,
      totalSteps,
      epochs,
      stepsPerEpoch,
      pctStart = 0.3,
      annealStrategy = 'cos',
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
      cycleMomentum = false,
      baseMomentum = 0.85,
      maxMomentum = 0.95,
    } = options;
    if (totalSteps !== undefined) this.totalSteps = checkPositiveInt(n, 'totalSteps', totalSteps);
    else if (epochs !== undefined && stepsPerEpoch !== undefined) {
      this.totalSteps = checkPositiveInt(n, 'epochs', epochs) * checkPositiveInt(n, 'stepsPerEpoch', stepsPerEpoch);
    } else throw new TypeError(`${n}: give totalSteps, or epochs and stepsPerEpoch`);
    if (typeof pctStart !== 'number' || !(pctStart >= 0 && pctStart <= 1)) throw new RangeError(`${n}: pctStart must be a number in [0, 1], got ${pctStart}`);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new TypeError(`${n}: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(annealStrategy)}`);
    if (typeof divFactor !== 'number' || !(divFactor > 0)) throw new RangeError(`${n}: divFactor must be a positive number, got ${divFactor}`);
    if (typeof finalDivFactor !== 'number' || !(finalDivFactor > 0)) throw new RangeError(`${n}: finalDivFactor must be a positive number, got ${finalDivFactor}`);
    if (typeof threePhase !== 'boolean') throw new TypeError(`${n}: threePhase must be a boolean`);
    if (typeof cycleMomentum !== 'boolean') throw new TypeError(`${n}: cycleMomentum must be a boolean`);
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    const T = this.totalSteps;
    this.phases = threePhase
      ? [
          { endStep: pctStart * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * T - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: T - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * T - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: T - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    const groups = optimizer.paramGroups;
    const maxLrs = typeof maxLr === 'number' ? groups.map(() => maxLr) : Array.isArray(maxLr) ? [...maxLr] : null;
    if (!maxLrs || maxLrs.length !== groups.length) {
      throw new TypeError(`${n}: maxLr must be a number or an array of ${groups.length} numbers (one per parameter group)`);
    }
    maxLrs.forEach((v, i) => checkNonNegative(n, typeof maxLr === 'number' ? 'maxLr' : `maxLr[${i}]`, v));
    this.momentumKey = 'momentum';
    if (cycleMomentum) {
      const d = optimizer.defaults as Record<string, unknown>;
      if ('momentum' in d) this.momentumKey = 'momentum';
      else if ('betas' in d) this.momentumKey = 'betas';
      else throw new TypeError(`${n}: cycleMomentum needs an optimizer with momentum or betas; ${optimizer.name} has neither`);
      checkNonNegative(n, 'baseMomentum', baseMomentum);
      checkNonNegative(n, 'maxMomentum', maxMomentum);
    }
    groups.forEach((g: ParamGroup, i: number) => {
      g.initialLr = maxLrs[i] / divFactor;
      g.maxLr = maxLrs[i];
      g.minLr = (g.initialLr as number) / finalDivFactor;
      if (cycleMomentum) {
        g.maxMomentum = maxMomentum;
        g.baseMomentum = baseMomentum;
        this.setMomentum(g, maxMomentum);
      }
    });
    this.baseLrs = groups.map((g: ParamGroup) => g.initialLr as number);
    this.start();
  }

  private setMomentum(g: ParamGroup, m: number): void {
    if (this.momentumKey === 'betas') g.betas = [m, (g.betas as number[])[1]];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct));
  }

  protected computeLr(): number[] {
    const t = this.lastEpoch;
    if (t > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${t} times; the cycle has totalSteps ${this.totalSteps}`);
    }
    return this.optimizer.paramGroups.map((g: ParamGroup) => {
      let startStep = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i];
        if (t <= ph.endStep || i === this.phases.length - 1) {
          const pct = (t - startStep) / (ph.endStep - startStep);
          if (this.cycleMomentum) this.setMomentum(g, this.anneal(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct));
          return this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
        }
        startStep = ph.endStep;
      }
      return g.lr;
    });
  }
}
