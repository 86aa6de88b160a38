import * as ds from '../../src';
import { permute as permuteRef } from '../reference/reduce';
import { Nd, broadcastGet } from '../reference/nd';
import { expectClose, gradcheck, randNd, rng, toTensor } from '../helpers';

// Data movement is exact: forward tolerance 0. Backward of expand sums float32 values: 1e-6.
describe('layout', () => {
  test('permute: every permutation of a 4-D tensor, forward and backward', () => {
    const r = rng(1);
    const perms = [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 3, 2], [2, 3, 0, 1]];
    for (const p of perms) {
      gradcheck({ f: (x) => ds.permute(x, p), ref: (x) => permuteRef(x, p), inputs: [randNd(r, [2, 3, 1, 5])], fwdTol: 0, bwdTol: 1e-6 });
    }
  });

  test('transpose and t()', () => {
    const x = randNd(rng(2), [3, 4, 5]);
    expectClose(ds.transpose(toTensor(x), 0, 2), permuteRef(x, [2, 1, 0]), 0);
    expectClose(toTensor(randNd(rng(3), [3, 4])).t(), permuteRef(randNd(rng(3), [3, 4]), [1, 0]), 0);
  });

  test('expand broadcasts and its gradient sums back', () => {
    const r = rng(4);
    const target = [3, 4, 5];
    for (const shape of [[4, 1], [1], [3, 1, 5], [5]]) {
      gradcheck({
        f: (x) => ds.expand(x, target),
        ref: (x) => {
          const out = Nd.zeros(target);
          for (let i = 0; i < out.size; i++) out.data[i] = broadcastGet(x, out.unravel(i));
          return out;
        },
        inputs: [randNd(r, shape)],
        fwdTol: 0,
        bwdTol: 1e-6,
      });
    }
    expect(() => ds.expand(ds.zeros([3]), [4])).toThrow(/expand: cannot expand shape \[3\] to \[4\]/);
  });

  test('reshape, view, flatten, squeeze and unsqueeze are views of one storage', () => {
    const x = ds.arange(24).float();
    const y = x.reshape([2, -1, 4]);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(ds.memory().cpu.storages).toBeGreaterThan(0);
    const before = ds.memory().cpu.bytes;
    const z = y.flatten(1).unsqueeze(0).squeeze(0).view([24]);
    expect(ds.memory().cpu.bytes).toBe(before);
    expect([...z.dataSync()]).toEqual([...x.dataSync()]);
    expect(ds.flatten(ds.zeros([2, 3, 4, 5]), 1, 2).shape).toEqual([2, 12, 5]);
    expect(ds.squeeze(ds.zeros([1, 3, 1])).shape).toEqual([3]);
    expect(ds.squeeze(ds.zeros([1, 3, 1]), 2).shape).toEqual([1, 3]);
    expect(ds.unsqueeze(ds.zeros([3]), -1).shape).toEqual([3, 1]);
  });

  test('gradients flow through views', () => {
    gradcheck({
      f: (x) => x.reshape([6, 2]).flatten().unsqueeze(1).mul(x.reshape([12, 1])),
      ref: (x) => x.map((v) => v * v).reshape([12, 1]),
      inputs: [randNd(rng(5), [3, 4])],
      fwdTol: 1e-7,
      bwdTol: 1e-6,
    });
  });

  test('shape errors name the op and the shapes', () => {
    const x = ds.zeros([2, 3]);
    expect(() => x.reshape([4, 2])).toThrow(/reshape: cannot reshape a tensor of shape \[2, 3\] \(6 elements\) into \[4, 2\]/);
    expect(() => x.reshape([-1, -1])).toThrow(RangeError);
    expect(() => x.permute([0])).toThrow(/permute: 'dims' must list all 2 axes/);
    expect(() => x.permute([0, 0])).toThrow(/repeats an axis/);
    expect(() => x.t().t().transpose(0, 2)).toThrow(/transpose: 'dim1' 2 is out of range/);
    expect(() => ds.zeros([1, 1, 1, 1, 1, 1]).unsqueeze(0)).toThrow(/maximum rank 6/);
    expect(() => ds.zeros([2, 3, 4]).t()).toThrow(/t: expects a 2-D tensor/);
  });
});
