/**
 * Define-by-run reverse-mode autograd. Ops record a {@link GradNode} when grad mode is on and an input
 * requires grad; `backward()` sweeps the recorded graph in reverse topological order. Saved tensors are
 * internal views, so disposing user tensors never breaks a pending backward, and a graph is freed as soon
 * as nothing can reach it (its outputs disposed, or a backward without `retainGraph`).
 * @module
 */
import { AsyncLocalStorage } from 'async_hooks';
import { keep, tidy } from './memory';
import { native } from './native';
import { Tensor, fmtShape } from './tensor';
import { add } from './ops/elementwise';
import { ones, zeros } from './ops/creation';

/** Computes input gradients from output gradients and the tensors saved at forward time. */
export type BackwardFn = (grads: Tensor[], saved: (Tensor | null)[]) => (Tensor | null | undefined)[];

/** @internal Where an input's gradient goes: into another node's output slot, or a leaf's `.grad`. */
type Edge = { node: GradNode; index: number } | { leaf: Tensor };

interface OutputMeta {
  shape: readonly number[];
  dtype: Tensor['dtype'];
  device: Tensor['device'];
}

/** A recorded op: what it needs for backward and where its input gradients go. */
export class GradNode {
  /** @internal */ refs: number;
  /** @internal */ released = false;
  /** @internal Outputs whose gradient is kept (`retainGrad()`). */ retained = new Map<number, Tensor>();

  /** @internal */
  constructor(
    /** The op's name, for messages. */ readonly name: string,
    /** @internal */ readonly edges: (Edge | null)[],
    /** @internal */ readonly outputs: OutputMeta[],
    /** @internal */ public fn: BackwardFn | null,
    /** @internal */ public saved: (Tensor | null)[],
    /** @internal Storage versions of the saved tensors when they were saved. */ public versions: number[] = [],
  ) {
    this.refs = outputs.length;
    for (const e of edges) if (e && 'node' in e) e.node.refs++;
  }

  /** @internal One fewer owner (an output disposed, or a consumer released). */
  unref(): void {
    if (--this.refs <= 0) this.release();
  }

  /** @internal Frees the saved tensors and lets go of the nodes behind this one. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.saved) t?.dispose();
    this.saved = [];
    this.fn = null;
    this.retained.clear();
    for (const e of this.edges) if (e && 'node' in e) e.node.unref();
  }
}

const gradMode = new AsyncLocalStorage<boolean>();

/** Whether ops are being recorded (false inside {@link noGrad}). */
export function isGradEnabled(): boolean {
  return gradMode.getStore() ?? true;
}

/**
 * Runs `fn` without recording ops: nothing it computes requires grad. Async functions are covered for
 * their whole duration, without affecting other async chains.
 * @example const pred = noGrad(() => model.forward(x).argmax(1));
 */
export function noGrad<T>(fn: () => T): T {
  return gradMode.run(false, fn);
}

/** Runs `fn` with recording on, even inside {@link noGrad}. */
export function enableGrad<T>(fn: () => T): T {
  return gradMode.run(true, fn);
}

/**
 * @internal Records an op for autograd if grad mode is on and an input requires grad. `save` lists the
 * tensors backward needs; they are kept alive as internal views and handed to `backward` in order.
 */
export function record(
  name: string,
  inputs: readonly (Tensor | null | undefined)[],
  outputs: readonly Tensor[],
  save: readonly (Tensor | null | undefined)[],
  backward: BackwardFn,
): void {
  if (!isGradEnabled()) return;
  let any = false;
  const edges = inputs.map((t): Edge | null => {
    if (!t || !t.requiresGrad) return null;
    any = true;
    return t._node ? { node: t._node, index: t._outputIndex } : { leaf: t };
  });
  if (!any) return;
  const saved = save.map((t) => (t ? t._view(t.shape, true) : null));
  const versions = saved.map((t) => (t ? native.version(t._h()) : 0));
  const meta = outputs.map((o) => ({ shape: o.shape, dtype: o.dtype, device: o.device }));
  const node = new GradNode(name, edges, meta, backward, saved, versions);
  outputs.forEach((o, i) => {
    o.requiresGrad = true;
    o._node = node;
    o._outputIndex = i;
  });
}

/** @internal True when recording would happen for these inputs. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad);
}

interface EngineOptions {
  retainGraph: boolean;
  /** Tensors whose gradients are returned (leaves or intermediates); leaves' `.grad` is left alone. */
  capture?: readonly Tensor[];
}

// Adds a finished gradient into `holder.grad`. The stored tensor is always a fresh object (a view or a
// sum), so the pass's temporaries, which may alias each other, can all be disposed when it ends.
function accumulateInto(holder: Tensor, g: Tensor): void {
  if (holder.isDisposed) return;
  const old = holder.grad && !holder.grad.isDisposed ? holder.grad : null;
  holder.grad = keep(old ? add(old, g) : g._view(g.shape));
  old?.dispose();
}

// Reverse topological order of the nodes reachable from the roots (iterative: graphs can be 10k deep).
function topoOrder(roots: GradNode[]): GradNode[] {
  const post: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: { node: GradNode; next: number }[] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push({ node: r, next: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.edges.length) {
        const e = top.node.edges[top.next++];
        if (e && 'node' in e && !seen.has(e.node)) {
          seen.add(e.node);
          stack.push({ node: e.node, next: 0 });
        }
      } else {
        post.push(top.node);
        stack.pop();
      }
    }
  }
  return post.reverse();
}

function engine(roots: readonly Tensor[], gradients: readonly (Tensor | undefined)[], opts: EngineOptions): Tensor[] {
  const capture = opts.capture ?? [];
  return tidy(() => {
    // Gradients collected during the pass; written to `.grad` or returned only once it is complete.
    const pending = new Map<GradNode, (Tensor | null)[]>();
    const sums = new Map<Tensor, Tensor>();
    const sumInto = (t: Tensor, g: Tensor) => {
      const prev = sums.get(t);
      sums.set(t, prev ? add(prev, g) : g);
    };
    const addTo = (node: GradNode, index: number, g: Tensor) => {
      let slots = pending.get(node);
      if (!slots) pending.set(node, (slots = node.outputs.map(() => null)));
      const prev = slots[index];
      slots[index] = prev ? add(prev, g) : g;
    };
    const toLeaf = (leaf: Tensor, g: Tensor) => {
      if (capture.includes(leaf) || (!opts.capture && !leaf.isDisposed)) sumInto(leaf, g);
    };
    roots.forEach((r, i) => {
      const seed = seedFor(opts.capture ? 'grad' : 'backward', r, gradients[i]);
      if (r._node) addTo(r._node, r._outputIndex, seed);
      else toLeaf(r, seed);
    });
    const order = topoOrder(roots.filter((r) => r._node).map((r) => r._node!));
    for (const node of order) {
      const slots = pending.get(node);
      if (!slots) continue;
      if (node.released || !node.fn) {
        throw new Error(
          `backward: the graph behind '${node.name}' was already freed by an earlier backward(); ` +
            'pass { retainGraph: true } to the first call to backward through it twice',
        );
      }
      const grads = slots.map((g, i) => g ?? zeros(node.outputs[i].shape, { dtype: node.outputs[i].dtype, device: node.outputs[i].device }));
      node.retained.forEach((t, i) => {
        if (!opts.capture) sumInto(t, grads[i]);
      });
      for (const t of capture) if (t._node === node) sumInto(t, grads[t._outputIndex]);
      const fn = node.fn;
      const saved = node.saved;
      saved.forEach((t, k) => {
        if (t && native.version(t._h()) !== node.versions[k]) {
          throw new Error(
            `backward: a tensor of shape ${fmtShape(t.shape)} saved by '${node.name}' was modified in place after it was used; ` +
              'backward would compute a wrong gradient (clone it before the in-place update)',
          );
        }
      });
      const inGrads = noGrad(() => fn(grads, saved));
      node.edges.forEach((e, j) => {
        const g = inGrads[j];
        if (!e || !g) return;
        const target = 'node' in e ? e.node.outputs[e.index].shape : e.leaf.shape;
        if (g.shape.length !== target.length || g.shape.some((d, k) => d !== target[k])) {
          throw new Error(`backward of '${node.name}' produced a gradient of shape ${fmtShape(g.shape)} for an input of shape ${fmtShape(target)}`);
        }
        if ('node' in e) addTo(e.node, e.index, g);
        else toLeaf(e.leaf, g);
      });
      pending.delete(node);
    }
    if (!opts.retainGraph) for (const node of order) node.release();
    if (!opts.capture) {
      sums.forEach((g, t) => accumulateInto(t, g));
      return [];
    }
    // Fresh objects (see accumulateInto) that leave the pass's scope for the caller's.
    return capture.map((t) => {
      const g = sums.get(t);
      return g ? g._view(g.shape) : zeros(t.shape, { dtype: t.dtype, device: t.device });
    });
  });
}

/** Options of {@link Tensor.backward}. */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again. Default false. */
  retainGraph?: boolean;
}

function seedFor(op: string, t: Tensor, gradient: Tensor | undefined): Tensor {
  if (gradient === undefined) {
    if (t.size !== 1) {
      throw new RangeError(`${op}: the output has shape ${fmtShape(t.shape)}; pass a gradient of that shape for a non-scalar output`);
    }
    return ones(t.shape, { dtype: t.dtype, device: t.device });
  }
  if (!(gradient instanceof Tensor)) throw new TypeError(`${op}: 'gradient' must be a Tensor`);
  if (gradient.shape.length !== t.shape.length || gradient.shape.some((d, i) => d !== t.shape[i])) {
    throw new RangeError(`${op}: gradient shape ${fmtShape(gradient.shape)} differs from output shape ${fmtShape(t.shape)}`);
  }
  // A view, so the pass may dispose it without touching the caller's tensor.
  return gradient._view(gradient.shape);
}

declare module './tensor' {
  interface Tensor {
    /**
     * Accumulates d(this)/d(leaf) into the `.grad` of every leaf that requires grad (and of tensors that
     * called {@link Tensor.retainGrad}). A non-scalar output needs `gradient` (the seed, same shape).
     * @example loss.backward(); opt.step();
     */
    backward(gradient?: Tensor, options?: BackwardOptions): void;
    /** Keeps the gradient of this intermediate tensor in `.grad` during backward (Grad-CAM uses it). */
    retainGrad(): this;
    /** Sets `requiresGrad` on a leaf tensor; returns it. */
    requiresGrad_(flag?: boolean): this;
    /** A tensor sharing this one's storage, cut from the graph (never requires grad). */
    detach(): Tensor;
  }
}

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  this._h('backward', 'self');
  if (!this.requiresGrad) {
    throw new TypeError(`backward: the tensor (shape ${fmtShape(this.shape)}) does not require grad; no recorded op leads to it`);
  }
  engine([this], [gradient], { retainGraph: options.retainGraph ?? false });
};

Tensor.prototype.retainGrad = function (this: Tensor) {
  if (!this.requiresGrad) throw new TypeError('retainGrad: the tensor does not require grad');
  if (this._node) this._node.retained.set(this._outputIndex, this);
  return this;
};

Tensor.prototype.requiresGrad_ = function (this: Tensor, flag = true) {
  if (!this.isLeaf) throw new TypeError('requiresGrad_: only leaf tensors can change requiresGrad; use detach() for a new leaf');
  if (flag && this.dtype !== 'float32') throw new TypeError(`requiresGrad_: only float32 tensors can require grad, got ${this.dtype}`);
  this.requiresGrad = flag;
  return this;
};

Tensor.prototype.detach = function (this: Tensor): Tensor {
  return this._view(this.shape);
};

/** Options of {@link grad}. */
export interface GradOptions {
  /** Seed for a non-scalar output (same shape). */
  gradOutput?: Tensor;
  /** Keep the graph for another backward. Default false. */
  retainGraph?: boolean;
}

/**
 * Gradients of an output with respect to `inputs`, without touching any `.grad`. Pass the output tensor,
 * or a function computing it: then the inputs are made to require grad for the call, so an image tensor
 * works as is (adversarial attacks). Inputs the output does not depend on get zeros.
 *
 * @example
 * const [gx] = grad(() => model.forward(x).sum(), [x]);
 */
export function grad(output: Tensor | (() => Tensor), inputs: readonly Tensor[], options: GradOptions = {}): Tensor[] {
  if (!Array.isArray(inputs) || inputs.some((t) => !(t instanceof Tensor))) {
    throw new TypeError('grad: inputs must be an array of Tensors');
  }
  inputs.forEach((t, i) => t._h('grad', `inputs[${i}]`));
  if (typeof output === 'function') {
    const flipped = inputs.filter((t) => t.isLeaf && !t.requiresGrad);
    for (const t of flipped) {
      if (t.dtype !== 'float32') throw new TypeError(`grad: inputs must be float32, got ${t.dtype}`);
      t.requiresGrad = true;
    }
    try {
      return tidy(() => {
        const out = enableGrad(output);
        if (!(out instanceof Tensor)) throw new TypeError('grad: the function must return a Tensor');
        return grad(out, inputs, { ...options, retainGraph: false });
      });
    } finally {
      for (const t of flipped) t.requiresGrad = false;
    }
  }
  if (!(output instanceof Tensor)) throw new TypeError('grad: output must be a Tensor or a function returning one');
  output._h('grad', 'output');
  if (!output.requiresGrad) return inputs.map((t) => zeros(t.shape, { dtype: t.dtype, device: t.device }));
  return engine([output], [options.gradOutput], { retainGraph: options.retainGraph ?? false, capture: inputs });
}
