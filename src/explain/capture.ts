/**
 * Layer outputs of one forward pass, captured by forward hooks that live only for that pass, so a model
 * handed to an explanation method is left exactly as it was (no hook survives a call, even one that
 * throws).
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Module } from '../nn/module';
import { resolveLayers, type ResolvedLayer } from './layers';
import type { LayerRef } from './types';

/**
 * Resolves the layer option `name` of `op` (one module path or module, or a non-empty list when `many`),
 * with a TypeError naming the option for anything else.
 */
export function layerOption(op: string, name: string, model: Module, ref: unknown, many = false): ResolvedLayer[] {
  const ok = (r: unknown) => typeof r === 'string' || r instanceof Module;
  const list = many && Array.isArray(ref) ? ref : [ref];
  if (!list.every(ok) || (!many && Array.isArray(ref))) {
    const what = ref === undefined ? 'undefined' : ref === null ? 'null' : Array.isArray(ref) ? 'an array' : typeof ref;
    throw new TypeError(`${op}: option '${name}' must be ${many ? 'a module path, a Module, or a list of them' : 'a module path or a Module'}, got ${what}`);
  }
  if (list.length === 0) throw new RangeError(`${op}: option '${name}' is an empty list`);
  return resolveLayers(op, model, list as LayerRef[]);
}

/**
 * Runs `run` (a forward pass) with hooks recording each layer's output (the last call wins); the hooks
 * are removed before returning or throwing. A layer that did not run, or whose output is not a tensor
 * (of rank 4 where `rank4` says so), is an error naming the layer. With `replace`, what it returns for a
 * layer's output goes on through the network instead (and is what is recorded).
 */
export function captureOutputs(
  op: string,
  layers: readonly ResolvedLayer[],
  run: () => unknown,
  rank4: readonly boolean[] = [],
  replace?: (index: number, out: Tensor) => Tensor,
): Tensor[] {
  const outs: (Tensor | undefined)[] = new Array(layers.length);
  const modules = [...new Set(layers.map((l) => l.module))];
  const handles = modules.map((module) =>
    module.registerForwardHook((_m, _in, out) => {
      let value: unknown = out;
      layers.forEach((l, i) => {
        if (l.module !== module) return;
        if (!(value instanceof Tensor)) throw new TypeError(`${op}: layer '${l.name}' must output a tensor, got ${value === null ? 'null' : typeof value}`);
        if (rank4[i] && value.ndim !== 4) throw new TypeError(`${op}: layer '${l.name}' must output a 4-D [N, C, h, w] tensor, got a tensor of shape ${fmtShape(value.shape)}`);
        if (replace) value = replace(i, value);
        outs[i] = value as Tensor;
      });
      return replace ? value : undefined;
    }),
  );
  try {
    run();
  } finally {
    handles.forEach((h) => h.remove());
  }
  return layers.map((l, i) => {
    const o = outs[i];
    if (!o) throw new RangeError(`${op}: layer '${l.name || '(the model)'}' did not run in the model's forward pass`);
    return o;
  });
}
