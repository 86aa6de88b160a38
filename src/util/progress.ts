/**
 * A terminal progress bar for long work (training epochs, evaluation, downloads of work to do).
 * @module
 */

/** Where a {@link ProgressBar} writes: a writable stream, or anything with `write`. */
export interface ProgressStream {
  /** Writes text. */
  write(chunk: string): unknown;
  /** True for a terminal: the bar is redrawn in place. */
  isTTY?: boolean;
  /** Terminal width; lines are cut to fit. */
  columns?: number;
}

/** Metric values shown after the bar: numbers (formatted to about 3 significant digits) or strings. */
export type ProgressMetrics = Record<string, number | string>;

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Units of work in all (batches, samples); at least 0. */
  total: number;
  /** Text before the bar, e.g. `'epoch 3/10'`. Default none. */
  label?: string;
  /** Output. Default `process.stderr`. */
  stream?: ProgressStream;
  /** Characters inside the brackets. Default 20. */
  width?: number;
  /** Redraw in place (true) or print a line per 10% (false). Default: `stream.isTTY`. */
  tty?: boolean;
  /** Least milliseconds between redraws on a terminal. Default 100 (10 Hz). */
  intervalMs?: number;
  /** The clock, in milliseconds (tests pass a fake one). Default `Date.now`. */
  now?: () => number;
}

/**
 * Formats seconds as `m:ss`, or `h:mm:ss` from an hour on.
 * @example formatDuration(75) // '1:15'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function formatMetric(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  return String(Number(v.toPrecision(3)));
}

/**
 * A progress bar: `label [#########...........] 42/100 ETA 0:12 loss 0.231 acc 0.94`.
 *
 * On a terminal it is redrawn in place (carriage return, at most ~10 times a second) and `done()` ends
 * the line; elsewhere (CI logs, files) it prints one plain line each time another 10% is reached. The ETA
 * is the elapsed time per unit times the units left; once all units are done the line shows the time
 * taken instead.
 *
 * @example
 * const bar = new ProgressBar({ total: loader.length, label: `epoch ${epoch}` });
 * for await (const batch of loader) {
 *   // ... train ...
 *   bar.tick(1, { loss: await loss.item() });
 * }
 * bar.done();
 */
export class ProgressBar {
  /** Units of work in all. */
  readonly total: number;
  /** Text before the bar. */
  readonly label: string;
  private readonly stream: ProgressStream;
  private readonly width: number;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly start: number;
  private current = 0;
  private readonly metrics = new Map<string, number | string>();
  private lastDraw = -Infinity;
  private lastDecile = 0;
  private lastLine = '';
  private finished = false;
  private endTime: number | null = null; // when the work completed (or done() ran)

  /** @param options total, label, stream and display settings */
  constructor(options: ProgressBarOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('ProgressBar: options must be an object with a total');
    const { total, label = '', stream = process.stderr, width = 20, intervalMs = 100, now = Date.now } = options;
    if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) throw new RangeError(`ProgressBar: total must be a non-negative integer, got ${total}`);
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`ProgressBar: width must be a positive integer, got ${width}`);
    if (!stream || typeof stream.write !== 'function') throw new TypeError('ProgressBar: stream must have a write method');
    this.total = total;
    this.label = String(label);
    this.stream = stream;
    this.width = width;
    this.tty = options.tty ?? Boolean(stream.isTTY);
    this.intervalMs = intervalMs;
    this.now = now;
    this.start = now();
  }

  /** Units done so far. */
  get value(): number {
    return this.current;
  }

  /** Whether {@link ProgressBar.done} has run. */
  get isDone(): boolean {
    return this.finished;
  }

  /** Seconds since the bar was created, until the work completed or `done()` ran. */
  elapsed(): number {
    return ((this.endTime ?? this.now()) - this.start) / 1000;
  }

  /** Estimated seconds left: elapsed / done × left; null before any progress. */
  eta(): number | null {
    if (this.current <= 0) return null;
    return (this.elapsed() / this.current) * Math.max(0, this.total - this.current);
  }

  /**
   * Records `n` more units done (default 1) and the latest metric values (kept until replaced), then
   * redraws when due.
   */
  tick(n = 1, metrics?: ProgressMetrics): void {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new RangeError(`ProgressBar.tick: n must be a non-negative number, got ${n}`);
    if (this.finished) return;
    this.current += n;
    this.setMetrics(metrics);
    this.progressed();
  }

  /** Sets the units done to `value` (rather than adding), with optional metrics. */
  update(value: number, metrics?: ProgressMetrics): void {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`ProgressBar.update: value must be a non-negative number, got ${value}`);
    if (this.finished) return;
    this.current = value;
    this.setMetrics(metrics);
    this.progressed();
  }

  /** Finishes: draws the final line (with the time taken) and ends it. Safe to call twice. */
  done(metrics?: ProgressMetrics): void {
    if (this.finished) return;
    this.setMetrics(metrics);
    this.finished = true;
    this.endTime ??= this.now();
    this.draw(true);
  }

  private progressed(): void {
    if (this.current >= this.total && this.endTime === null) this.endTime = this.now();
    this.draw(false);
  }

  /** The line as it would be drawn now. */
  render(): string {
    const total = this.total;
    const frac = total > 0 ? Math.min(1, this.current / total) : 1;
    const filled = Math.min(this.width, Math.floor(frac * this.width + 1e-9));
    const bar = '#'.repeat(filled) + '.'.repeat(this.width - filled);
    const count = `${Math.min(this.current, total)}/${total}`;
    const time = this.endTime !== null ? `took ${formatDuration(this.elapsed())}` : `ETA ${formatDuration(this.eta() ?? NaN)}`;
    const parts = [this.label, `[${bar}]`, count, time].filter((p) => p !== '');
    for (const [k, v] of this.metrics) parts.push(`${k} ${formatMetric(v)}`);
    return parts.join(' ');
  }

  private setMetrics(metrics: ProgressMetrics | undefined): void {
    if (metrics === undefined) return;
    if (typeof metrics !== 'object' || metrics === null) throw new TypeError('ProgressBar: metrics must be an object of numbers or strings');
    for (const [k, v] of Object.entries(metrics)) this.metrics.set(k, v);
  }

  private draw(final: boolean): void {
    if (this.tty) {
      const t = this.now();
      if (!final && t - this.lastDraw < this.intervalMs && this.current < this.total) return; // throttled, except at 100%
      this.lastDraw = t;
      let line = this.render();
      const cols = this.stream.columns;
      if (cols && cols > 1 && line.length > cols - 1) line = line.slice(0, cols - 1);
      this.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
      return;
    }
    // Plain output: one line each time another 10% is reached; done() adds the final line unless it
    // would repeat the last one.
    const decile = this.total > 0 ? Math.floor((Math.min(this.current, this.total) / this.total) * 10 + 1e-9) : 10;
    if (!final && decile <= this.lastDecile) return;
    this.lastDecile = Math.max(this.lastDecile, decile);
    const line = this.render();
    if (final && line === this.lastLine) return;
    this.lastLine = line;
    this.stream.write(`${line}\n`);
  }
}
