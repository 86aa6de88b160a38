/**
 * @jest-environment ./test/io/onnx/ort-environment.js
 */
// ONNX export of the recurrent layers (src/io/onnx/export-rnn.ts): the exported file, run by
// onnxruntime-node, gives our outputs; a batch-first model keeps its batch axis dynamic.
import * as ds from '../../../src';
import { Tensor } from '../../../src';
import { onnx } from 'onnx-proto';
import { TOL, expectRoundTrip, ours, relErr, roundTrip, runOrt } from './helpers';

const { nn, models } = ds;

// The output of a recurrent layer alone (its state dropped), plus the final states in one vector.
class Head extends nn.Module {
  declare rnn: ds.nn.RNNBase;
  constructor(rnn: ds.nn.RNNBase) {
    super();
    this.registerModule('rnn', rnn);
  }
  override forward(x: Tensor): Tensor {
    const [y, state] = this.rnn.call(x) as [Tensor, Tensor | [Tensor, Tensor]];
    const hs = Array.isArray(state) ? state : [state];
    return ds.cat([y.reshape([-1]), ...hs.map((h) => h.reshape([-1]))]);
  }
}

describe('ONNX export of recurrent layers', () => {
  const layers: [string, () => ds.nn.RNNBase][] = [
    ['LSTM, 2 layers, bidirectional', () => new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true })],
    ['GRU', () => new nn.GRU(5, 4)],
    ['GRU, no bias, bidirectional', () => new nn.GRU(5, 4, { bias: false, bidirectional: true })],
    ['RNN relu, 3 layers', () => new nn.RNN(5, 3, { numLayers: 3, nonlinearity: 'relu' })],
    ['RNN tanh, bidirectional', () => new nn.RNN(5, 3, { bidirectional: true })],
  ];
  for (const [name, make] of layers) {
    test(name, async () => {
      ds.manualSeed(name.length);
      const model = new Head(make());
      const x = ds.randn([7, 3, 5]);
      const ref = ours(model, x);
      // Time-major input: axis 0 is time, so the batch is not the leading axis.
      const { bytes } = ds.io.toOnnx(model, x, { dynamicBatch: false });
      const got = await runOrt(bytes, x);
      expect(got.dims).toEqual(ref.dims);
      expect(relErr(got.data, ref.data)).toBeLessThan(TOL);
      // Imported back, the nodes run as ds.rnn again.
      const imported = await ds.io.importOnnx(bytes);
      try {
        expect(relErr(ours(imported, x).data, ref.data)).toBeLessThan(TOL);
      } finally {
        imported.dispose();
      }
    });
  }

  test('SequenceClassifier (batch-first): another batch size, import, re-export', async () => {
    ds.manualSeed(3);
    const model = new models.SequenceClassifier({ inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional: true });
    expectRoundTrip(await roundTrip(model, ds.randn([3, 7, 5]), ds.randn([5, 7, 5])));
  });

  test('an imported LSTM trains: gradients reach its ONNX initializers', async () => {
    ds.manualSeed(4);
    const model = new Head(new nn.LSTM(3, 4));
    const x = ds.randn([5, 2, 3]);
    const imported = await ds.io.importOnnx(ds.io.toOnnx(model, x, { dynamicBatch: false }).bytes);
    try {
      (imported.call(x) as Tensor).sum().backward();
      const grads = imported.parameters().filter((p) => p.grad);
      expect(grads.length).toBeGreaterThanOrEqual(3);
      for (const p of grads) expect(await p.grad!.abs().sum().item()).toBeGreaterThan(0);
    } finally {
      imported.dispose();
    }
  });

  test('unsupported node attributes are refused by name', async () => {
    const model = new Head(new nn.GRU(3, 4));
    const x = ds.randn([5, 2, 3]);
    const bytes = ds.io.toOnnx(model, x, { dynamicBatch: false }).bytes;
    const m = onnx.ModelProto.decode(bytes);
    const gru = m.graph!.node!.find((n) => n.opType === 'GRU')!;
    gru.attribute = gru.attribute!.filter((at) => at.name !== 'linear_before_reset');
    await expect(ds.io.importOnnx(onnx.ModelProto.encode(m).finish()).then((im) => im.call(x))).rejects.toThrow(/linear_before_reset/);
  });
});
