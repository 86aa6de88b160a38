/**
 * Recurrent models for the classic sequence patterns, on the fused `nn.LSTM` / `nn.GRU` / `nn.RNN`:
 * - many-to-one: {@link SequenceClassifier} reads a whole sequence and classifies it from the final
 *   hidden state (MNIST digits read row by row: 28 steps of 28 pixels);
 * - many-to-many and one-to-many: {@link CharRNN}, a character-level language model in the manner of
 *   Karpathy's min-char-rnn, trained with truncated BPTT and sampled one character at a time with a
 *   temperature.
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator } from '../random';
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { tensor, rand } from '../ops/creation';
import { crossEntropy } from '../ops/loss';
import { argmax } from '../ops/reduce';
import { softmax } from '../ops/softmax';
import { cat } from '../ops/indexing';
import { Module } from '../nn/module';
import { Linear } from '../nn/layers/linear';
import { GRU, LSTM, RNN, RNNBase } from '../nn/layers/rnn';
import { Classifier } from './lenet';
import { RecurrentState, WindowResult, disposeState } from '../train/bptt';

/** The recurrent cell kind of a model. */
export type RecurrentKind = 'lstm' | 'gru' | 'rnn';

function makeRnn(kind: RecurrentKind, inputSize: number, hiddenSize: number, o: { numLayers?: number; bidirectional?: boolean; dropout?: number; generator?: Generator }, batchFirst: boolean): RNNBase {
  const opts = { ...o, batchFirst };
  if (kind === 'lstm') return new LSTM(inputSize, hiddenSize, opts);
  if (kind === 'gru') return new GRU(inputSize, hiddenSize, opts);
  if (kind === 'rnn') return new RNN(inputSize, hiddenSize, opts);
  throw new TypeError(`unknown recurrent kind ${JSON.stringify(kind)} (use 'lstm', 'gru' or 'rnn')`);
}

/** Options of {@link SequenceClassifier}. */
export interface SequenceClassifierOptions {
  /** Features per step (28 for MNIST rows). */
  inputSize: number;
  /** Hidden units. Default 128. */
  hiddenSize?: number;
  /** Classes. Default 10. */
  numClasses?: number;
  /** `'lstm'` (default), `'gru'` or `'rnn'`. */
  kind?: RecurrentKind;
  /** Stacked layers. Default 1. */
  numLayers?: number;
  /** Read the sequence in both directions. Default false. */
  bidirectional?: boolean;
  /** Dropout between layers. Default 0. */
  dropout?: number;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/**
 * Many-to-one: a recurrent stack reads `[N, T, F]` sequences (or `[N, 1, T, F]` images, each row a step)
 * and a linear layer classifies the top layer's final hidden state (both directions' when bidirectional).
 * @example
 * const model = new models.SequenceClassifier({ inputSize: 28 });  // MNIST rows
 * const logits = model.call(images);                               // [N, 1, 28, 28] -> [N, 10]
 */
export class SequenceClassifier extends Module implements Classifier {
  /** The recurrent stack (batch-first). */
  declare rnn: RNNBase;
  /** The classifier on the final state. */
  declare fc: Linear;

  /** Builds the stack and the head. */
  constructor(options: SequenceClassifierOptions) {
    super();
    const { inputSize, hiddenSize = 128, numClasses = 10, kind = 'lstm', generator } = options;
    this.registerModule('rnn', makeRnn(kind, inputSize, hiddenSize, options, true));
    const D = options.bidirectional ? 2 : 1;
    this.registerModule('fc', new Linear(D * hiddenSize, numClasses, { generator }));
  }

  /** `[N, T, F]` or `[N, 1, T, F]` → logits `[N, classes]`. */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || (x.ndim !== 3 && !(x.ndim === 4 && x.shape[1] === 1))) {
      throw new RangeError(`SequenceClassifier: input must be [N, T, F] or [N, 1, T, F], got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`);
    }
    const seq = x.ndim === 4 ? x.reshape([x.shape[0], x.shape[2], x.shape[3]]) : x;
    const [, state] = this.rnn.call(seq) as [Tensor, Tensor | [Tensor, Tensor]];
    const h = Array.isArray(state) ? state[0] : state;
    const L = this.rnn.numLayers;
    const top = this.rnn.bidirectional ? cat([h.slice(0, 2 * L - 2, 2 * L - 1), h.slice(0, 2 * L - 1, 2 * L)], 2) : h.slice(0, L - 1, L);
    return this.fc.call(top.reshape([h.shape[1], top.shape[2]]));
  }

  /** Cross-entropy. */
  loss(output: Tensor, target: Tensor): Tensor {
    return crossEntropy(output, target);
  }

  /** The arg-max class. */
  predict(output: Tensor): Tensor {
    return argmax(output, 1);
  }
}

/** Options of {@link CharRNN}. */
export interface CharRNNOptions {
  /** The characters the model reads and writes (one-hot input of this size). */
  vocab: readonly string[];
  /** Hidden units. Default 128. */
  hiddenSize?: number;
  /** `'lstm'` (default), `'gru'` or `'rnn'` (min-char-rnn's tanh RNN). */
  kind?: RecurrentKind;
  /** Stacked layers. Default 1. */
  numLayers?: number;
  /** Dropout between layers. Default 0. */
  dropout?: number;
  /** Stream for the initial weights. */
  generator?: Generator;
}

/** Options of {@link CharRNN.sample}. */
export interface SampleOptions {
  /** Characters to generate. */
  length: number;
  /** Text fed in first (its last character starts the generation). Default: the first vocabulary entry. */
  prime?: string;
  /** Divides the logits: below 1 sharper and more conservative, above 1 more varied. Default 1. */
  temperature?: number;
  /** Stream of the draws. */
  generator?: Generator;
}

/**
 * Many-to-many: a character-level language model. Each step reads a one-hot character and predicts the
 * next one. {@link CharRNN.windowLoss} fits truncated BPTT (`train.truncatedBptt`); {@link CharRNN.sample}
 * generates text (one-to-many) with a temperature.
 * @example
 * const text = 'hello world. '.repeat(50);
 * const model = new models.CharRNN({ vocab: models.CharRNN.vocabOf(text), hiddenSize: 64 });
 * const ids = model.encode(text);
 * // train.truncatedBptt({ steps: ids.length - 1, k: 25, window: (s, e, st) => model.windowLoss(ids, s, e, st), ... })
 * model.sample({ length: 40, prime: 'h', temperature: 0.5 });
 */
export class CharRNN extends Module {
  /** The alphabet, index = class. */
  readonly vocab: readonly string[];
  private readonly index: Map<string, number>;
  /** The recurrent stack (time-major). */
  declare rnn: RNNBase;
  /** Next-character logits from the hidden state. */
  declare head: Linear;

  /** The sorted distinct characters of `text` (a vocabulary for {@link CharRNNOptions.vocab}). */
  static vocabOf(text: string): string[] {
    return [...new Set(text)].sort();
  }

  /** Builds the stack and the output layer. */
  constructor(options: CharRNNOptions) {
    super();
    const { vocab, hiddenSize = 128, kind = 'lstm', generator } = options;
    if (!Array.isArray(vocab) || vocab.length < 2) throw new RangeError('CharRNN: vocab must list at least two characters');
    this.vocab = [...vocab];
    this.index = new Map(vocab.map((c, i) => [c, i]));
    if (this.index.size !== vocab.length) throw new RangeError('CharRNN: vocab repeats a character');
    this.registerModule('rnn', makeRnn(kind, vocab.length, hiddenSize, options, false));
    this.registerModule('head', new Linear(hiddenSize, vocab.length, { generator }));
  }

  /** Character indices of `text`; RangeError naming a character outside the vocabulary. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const k = this.index.get(text[i]);
      if (k === undefined) throw new RangeError(`CharRNN: character ${JSON.stringify(text[i])} at ${i} is not in the vocabulary`);
      ids[i] = k;
    }
    return ids;
  }

  /** The text of character indices. */
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.vocab[i]).join('');
  }

  /** One-hot `[T, B, V]` of `ids` laid out `[T, B]` (time-major). */
  oneHot(ids: ArrayLike<number>, T: number, B: number): Tensor {
    const V = this.vocab.length;
    const x = new Float32Array(T * B * V);
    for (let i = 0; i < T * B; i++) x[i * V + ids[i]] = 1;
    return tensor(x, [T, B, V], { device: this.head.weight.device });
  }

  /** Logits `[T, B, V]` and the final state from one-hot input `[T, B, V]` and an optional state. */
  override forward(x: Tensor, state?: RecurrentState | null): [Tensor, RecurrentState] {
    const [y, s] = this.rnn.call(x, state ?? null) as [Tensor, RecurrentState];
    return [this.head.call(y), s];
  }

  /**
   * The mean cross-entropy of predicting `ids[t + 1]` from `ids[t]` for t in [start, end), from `state`;
   * the window function of `train.truncatedBptt`.
   */
  windowLoss(ids: Int32Array, start: number, end: number, state: RecurrentState | null): WindowResult<RecurrentState> {
    if (end > ids.length - 1 || start < 0 || start >= end) throw new RangeError(`CharRNN.windowLoss: window [${start}, ${end}) must lie in [0, ${ids.length - 1})`);
    const T = end - start;
    const [logits, next] = this.forward(this.oneHot(ids.subarray(start, end), T, 1), state);
    const target = tensor(ids.subarray(start + 1, end + 1), [T], { dtype: 'int32', device: logits.device });
    return { loss: crossEntropy(logits.reshape([T, this.vocab.length]), target), state: next };
  }

  /** Generates `length` characters after `prime`, drawing each from softmax(logits / temperature). */
  sample(options: SampleOptions): string {
    const { length, prime = this.vocab[0], temperature = 1, generator } = options;
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`CharRNN.sample: 'length' must be a non-negative integer, got ${length}`);
    if (!(temperature > 0)) throw new RangeError(`CharRNN.sample: 'temperature' must be > 0, got ${temperature}`);
    if (prime.length === 0) throw new RangeError("CharRNN.sample: 'prime' must not be empty");
    const ids = this.encode(prime);
    return noGrad(() => {
      // Feeds `chunk`; keeps the last step's logits [V] and the state, freeing the previous ones.
      let state: RecurrentState | null = null;
      let logits: Tensor | null = null;
      const advance = (chunk: ArrayLike<number>) => {
        const [l, s] = tidy(() => {
          const [all, next] = this.forward(this.oneHot(chunk, chunk.length, 1), state);
          return [all.slice(0, chunk.length - 1, chunk.length).reshape([this.vocab.length]), next] as const;
        });
        logits?.dispose();
        disposeState(state);
        [logits, state] = [l, s];
        return l;
      };
      let last = advance(ids);
      const out: number[] = [];
      for (let i = 0; i < length; i++) {
        const p = tidy(() => softmax(last.div(temperature), 0).dataSync());
        const u = tidy(() => rand([1], { generator }).dataSync()[0]);
        let k = 0;
        for (let acc = p[0]; acc < u && k < p.length - 1; acc += p[++k]);
        out.push(k);
        last = advance([k]);
      }
      last.dispose();
      disposeState(state);
      return this.decode(out);
    });
  }
}
