import * as ds from '../../../src';
import { BackendCase } from '../case';

export const cases: BackendCase[] = [
  {
    ops: ['fill', 'arange', 'eye'],
    tol: 0,
    run: (device) => [
      ds.full([3, 5], 2.5, { device }),
      ds.zeros([4], { dtype: 'int32', device }),
      ds.arange(0, 3, 0.5, { device }),
      ds.eye(3, 4, { device }),
    ],
  },
  {
    ops: ['cast'],
    tol: 0,
    run: (device) => [ds.tensor([1.5, -2.5, 3]).to(device).int(), ds.tensor([1, 2], undefined, { dtype: 'int32' }).to(device).float()],
  },
  {
    // Counter-based draws: every backend produces the same numbers from the same seed.
    ops: ['random_uniform', 'random_normal', 'random_bernoulli'],
    tol: 1e-6,
    run: (device) => [
      ds.rand([1001], { device, generator: new ds.Generator(1) }),
      ds.randn([1001], { device, generator: new ds.Generator(2) }),
      ds.bernoulli([1001], 0.3, { device, generator: new ds.Generator(3) }),
    ],
  },
  {
    // int32 ranges and identities, negative steps, and the casts' saturation (NaN -> 0, +-inf and
    // out-of-range values clamp), truncation toward zero and int32 -> float32 rounding.
    ops: ['arange', 'eye', 'cast'],
    tol: 0,
    run: (device) => [
      ds.arange(-7, 50, 3, { dtype: 'int32', device }),
      ds.arange(10, -5, -0.37, { device }),
      ds.eye(5, 3, { dtype: 'int32', device }),
      ds.tensor([NaN, Infinity, -Infinity, 3e9, -3e9, 2.5, -2.5, -0.5, 16777217]).to(device).int(),
      ds.tensor([2147483647, -2147483648, 16777217, -3], undefined, { dtype: 'int32' }).to(device).float(),
    ],
  },
  {
    // Long draws at an advanced generator offset, a seed above 2^32 (both key words), sizes that are not
    // multiples of 4 and an int32 mask.
    ops: ['random_uniform', 'random_normal', 'random_bernoulli'],
    tol: 1e-6,
    run: (device) => {
      const generator = new ds.Generator(2 ** 40 + 12345);
      ds.rand([13], { generator }).dispose(); // advances the offset by 4 counters
      return [
        ds.uniform([100003], -2, 3, { device, generator }),
        ds.normal([4099], 1, 2, { device, generator }),
        ds.bernoulli([2, 3, 5], 0.7, { dtype: 'int32', device, generator }),
      ];
    },
  },
];
