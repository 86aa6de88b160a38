// Shared checks of the ONNX tests: a model is exported, run by onnxruntime-node (CPU) and by deepscope on
// the same weights and inputs, imported back and exported again.
import * as ort from 'onnxruntime-node';
import * as ds from '../../../src';
import { Tensor } from '../../../src';

// FP32 outputs of the same graph by two engines differ by reassociation only (different GEMM blockings,
// sums in other orders): relative error well under 1e-4 of the output's largest magnitude.
export const TOL = 1e-4;

/** max|a − b| / max|b|. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Runs an ONNX model in onnxruntime on one input; returns the first output. */
export async function runOrt(bytes: Uint8Array, x: Tensor, inputName = 'input'): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [inputName]: new ort.Tensor('float32', Array.from(x.dataSync()), [...x.shape]) });
  const first = out[session.outputNames[0]];
  return { data: first.data as Float32Array, dims: [...first.dims] };
}

/** The module's output under noGrad in eval mode, as an array. */
export function ours(model: ds.nn.Module, x: Tensor): { data: Float32Array; dims: number[] } {
  model.eval();
  return ds.noGrad(() =>
    ds.tidy(() => {
      const y = model.call(x);
      const t = (Array.isArray(y) ? y[0] : y) as Tensor;
      return { data: Float32Array.from(t.dataSync()), dims: [...t.shape] };
    }),
  );
}

/** One forward pass in training mode, so that batch-norm running statistics are not the identity. */
export function warmStatistics(model: ds.nn.Module, x: Tensor): void {
  model.train();
  ds.noGrad(() => ds.tidy(() => void model.call(x)));
  model.eval();
}

export interface RoundTrip {
  /** Our output vs onnxruntime's on the exported file, at the traced batch. */
  exported: number;
  /** The same at another batch size (dynamic batch). */
  otherBatch: number;
  /** The imported module vs the original. */
  imported: number;
  /** onnxruntime on the re-export of the imported module vs the original. */
  reexported: number;
}

/**
 * Exports `model` traced on `x`, compares onnxruntime with deepscope (also on `x2`, of another batch
 * size), imports the file, compares again, and exports the imported module.
 */
export async function roundTrip(model: ds.nn.Module, x: Tensor, x2: Tensor, options: ds.io.ExportOnnxOptions = {}): Promise<RoundTrip> {
  const ref = ours(model, x);
  const { bytes } = ds.io.toOnnx(model, x, options);
  const ortOut = await runOrt(bytes, x);
  expect(ortOut.dims).toEqual(ref.dims);
  const ref2 = ours(model, x2);
  const ortOut2 = await runOrt(bytes, x2);
  const imported = await ds.io.importOnnx(bytes);
  try {
    const back = ours(imported, x);
    const again = ds.io.toOnnx(imported, x, options).bytes;
    const ortAgain = await runOrt(again, x);
    return {
      exported: relErr(ortOut.data, ref.data),
      otherBatch: relErr(ortOut2.data, ref2.data),
      imported: relErr(back.data, ref.data),
      reexported: relErr(ortAgain.data, ref.data),
    };
  } finally {
    imported.dispose();
  }
}

export function expectRoundTrip(r: RoundTrip): void {
  expect(r.exported).toBeLessThan(TOL);
  expect(r.otherBatch).toBeLessThan(TOL);
  expect(r.imported).toBeLessThan(TOL);
  expect(r.reexported).toBeLessThan(TOL);
}
