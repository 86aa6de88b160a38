import * as ds from '../../src';
import { expectError } from '../helpers';

const { models } = ds;

describe('SequenceClassifier (many-to-one)', () => {
  test('shapes, bidirectional and stacked, batch 1', () => {
    ds.manualSeed(1);
    for (const o of [{}, { bidirectional: true, numLayers: 2 }, { kind: 'gru' as const }, { kind: 'rnn' as const }]) {
      const m = new models.SequenceClassifier({ inputSize: 5, hiddenSize: 6, numClasses: 3, ...o });
      expect(ds.noGrad(() => m.call(ds.randn([4, 7, 5]))).shape).toEqual([4, 3]);
      expect(ds.noGrad(() => m.call(ds.randn([1, 1, 7, 5]))).shape).toEqual([1, 3]);
    }
    expectError(() => new models.SequenceClassifier({ inputSize: 5 }).call(ds.randn([4, 5])), RangeError, 'SequenceClassifier', '[4, 5]');
  });

  // 8,000 real MNIST digits read row by row (28 steps of 28 pixels) by a 64-unit LSTM; the 2,000 held-out
  // digits are classified from the final hidden state. Three epochs of Adam reach ≈ 91% (seed 0); the
  // assertion leaves room for another seed's or thread count's rounding.
  test('MNIST rows: > 85% test accuracy after a short run', async () => {
    ds.manualSeed(0);
    const { train, test } = ds.data.mnist();
    const model = new models.SequenceClassifier({ inputSize: 28, hiddenSize: 64 });
    const loader = new ds.data.DataLoader(train, { batchSize: 64, shuffle: true, generator: new ds.Generator(0) });
    const optimizer = new ds.optim.Adam(model.parameters(), { lr: 3e-3 });
    const started = Date.now();
    await ds.train.fit(model, loader, { epochs: 3, optimizer });
    const r = await ds.train.evaluate(model, new ds.data.DataLoader(test, { batchSize: 500 }));
    console.log(`SequenceClassifier on MNIST rows: test accuracy ${(100 * r.accuracy).toFixed(1)}% in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(r.accuracy).toBeGreaterThan(0.85);
  }, 180_000);
});

describe('CharRNN (many-to-many, one-to-many)', () => {
  // min-char-rnn's setting on a generated corpus (data.syntheticText): one-hot characters, windows of 25
  // steps with the state carried across (truncated BPTT), gradients clipped. The loss starts at ln(V)
  // (≈ 3.2 for 25 characters); the first pass averages ≈ 2.6 and the eighth ≈ 0.27 (seed 0), asserted below 0.6; low-temperature samples are
  // made of the corpus's words.
  test('the loss falls and samples read as the corpus', async () => {
    ds.manualSeed(0);
    const text = ds.data.syntheticText({ sentences: 60 });
    const model = new models.CharRNN({ vocab: models.CharRNN.vocabOf(text), hiddenSize: 64 });
    const ids = model.encode(text);
    const optimizer = new ds.optim.Adam(model.parameters(), { lr: 1e-2 });
    const passes: number[] = [];
    for (let pass = 0; pass < 8; pass++) {
      const losses = await ds.train.truncatedBptt({
        steps: ids.length - 1,
        k: 25,
        optimizer,
        clip: model.parameters(),
        window: (s, e, state) => model.windowLoss(ids, s, e, state),
      });
      passes.push(losses.reduce((a, b) => a + b, 0) / losses.length);
    }
    console.log(`CharRNN mean loss per pass: ${passes.map((v) => v.toFixed(2)).join(' ')}`);
    expect(passes[0]).toBeGreaterThan(1.5);
    expect(passes[passes.length - 1]).toBeLessThan(0.6);
    const sample = model.sample({ length: 300, prime: 'the ', temperature: 0.5, generator: new ds.Generator(1) });
    console.log(`CharRNN sample (temperature 0.5): ${sample}`);
    const words = sample.split(/[ .]+/).slice(1, -1).filter((w) => w.length > 0);
    const known = words.filter((w) => ds.data.SYNTHETIC_WORDS.includes(w)).length;
    expect(words.length).toBeGreaterThan(30);
    expect(known / words.length).toBeGreaterThan(0.9);
    expect(() => model.encode('the #')).toThrow(/"#" at 4 is not in the vocabulary/);
    expect(() => model.sample({ length: 5, temperature: 0 })).toThrow(RangeError);
  }, 120_000);
});
