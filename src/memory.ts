/**
 * Tensor lifetime: `tidy` scopes, `keep`, `dispose`, and the live tensor counts behind `memory()`.
 * Scopes follow async functions (AsyncLocalStorage), so two async chains each see their own scope.
 * @module
 */
import { AsyncLocalStorage } from 'async_hooks';

/** @internal Marks objects that tidy scopes manage (tensors). */
export const DISPOSABLE = Symbol.for('deepscope.disposable');

/** @internal What a scope needs of a tensor. */
export interface Disposable {
  readonly [DISPOSABLE]: true;
  dispose(): void;
  /** @internal */ _scope: Scope | null;
  /** @internal */ _kept: boolean;
}

/** @internal */
export class Scope {
  readonly items = new Set<Disposable>();
  constructor(readonly parent: Scope | null) {}
}

const current = new AsyncLocalStorage<Scope>();

/** @internal Registers a new tensor with the innermost scope, if any. */
export function track(t: Disposable): void {
  const s = current.getStore();
  if (s) {
    s.items.add(t);
    t._scope = s;
  }
}

/** @internal Removes a tensor from its scope (it was disposed, kept, or must outlive the scope). */
export function untrack(t: Disposable): void {
  if (t._scope) {
    t._scope.items.delete(t);
    t._scope = null;
  }
}

function isDisposable(x: unknown): x is Disposable {
  return typeof x === 'object' && x !== null && (x as Partial<Disposable>)[DISPOSABLE] === true;
}

// Tensors reachable from a scope's result survive it: arrays, plain objects, Maps and Sets are searched.
function collect(x: unknown, out: Set<Disposable>, depth = 0): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (isDisposable(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collect(v, out, depth + 1);
  else if (x instanceof Map) for (const v of x.values()) collect(v, out, depth + 1);
  else if (x instanceof Set) for (const v of x) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, out, depth + 1);
}

function close(scope: Scope, result: unknown): void {
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  for (const t of [...scope.items]) {
    if (survivors.has(t)) {
      scope.items.delete(t);
      t._scope = scope.parent;
      scope.parent?.items.add(t);
    } else {
      t.dispose();
    }
  }
  scope.items.clear();
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (searched through arrays
 * and plain objects) and those passed to {@link keep}. `fn` may be async: the scope then closes when its
 * promise settles, and concurrent async scopes do not see each other's tensors.
 *
 * @example
 * const y = tidy(() => x.mul(2).add(1).relu()); // the intermediates are freed, y survives
 * const loss = await tidy(async () => { const l = model(x).mean(); await l.data(); return l; });
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('tidy: argument must be a function');
  const scope = new Scope(current.getStore() ?? null);
  let result: T;
  try {
    result = current.run(scope, fn);
  } catch (e) {
    close(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        close(scope, v);
        return v;
      },
      (e) => {
        close(scope, undefined);
        throw e;
      },
    ) as unknown as T;
  }
  close(scope, result);
  return result;
}

/**
 * Exempts a tensor from every enclosing {@link tidy} scope; it lives until disposed (or collected).
 * @returns the tensor, for chaining
 */
export function keep<T extends Disposable>(t: T): T {
  if (!isDisposable(t)) throw new TypeError('keep: argument must be a Tensor');
  untrack(t);
  t._kept = true;
  return t;
}

/**
 * Disposes the tensors in a value: a tensor, or arrays and plain objects holding tensors.
 * @example dispose([a, b, { c }]);
 */
export function dispose(x: unknown): void {
  const all = new Set<Disposable>();
  collect(x, all);
  for (const t of all) t.dispose();
}

/** @internal Live tensor counts by device, maintained by the Tensor class. */
export const liveTensors = new Map<string, number>();

/** @internal */
export function countTensor(device: string, delta: number): void {
  liveTensors.set(device, (liveTensors.get(device) ?? 0) + delta);
}
