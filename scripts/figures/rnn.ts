/**
 * The figures and numbers of docs/rnn.md, made by the library itself: the many-to-one SequenceClassifier
 * on MNIST rows (test accuracy per epoch), and the many-to-many CharRNN on data.syntheticText (loss per
 * truncated-BPTT window, samples at three temperatures). Writes docs/images/rnn/*.png and prints the
 * numbers the page quotes. Run: npm run figures:rnn (about two minutes on two cores).
 */
import * as path from 'path';
import * as ds from '../../src';

const { data, io, models, optim, train } = ds;
const OUT = path.resolve(__dirname, '..', '..', 'docs', 'images', 'rnn');

async function sequenceClassifier(): Promise<void> {
  ds.manualSeed(0);
  const { train: trainSet, test } = data.mnist();
  const model = new models.SequenceClassifier({ inputSize: 28, hiddenSize: 64 });
  const loader = new data.DataLoader(trainSet, { batchSize: 64, shuffle: true, generator: new ds.Generator(0) });
  const testLoader = new data.DataLoader(test, { batchSize: 500 });
  const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
  const history = await train.fit(model, loader, { epochs: 5, optimizer, testLoader });
  const acc = history.map((h) => 100 * (h.testAccuracy ?? NaN));
  console.log(`SequenceClassifier (LSTM 64, MNIST rows) test accuracy per epoch: ${acc.map((a) => a.toFixed(1)).join(' ')}`);
  await io.plotLines(path.join(OUT, 'mnist-rows-accuracy.png'), [{ name: 'test accuracy (%)', values: acc }], {
    title: 'LSTM reading MNIST rows: 2,000 held-out digits',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
  });
}

async function charRnn(): Promise<void> {
  ds.manualSeed(0);
  const text = data.syntheticText({ sentences: 60 });
  const model = new models.CharRNN({ vocab: models.CharRNN.vocabOf(text), hiddenSize: 64 });
  const ids = model.encode(text);
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let pass = 0; pass < 8; pass++) {
    losses.push(
      ...(await train.truncatedBptt({
        steps: ids.length - 1,
        k: 25,
        optimizer,
        clip: model.parameters(),
        window: (s, e, state) => model.windowLoss(ids, s, e, state),
      })),
    );
    if (pass === 0 || pass === 7) {
      console.log(`after pass ${pass + 1}: ${JSON.stringify(model.sample({ length: 120, prime: 'the ', temperature: 0.7, generator: new ds.Generator(1) }))}`);
    }
  }
  console.log(`CharRNN: ${text.length} characters, vocabulary ${model.vocab.length}, loss ${losses[0].toFixed(2)} → ${losses[losses.length - 1].toFixed(2)}`);
  for (const temperature of [0.3, 0.7, 1.5]) {
    console.log(`temperature ${temperature}: ${JSON.stringify(model.sample({ length: 160, prime: 'the ', temperature, generator: new ds.Generator(2) }))}`);
  }
  await io.plotLines(path.join(OUT, 'charrnn-loss.png'), [{ name: 'cross-entropy per window', values: losses }], {
    title: 'CharRNN (LSTM 64): loss per window',
    xLabel: 'window',
    yLabel: 'loss (nats)',
  });
}

async function main(): Promise<void> {
  await sequenceClassifier();
  await charRnn();
}

void main();
