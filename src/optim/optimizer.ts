/**
 * The optimizer base class: parameter groups, per-parameter state, `zeroGrad`, and state dicts for
 * resuming training. The algorithms (SGD, Adam, AdamW, RMSprop) subclass it.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { keep, tidy } from '../memory';
import { noGrad } from '../autograd';
import { clone, zerosLike } from '../ops/creation';

/** A hyper-parameter value of a parameter group: a number, a flag, or a pair (Adam's betas). */
export type HyperParam = number | boolean | readonly number[];

/**
 * A parameter group as passed to an optimizer: the tensors and, optionally, hyper-parameters that
 * override the optimizer's defaults for this group (PyTorch's param groups).
 * @example new optim.SGD([{ params: backbone }, { params: head, lr: 0.1 }], { lr: 0.01, momentum: 0.9 });
 */
export interface ParamGroupInput {
  /** The tensors this group optimizes (float32 leaves). */
  params: Tensor[];
  /** The group's learning rate; the optimizer's `lr` when omitted. */
  lr?: number;
  /** Further hyper-parameters of the algorithm (`momentum`, `weightDecay`, `betas`...). */
  [option: string]: HyperParam | Tensor[] | undefined;
}

/** A parameter group as the optimizer holds it: its tensors and every hyper-parameter resolved. */
export interface ParamGroup {
  /** The tensors this group optimizes. */
  params: Tensor[];
  /** Learning rate; schedulers change it between steps. */
  lr: number;
  /** The other hyper-parameters (`momentum`, `betas`, `weightDecay`...), and schedulers' bookkeeping (`initialLr`). */
  [option: string]: HyperParam | Tensor[];
}

/** What an optimizer keeps for one parameter: buffers (momentum, moments) and counters (`step`). */
export type ParamState = Record<string, Tensor | number>;

/**
 * A snapshot of an optimizer for resuming, shaped like PyTorch's: parameters are numbered in order
 * across groups (0, 1, ... over `paramGroups[0].params`, then the next group's).
 *
 * The tensors in `state` are the optimizer's live buffers (as in PyTorch): serialise them before the next
 * `step()`, or clone them. {@link flattenOptimizerState} turns the dict into named tensors plus string
 * metadata for a safetensors file.
 */
export interface OptimizerStateDict {
  /** Per-parameter state by parameter number; parameters that never had a gradient are absent. */
  state: Map<number, ParamState>;
  /** Hyper-parameters of each group; `params` lists the numbers of its parameters. */
  paramGroups: ParamGroupDict[];
}

/** A parameter group in an {@link OptimizerStateDict}: hyper-parameters and parameter numbers. */
export interface ParamGroupDict {
  /** The numbers of the group's parameters. */
  params: number[];
  /** The group's hyper-parameters (`lr`, `momentum`, `betas`...). */
  [option: string]: HyperParam | number[];
}

/** What every optimizer's options have: the learning rate. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/** Options of {@link Optimizer.zeroGrad}. */
export interface ZeroGradOptions {
  /** Dispose `.grad` and set it to null (default), instead of filling it with zeros. */
  setToNone?: boolean;
}

/** @internal Throws a RangeError unless `v` is a finite number >= min (and <= max / < max). */
export function checkRange(
  name: string,
  option: string,
  v: unknown,
  { min = 0, max, maxExclusive = false, what = 'a non-negative number' }: { min?: number; max?: number; maxExclusive?: boolean; what?: string } = {},
): number {
  const bad =
    typeof v !== 'number' || !Number.isFinite(v) || v < min || (max !== undefined && (maxExclusive ? v >= max : v > max));
  if (typeof v !== 'number') throw new TypeError(`${name}: ${option} must be ${what}, got ${describe(v)}`);
  if (bad) throw new RangeError(`${name}: ${option} must be ${what}, got ${v}`);
  return v;
}

/** @internal Throws a TypeError unless `v` is a boolean. */
export function checkBool(name: string, option: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${name}: ${option} must be a boolean, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v === 'object' ? 'an object' : String(v);
}

/**
 * Base class of the optimizers. It holds `paramGroups` (whose `lr` schedulers change) and per-parameter
 * `state`; subclasses implement {@link Optimizer.updateGroup}. Each `step()` runs as tensor ops on the
 * parameters' device streams under `noGrad`, writes parameters and state buffers in place with
 * `copy_` (the Tensor objects never change, so modules keep holding them) and frees its temporaries.
 *
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * for (const [x, y] of batches) {
 *   tidy(() => { opt.zeroGrad(); lossFn(model.forward(x), y).backward(); opt.step(); });
 * }
 */
export abstract class Optimizer<Options extends BaseOptions = BaseOptions> {
  /** The parameter groups, with every hyper-parameter resolved. */
  readonly paramGroups: ParamGroup[] = [];
  /** Per-parameter state (momentum buffers, moments, step counts), created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  /** The hyper-parameters a group gets when it does not set them. */
  readonly defaults: Readonly<Options>;

  /**
   * @param name the optimizer's name, for messages
   * @param params tensors, or parameter groups
   * @param defaults resolved default hyper-parameters (lr included)
   */
  protected constructor(
    /** The optimizer's name (`SGD`, `Adam`...), used in messages. */ readonly name: string,
    params: readonly Tensor[] | readonly ParamGroupInput[],
    defaults: Options,
  ) {
    this.defaults = Object.freeze({ ...defaults });
    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError(`${name}: params must be a non-empty array of tensors or of parameter groups`);
    }
    const groups: ParamGroupInput[] = params.every((p) => p instanceof Tensor)
      ? [{ params: params as Tensor[] }]
      : (params as ParamGroupInput[]);
    groups.forEach((g) => this.addParamGroup(g));
  }

  /**
   * Adds a parameter group (fine-tuning: unfreeze layers as training goes). Hyper-parameters it does not
   * set come from the optimizer's defaults.
   */
  addParamGroup(group: ParamGroupInput): void {
    const i = this.paramGroups.length;
    if (typeof group !== 'object' || group === null || group instanceof Tensor || !Array.isArray(group.params)) {
      throw new TypeError(`${this.name}: parameter group ${i} must be an object { params: Tensor[], ... }`);
    }
    if (group.params.length === 0) throw new TypeError(`${this.name}: parameter group ${i} has no params`);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    group.params.forEach((p, k) => {
      const where = `params${groupsLabel(i, k)}`;
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: ${where} must be a Tensor, got ${describe(p)}`);
      if (p.isDisposed) throw new TypeError(`${this.name}: ${where} is a disposed tensor`);
      if (p.dtype !== 'float32') throw new TypeError(`${this.name}: ${where} must be float32, got ${p.dtype} (shape ${fmtShape(p.shape)})`);
      if (!p.isLeaf) throw new TypeError(`${this.name}: ${where} is not a leaf tensor (it was computed by '${p._node?.name}'); optimize leaves only`);
      if (seen.has(p)) throw new TypeError(`${this.name}: ${where} appears more than once among the parameters`);
      seen.add(p);
    });
    const resolved = { ...(this.defaults as unknown as Record<string, HyperParam>), lr: this.defaults.lr, params: [] } as unknown as ParamGroup;
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params' || v === undefined) continue;
      if (!(k in this.defaults) && k !== 'initialLr') throw new TypeError(`${this.name}: unknown option '${k}' in parameter group ${i}`);
      resolved[k] = Array.isArray(v) ? [...(v as unknown as number[])] : (v as HyperParam);
    }
    resolved.params = [...group.params];
    this.validateGroup(resolved);
    this.paramGroups.push(resolved);
  }

  /** Checks a group's hyper-parameters; throws a TypeError or RangeError naming the optimizer and option. */
  protected abstract validateGroup(group: ParamGroup): void;

  /**
   * Updates the parameters of one group that have a gradient (under `noGrad`, inside a `tidy` scope).
   * Implementations write parameters and buffers with `copy_`, and create state buffers with
   * {@link Optimizer.buffer}.
   */
  protected abstract updateGroup(group: ParamGroup): void;

  /**
   * One optimization step over every parameter with a `.grad` (parameters without one are skipped, as
   * in PyTorch). The update is queued on the device streams; it returns at once.
   */
  step(): void {
    noGrad(() =>
      tidy(() => {
        for (const g of this.paramGroups) {
          for (const p of g.params) p._h(`${this.name}.step`, 'param');
          this.updateGroup(g);
        }
      }),
    );
  }

  /**
   * Clears the gradients of all parameters: disposes them and sets `.grad` to null (the default), or
   * fills them with zeros (`{ setToNone: false }`).
   */
  zeroGrad({ setToNone = true }: ZeroGradOptions = {}): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone || p.grad.isDisposed) {
          p.grad.dispose();
          p.grad = null;
        } else {
          const grad = p.grad;
          noGrad(() => tidy(() => void grad.copy_(zerosLike(grad))));
        }
      }
    }
  }

  /**
   * The state of parameter `p`, created empty on first use. Buffers it holds are kept out of `tidy`
   * scopes; use {@link Optimizer.buffer} to create them.
   */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /** A state buffer of `p`: `init()` (kept out of every scope) on first use, the existing one afterwards. */
  protected buffer(p: Tensor, key: string, init: () => Tensor): Tensor {
    const s = this.stateOf(p);
    const b = s[key];
    if (b instanceof Tensor) return b;
    const t = keep(init());
    s[key] = t;
    return t;
  }

  /** Disposes every state buffer; the parameters stay. The optimizer starts afresh (step counts included). */
  dispose(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }

  /** The optimizer's state for resuming: see {@link OptimizerStateDict}. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      const ids = params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      const copy: Record<string, HyperParam | number[]> = {};
      for (const [k, v] of Object.entries(hyper)) copy[k] = Array.isArray(v) ? [...(v as unknown as number[])] : (v as HyperParam);
      return { ...copy, params: ids };
    });
    const state = new Map<number, ParamState>();
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state.set(i, { ...s });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state from {@link Optimizer.stateDict} (of an optimizer of the same kind over parameters of
   * the same shapes, grouped the same way). Hyper-parameters are taken from the dict; state tensors are
   * copied (onto each parameter's device), so the dict can be disposed afterwards.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (typeof dict !== 'object' || dict === null || !(dict.state instanceof Map) || !Array.isArray(dict.paramGroups)) {
      throw new TypeError(`${op}: expected { state: Map, paramGroups: [...] }`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${op}: the dict has ${dict.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    const params: Tensor[] = [];
    dict.paramGroups.forEach((g, i) => {
      const mine = this.paramGroups[i].params;
      if (!Array.isArray(g.params) || g.params.length !== mine.length) {
        throw new RangeError(`${op}: parameter group ${i} has ${Array.isArray(g.params) ? g.params.length : 'no'} params in the dict, ${mine.length} in the optimizer`);
      }
      g.params.forEach((id, k) => {
        if (!Number.isInteger(id)) throw new TypeError(`${op}: parameter group ${i} lists a non-integer parameter id ${id}`);
        params[id] = mine[k];
      });
    });
    const next = new Map<Tensor, ParamState>();
    for (const [id, s] of dict.state) {
      const p = params[id];
      if (!p) throw new RangeError(`${op}: state for parameter ${id}, which no group lists`);
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor && (v.shape.length !== p.shape.length || v.shape.some((d, j) => d !== p.shape[j]))) {
          throw new RangeError(`${op}: state '${k}' of parameter ${id} has shape ${fmtShape(v.shape)} but the parameter has shape ${fmtShape(p.shape)}`);
        }
        if (v instanceof Tensor && v.dtype !== 'float32') throw new TypeError(`${op}: state '${k}' of parameter ${id} must be float32, got ${v.dtype}`);
        if (!(v instanceof Tensor) && typeof v !== 'number') throw new TypeError(`${op}: state '${k}' of parameter ${id} must be a Tensor or a number`);
      }
    }
    // Validate the hyper-parameters on copies before touching anything.
    const groups = dict.paramGroups.map((g, i) => {
      const merged: ParamGroup = { ...this.paramGroups[i] };
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        merged[k] = Array.isArray(v) ? [...(v as unknown as number[])] : (v as HyperParam);
      }
      merged.params = this.paramGroups[i].params;
      this.validateGroup(merged);
      return merged;
    });
    for (const [id, s] of dict.state) {
      const p = params[id];
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? keep(noGrad(() => tidy(() => clone(v.to(p.device))))) : v;
      next.set(p, copy);
    }
    this.dispose();
    groups.forEach((g, i) => Object.assign(this.paramGroups[i], g));
    for (const [p, s] of next) this.state.set(p, s);
  }
}

function groupsLabel(group: number, k: number): string {
  return group === 0 ? `[${k}]` : ` of parameter group ${group}, [${k}]`;
}
