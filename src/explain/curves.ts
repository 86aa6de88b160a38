/**
 * A chart of the deletion and insertion curves, to see where the probability falls or rises rather
 * than only the two AUC numbers.
 * @module
 */
import { plotLines } from '../io/plot';
import type { DeletionInsertion } from './metrics';

/** Options of {@link plotCurves}. */
export interface PlotCurvesOptions {
  /** Title above the chart. Default 'Deletion and insertion'. */
  title?: string;
  /** Image width in pixels. Default 640. */
  width?: number;
  /** Image height in pixels. Default 400. */
  height?: number;
}

function meanCurve(curves: readonly (readonly number[])[]): number[] {
  return curves[0].map((_, s) => curves.reduce((a, c) => a + c[s], 0) / curves.length);
}

function meanOf(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/**
 * Writes a PNG chart of a {@link deletionInsertion} result: the deletion and insertion curves averaged
 * over the images, against the fraction of pixels, with the mean AUCs in the legend.
 * @example await explain.plotCurves('rise.png', await explain.deletionInsertion(model, x, maps));
 */
export async function plotCurves(path: string, result: DeletionInsertion, options: PlotCurvesOptions = {}): Promise<void> {
  const op = 'plotCurves';
  if (typeof path !== 'string') throw new TypeError(`${op}: argument 'path' must be a string, got ${typeof path}`);
  const ok = (m: unknown) => typeof m === 'object' && m !== null && Array.isArray((m as { curves?: unknown }).curves) && (m as { curves: unknown[] }).curves.length > 0;
  if (typeof result !== 'object' || result === null || !ok(result.deletion) || !ok(result.insertion) || !Array.isArray(result.fractions)) {
    throw new TypeError(`${op}: argument 'result' must be what deletionInsertion resolves to`);
  }
  const x = result.fractions;
  const fmt = (v: number) => v.toFixed(3);
  await plotLines(
    path,
    [
      { name: `deletion (AUC ${fmt(meanOf(result.deletion.auc))})`, values: meanCurve(result.deletion.curves), x, color: '#d62728' },
      { name: `insertion (AUC ${fmt(meanOf(result.insertion.auc))})`, values: meanCurve(result.insertion.curves), x, color: '#1f77b4' },
    ],
    {
      title: options.title ?? 'Deletion and insertion',
      xLabel: 'fraction of pixels',
      yLabel: 'probability',
      xRange: [0, 1],
      yRange: [0, 1],
      width: options.width,
      height: options.height,
    },
  );
}
