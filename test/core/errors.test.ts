/**
 * Bad input gets a TypeError or RangeError naming the op, the argument and the shapes, before anything is
 * queued; nothing crashes the process.
 */
import * as ds from '../../src';

describe('argument errors', () => {
  const x = ds.zeros([2, 3]);

  test('non-tensor arguments are TypeErrors naming op and argument', () => {
    expect(() => ds.add('a' as unknown as ds.Tensor, x)).toThrow(/add: argument 'input' must be a Tensor, got string/);
    expect(() => ds.relu(null as unknown as ds.Tensor)).toThrow(/relu: argument 'input' must be a Tensor, got null/);
    expect(() => ds.sum([1, 2] as unknown as ds.Tensor)).toThrow(/sum: argument 'input' must be a Tensor, got an array/);
    expect(() => ds.where(x, 1, {} as unknown as ds.Tensor)).toThrow(TypeError);
    expect(() => ds.add(1, 2)).toThrow(/add: at least one argument must be a Tensor/);
  });

  test('shape mismatches are RangeErrors naming both shapes', () => {
    expect(() => x.add(ds.zeros([4]))).toThrow(RangeError);
    expect(() => x.add(ds.zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast together/);
    expect(() => ds.where(ds.zeros([5]), x, 0)).toThrow(/where: shapes \[5\] and \[2, 3\]/);
  });

  test('wrong dtypes are TypeErrors with a hint', () => {
    const i = ds.zeros([2], { dtype: 'int32' });
    expect(() => i.exp()).toThrow(/exp: argument 'input' must be float32, got int32 \(shape \[2\]\); convert with \.float\(\)/);
  });

  test('out-of-range axes and bad option values are RangeErrors', () => {
    expect(() => x.sum(-3)).toThrow(RangeError);
    expect(() => ds.leakyRelu(x, NaN)).toThrow(TypeError);
    expect(() => ds.hardtanh(x, 1, 0)).toThrow(/hardtanh: 'maxVal' must be >= 1/);
    expect(() => ds.clamp(x)).toThrow(/clamp: give at least one of min and max/);
  });

  test('devices that are not there are clear errors', () => {
    if (ds.cuda.available()) return;
    expect(() => ds.zeros([2], { device: 'cuda' })).toThrow(/CUDA is not available|not available in this build|no allocator/);
    expect(ds.cuda.info().reason.length).toBeGreaterThan(0);
  });

  test('tidy and keep validate their arguments', () => {
    expect(() => ds.tidy(3 as unknown as () => void)).toThrow(TypeError);
    expect(() => ds.keep({} as unknown as ds.Tensor)).toThrow(TypeError);
  });

  test('setNumThreads validates', () => {
    expect(() => ds.setNumThreads(0)).toThrow(/setNumThreads: n must be in 1\.\.1024, got 0/);
    expect(() => ds.setNumThreads(1.5)).toThrow(TypeError);
  });
});
