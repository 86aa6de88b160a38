/**
 * The training loop: {@link trainEpoch} (one pass over a loader), {@link evaluate} (loss and accuracy
 * without gradients) and {@link fit} (epochs of both, with a history).
 * @module
 */
import { Tensor } from '../tensor';
import { tidy, dispose } from '../memory';
import { noGrad } from '../autograd';
import { eq } from '../ops/elementwise';
import { zeros } from '../ops/creation';
import { Optimizer } from '../optim/optimizer';
import { LRScheduler } from '../optim/lr_scheduler';
import type { Classifier } from '../models/lenet';
import type { Batch, Sample } from '../data/dataset';

/**
 * What the loop needs of a data loader: something iterable, asynchronously or not, yielding `[x, y]`
 * batches, with a length in batches. `data.DataLoader` over a two-tensor `TensorDataset` fits.
 */
export interface BatchSource {
  /** Batches per pass. */
  readonly length: number;
  /** One pass over the data. */
  [Symbol.asyncIterator](): AsyncIterator<Batch<Sample> | Tensor[]>;
}

/** Running figures of an epoch, passed to {@link TrainEpochOptions.onStep}. */
export interface StepInfo {
  /** Steps (batches) done in this epoch, 1-based. */
  step: number;
  /** Steps in the epoch. */
  steps: number;
  /**
   * Mean training loss over the samples seen up to the last read (see {@link TrainEpochOptions.readEvery});
   * NaN before the first read.
   */
  loss: number;
  /** Training accuracy (a fraction) over the same samples as `loss`; NaN before the first read. */
  accuracy: number;
  /** Samples the running figures cover. */
  samples: number;
}

/** Options of {@link trainEpoch}. */
export interface TrainEpochOptions {
  /** Updates the model's parameters; `zeroGrad()` and `step()` run once per batch. */
  optimizer: Optimizer;
  /** Learning-rate schedule, stepped after every batch (per-batch schedules such as `OneCycleLR`). */
  scheduler?: LRScheduler;
  /**
   * Read the running loss and accuracy every this many steps (default 10). A read waits for the device
   * stream, so reading every step would stall the queue; reads here are also pipelined (the figures of
   * step k are awaited at step k + readEvery), so the stream is never idle.
   */
  readEvery?: number;
  /** Called after every step with the latest figures read. */
  onStep?: (info: StepInfo) => void;
  /**
   * Replaces each batch before the step (inside its scope, so whatever it makes is freed with the batch):
   * augmentation, or adversarial training with `attack.adversarialBatch`.
   */
  transform?: (x: Tensor, y: Tensor) => [Tensor, Tensor];
}

/** The result of {@link trainEpoch} and {@link evaluate}. */
export interface EpochResult {
  /** Mean loss per sample (batch losses weighted by batch size). */
  loss: number;
  /** Fraction of samples whose prediction (`model.predict`) equals the label. */
  accuracy: number;
  /** Samples seen. */
  samples: number;
  /** Batches seen. */
  steps: number;
  /** Wall-clock seconds, until the figures were read (so the work is done). */
  seconds: number;
}

/** Sums of loss·batchSize and correct predictions, as 0-d tensors on the device. */
interface Totals {
  loss: Tensor;
  correct: Tensor;
}

function newTotals(device: Tensor['device']): Totals {
  return { loss: zeros([], { device }), correct: zeros([], { device }) };
}

/** The totals plus this batch's figures, built under `noGrad` (no graph kept). */
function accumulate(model: Classifier, totals: Totals, output: Tensor, loss: Tensor, y: Tensor, n: number): Totals {
  return noGrad(() => ({
    loss: totals.loss.add(loss.detach().mul(n)),
    correct: totals.correct.add(eq(model.predict(output), y).sum()),
  }));
}

function checkBatch(op: string, batch: unknown): [Tensor, Tensor] {
  if (!Array.isArray(batch) || batch.length < 2 || !(batch[0] instanceof Tensor) || !(batch[1] instanceof Tensor)) {
    throw new TypeError(`${op}: the loader must yield [x, y] batches of tensors`);
  }
  return [batch[0], batch[1]];
}

function checkModel(op: string, model: unknown): Classifier {
  const m = model as Partial<Classifier> | null;
  if (typeof m !== 'object' || m === null || typeof m.call !== 'function' || typeof m.loss !== 'function' || typeof m.predict !== 'function') {
    throw new TypeError(`${op}: model must be a Classifier (a Module with loss() and predict())`);
  }
  return m as Classifier;
}

/**
 * Reads totals without blocking the queue behind them: `start` fires the read, `settle` awaits the read
 * started before and reports it. At most one read is in flight.
 */
class PipelinedReader {
  private pending: { totals: Totals; samples: number; values: Promise<[number, number]> } | null = null;
  latest = { loss: NaN, accuracy: NaN, samples: 0 };

  /** Starts reading `totals` (which this reader then owns and frees) and reports the previous read. */
  async start(totals: Totals, samples: number): Promise<void> {
    const values = Promise.all([totals.loss.item(), totals.correct.item()]);
    values.catch(() => undefined); // surfaced when awaited
    const previous = this.pending;
    this.pending = { totals, samples, values };
    if (previous) await this.settle(previous);
  }

  /** Waits for the read in flight, if any. */
  async finish(): Promise<void> {
    const p = this.pending;
    this.pending = null;
    if (p) await this.settle(p);
  }

  /** Frees the totals still held (after an error). */
  abandon(): void {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      p.values.then(() => dispose(p.totals), () => dispose(p.totals));
    }
  }

  private async settle(p: { totals: Totals; samples: number; values: Promise<[number, number]> }): Promise<void> {
    try {
      const [loss, correct] = await p.values;
      this.latest = { loss: p.samples > 0 ? loss / p.samples : NaN, accuracy: p.samples > 0 ? correct / p.samples : NaN, samples: p.samples };
    } finally {
      dispose(p.totals);
    }
  }
}

/** The per-batch work of a pass: returns the new totals (created inside the caller's `tidy`). */
type StepBody = (x: Tensor, y: Tensor, totals: Totals) => Totals;

/** One pass over `loader`, with pipelined reads of the totals; shared by training and evaluation. */
async function pass(op: string, loader: BatchSource, readEvery: number, onStep: ((info: StepInfo) => void) | undefined, body: StepBody): Promise<EpochResult> {
  if (typeof loader !== 'object' || loader === null || typeof (loader as BatchSource)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError(`${op}: loader must be async-iterable (a data.DataLoader)`);
  }
  if (!Number.isInteger(readEvery) || readEvery < 1) throw new RangeError(`${op}: readEvery must be a positive integer, got ${readEvery}`);
  if (onStep !== undefined && typeof onStep !== 'function') throw new TypeError(`${op}: onStep must be a function`);
  const t0 = Date.now();
  const steps = loader.length;
  const reader = new PipelinedReader();
  let totals: Totals | null = null; // sums so far, owned here
  let readSamples = -1; // samples covered by the last read started
  let samples = 0;
  let step = 0;
  const read = async (): Promise<void> => {
    await reader.start(noGrad(() => ({ loss: totals!.loss.clone(), correct: totals!.correct.clone() })), samples);
    readSamples = samples;
  };
  try {
    for await (const batch of loader) {
      let next: Totals;
      try {
        const [x, y] = checkBatch(op, batch);
        totals ??= newTotals(x.device);
        const before: Totals = totals;
        next = tidy(() => body(x, y, before));
        samples += x.shape[0];
      } finally {
        dispose(batch);
      }
      dispose(totals);
      totals = next;
      step++;
      if (step % readEvery === 0 || step === steps) await read();
      if (step === steps) await reader.finish(); // the last step reports the whole pass
      onStep?.({ step, steps, ...reader.latest });
    }
    if (totals && readSamples !== samples) await read();
    await reader.finish();
  } catch (e) {
    reader.abandon();
    throw e;
  } finally {
    if (totals) dispose(totals);
  }
  const { loss, accuracy } = reader.latest;
  return { loss, accuracy, samples, steps: step, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Trains `model` for one pass over `loader`: for each `[x, y]` batch, inside a `tidy`, the forward pass
 * (`model.call(x)`), `model.loss(output, y)`, `optimizer.zeroGrad()`, `loss.backward()`,
 * `optimizer.step()` and `scheduler.step()`. The model is put in training mode. Batches are disposed
 * after their step; nothing else survives the epoch (parameters, gradients and optimizer state are
 * reused), so memory stays flat over epochs.
 *
 * Loss and accuracy are summed on the device and read only every `readEvery` steps (pipelined, see
 * {@link TrainEpochOptions.readEvery}); `onStep` gets the running figures. The returned figures cover the
 * whole epoch; `accuracy` is measured on the fly, on each batch before its update.
 *
 * @example
 * const opt = new optim.AdamW(model.parameters(), { lr: 4e-3 });
 * const sched = new optim.OneCycleLR(opt, { maxLr: 4e-3, epochs: 12, stepsPerEpoch: loader.length });
 * for (let e = 0; e < 12; e++) {
 *   const { loss, accuracy } = await train.trainEpoch(model, loader, { optimizer: opt, scheduler: sched });
 * }
 */
export async function trainEpoch(model: Classifier, loader: BatchSource, options: TrainEpochOptions): Promise<EpochResult> {
  const m = checkModel('trainEpoch', model);
  if (typeof options !== 'object' || options === null || !(options.optimizer instanceof Optimizer)) {
    throw new TypeError('trainEpoch: options.optimizer must be an Optimizer');
  }
  const { optimizer, scheduler, onStep, transform, readEvery = 10 } = options;
  if (scheduler !== undefined && !(scheduler instanceof LRScheduler)) throw new TypeError('trainEpoch: options.scheduler must be an LRScheduler');
  m.train();
  if (transform !== undefined && typeof transform !== 'function') throw new TypeError('trainEpoch: options.transform must be a function');
  return pass('trainEpoch', loader, readEvery, onStep, (bx, by, totals) => {
    const [x, y] = transform ? transform(bx, by) : [bx, by];
    const output = m.call(x) as Tensor;
    const loss = m.loss(output, y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    scheduler?.step();
    return accumulate(m, totals, output, loss, y, x.shape[0]);
  });
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Read the running figures every this many batches (default 10; see {@link TrainEpochOptions.readEvery}). */
  readEvery?: number;
  /** Called after every batch with the latest figures read. */
  onStep?: (info: StepInfo) => void;
}

/**
 * Loss (`model.loss`, averaged over samples) and accuracy (`model.predict` against the labels) of `model`
 * on every batch of `loader`, under `noGrad` and in evaluation mode; the model's previous mode is
 * restored afterwards. Batches are disposed as they are used.
 * @example const { loss, accuracy } = await train.evaluate(model, new data.DataLoader(test, { batchSize: 500 }));
 */
export async function evaluate(model: Classifier, loader: BatchSource, options: EvaluateOptions = {}): Promise<EpochResult> {
  const m = checkModel('evaluate', model);
  if (typeof options !== 'object' || options === null) throw new TypeError('evaluate: options must be an object');
  const { readEvery = 10, onStep } = options;
  const wasTraining = m.training;
  m.eval();
  try {
    return await pass('evaluate', loader, readEvery, onStep, (x, y, totals) =>
      noGrad(() => {
        const output = m.call(x) as Tensor;
        return accumulate(m, totals, output, m.loss(output, y), y, x.shape[0]);
      }),
    );
  } finally {
    m.train(wasTraining);
  }
}

/** One epoch of {@link fit}'s history. */
export interface EpochRecord {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training loss of the epoch. */
  trainLoss: number;
  /** Training accuracy of the epoch (on each batch before its update). */
  trainAccuracy: number;
  /** Loss on the evaluation loader after the epoch (NaN without one). */
  testLoss: number;
  /** Accuracy on the evaluation loader after the epoch (NaN without one). */
  testAccuracy: number;
  /** Seconds for the epoch, evaluation included. */
  seconds: number;
}

/** Options of {@link fit}. */
export interface FitOptions extends TrainEpochOptions {
  /** Number of epochs (a positive integer). */
  epochs: number;
  /** Evaluated after every epoch (the figures go to the history). */
  testLoader?: BatchSource;
  /** Called at the start of every epoch, numbered from 1. */
  onEpochStart?: (epoch: number) => void;
  /** Called after every epoch (and its evaluation). */
  onEpochEnd?: (record: EpochRecord) => void;
}

/**
 * {@link trainEpoch} `epochs` times, each followed by {@link evaluate} on `testLoader` when given;
 * returns the history, one {@link EpochRecord} per epoch.
 * @example
 * const history = await train.fit(model, trainLoader, {
 *   epochs: 12, optimizer: opt, scheduler: sched, testLoader,
 *   onEpochEnd: (r) => console.log(`epoch ${r.epoch}: test accuracy ${r.testAccuracy}`),
 * });
 */
export async function fit(model: Classifier, loader: BatchSource, options: FitOptions): Promise<EpochRecord[]> {
  if (typeof options !== 'object' || options === null) throw new TypeError('fit: options must be an object');
  const { epochs, testLoader, onEpochStart, onEpochEnd } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${epochs}`);
  const history: EpochRecord[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = Date.now();
    onEpochStart?.(epoch);
    const tr = await trainEpoch(model, loader, options);
    const te = testLoader ? await evaluate(model, testLoader) : { loss: NaN, accuracy: NaN };
    const record: EpochRecord = {
      epoch,
      trainLoss: tr.loss,
      trainAccuracy: tr.accuracy,
      testLoss: te.loss,
      testAccuracy: te.accuracy,
      seconds: (Date.now() - t0) / 1000,
    };
    history.push(record);
    onEpochEnd?.(record);
  }
  return history;
}
