/**
 * The recurrent layers in ONNX, both ways. ONNX orders the gates i, o, f, c (LSTM) and z, r, h (GRU),
 * stacks the directions and concatenates the two biases; PyTorch's GRU (ours) is ONNX's with
 * `linear_before_reset = 1`, and ONNX's ops have one layer.
 * - Export: the fused `rnn_forward` becomes one `RNN` / `LSTM` / `GRU` node per layer, the weights
 *   written as reordered constants; `Y` `[T, D, B, H]` becomes our `[T, B, D*H]` through a Transpose and
 *   a Reshape that keeps the (possibly dynamic) batch axis.
 * - Import: such a node runs as {@link rnn} on its weights reordered by differentiable slices, so the
 *   imported module trains.
 * @module
 */
import { Tensor } from '../../tensor';
import { RnnMode, rnn } from '../../ops/rnn';
import { cat, slice } from '../../ops/indexing';
import { permute } from '../../ops/layout';
import { attrProto as a, onnx, AttrValue } from './schema';
import type { ExportRule } from './export-ops';
import { ImportContext, ImportRule, Value, asInts, asTensor } from './import-ops';

/** ONNX gate block k is PyTorch's block PERM[mode][k]. */
const PERM: Record<string, number[]> = { rnn_tanh: [0], rnn_relu: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] };
const OP: Record<string, string> = { rnn_tanh: 'RNN', rnn_relu: 'RNN', lstm: 'LSTM', gru: 'GRU' };

// Rows of w ([G*H, cols] in PyTorch's gate order) in ONNX's gate order, appended to `out`.
function reordered(out: number[], w: Tensor, perm: number[], H: number): void {
  const data = w.dataSync();
  const cols = w.ndim === 2 ? w.shape[1] : 1;
  for (const src of perm) for (let i = src * H * cols; i < (src + 1) * H * cols; i++) out.push(data[i]);
}

/** @internal `rnn_forward`: in x, h0?, c0?, lengths?, weights...; out y, hn, workspace[, cn]. */
export const rnnRule: ExportRule = (ctx, inputs, outputs, at) => {
  const [x, h0, c0, lengths] = inputs;
  const weights = inputs.slice(4) as Tensor[];
  const mode = at.mode as string;
  const [H, L, D] = [at.hidden as number, at.layers as number, at.bidirectional ? 2 : 1];
  const per = at.bias ? 4 : 2;
  const perm = PERM[mode];
  const G = perm.length;
  const lstm = mode === 'lstm';
  const [y, hn] = outputs;
  const cn = lstm ? outputs[3] : null;
  const attrs = [a('hidden_size', H), a('direction', D === 2 ? 'bidirectional' : 'forward')];
  if (mode === 'gru') attrs.push(a('linear_before_reset', 1));
  if (G === 1) {
    const act = new TextEncoder().encode(mode === 'rnn_relu' ? 'Relu' : 'Tanh');
    attrs.push({ name: 'activations', type: onnx.AttributeProto.AttributeType.STRINGS, strings: Array(D).fill(act) });
  }
  // The states of layer l: rows [l*D, (l+1)*D) of h0 / c0.
  const layerState = (t: Tensor | null | undefined, l: number) => {
    if (!t) return '';
    if (L === 1) return ctx.input(t);
    const out = ctx.temp();
    ctx.node('Slice', [ctx.input(t), ctx.ints([l * D]), ctx.ints([(l + 1) * D]), ctx.ints([0])], [out]);
    return out;
  };
  const seqLens = lengths ? ctx.input(lengths) : '';
  let input = ctx.input(x);
  const hs: string[] = [];
  const cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const inF = l === 0 ? x!.shape[2] : D * H;
    const W: number[] = [];
    const R: number[] = [];
    const B: number[] = [];
    for (let d = 0; d < D; d++) {
      const w = weights.slice((l * D + d) * per, (l * D + d + 1) * per);
      reordered(W, w[0], perm, H);
      reordered(R, w[1], perm, H);
      if (per === 4) {
        reordered(B, w[2], perm, H);
        reordered(B, w[3], perm, H);
      } else for (let i = 0; i < 2 * G * H; i++) B.push(0);
    }
    const Y = ctx.temp();
    const Yh = ctx.temp();
    const Yc = lstm ? ctx.temp() : '';
    ctx.node(
      OP[mode],
      [input, ctx.floats(W, [D, G * H, inF]), ctx.floats(R, [D, G * H, H]), ctx.floats(B, [D, 2 * G * H]), seqLens, layerState(h0, l), lstm ? layerState(c0, l) : ''],
      lstm ? [Y, Yh, Yc] : [Y, Yh],
      attrs,
    );
    const moved = ctx.temp();
    ctx.node('Transpose', [Y], [moved], [a('perm', [0, 2, 1, 3])]);
    input = l === L - 1 ? ctx.output(y) : ctx.temp();
    ctx.node('Reshape', [moved, ctx.ints([0, 0, D * H])], [input]);
    hs.push(Yh);
    if (lstm) cs.push(Yc);
  }
  const join = (parts: string[], t: Tensor) => ctx.node(parts.length === 1 ? 'Identity' : 'Concat', parts, [ctx.output(t)], parts.length === 1 ? [] : [a('axis', 0)]);
  join(hs, hn);
  if (cn) join(cs, cn);
};

// The blocks of `t` (axis 0, G blocks of H rows) in PyTorch's order from ONNX's: PyTorch block j is ONNX
// block k where PERM[mode][k] = j.
function toTorchOrder(t: Tensor, perm: number[], H: number): Tensor {
  if (perm.length === 1) return t;
  const blocks = perm.map((_, j) => slice(t, 0, perm.indexOf(j) * H, (perm.indexOf(j) + 1) * H));
  return cat(blocks, 0);
}

function importRule(opType: 'RNN' | 'LSTM' | 'GRU'): ImportRule {
  return (ctx: ImportContext, [xv, wv, rv, bv, lenV, hv, cv, pv]: readonly (Value | undefined)[], attrs: Map<string, AttrValue>) => {
    const fail = (what: string): never => {
      throw new RangeError(`importOnnx: ${ctx.where}: ${what}`);
    };
    if ((attrs.get('layout') ?? 0) !== 0) fail("layout 1 (batch-major) is not supported");
    if (attrs.has('clip')) fail("'clip' is not supported");
    if ((attrs.get('input_forget') ?? 0) !== 0) fail("'input_forget' is not supported");
    if (pv !== undefined) fail('peephole weights (P) are not supported');
    let mode: RnnMode = opType === 'LSTM' ? 'lstm' : 'gru';
    const acts = (attrs.get('activations') as string[] | undefined)?.map((s) => s.toLowerCase());
    if (opType === 'RNN') {
      const kind = acts?.[0] ?? 'tanh';
      if ((kind !== 'tanh' && kind !== 'relu') || acts?.some((k) => k !== kind)) fail(`activations ${JSON.stringify(acts)}: only Tanh or Relu, the same in both directions`);
      mode = kind === 'relu' ? 'rnn_relu' : 'rnn_tanh';
    } else if (acts) {
      const dflt = opType === 'LSTM' ? ['sigmoid', 'tanh', 'tanh'] : ['sigmoid', 'tanh'];
      if (acts.some((k, i) => k !== dflt[i % dflt.length])) fail(`activations ${JSON.stringify(acts)}: only the defaults are supported`);
    }
    if (opType === 'GRU' && (attrs.get('linear_before_reset') ?? 0) !== 1) fail('GRU needs linear_before_reset = 1 (PyTorch\'s GRU)');
    const x = asTensor(ctx, xv, 'X');
    const W = asTensor(ctx, wv, 'W');
    const R = asTensor(ctx, rv, 'R');
    const [D, GH] = W.shape;
    const H = R.shape[2];
    const perm = PERM[mode];
    const weights: Tensor[] = [];
    for (let d = 0; d < D; d++) {
      const one = (t: Tensor) => slice(t, 0, d, d + 1).reshape(t.shape.slice(1));
      weights.push(toTorchOrder(one(W), perm, H), toTorchOrder(one(R), perm, H));
      if (bv !== undefined) {
        const b = one(asTensor(ctx, bv, 'B'));
        weights.push(toTorchOrder(slice(b, 0, 0, GH), perm, H), toTorchOrder(slice(b, 0, GH, 2 * GH), perm, H));
      }
    }
    const lengths = lenV !== undefined ? asInts(ctx, lenV, 'sequence_lens') : undefined;
    const [T, B] = x.shape;
    const r = rnn(x, weights, hv ? asTensor(ctx, hv, 'initial_h') : null, cv ? asTensor(ctx, cv, 'initial_c') : null, {
      mode,
      bidirectional: D === 2,
      lengths,
    });
    const y = permute(r.output.reshape([T, B, D, H]), [0, 2, 1, 3]);
    return r.c ? [y, r.h, r.c] : [y, r.h];
  };
}

/** @internal The import rules of the recurrent nodes. */
export const RNN_IMPORT_OPS: Record<string, ImportRule> = { RNN: importRule('RNN'), LSTM: importRule('LSTM'), GRU: importRule('GRU') };
