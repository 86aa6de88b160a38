/**
 * `Module`, the base class of every layer and model, in the mould of PyTorch's `nn.Module`: a tree of
 * child modules that owns parameters and buffers, with dotted names, train/eval mode, device moves,
 * state dicts and forward hooks.
 *
 * ## Registration is explicit
 * A module only knows the parameters, buffers and children it was told about through
 * {@link Module.registerParameter}, {@link Module.registerBuffer} and {@link Module.registerModule}; a
 * plain field assignment registers nothing, so nothing depends on property enumeration or proxies.
 * Registering `name` also defines an accessor property `this[name]` that reads and writes the registry:
 * `this.fc` is the registered child, and assigning `this.fc = other` afterwards replaces the registered
 * child (with the same checks). Declare such fields with `declare` in TypeScript (a plain field declaration
 * works in the class that registers the name, but one repeated in a subclass would replace the accessor
 * with an `undefined` field once the parent constructor has run):
 *
 * ```ts
 * class Net extends nn.Module {
 *   declare conv: nn.Conv2d;
 *   declare scale: Tensor;
 *   constructor() {
 *     super();
 *     this.registerModule('conv', new nn.Conv2d(3, 8, 3));
 *     this.registerParameter('scale', ds.ones([8, 1, 1]));
 *   }
 *   forward(x: Tensor): Tensor {
 *     return this.conv.call(x).mul(this.scale);
 *   }
 * }
 * ```
 *
 * ## Calling
 * Subclasses implement {@link Module.forward}; callers use `call()`, which runs the forward
 * pre-hooks, `forward` and the forward hooks (PyTorch's `module(x)`). Calling `forward` directly skips the
 * hooks, as in PyTorch, so composite modules call their children with `call`.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { keep, tidy } from '../memory';
import { noGrad } from '../autograd';
import { Device, DeviceLike, device as parseDevice } from '../device';
import { cast, to } from '../ops/creation';
import { run } from '../ops/util';

/**
 * Called after {@link Module.forward} by `call()`, with the module, its arguments and its
 * output. Return a value to replace the output, or `undefined` to keep it.
 */
export type ForwardHook = (module: Module, inputs: unknown[], output: any) => unknown;

/**
 * Called before {@link Module.forward} by `call()`, with the module and its arguments. Return
 * `undefined` to keep the arguments, an array to replace the whole argument list, or any other value to
 * replace it with that one argument.
 */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown;

/** Returned by the hook registrations: `remove()` unregisters the hook (safe to call twice). */
export interface RemovableHandle {
  /** Unregisters the hook. */
  remove(): void;
}

/**
 * A state dict: parameters and persistent buffers by dotted name (`layer1.0.bn1.running_mean`), in
 * registration order. {@link Module.stateDict} returns a `Map`; {@link Module.loadStateDict} also accepts a
 * plain object.
 */
export type StateDict = Map<string, Tensor>;

/** Options of {@link Module.registerParameter}. */
export interface ParameterOptions {
  /** Whether the parameter is trained (sets `requiresGrad`). Default true. */
  requiresGrad?: boolean;
}

/** Options of {@link Module.registerBuffer}. */
export interface BufferOptions {
  /** Whether the buffer belongs in {@link Module.stateDict}. Default true. */
  persistent?: boolean;
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Require the keys to match exactly (default true). Non-strict loading skips missing and unexpected
   * keys and reports them; mis-shaped tensors are refused either way.
   */
  strict?: boolean;
}

/** What {@link Module.loadStateDict} skipped (always empty in strict mode, which throws instead). */
export interface LoadStateDictResult {
  /** Keys of the module that the dict lacks (left unchanged). */
  missingKeys: string[];
  /** Keys of the dict that the module lacks (ignored). */
  unexpectedKeys: string[];
}

/** A key whose tensor in the dict has another shape than the module's. */
export interface ShapeMismatch {
  /** The dotted name. */
  key: string;
  /** The module's shape. */
  expected: readonly number[];
  /** The dict's shape. */
  got: readonly number[];
}

/**
 * Thrown by {@link Module.loadStateDict} when the dict does not fit the module. The message names every
 * offending key; the fields list them. Nothing is copied when it is thrown.
 */
export class StateDictError extends Error {
  /** Builds the message from the offending keys. */
  constructor(
    moduleName: string,
    /** Keys of the module missing from the dict (empty when loading non-strictly). */
    readonly missingKeys: string[],
    /** Keys of the dict the module does not have (empty when loading non-strictly). */
    readonly unexpectedKeys: string[],
    /** Keys whose shapes differ, with both shapes. */
    readonly shapeMismatches: ShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missingKeys.length) parts.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    if (shapeMismatches.length) {
      parts.push(
        'size mismatch: ' +
          shapeMismatches.map((m) => `'${m.key}' has shape ${fmtShape(m.got)} in the dict but ${fmtShape(m.expected)} in the module`).join('; '),
      );
    }
    super(`loadStateDict: error(s) loading the state dict into ${moduleName}: ${parts.join('; ')}`);
    this.name = 'StateDictError';
  }
}

type Kind = 'parameter' | 'buffer' | 'module';

let nextHookId = 0;

/**
 * Base class of layers and models. See the module documentation above for how registration and calling
 * work.
 * @example
 * const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 * const y = model.call(x);
 * for (const [name, p] of model.namedParameters()) console.log(name, p.shape); // 0.weight [8, 4] ...
 * model.eval();
 * model.loadStateDict(otherModel.stateDict());
 */
export class Module {
  /** Whether the module is in training mode (see {@link Module.train}). */
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Tensor | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal Buffers left out of the state dict. */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _modules = new Map<string, Module | null>();
  /** @internal */ readonly _forwardHooks = new Map<number, ForwardHook>();
  /** @internal */ readonly _forwardPreHooks = new Map<number, ForwardPreHook>();

  /**
   * The computation. Subclasses override it; call modules through `call()` so that hooks run.
   */
  forward(...inputs: any[]): any {
    void inputs;
    throw new Error(`${this.constructor.name}: forward() is not implemented`);
  }

  /**
   * Runs the module: the forward pre-hooks, {@link Module.forward}, then the forward hooks, in registration
   * order (PyTorch's `module(x)`). Returns forward's output, or what a hook replaced it with.
   * @example const logits = model.call(images);
   */
  call<M extends Module>(this: M, ...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    let args: unknown[] = inputs;
    for (const hook of [...this._forwardPreHooks.values()]) {
      const r = hook(this, args);
      if (r !== undefined) args = Array.isArray(r) ? r : [r];
    }
    let out = this.forward(...args);
    for (const hook of [...this._forwardHooks.values()]) {
      const r = hook(this, args, out);
      if (r !== undefined) out = r;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------- registration

  /**
   * Registers `t` as parameter `name` and returns it. The tensor must be a float32 leaf; it is exempted
   * from `tidy` scopes (`keep`), gets `requiresGrad` (unless `{ requiresGrad: false }`), and is disposed by
   * {@link Module.dispose}. `null` registers an absent parameter (a layer without bias): `this[name]` is
   * null and the state dict skips it. Also defines the accessor `this[name]` (see the module docs).
   * @example this.registerParameter('weight', ds.zeros([out, inp]));
   */
  registerParameter<T extends Tensor | null>(name: string, t: T, options: ParameterOptions = {}): T {
    this.checkName('registerParameter', name, 'parameter');
    this._parameters.set(name, this.asParameter('registerParameter', name, t, options.requiresGrad ?? true));
    this.install(name, 'parameter');
    return t;
  }

  /**
   * Registers `t` as buffer `name` (state that is not trained: running statistics, counters) and returns
   * it. Buffers move with {@link Module.to}, are exempted from `tidy` scopes and disposed with the module;
   * persistent ones (the default) are part of the state dict. `null` registers an absent buffer.
   * @example this.registerBuffer('running_mean', ds.zeros([c]));
   */
  registerBuffer<T extends Tensor | null>(name: string, t: T, options: BufferOptions = {}): T {
    this.checkName('registerBuffer', name, 'buffer');
    this._buffers.set(name, this.asBuffer('registerBuffer', name, t));
    if (options.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    this.install(name, 'buffer');
    return t;
  }

  /**
   * Registers `m` as child `name` and returns it. Its parameters and buffers appear under `name.` in the
   * dotted names. `null` registers an empty slot.
   * @example this.registerModule('features', new nn.Sequential(...));
   */
  registerModule<T extends Module | null>(name: string, m: T): T {
    this.checkName('registerModule', name, 'module');
    this._modules.set(name, this.asModule('registerModule', name, m));
    this.install(name, 'module');
    return m;
  }

  /** @internal Registers a child without an accessor property (containers: "0", "1", keys of a dict). */
  _addModule(name: string, m: Module | null): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`${this.constructor.name}: module name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    this._modules.set(name, this.asModule('registerModule', name, m));
  }

  private checkName(op: string, name: unknown, kind: Kind): void {
    const cls = this.constructor.name;
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(`${op}: ${cls}: the name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    const registries: [Kind, Map<string, unknown>][] = [
      ['parameter', this._parameters],
      ['buffer', this._buffers],
      ['module', this._modules],
    ];
    for (const [k, reg] of registries) {
      if (k !== kind && reg.has(name)) throw new TypeError(`${op}: ${cls} already has a ${k} named '${name}'`);
    }
    const registered = registries.some(([, reg]) => reg.has(name));
    if (!registered && !Object.prototype.hasOwnProperty.call(this, name) && name in this) {
      throw new TypeError(`${op}: ${cls} already has a property '${name}' (a method or accessor); pick another name`);
    }
  }

  private asParameter(op: string, name: string, t: unknown, requiresGrad: boolean): Tensor | null {
    if (t === null || t === undefined) return null;
    const where = `${op}: ${this.constructor.name}.${name}`;
    if (!(t instanceof Tensor)) throw new TypeError(`${where}: a parameter must be a Tensor or null, got ${typeof t}`);
    t._h(op, name);
    if (t.dtype !== 'float32') throw new TypeError(`${where}: a parameter must be float32, got ${t.dtype} (shape ${fmtShape(t.shape)})`);
    if (!t.isLeaf) throw new TypeError(`${where}: a parameter must be a leaf tensor (not computed by a recorded op); pass t.detach()`);
    keep(t);
    t.requiresGrad = requiresGrad;
    return t;
  }

  private asBuffer(op: string, name: string, t: unknown): Tensor | null {
    if (t === null || t === undefined) return null;
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${this.constructor.name}.${name}: a buffer must be a Tensor or null, got ${typeof t}`);
    t._h(op, name);
    return keep(t);
  }

  private asModule(op: string, name: string, m: unknown): Module | null {
    if (m === null || m === undefined) return null;
    if (!(m instanceof Module)) throw new TypeError(`${op}: ${this.constructor.name}.${name}: a child module must be a Module or null, got ${typeof m}`);
    return m;
  }

  // Defines `this[name]` as a view of the registry entry; assignments go through the same checks.
  private install(name: string, kind: Kind): void {
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own && own.get) return; // already installed
    const set = (v: unknown) => {
      if (kind === 'parameter') {
        const prev = this._parameters.get(name);
        this._parameters.set(name, this.asParameter('set', name, v, v instanceof Tensor && v !== prev ? true : (prev?.requiresGrad ?? true)));
      } else if (kind === 'buffer') this._buffers.set(name, this.asBuffer('set', name, v));
      else this._modules.set(name, this.asModule('set', name, v));
    };
    const reg = kind === 'parameter' ? this._parameters : kind === 'buffer' ? this._buffers : this._modules;
    Object.defineProperty(this, name, { get: () => reg.get(name) ?? null, set, enumerable: true, configurable: true });
  }

  // ---------------------------------------------------------------------------------------- traversal

  /** The direct children with their names (empty slots skipped, each module once). */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [n, m] of this._modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([n, m]);
      }
    }
    return out;
  }

  /** The direct children. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every descendant, depth first, with dotted names (`''` for this one,
   * `layer1.0.conv1`...). A module reachable twice appears once.
   */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [n, c] of m._modules) if (c) walk(c, name ? `${name}.${n}` : n);
    };
    walk(this, prefix);
    return out;
  }

  /** This module and every descendant, depth first. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * The child at a dotted path (`'features.3'`, `'layer4.1.conv2'`); throws a RangeError naming the first
   * missing step. `''` is this module.
   * @example const target = model.getSubmodule('layer4'); // for Grad-CAM hooks
   */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    let path = '';
    for (const part of target.split('.')) {
      const c = m._modules.get(part);
      if (!c) throw new RangeError(`getSubmodule: ${path ? `'${path}' (${m.constructor.name})` : m.constructor.name} has no child '${part}'`);
      path = path ? `${path}.${part}` : part;
      m = c;
    }
    return m;
  }

  private namedTensors(kind: 'parameter' | 'buffer', recurse: boolean): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      for (const [n, t] of kind === 'parameter' ? m._parameters : m._buffers) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${n}` : n, t]);
      }
    }
    return out;
  }

  /**
   * The parameters of this module and its descendants with dotted names (`features.0.weight`), in
   * registration order, depth first; a tensor shared between modules appears once, under its first name.
   * With `recurse: false`, only this module's own.
   */
  namedParameters(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.namedTensors('parameter', options.recurse ?? true);
  }

  /** The parameters (see {@link Module.namedParameters}); what an optimizer takes. */
  parameters(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedParameters(options).map(([, t]) => t);
  }

  /** The buffers of this module and its descendants with dotted names (`bn1.running_mean`), each once. */
  namedBuffers(options: { recurse?: boolean } = {}): [string, Tensor][] {
    return this.namedTensors('buffer', options.recurse ?? true);
  }

  /** The buffers (see {@link Module.namedBuffers}). */
  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, t]) => t);
  }

  /**
   * Number of parameter elements (shared tensors counted once); with `trainableOnly`, only those that
   * require grad.
   * @example model.numParameters() // 11689512 for a ResNet-18
   */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  // ---------------------------------------------------------------------------------------- state

  /** Sets training mode (`true`) or evaluation mode (`false`) on this module and every descendant. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: 'mode' must be a boolean, got ${typeof mode}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`): dropout off, batch norm on its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer (and gradient) to `device`, keeping `requiresGrad` and sharing
   * between modules; returns this. Tensors already there stay as they are; moved ones are new tensors
   * (the old ones are disposed), so build the optimizer after moving the model.
   * @example model.to('cuda');
   */
  to(device: DeviceLike): this {
    let dev: Device;
    try {
      dev = parseDevice(device);
    } catch {
      throw new TypeError(`to: unknown device ${JSON.stringify(device)} (use 'cpu', 'cuda' or 'cuda:N')`);
    }
    const moved = new Map<Tensor, Tensor>();
    const move = (t: Tensor): Tensor => {
      if (t.device === dev) return t;
      let m = moved.get(t);
      if (!m) {
        m = keep(noGrad(() => to(t, dev)));
        m.requiresGrad = t.requiresGrad;
        if (t.grad && !t.grad.isDisposed) {
          m.grad = keep(noGrad(() => to(t.grad!, dev)));
          t.grad.dispose();
        }
        moved.set(t, m);
      }
      return m;
    };
    for (const m of this.modules()) {
      for (const reg of [m._parameters, m._buffers]) for (const [n, t] of reg) if (t) reg.set(n, move(t));
    }
    for (const t of moved.keys()) t.dispose();
    return this;
  }

  /**
   * Clears the parameters' gradients: disposes them and sets `.grad` to null (the default), or with
   * `{ setToNone: false }` fills them with zeros in place.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (options.setToNone ?? true) {
        p.grad.dispose();
        p.grad = null;
      } else if (!p.grad.isDisposed) {
        run('fill', [], [p.grad], { value: 0 });
      }
    }
  }

  /** Sets `requiresGrad` on every parameter (freezing with `false`); returns this. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Calls `fn` on every descendant and then on this module (children first, as in PyTorch); returns this.
   * @example model.apply((m) => { if (m instanceof nn.Linear) nn.init.zeros_(m.bias!); });
   */
  apply(fn: (module: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // The tensors of the state dict (not views), PyTorch's order: own parameters, own persistent buffers,
  // then each child's, recursively. Shared tensors appear under every name.
  private stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const path = new Set<Module>(); // the modules on the current path: a cycle is an error, sharing is not
    const walk = (m: Module, prefix: string) => {
      if (path.has(m)) throw new Error(`stateDict: the module tree has a cycle at '${prefix.slice(0, -1)}'`);
      path.add(m);
      for (const [n, t] of m._parameters) if (t) out.push([prefix + n, t]);
      for (const [n, t] of m._buffers) if (t && !m._nonPersistent.has(n)) out.push([prefix + n, t]);
      for (const [n, c] of m._modules) if (c) walk(c, `${prefix}${n}.`);
      path.delete(m);
    };
    walk(this, '');
    return out;
  }

  /**
   * Parameters and persistent buffers by dotted name, torchvision's names (`features.0.weight`,
   * `layer1.0.bn1.running_mean`), in PyTorch's order; a tensor shared by two modules appears under both
   * names. The values are the module's own tensors, not copies (nothing is allocated, so there is nothing
   * to dispose): they always read the current values; do not dispose them, and `clone()` them for a
   * snapshot that later training must not change.
   * @example
   * const sd = model.stateDict();
   * sd.get('fc.bias')!.dataSync();
   * await ds.io.save(model, 'model.safetensors'); // writes model.stateDict()
   */
  stateDict(): StateDict {
    return new Map(this.stateEntries());
  }

  /**
   * Copies a state dict's tensors into this module's parameters and buffers, in place and in stream order
   * (tensors on another device are copied across; an int32/float32 difference is converted). The dict's
   * tensors are only read: the module never adopts them, so the caller may dispose them afterwards.
   * Accepts a `Map` or a plain object. Everything is checked before anything is copied:
   * - strict (default): any missing, unexpected or mis-shaped key throws one {@link StateDictError} naming
   *   them all (with both shapes);
   * - `{ strict: false }`: missing and unexpected keys are skipped and returned; mis-shaped keys still
   *   throw.
   * @example
   * fresh.loadStateDict(trained.stateDict());
   * const { missingKeys } = backbone.loadStateDict(sd, { strict: false });
   */
  loadStateDict(dict: StateDict | Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    if (typeof strict !== 'boolean') throw new TypeError(`loadStateDict: 'strict' must be a boolean, got ${typeof strict}`);
    let src: Map<string, unknown>;
    if (dict instanceof Map) src = dict;
    else if (typeof dict === 'object' && dict !== null) src = new Map(Object.entries(dict));
    else throw new TypeError('loadStateDict: the state dict must be a Map or an object of Tensors');
    const own = this.stateEntries();
    const ownKeys = new Set(own.map(([k]) => k));
    const missingKeys = own.filter(([k]) => !src.has(k)).map(([k]) => k);
    const unexpectedKeys = [...src.keys()].filter((k) => !ownKeys.has(k));
    const shapeMismatches: ShapeMismatch[] = [];
    const pairs: [Tensor, Tensor][] = [];
    for (const [k, t] of own) {
      if (!src.has(k)) continue;
      const v = src.get(k);
      if (!(v instanceof Tensor)) throw new TypeError(`loadStateDict: '${k}' must be a Tensor, got ${v === null ? 'null' : typeof v}`);
      v._h('loadStateDict', k);
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
        shapeMismatches.push({ key: k, expected: t.shape, got: v.shape });
      } else pairs.push([t, v]);
    }
    const name = this.constructor.name;
    if (strict && (missingKeys.length || unexpectedKeys.length || shapeMismatches.length)) {
      throw new StateDictError(name, missingKeys, unexpectedKeys, shapeMismatches);
    }
    if (shapeMismatches.length) throw new StateDictError(name, [], [], shapeMismatches);
    noGrad(() =>
      tidy(() => {
        for (const [t, v] of pairs) {
          if (t === v) continue;
          let s = v.device === t.device ? v : to(v, t.device);
          if (s.dtype !== t.dtype) s = cast(s, t.dtype);
          t.copy_(s);
        }
      }),
    );
    return { missingKeys: strict ? [] : missingKeys, unexpectedKeys: strict ? [] : unexpectedKeys };
  }

  /**
   * Disposes every parameter and buffer of this module and its descendants (and their gradients), and
   * removes the hooks. The module cannot run afterwards.
   */
  dispose(): void {
    for (const m of this.modules()) {
      for (const reg of [m._parameters, m._buffers]) {
        for (const t of reg.values()) {
          if (!t) continue;
          t.grad?.dispose();
          t.grad = null;
          t.dispose();
        }
      }
      m._forwardHooks.clear();
      m._forwardPreHooks.clear();
    }
  }

  // ---------------------------------------------------------------------------------------- hooks

  /**
   * Registers `hook(module, inputs, output)` to run after every `call()`; a non-undefined return
   * value replaces the output. Grad-CAM reads activations this way.
   * @example
   * let act: Tensor | null = null;
   * const h = model.getSubmodule('layer4').registerForwardHook((_m, _in, out) => { act = out; });
   * model.call(x);
   * h.remove();
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    if (typeof hook !== 'function') throw new TypeError('registerForwardHook: hook must be a function');
    const id = nextHookId++;
    this._forwardHooks.set(id, hook);
    return { remove: () => void this._forwardHooks.delete(id) };
  }

  /**
   * Registers `hook(module, inputs)` to run before every `call()`; a non-undefined return value
   * replaces the arguments (an array: the whole list; anything else: the single argument).
   * @example m.registerForwardPreHook((_m, [x]) => [(x as Tensor).clamp(0, 1)]);
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    if (typeof hook !== 'function') throw new TypeError('registerForwardPreHook: hook must be a function');
    const id = nextHookId++;
    this._forwardPreHooks.set(id, hook);
    return { remove: () => void this._forwardPreHooks.delete(id) };
  }

  // ---------------------------------------------------------------------------------------- printing

  /**
   * The layer's settings for `toString()` (`'3, 64, kernelSize=(3, 3)'`); empty by default.
   * Subclasses override it.
   */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree in PyTorch's repr format:
   * ```text
   * Sequential(
   *   (0): Linear(inFeatures=4, outFeatures=8, bias=true)
   *   (1): ReLU()
   * )
   * ```
   */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = [...this._modules].map(([n, m]) => `(${n}): ${indent(m ? m.toString() : 'null', 2)}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this.constructor.name}(`;
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) s += extraLines[0];
      else s += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${s})`;
  }
}

// Indents every line but the first (PyTorch's _addindent).
function indent(s: string, n: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const pad = ' '.repeat(n);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join('\n');
}
