/**
 * Target layers: module paths resolved against the model, and the default layer found by a probing
 * forward pass.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import type { LayerRef } from './types';

/** A resolved target layer. */
export interface ResolvedLayer {
  /** Its module path ('' for the model itself). */
  name: string;
  /** The module. */
  module: Module;
}

/** Resolves module paths (or modules) of `model`; throws a RangeError naming what is missing. */
export function resolveLayers(op: string, model: Module, refs: LayerRef | readonly LayerRef[]): ResolvedLayer[] {
  const list = Array.isArray(refs) ? (refs as readonly LayerRef[]) : [refs as LayerRef];
  if (list.length === 0) throw new RangeError(`${op}: 'layers' is empty`);
  const named = model.namedModules();
  return list.map((ref, i) => {
    if (typeof ref === 'string') {
      const hit = named.find(([n]) => n === ref);
      if (!hit) {
        const near = named.map(([n]) => n).filter((n) => n && (n.startsWith(ref) || ref.startsWith(n))).slice(0, 6);
        throw new RangeError(`${op}: the model (${model.constructor.name}) has no module '${ref}'${near.length ? `; near it: ${near.join(', ')}` : ''}`);
      }
      return { name: ref, module: hit[1] };
    }
    if (ref instanceof Module) {
      const hit = named.find(([, m]) => m === ref);
      if (!hit) throw new RangeError(`${op}: layers[${i}] (${ref.constructor.name}) is not a module of the model`);
      return { name: hit[0], module: ref };
    }
    throw new TypeError(`${op}: 'layers' must be module paths or modules, got ${typeof ref}`);
  });
}

/**
 * The default target layer: the last module to finish its forward with a 4-D output larger than 1×1,
 * found by a forward pass on `input` without gradients. Containers finish after their children, so a
 * ResNet gives `layer4` and a VGG `features`. Adaptive average pooling is skipped: it is the head's global
 * pooling, and where it enlarges a small map (VGG's 7×7 on a small input) it only repeats pixels.
 */
export function defaultLayer(op: string, model: Module, input: Tensor): ResolvedLayer {
  const named = model.namedModules().filter(([n, m]) => n !== '' && !(m instanceof AdaptiveAvgPool2d));
  let last: ResolvedLayer | null = null;
  const handles = named.map(([name, module]) =>
    module.registerForwardHook((_m, _in, out) => {
      if (out instanceof Tensor && out.ndim === 4 && out.shape[2] * out.shape[3] > 1) last = { name, module };
    }),
  );
  try {
    noGrad(() => tidy(() => { model.call(input); }));
  } finally {
    handles.forEach((h) => h.remove());
  }
  if (!last) {
    throw new RangeError(`${op}: no module of the model (${model.constructor.name}) gives a 4-D output larger than 1×1 on input ${fmtShape(input.shape)}; name the layer with 'layers'`);
  }
  return last;
}
