/**
 * Containers: `Sequential` (children called in order), `ModuleList` and `ModuleDict` (children held for
 * registration, called by their owner).
 * @module
 */
import { Module } from '../module';

function checkModule(op: string, m: unknown, where: string): Module {
  if (!(m instanceof Module)) throw new TypeError(`${op}: ${where} must be a Module, got ${m === null ? 'null' : typeof m}`);
  return m;
}

function indexArg(op: string, i: unknown, n: number): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`${op}: index must be an integer, got ${JSON.stringify(i)}`);
  if (i < -n || i >= n) throw new RangeError(`${op}: index ${i} is out of range for ${n} modules`);
  return i < 0 ? i + n : i;
}

/**
 * Calls its children in order, each on the previous one's output. Children are named `"0"`, `"1"`, ...
 * (or by the keys of an object), so their parameters are `0.weight`, `features.3.bias` and so on.
 * @example
 * const mlp = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
 * const named = new nn.Sequential({ fc: new nn.Linear(4, 3), act: new nn.Tanh() }); // fc.weight
 * mlp.at(-1) // the last Linear
 */
export class Sequential extends Module {
  /** The modules to chain, or one object of named modules (its key order). */
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    if (modules.length === 1 && !(modules[0] instanceof Module) && typeof modules[0] === 'object' && modules[0] !== null) {
      for (const [k, m] of Object.entries(modules[0] as Record<string, Module>)) this._addModule(k, checkModule('Sequential', m, `module '${k}'`));
    } else {
      (modules as Module[]).forEach((m, i) => this._addModule(String(i), checkModule('Sequential', m, `argument ${i}`)));
    }
  }

  /** Number of children. */
  get length(): number {
    return this._modules.size;
  }

  /** The child at position `i` (negative counts from the end). */
  at(i: number): Module {
    return [...this._modules.values()][indexArg('Sequential.at', i, this.length)]!;
  }

  /** Adds `m` at the end, named by its position; returns this. */
  append(m: Module): this {
    this._addModule(String(this.length), checkModule('Sequential.append', m, 'the argument'));
    return this;
  }

  /** The children in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  /** Feeds `x` through every child (with their hooks), returning the last output. */
  override forward(x: any): any {
    let y = x;
    for (const m of this._modules.values()) if (m) y = m.call(y);
    return y;
  }
}

/**
 * A list of children, registered as `"0"`, `"1"`, ...; the owner decides how to call them.
 * @example
 * this.registerModule('blocks', new nn.ModuleList([new Block(), new Block()]));
 * for (const b of this.blocks) x = b.call(x);
 */
export class ModuleList extends Module {
  /** Creates the list from `modules` (default empty). */
  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  /** Number of children. */
  get length(): number {
    return this._modules.size;
  }

  /** The child at position `i` (negative counts from the end). */
  at(i: number): Module {
    return [...this._modules.values()][indexArg('ModuleList.at', i, this.length)]!;
  }

  /** Adds `m` at the end; returns this. */
  append(m: Module): this {
    this._addModule(String(this.length), checkModule('ModuleList.append', m, 'the argument'));
    return this;
  }

  /** Adds every module of `modules` at the end; returns this. */
  extend(modules: Iterable<Module>): this {
    if (modules === null || typeof (modules as Iterable<Module>)[Symbol.iterator] !== 'function') {
      throw new TypeError('ModuleList: expected an iterable of Modules');
    }
    for (const m of modules) this.append(m);
    return this;
  }

  /** The children in order. */
  [Symbol.iterator](): Iterator<Module> {
    return [...this._modules.values()][Symbol.iterator]() as Iterator<Module>;
  }

  /** A ModuleList is not callable: its owner iterates over it. */
  override forward(): never {
    throw new Error('ModuleList: forward() is not defined; iterate over the list in the owner\'s forward');
  }
}

/**
 * Children by name, in insertion order; the owner decides how to call them.
 * @example
 * const heads = new nn.ModuleDict({ cls: new nn.Linear(64, 10), box: new nn.Linear(64, 4) });
 * heads.get('cls').call(features);
 */
export class ModuleDict extends Module {
  /** Creates the dict from an object or `[name, module]` pairs (default empty). */
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** Number of children. */
  get size(): number {
    return this._modules.size;
  }

  /** The child named `key`; RangeError when there is none. */
  get(key: string): Module {
    const m = this._modules.get(key);
    if (!m) throw new RangeError(`ModuleDict: no module named ${JSON.stringify(key)} (have ${[...this._modules.keys()].join(', ') || 'none'})`);
    return m;
  }

  /** Whether there is a child named `key`. */
  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** Adds or replaces the child `key`; returns this. */
  set(key: string, m: Module): this {
    this._addModule(key, checkModule('ModuleDict.set', m, `module '${key}'`));
    return this;
  }

  /** Removes the child `key`; returns whether it was there. */
  delete(key: string): boolean {
    return this._modules.delete(key);
  }

  /** Adds or replaces every entry of an object or of `[name, module]` pairs; returns this. */
  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    if (modules === null || typeof modules !== 'object') throw new TypeError('ModuleDict: expected an object or an iterable of [name, Module] pairs');
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }

  /** The names, in order. */
  keys(): string[] {
    return [...this._modules.keys()];
  }

  /** The children, in order. */
  values(): Module[] {
    return [...this._modules.values()].filter((m): m is Module => m !== null);
  }

  /** `[name, module]` pairs, in order. */
  entries(): [string, Module][] {
    return [...this._modules].filter((e): e is [string, Module] => e[1] !== null);
  }

  /** The `[name, module]` pairs. */
  [Symbol.iterator](): Iterator<[string, Module]> {
    return this.entries()[Symbol.iterator]();
  }

  /** A ModuleDict is not callable: its owner picks the entries. */
  override forward(): never {
    throw new Error('ModuleDict: forward() is not defined; call its entries in the owner\'s forward');
  }
}
