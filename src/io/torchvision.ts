/**
 * Loading torchvision and timm state dicts (saved as safetensors) into the zoo's models, which use
 * torchvision's parameter names. The file's names are mapped onto the model's:
 *
 * - a prefix that every name shares, `module.` (DataParallel), `_orig_mod.` (torch.compile), `model.`
 *   or `state_dict.`, is dropped;
 * - DenseNet's old names (`denselayer1.norm.1.weight`, torchvision's checkpoints before 0.3) become
 *   `denselayer1.norm1.weight`, as torchvision itself renames them;
 * - timm's VGG head (`pre_logits.fc1` and `fc2` as convolutions, `head.fc`) becomes `classifier.0`, `.3`
 *   and `.6`, the 7×7 and 1×1 convolution kernels flattened into linear weights (the same row-major
 *   order as flattening the 512×7×7 features);
 * - `num_batches_tracked` is optional on both sides (PyTorch's batch norm does the same), and
 *   GoogLeNet's auxiliary classifiers (`aux1.`, `aux2.`) are skipped when the model has none (as
 *   torchvision drops them from its pretrained model).
 *
 * Then every shape is checked and every problem (missing, unexpected and mis-shaped names) is named in
 * one {@link TorchvisionLoadError} before anything is copied. From a file the tensors stream straight
 * into the model's parameters, slice by slice, so loading a 500 MB VGG needs no second copy of it.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { cast } from '../ops/creation';
import { native } from '../native';
import { fillFromFile, loadedDType, openSafetensors, sliceBuffers, SafetensorsEntry, TensorDict, dictEntries } from './safetensors';

/** Options of {@link loadTorchvision}. */
export interface LoadTorchvisionOptions {
  /**
   * Require every name to match (default true). Non-strict loading skips the model's names that the
   * checkpoint lacks and the checkpoint's names that the model lacks, and returns them; mis-shaped
   * names are refused either way.
   */
  strict?: boolean;
  /**
   * The model's names to leave as they are, and the checkpoint's tensors for them to skip: a string
   * matches a name or a dotted prefix (`'fc'` matches `fc.weight`), a RegExp is tested against the name.
   * For fine-tuning with a new head: `exclude: ['fc']`.
   */
  exclude?: readonly (string | RegExp)[];
}

/** What {@link loadTorchvision} did. */
export interface LoadTorchvisionResult {
  /** The model's names that were filled, in the model's order. */
  loaded: string[];
  /** `[checkpoint name, model name]` for every tensor whose name was mapped. */
  renamed: [string, string][];
  /** The model's names the checkpoint lacks (non-strict loading only; left unchanged). */
  missingKeys: string[];
  /** The checkpoint's names the model lacks (non-strict loading only; not read). */
  unexpectedKeys: string[];
  /** The checkpoint's names skipped by rule: excluded, `num_batches_tracked`, auxiliary classifiers. */
  ignored: string[];
}

/** A name whose shapes differ between the checkpoint and the model. */
export interface TorchvisionShapeMismatch {
  /** The model's name. */
  key: string;
  /** The checkpoint's name, when it differs. */
  source: string;
  /** The model's shape. */
  expected: readonly number[];
  /** The checkpoint's shape. */
  got: readonly number[];
}

/** How many names of each kind an error message lists (the error's fields list them all). */
const LISTED = 25;

function list(names: readonly string[], field: string): string {
  const shown = names.slice(0, LISTED).map((n) => `'${n}'`).join(', ');
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more (see error.${field})` : shown;
}

/**
 * Thrown by {@link loadTorchvision} when the checkpoint does not fit the model. The message names every
 * kind of problem (the first names of each), the fields list all of them. Nothing has been copied.
 */
export class TorchvisionLoadError extends Error {
  /** Builds the message; `source` names the checkpoint, `model` the model's class. */
  constructor(
    source: string,
    model: string,
    /** The model's names the checkpoint lacks. */
    readonly missingKeys: string[],
    /** The checkpoint's names the model lacks. */
    readonly unexpectedKeys: string[],
    /** Names whose shapes differ. */
    readonly shapeMismatches: TorchvisionShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missingKeys.length) parts.push(`missing from the checkpoint: ${list(missingKeys, 'missingKeys')}`);
    if (unexpectedKeys.length) parts.push(`not in the model: ${list(unexpectedKeys, 'unexpectedKeys')}`);
    if (shapeMismatches.length) {
      const shown = shapeMismatches.slice(0, LISTED).map((m) => {
        const from = m.source !== m.key ? ` (from '${m.source}')` : '';
        return `'${m.key}'${from} is ${fmtShape(m.got)} in the checkpoint but ${fmtShape(m.expected)} in the model`;
      });
      const more = shapeMismatches.length > LISTED ? ` and ${shapeMismatches.length - LISTED} more (see error.shapeMismatches)` : '';
      parts.push(`shape mismatch: ${shown.join('; ')}${more}`);
    }
    let hint = '';
    if (shapeMismatches.length && !missingKeys.length && !unexpectedKeys.length) {
      hint = ' (a different number of classes? `exclude` the head to keep the model\'s own)';
    } else if (missingKeys.length && unexpectedKeys.length) {
      hint = ' (another architecture, or a variant of it?)';
    }
    super(`loadTorchvision: ${source} does not fit ${model}: ${parts.join('; ')}${hint}`);
    this.name = 'TorchvisionLoadError';
  }
}

/** A checkpoint tensor, as far as planning needs it. */
interface SourceInfo {
  name: string;
  shape: readonly number[];
}

/** A checkpoint tensor matched to a model tensor. */
interface Match {
  source: string;
  key: string;
  target: Tensor;
}

const SHARED_PREFIXES = ['module.', '_orig_mod.', 'model.', 'state_dict.'];
const OLD_DENSENET = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$/;
const TIMM_VGG: Record<string, string> = { 'pre_logits.fc1.': 'classifier.0.', 'pre_logits.fc2.': 'classifier.3.', 'head.fc.': 'classifier.6.' };

/** The names of a checkpoint without the prefix that all of them share (repeatedly). */
function stripSharedPrefixes(names: readonly string[]): string[] {
  let out = [...names];
  for (let again = true; again && out.length; ) {
    again = false;
    for (const p of SHARED_PREFIXES) {
      if (out.every((n) => n.startsWith(p))) {
        out = out.map((n) => n.slice(p.length));
        again = true;
      }
    }
  }
  return out;
}

/** The model's name for a checkpoint name (after prefix stripping), and whether the kernel is flattened. */
function mapName(name: string): { key: string; flatten: boolean } {
  const dense = OLD_DENSENET.exec(name);
  if (dense) return { key: dense[1] + dense[2], flatten: false };
  for (const [from, to] of Object.entries(TIMM_VGG)) {
    if (name.startsWith(from)) return { key: to + name.slice(from.length), flatten: name.endsWith('.weight') };
  }
  return { key: name, flatten: false };
}

function excluded(name: string, exclude: readonly (string | RegExp)[]): boolean {
  return exclude.some((e) => (typeof e === 'string' ? name === e || name.startsWith(`${e}.`) : e.test(name)));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkOptions(options: LoadTorchvisionOptions): { strict: boolean; exclude: readonly (string | RegExp)[] } {
  const strict = options.strict ?? true;
  if (typeof strict !== 'boolean') throw new TypeError(`loadTorchvision: 'strict' must be a boolean, got ${typeof strict}`);
  const exclude = options.exclude ?? [];
  if (!Array.isArray(exclude) || !exclude.every((e) => typeof e === 'string' || e instanceof RegExp)) {
    throw new TypeError('loadTorchvision: \'exclude\' must be an array of strings and RegExps');
  }
  return { strict, exclude };
}

/**
 * Matches the checkpoint's tensors to the model's, checks every shape, and throws one
 * {@link TorchvisionLoadError} for everything that does not fit (nothing is copied before).
 */
function plan(
  what: string,
  model: Module,
  sources: readonly SourceInfo[],
  options: LoadTorchvisionOptions,
): { matches: Match[]; result: LoadTorchvisionResult } {
  const { strict, exclude } = checkOptions(options);
  const own = [...model.stateDict()];
  const ownByName = new Map(own);
  const hasAux = own.some(([k]) => k.startsWith('aux1.') || k.startsWith('aux2.'));
  const stripped = stripSharedPrefixes(sources.map((s) => s.name));
  const matches: Match[] = [];
  const renamed: [string, string][] = [];
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const mismatches: TorchvisionShapeMismatch[] = [];
  const filled = new Set<string>();
  sources.forEach((s, i) => {
    const { key, flatten } = mapName(stripped[i]);
    const target = ownByName.get(key);
    if (excluded(key, exclude)) return void ignored.push(s.name);
    if (!target) {
      if (key.endsWith('num_batches_tracked') || (!hasAux && /^aux[12]\./.test(key))) ignored.push(s.name);
      else unexpected.push(s.name);
      return;
    }
    const shape = flatten && s.shape.length > 2 ? [s.shape[0], s.shape.slice(1).reduce((a, b) => a * b, 1)] : s.shape;
    if (!sameShape(shape, target.shape)) {
      mismatches.push({ key, source: s.name, expected: target.shape, got: s.shape });
      return;
    }
    if (filled.has(key)) {
      unexpected.push(s.name);
      return;
    }
    filled.add(key);
    if (key !== s.name) renamed.push([s.name, key]);
    matches.push({ source: s.name, key, target });
  });
  const missing = own
    .map(([k]) => k)
    .filter((k) => !filled.has(k) && !excluded(k, exclude) && !k.endsWith('num_batches_tracked') && !mismatches.some((m) => m.key === k));
  if (mismatches.length || (strict && (missing.length || unexpected.length))) {
    throw new TorchvisionLoadError(what, model.constructor.name, strict ? missing : [], strict ? unexpected : [], mismatches);
  }
  const order = new Map(own.map(([k], i) => [k, i]));
  matches.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  return { matches, result: { loaded: matches.map((m) => m.key), renamed, missingKeys: strict ? [] : missing, unexpectedKeys: strict ? [] : unexpected, ignored } };
}

/** Copies `src` into `target` (same element count), converting the dtype, in stream order. */
function copyInto(target: Tensor, src: Tensor): void {
  noGrad(() =>
    tidy(() => {
      let s = src.shape.length === target.shape.length && sameShape(src.shape, target.shape) ? src : src.reshape(target.shape);
      if (s.device !== target.device) s = s.to(target.device);
      if (s.dtype !== target.dtype) s = cast(s, target.dtype);
      target.copy_(s);
    }),
  );
}

async function loadFile(model: Module, file: string, options: LoadTorchvisionOptions): Promise<LoadTorchvisionResult> {
  if (/\.(pth|pt|bin|ckpt|tar)$/i.test(file)) {
    throw new TypeError(
      `loadTorchvision: ${file} looks like a PyTorch pickle; save the state dict as safetensors first (docs/pytorch-checkpoints.md shows how)`,
    );
  }
  const { fh, header, fail } = await openSafetensors('loadTorchvision', file);
  try {
    const { matches, result } = plan(file, model, header.entries, options);
    const byName = new Map<string, SafetensorsEntry>(header.entries.map((e) => [e.name, e]));
    const buffers = sliceBuffers(matches.map((m) => byName.get(m.source)!));
    for (const m of matches) {
      const e = byName.get(m.source)!;
      const dtype = loadedDType(e);
      if (dtype === m.target.dtype) {
        await fillFromFile(fh, header.dataStart, e, m.target, buffers, fail);
      } else {
        const tmp = new Tensor(native.empty(dtype, e.shape, m.target.device.type, m.target.device.index), e.shape, dtype, m.target.device);
        try {
          await fillFromFile(fh, header.dataStart, e, tmp, buffers, fail);
          copyInto(m.target, tmp);
        } finally {
          tmp.dispose();
        }
      }
    }
    return result;
  } finally {
    await fh.close();
  }
}

/**
 * Loads a torchvision or timm checkpoint into a model of the zoo (AlexNet, VGG, GoogLeNet, ResNet,
 * ResNeXt, wide ResNet, DenseNet), or any module with torchvision's names. `source` is a safetensors
 * file (see docs/pytorch-checkpoints.md for turning a `.pth` into one) or a state dict (a Map or an
 * object of tensors, only read). Names are mapped as the module documentation describes, shapes are
 * checked, and every problem is named in one {@link TorchvisionLoadError} before anything is copied;
 * float16/bfloat16/float64 and int64 tensors are converted. The model stays on its device.
 * @example
 * const net = models.resnet50();
 * await io.loadTorchvision(net, 'resnet50.safetensors');
 * // Fine-tuning on 10 classes: everything but the head.
 * const small = models.resnet50({ numClasses: 10 });
 * const { missingKeys } = await io.loadTorchvision(small, 'resnet50.safetensors', { exclude: ['fc'] });
 */
export async function loadTorchvision(model: Module, source: string | TensorDict, options: LoadTorchvisionOptions = {}): Promise<LoadTorchvisionResult> {
  if (!(model instanceof Module)) throw new TypeError('loadTorchvision: model must be an nn.Module');
  if (typeof source === 'string') {
    if (source === '') throw new TypeError('loadTorchvision: the file name is empty');
    return loadFile(model, source, options);
  }
  if (typeof source !== 'object' || source === null) {
    throw new TypeError(`loadTorchvision: source must be a file name or a state dict (Map or object of Tensors), got ${source === null ? 'null' : typeof source}`);
  }
  const entries = dictEntries(source);
  for (const [k, t] of entries) {
    if (!(t instanceof Tensor)) throw new TypeError(`loadTorchvision: '${k}' must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    t._h('loadTorchvision', k);
  }
  const { matches, result } = plan('the state dict', model, entries.map(([name, t]) => ({ name, shape: t.shape })), options);
  const dict = new Map(entries);
  for (const m of matches) copyInto(m.target, dict.get(m.source)!);
  return result;
}
