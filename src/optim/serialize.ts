/**
 * Flattening of optimizer state dicts into named tensors plus string metadata, the shape a safetensors
 * file holds (see `io.saveOptimizer`).
 * @module
 */
import { Tensor } from '../tensor';
import { OptimizerStateDict, ParamGroupDict, ParamState } from './optimizer';

/** The metadata key under which {@link flattenOptimizerState} stores the non-tensor part. */
export const OPTIMIZER_METADATA_KEY = 'deepscope.optimizer';

/** An optimizer state dict as named tensors and string metadata. */
export interface FlatOptimizerState {
  /** `state.<param number>.<key>` → the state tensor (`state.0.expAvg`, `state.3.momentumBuffer`). */
  tensors: Map<string, Tensor>;
  /**
   * One entry, {@link OPTIMIZER_METADATA_KEY}: JSON of `{ format: 1, paramGroups, scalars }`, where
   * `paramGroups` is the dict's (hyper-parameters and parameter numbers) and `scalars` maps parameter
   * numbers to their numeric state (`{ "0": { "step": 12 } }`).
   */
  metadata: Record<string, string>;
}

/**
 * Turns an {@link OptimizerStateDict} into named tensors and one metadata string (the layout is given by
 * {@link FlatOptimizerState}); `prefix` is put before every tensor name and the metadata key. The tensors
 * are the dict's own (no copies).
 * @example const { tensors, metadata } = optim.flattenOptimizerState(opt.stateDict());
 */
export function flattenOptimizerState(dict: OptimizerStateDict, prefix = ''): FlatOptimizerState {
  const tensors = new Map<string, Tensor>();
  const scalars: Record<string, Record<string, number>> = {};
  for (const [id, s] of dict.state) {
    const nums: Record<string, number> = {};
    for (const [k, v] of Object.entries(s)) {
      if (v instanceof Tensor) tensors.set(`${prefix}state.${id}.${k}`, v);
      else nums[k] = v;
    }
    scalars[id] = nums;
  }
  const meta = { format: 1, paramGroups: dict.paramGroups, scalars };
  return { tensors, metadata: { [`${prefix}${OPTIMIZER_METADATA_KEY}`]: JSON.stringify(meta) } };
}

/**
 * The inverse of {@link flattenOptimizerState}: rebuilds the state dict from the tensors and metadata
 * (extra tensors not under `prefix + 'state.'` are ignored). Throws an Error naming the problem when the
 * metadata is missing or malformed or a tensor name does not parse.
 */
export function unflattenOptimizerState(
  tensors: ReadonlyMap<string, Tensor>,
  metadata: Readonly<Record<string, string>>,
  prefix = '',
): OptimizerStateDict {
  const key = `${prefix}${OPTIMIZER_METADATA_KEY}`;
  const raw = metadata[key];
  if (typeof raw !== 'string') throw new Error(`optimizer state: metadata '${key}' is missing`);
  let meta: { format?: unknown; paramGroups?: unknown; scalars?: unknown };
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    throw new Error(`optimizer state: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
  if (typeof meta !== 'object' || meta === null || meta.format !== 1 || !Array.isArray(meta.paramGroups) || typeof meta.scalars !== 'object' || meta.scalars === null) {
    throw new Error(`optimizer state: metadata '${key}' is not a format-1 optimizer state`);
  }
  const state = new Map<number, ParamState>();
  const entry = (id: number) => {
    let s = state.get(id);
    if (!s) state.set(id, (s = {}));
    return s;
  };
  for (const [id, nums] of Object.entries(meta.scalars as Record<string, unknown>)) {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 0 || typeof nums !== 'object' || nums === null) throw new Error(`optimizer state: bad scalars entry '${id}'`);
    const s = entry(n);
    for (const [k, v] of Object.entries(nums)) {
      if (typeof v !== 'number') throw new Error(`optimizer state: scalar '${k}' of parameter ${id} is not a number`);
      s[k] = v;
    }
  }
  const head = `${prefix}state.`;
  for (const [name, t] of tensors) {
    if (!name.startsWith(head)) continue;
    const m = /^(\d+)\.(.+)$/.exec(name.slice(head.length));
    if (!m) throw new Error(`optimizer state: tensor name '${name}' is not '${head}<param>.<key>'`);
    entry(Number(m[1]))[m[2]] = t;
  }
  return { state, paramGroups: meta.paramGroups as ParamGroupDict[] };
}
