import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

describe('input upsampling stage', () => {
  test('wraps any model: same parameters under model., output = model(interpolate(x))', () => {
    const inner = models.simpnet({ widths: Array(13).fill(4), inChannels: 1 });
    const net = models.withInputUpsampling(inner, { scaleFactor: 2 });
    expect(net.numParameters()).toBe(inner.numParameters());
    expect([...net.stateDict().keys()][0]).toBe('model.features.0.weight');
    net.eval();
    const x = ds.randn([2, 1, 7, 7]);
    const got = ds.noGrad(() => net.call(x));
    const want = ds.noGrad(() => inner.call(ds.interpolate(x, { scaleFactor: 2, mode: 'bilinear' })));
    expect(got.shape).toEqual([2, 10]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    // The upsampled size reaches the model: a hook on its first layer sees 14×14.
    let seen: readonly number[] = [];
    const h = inner.features.children()[0].registerForwardHook((_m, inputs) => {
      seen = (inputs[0] as ds.Tensor).shape;
    });
    ds.noGrad(() => net.call(x));
    h.remove();
    expect(seen).toEqual([2, 1, 14, 14]);
    const sized = models.withInputUpsampling(models.vanillaCNN({ depth: 2, width: 4 }), { size: [9, 11], mode: 'nearest' });
    seen = [];
    const h2 = (sized.model.convs.children()[0]).registerForwardHook((_m, inputs) => {
      seen = (inputs[0] as ds.Tensor).shape;
    });
    ds.noGrad(() => sized.call(ds.randn([1, 1, 3, 3])));
    h2.remove();
    expect(seen).toEqual([1, 1, 9, 11]);
    expect(sized.predict(ds.randn([3, 10])).shape).toEqual([3]);
    net.dispose();
    sized.dispose();
  });

  test('forward and backward reach the input through the interpolation', () => {
    const net = models.withInputUpsampling(models.vanillaCNN({ depth: 3, width: 4 }), { scaleFactor: 3 });
    const x = ds.randn([2, 1, 4, 4], { requiresGrad: true });
    const out = net.call(x);
    ds.tidy(() => net.loss(out, ds.tensor([2, 5], undefined, { dtype: 'int32' })).backward());
    expect(x.grad!.shape).toEqual([2, 1, 4, 4]);
    expect(Array.from(x.grad!.dataSync() as Float32Array).some((v) => v !== 0)).toBe(true);
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.dispose();
  });

  test('a slim SimpNet on 7×7 digits upsampled ×2 trains on MNIST: the loss falls', async () => {
    ds.manualSeed(0);
    const data = mnistSubset(256, (x) => ds.avgPool2d(x, { kernelSize: 4 }));
    expect(data.x.shape).toEqual([256, 1, 7, 7]);
    const net = models.withInputUpsampling(
      models.simpnet({ widths: [16, 16, 16, 16, 24, 24, 24, 24, 24, 32, 32, 32, 32], inChannels: 1, dropout: [0.05, 0.05] }),
      { scaleFactor: 2 },
    );
    const losses = await shortRun(net, data, { epochs: 4, batch: 32, lr: 3e-3 });
    expect(mean(losses.slice(-6))).toBeLessThan(0.7 * mean(losses.slice(0, 6)));
    net.dispose();
    ds.dispose([data.x, data.y]);
  });
});
