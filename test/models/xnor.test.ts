import * as ds from '../../src';
import { mnistSubset } from './train-util';

const { models, nn } = ds;

const bn = (c: number) => 2 * c; // a batch norm's weight and bias

describe('binary AlexNet and ResNet-18', () => {
  test('XNOR AlexNet: parameter count layer by layer, real conv1 and fc8, binary conv2–5 and fc6–7', () => {
    const net = models.xnorAlexnet();
    const expected =
      3 * 96 * 121 + 96 + bn(96) + // conv1 (real) and its BN
      bn(96) + 96 * 256 * 25 + bn(256) + 256 * 384 * 9 + bn(384) + 384 * 384 * 9 + bn(384) + 384 * 256 * 9 + // conv2–5
      bn(9216) + 9216 * 4096 + bn(4096) + 4096 * 4096 + // fc6, fc7
      bn(4096) + 4096 * 1000 + 1000; // fc8 (real)
    expect(net.numParameters()).toBe(expected);
    const binary = net.modules().filter((m) => m instanceof nn.BinaryConv2d || m instanceof nn.BinaryLinear);
    expect(binary.length).toBe(6);
    expect(binary.every((m) => (m as ds.nn.BinaryConv2d).mode === 'xnor')).toBe(true);
    expect(models.xnorAlexnet({ mode: 'bwn', numClasses: 10 }).numParameters()).toBe(expected - 4096 * 990 - 990);
    net.dispose();
  });

  test('XNOR ResNet-18: parameter count, shapes, packed size', () => {
    const net = models.xnorResnet18({ numClasses: 10 });
    const block = (i: number, o: number, project: boolean) => bn(i) + i * o * 9 + bn(o) + o * o * 9 + (project ? i * o + bn(o) : 0);
    const expected =
      3 * 64 * 49 + bn(64) +
      block(64, 64, false) * 2 +
      block(64, 128, true) + block(128, 128, false) +
      block(128, 256, true) + block(256, 256, false) +
      block(256, 512, true) + block(512, 512, false) +
      512 * 10 + 10;
    expect(net.numParameters()).toBe(expected);
    expect(ds.noGrad(() => net.call(ds.randn([1, 3, 64, 64]))).shape).toEqual([1, 10]);
    // Packed: every binary 3×3 filter of C inputs takes 9·⌈C/64⌉ 64-bit words, plus α per filter.
    let binaryWeights = 0;
    let packedBytes = 0;
    for (const m of net.modules()) {
      if (!(m instanceof nn.BinaryConv2d)) continue;
      binaryWeights += m.outChannels * m.inChannels * 9;
      packedBytes += m.outChannels * 9 * Math.ceil(m.inChannels / 64) * 8 + m.outChannels * 4;
    }
    const bytes = () => [...net.stateDict().values()].reduce((s, t) => s + t.numel() * 4, 0);
    const before = bytes();
    net.eval();
    const x = ds.randn([2, 3, 40, 40]);
    const y0 = ds.noGrad(() => net.call(x)).dataSync();
    net.pack();
    expect(bytes()).toBe(before - binaryWeights * 4 + packedBytes);
    expect(before / bytes()).toBeGreaterThan(10);
    const y1 = ds.noGrad(() => net.call(x)).dataSync();
    expect([...y1]).toEqual([...y0]);
    net.dispose();
  });

  test('BWN ResNet-18: real inputs, binary weights; packing keeps the outputs', () => {
    const net = models.xnorResnet18({ mode: 'bwn', numClasses: 10 }).eval();
    const x = ds.randn([1, 3, 32, 32]);
    const y0 = ds.noGrad(() => net.call(x)).dataSync();
    const y1 = ds.noGrad(() => net.pack().call(x)).dataSync();
    // The packed form rebuilds α·sign(W) from the bits: the same float weights, the same convolutions.
    expect([...y1]).toEqual([...y0]);
    net.dispose();
  });
});

describe('binary LeNet on MNIST', () => {
  test('XNOR LeNet trains to at least 95% on the 2,000 held-out digits; packing keeps every prediction', async () => {
    ds.manualSeed(1);
    const net = models.binaryLenet({ mode: 'xnor' });
    const binary = 16 * 32 * 9 + 1568 * 128;
    expect(net.numParameters()).toBe(16 * 25 + 16 + bn(16) + bn(16) + bn(1568) + bn(128) + 128 * 10 + 10 + binary);
    expect(binary).toBe(205312);
    const n = 8000;
    const batch = 32;
    const { x, y } = mnistSubset(n);
    const opt = new ds.optim.Adam(net.parameters(), { lr: 2e-3 });
    // Two epochs; the second at a fifth of the rate (the binary weights settle). Measured: 96.2%.
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const g of opt.paramGroups) g.lr = epoch === 0 ? 2e-3 : 4e-4;
      for (let b = 0; b < n; b += batch) {
        ds.tidy(() => {
          const loss = net.loss(net.call(x.slice(0, b, b + batch)), y.slice(0, b, b + batch));
          opt.zeroGrad();
          loss.backward();
          opt.step();
        });
      }
      await x.data(); // let the stream drain between epochs
    }
    net.eval();
    const { test } = ds.data.mnist();
    const [tx, ty] = (test as ds.data.TensorDataset).tensors;
    const predict = () => ds.noGrad(() => ds.tidy(() => net.predict(net.call(tx))));
    const p0 = predict();
    const acc = ds.tidy(() => p0.eq(ty).mean().itemSync());
    expect(acc).toBeGreaterThanOrEqual(0.95);
    net.pack();
    expect([...predict().dataSync()]).toEqual([...p0.dataSync()]);
    ds.dispose([x, y, p0]);
    net.dispose();
  }, 300000);
});
