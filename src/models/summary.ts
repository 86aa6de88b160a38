/**
 * `summary(model, inputShape)`: a table of every layer a forward pass runs through, with its output shape,
 * its parameters and its multiply-adds, and the totals (Keras's `model.summary()`, torchinfo's
 * `summary`).
 *
 * The table comes from one forward pass of a random batch under `noGrad`, in eval mode (the module's
 * mode is restored afterwards), with a forward hook on every leaf module (and on every module that holds
 * parameters of its own): a row per call, in the order of execution, named by the module's dotted name.
 *
 * Multiply-adds count the products of convolutions and linear layers, per forward pass of the whole batch
 * (batch 1 by default, so per image), the convention of the papers' "FLOPs" and torchvision's GFLOPS:
 *
 * - `Conv2d`: output elements × (inChannels / groups) × kH × kW;
 * - `ConvTranspose2d`: input elements × (outChannels / groups) × kH × kW;
 * - `Linear`: output elements × inFeatures;
 * - any module with a method `multAdds(inputs, output): number` (custom layers report their own);
 * - everything else (activations, pools, normalisation, dropout): 0.
 * @module
 */
import { Tensor } from '../tensor';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { randn } from '../ops/creation';
import { Module } from '../nn/module';
import { Conv2d, ConvTranspose2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';

/** One row of a {@link ModelSummary}: one call of one module. */
export interface SummaryRow {
  /** The module's dotted name in the model (`features.0`; `''` for the model itself). */
  name: string;
  /** The module's class name (`Conv2d`). */
  type: string;
  /** Shape of the output (the first tensor when it returns several). */
  outputShape: number[];
  /** Parameters the row's module holds (all of them for a leaf, its own otherwise); 0 on repeated calls. */
  parameters: number;
  /** Multiply-adds of the call (see the module description). */
  multAdds: number;
}

/** What {@link summary} returns. */
export interface ModelSummary {
  /** The input's shape, batch included. */
  inputShape: number[];
  /** The rows, in execution order. */
  rows: SummaryRow[];
  /** All parameters of the model (`model.numParameters()`). */
  totalParameters: number;
  /** The trainable ones. */
  trainableParameters: number;
  /** Sum of the rows' multiply-adds. */
  totalMultAdds: number;
  /** The printed table. */
  text: string;
}

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** Batch size of the random input. Default 1. */
  batchSize?: number;
  /** Print the table to stdout. Default true. */
  print?: boolean;
}

/** Multiply-adds of one call of `m` on `inputs` giving `output` (see the module description). */
export function layerMultAdds(m: Module, inputs: unknown[], output: unknown): number {
  const custom = (m as unknown as { multAdds?: unknown }).multAdds;
  if (typeof custom === 'function') return Number(custom.call(m, inputs, output)) || 0;
  const out = firstTensor(output);
  const inp = firstTensor(inputs);
  if (m instanceof Conv2d && out) return out.size * (m.inChannels / m.groups) * m.kernelSize[0] * m.kernelSize[1];
  if (m instanceof ConvTranspose2d && inp) return inp.size * (m.outChannels / m.groups) * m.kernelSize[0] * m.kernelSize[1];
  if (m instanceof Linear && out) return out.size * m.inFeatures;
  return 0;
}

function firstTensor(v: unknown): Tensor | null {
  if (v instanceof Tensor) return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const t = firstTensor(x);
      if (t) return t;
    }
  }
  return null;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtScaled(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

/** The table of a summary's rows and totals, as printed. */
export function formatSummary(s: Omit<ModelSummary, 'text'>): string {
  const header = ['Layer (type)', 'Output shape', 'Param #', 'Mult-adds'];
  const body = s.rows.map((r) => [`${r.name || '(model)'} (${r.type})`, `[${r.outputShape.join(', ')}]`, fmtInt(r.parameters), fmtInt(r.multAdds)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const rule = '='.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  return [
    rule,
    line(header),
    rule,
    ...body.map(line),
    rule,
    `Input shape: [${s.inputShape.join(', ')}]`,
    `Total parameters: ${fmtInt(s.totalParameters)} (${fmtScaled(s.totalParameters)})`,
    `Trainable parameters: ${fmtInt(s.trainableParameters)}`,
    `Non-trainable parameters: ${fmtInt(s.totalParameters - s.trainableParameters)}`,
    `Total mult-adds: ${fmtInt(s.totalMultAdds)} (${fmtScaled(s.totalMultAdds)})`,
    rule,
    '',
  ].join('\n');
}

/**
 * Runs `model` once on a random `[batchSize, ...inputShape]` batch and tabulates every layer: name, output
 * shape, parameters, multiply-adds, with totals. Prints the table unless `{ print: false }`; returns it
 * with the numbers.
 * @param inputShape one example's shape, without the batch (`[3, 224, 224]`)
 * @example
 * const s = models.summary(models.alexnet(), [3, 224, 224]); // prints the table
 * s.totalParameters // 61100840
 * s.totalMultAdds   // 714188480 per image
 */
export function summary(model: Module, inputShape: readonly number[], options: SummaryOptions = {}): ModelSummary {
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new TypeError(`summary: inputShape must be a non-empty list of positive integers (without the batch), got ${JSON.stringify(inputShape)}`);
  }
  const batch = options.batchSize ?? 1;
  const shape = [batch, ...inputShape];
  const names = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) if (!names.has(m)) names.set(m, name);
  const rows: SummaryRow[] = [];
  const seen = new Set<Module>();
  const handles = [];
  for (const [m, name] of names) {
    const leaf = m.children().length === 0;
    const own = m.numParameters() - m.children().reduce((a, c) => a + c.numParameters(), 0);
    if (!leaf && own === 0) continue;
    handles.push(
      m.registerForwardHook((mod, inputs, output) => {
        const out = firstTensor(output);
        rows.push({
          name,
          type: mod.constructor.name,
          outputShape: out ? [...out.shape] : [],
          parameters: seen.has(mod) ? 0 : leaf ? mod.numParameters() : own,
          multAdds: layerMultAdds(mod, inputs, output),
        });
        seen.add(mod);
        return undefined;
      }),
    );
  }
  const wasTraining = model.training;
  model.eval();
  try {
    const device = model.parameters()[0]?.device;
    noGrad(() => tidy(() => {
      model.call(randn(shape, device ? { device } : {}));
    }));
  } finally {
    for (const h of handles) h.remove();
    model.train(wasTraining);
  }
  const totalParameters = model.numParameters();
  const result: Omit<ModelSummary, 'text'> = {
    inputShape: shape,
    rows,
    totalParameters,
    trainableParameters: model.numParameters({ trainableOnly: true }),
    totalMultAdds: rows.reduce((a, r) => a + r.multAdds, 0),
  };
  const text = formatSummary(result);
  if (options.print ?? true) process.stdout.write(text);
  return { ...result, text };
}
