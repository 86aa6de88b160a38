/**
 * Truncated backpropagation through time for long streams: the recurrent state is carried from one
 * window of `k` steps to the next, but detached at each window's start, so gradients flow back at most
 * `k` steps and memory stays bounded by one window.
 * @module
 */
import { Tensor } from '../tensor';
import { tidy } from '../memory';
import { Optimizer } from '../optim/optimizer';
import { clipGradNorm_ } from '../optim/clip';

/** A recurrent state: a tensor, or arrays of them (LSTM's `[h, c]`). */
export type RecurrentState = Tensor | readonly RecurrentState[];

/**
 * The same state cut from the graph: new leaf tensors that share the values, so a backward through a
 * later window stops here. `null` stays `null`.
 * @example state = detachState(state); // LSTM [h, c] or a plain h
 */
export function detachState<S extends RecurrentState | null>(state: S): S {
  if (state === null) return state;
  if (state instanceof Tensor) return state.detach() as S;
  if (!Array.isArray(state)) throw new TypeError('detachState: a state must be a Tensor or an array of states');
  return state.map((s) => detachState(s)) as unknown as S;
}

/** @internal Disposes every tensor of a state. */
export function disposeState(state: RecurrentState | null): void {
  if (state instanceof Tensor) state.dispose();
  else if (state) for (const s of state) disposeState(s);
}

/** What a window of {@link truncatedBptt} returns. */
export interface WindowResult<S extends RecurrentState> {
  /** The window's loss (a scalar). */
  loss: Tensor;
  /** The state after the window's last step. */
  state: S;
}

/** Options of {@link truncatedBptt}. */
export interface TruncatedBpttOptions<S extends RecurrentState> {
  /** Steps in the stream. */
  steps: number;
  /** Steps per window (gradients reach back at most this far). */
  k: number;
  /**
   * Runs the model over steps [start, end) from `state` (null at the stream's start) and returns the
   * window's loss and the state after its last step.
   */
  window: (start: number, end: number, state: S | null) => WindowResult<S>;
  /** Updated after every window. */
  optimizer: Optimizer;
  /** Clip the total gradient norm of these parameters to {@link TruncatedBpttOptions.maxNorm} before each step. */
  clip?: readonly Tensor[];
  /** Largest total gradient norm when `clip` is given. Default 5 (min-char-rnn clips each entry at 5). */
  maxNorm?: number;
  /** Called after each window with its loss (lets a caller print progress). */
  onWindow?: (info: { start: number; end: number; loss: number }) => void;
}

/**
 * Trains over one pass of a long stream in windows of `k` steps, carrying the (detached) state between
 * them: per window zero the gradients, run `window`, backpropagate, clip, step. Returns each window's
 * loss. Tensors made inside a window are freed when it ends; the carried state is the only survivor.
 * @example
 * const losses = await train.truncatedBptt({
 *   steps: text.length - 1, k: 25, optimizer, clip: model.parameters(),
 *   window: (s, e, state) => model.windowLoss(ids, s, e, state),
 * });
 */
export async function truncatedBptt<S extends RecurrentState>(options: TruncatedBpttOptions<S>): Promise<number[]> {
  const { steps, k, window, optimizer, clip, maxNorm = 5, onWindow } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`truncatedBptt: 'steps' must be a positive integer, got ${steps}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`truncatedBptt: 'k' must be a positive integer, got ${k}`);
  if (typeof window !== 'function') throw new TypeError("truncatedBptt: 'window' must be a function");
  const losses: number[] = [];
  let state: S | null = null;
  for (let start = 0; start < steps; start += k) {
    const end = Math.min(start + k, steps);
    const prev: S | null = state;
    const [loss, next] = tidy(() => {
      optimizer.zeroGrad();
      const r = window(start, end, prev);
      r.loss.backward();
      if (clip) clipGradNorm_(clip, maxNorm);
      optimizer.step();
      return [r.loss.detach(), detachState(r.state)] as const;
    });
    disposeState(prev);
    state = next as S;
    const v = await loss.item();
    loss.dispose();
    losses.push(v);
    onWindow?.({ start, end, loss: v });
  }
  disposeState(state);
  return losses;
}
