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
];
