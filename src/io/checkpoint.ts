/**
 * Saving and loading model weights, optimizer state and whole training checkpoints as safetensors files.
 * @module
 */
import { Tensor } from '../tensor';
import { DeviceLike } from '../device';
import { Optimizer } from '../optim/optimizer';
import { LRScheduler, SchedulerStateDict } from '../optim/lr_scheduler';
import { flattenOptimizerState, unflattenOptimizerState } from '../optim/serialize';
import { TensorDict, dictEntries, readSafetensors, writeSafetensors } from './safetensors';

/**
 * What {@link save} and {@link loadInto} need of a model: `nn.Module` satisfies it. `stateDict()` returns
 * the live parameter and buffer tensors by name; `loadStateDict(dict, { strict })` copies values into them
 * (PyTorch's semantics); tensors it keeps as they are (instead of copying) are left alive by
 * {@link loadInto}, the others are disposed after the call.
 */
export interface StateDictModule {
  /** The module's tensors by name. */
  stateDict(): TensorDict;
  /** Copies the values of `dict` into the module's tensors. */
  loadStateDict(dict: Map<string, Tensor>, options?: { strict?: boolean }): unknown;
}

/** Options of {@link save}, {@link saveOptimizer} and {@link saveCheckpoint}. */
export interface SaveOptions {
  /** String metadata stored in the file's `__metadata__`. */
  metadata?: Readonly<Record<string, string>>;
}

/** Options of the loading functions. */
export interface LoadOptions {
  /** Device of the loaded tensors. Default `'cpu'` (for {@link loadOptimizer}: each parameter's device). */
  device?: DeviceLike;
}

/** Options of {@link loadInto}. */
export interface LoadIntoOptions extends LoadOptions {
  /** Require the file's names and the module's to match exactly (passed to `loadStateDict`). Default true. */
  strict?: boolean;
}

function checkModule(op: string, m: unknown): StateDictModule {
  const mod = m as Partial<StateDictModule> | null;
  if (typeof mod !== 'object' || mod === null || typeof mod.stateDict !== 'function' || typeof mod.loadStateDict !== 'function') {
    throw new TypeError(`${op}: module must have stateDict() and loadStateDict()`);
  }
  return mod as StateDictModule;
}

function checkOptimizer(op: string, o: unknown): Optimizer {
  if (!(o instanceof Optimizer)) throw new TypeError(`${op}: optimizer must be an Optimizer`);
  return o as Optimizer;
}

/** Disposes the loaded tensors that `holder` did not adopt. */
function disposeUnadopted(loaded: Map<string, Tensor>, holder: StateDictModule | null): void {
  const adopted = new Set<Tensor>(holder ? dictEntries(holder.stateDict()).map(([, t]) => t) : []);
  for (const t of loaded.values()) if (!adopted.has(t)) t.dispose();
}

/**
 * Saves a module's `stateDict()` to a safetensors file.
 * @example await io.save(model, 'model.safetensors', { metadata: { arch: 'resnet18' } });
 */
export async function save(module: StateDictModule, file: string, options: SaveOptions = {}): Promise<void> {
  const m = checkModule('save', module);
  await writeSafetensors(file, m.stateDict(), options.metadata);
}

/**
 * Loads a safetensors file as a state dict (name → tensor); {@link readSafetensors} also returns the
 * metadata.
 * @example const weights = await io.load('model.safetensors');
 */
export async function load(file: string, options: LoadOptions = {}): Promise<Map<string, Tensor>> {
  return (await readSafetensors(file, options)).tensors;
}

/**
 * Loads a safetensors file into a module through its `loadStateDict(dict, { strict })`, then frees the
 * loaded copies. Returns whatever `loadStateDict` returns (missing and unexpected keys, for `nn.Module`).
 * @example await io.loadInto(model, 'model.safetensors');
 */
export async function loadInto(module: StateDictModule, file: string, options: LoadIntoOptions = {}): Promise<unknown> {
  const m = checkModule('loadInto', module);
  const { strict = true, device } = options;
  const { tensors } = await readSafetensors(file, { device });
  try {
    return m.loadStateDict(tensors, { strict });
  } finally {
    disposeUnadopted(tensors, m);
  }
}

/**
 * Saves an optimizer's state (buffers and step counts as tensors and metadata, hyper-parameters as
 * metadata; the layout is {@link flattenOptimizerState}'s).
 * @example await io.saveOptimizer(opt, 'opt.safetensors');
 */
export async function saveOptimizer(optimizer: Optimizer, file: string, options: SaveOptions = {}): Promise<void> {
  const o = checkOptimizer('saveOptimizer', optimizer);
  const flat = flattenOptimizerState(o.stateDict());
  await writeSafetensors(file, flat.tensors, { ...options.metadata, ...flat.metadata });
}

/**
 * Restores an optimizer's state saved by {@link saveOptimizer} (the optimizer must be of the same kind,
 * over parameters of the same shapes and grouping). Returns the file's metadata.
 */
export async function loadOptimizer(optimizer: Optimizer, file: string, options: LoadOptions = {}): Promise<Record<string, string>> {
  const o = checkOptimizer('loadOptimizer', optimizer);
  const { tensors, metadata } = await readSafetensors(file, options);
  try {
    o.loadStateDict(unflattenOptimizerState(tensors, metadata));
    return metadata;
  } catch (e) {
    throw new Error(`loadOptimizer: ${file}: ${(e as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** What a training checkpoint holds; every part is optional. */
export interface Checkpoint {
  /** The model; its state dict is stored under `model.`. */
  model?: StateDictModule;
  /** The optimizer; its state is stored under `optimizer.`. */
  optimizer?: Optimizer;
  /** A learning-rate scheduler; its state is stored as JSON in metadata `deepscope.scheduler`. */
  scheduler?: LRScheduler;
}

const SCHEDULER_KEY = 'deepscope.scheduler';

/**
 * Saves a training checkpoint in one safetensors file: model tensors as `model.<name>`, optimizer state
 * as `optimizer.state.<param>.<key>` plus metadata `optimizer.deepscope.optimizer`, the scheduler's state
 * as JSON in `deepscope.scheduler`, and your own metadata.
 * @example await io.saveCheckpoint('ckpt.safetensors', { model, optimizer: opt, scheduler: sched }, { metadata: { epoch: '7' } });
 */
export async function saveCheckpoint(file: string, parts: Checkpoint, options: SaveOptions = {}): Promise<void> {
  const op = 'saveCheckpoint';
  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = { ...options.metadata };
  if (parts.model) for (const [k, t] of dictEntries(checkModule(op, parts.model).stateDict())) tensors.set(`model.${k}`, t);
  if (parts.optimizer) {
    const flat = flattenOptimizerState(checkOptimizer(op, parts.optimizer).stateDict(), 'optimizer.');
    for (const [k, t] of flat.tensors) tensors.set(k, t);
    Object.assign(metadata, flat.metadata);
  }
  if (parts.scheduler) {
    if (!(parts.scheduler instanceof LRScheduler)) throw new TypeError(`${op}: scheduler must be an LRScheduler`);
    metadata[SCHEDULER_KEY] = JSON.stringify(parts.scheduler.stateDict());
  }
  await writeSafetensors(file, tensors, metadata);
}

/**
 * Restores what {@link saveCheckpoint} saved into the given objects (each part given must be in the
 * file). Returns the file's metadata (your own keys included).
 * @example const meta = await io.loadCheckpoint('ckpt.safetensors', { model, optimizer: opt, scheduler: sched });
 */
export async function loadCheckpoint(file: string, parts: Checkpoint, options: LoadIntoOptions = {}): Promise<Record<string, string>> {
  const op = 'loadCheckpoint';
  const { strict = true, device } = options;
  const { tensors, metadata } = await readSafetensors(file, { device });
  const model = new Map<string, Tensor>();
  const rest = new Map<string, Tensor>();
  for (const [k, t] of tensors) (k.startsWith('model.') ? model.set(k.slice(6), t) : rest.set(k, t));
  let holder: StateDictModule | null = null;
  try {
    if (parts.model) {
      holder = checkModule(op, parts.model);
      holder.loadStateDict(model, { strict });
    }
    if (parts.optimizer) {
      const o = checkOptimizer(op, parts.optimizer);
      try {
        o.loadStateDict(unflattenOptimizerState(rest, metadata, 'optimizer.'));
      } catch (e) {
        throw new Error(`${op}: ${file}: ${(e as Error).message}`);
      }
    }
    if (parts.scheduler) {
      const raw = metadata[SCHEDULER_KEY];
      if (typeof raw !== 'string') throw new Error(`${op}: ${file}: no scheduler state in the file`);
      parts.scheduler.loadStateDict(JSON.parse(raw) as SchedulerStateDict);
    }
    return metadata;
  } finally {
    disposeUnadopted(model, holder);
    for (const t of rest.values()) t.dispose();
  }
}
