/** Backend cases of the fused recurrent op: LSTM stacked and bidirectional with lengths, GRU, ReLU RNN. */
import * as ds from '../../../src';
import { BackendCase, input, withGrads } from '../case';

function rnnCase(mode: ds.RnnMode, gates: number, o: { L: number; bidirectional: boolean; lengths?: number[] }, seed: number): BackendCase {
  return {
    ops: ['rnn_forward', 'rnn_backward'],
    run: (dev) => {
      const [T, B, I, H] = [5, 3, 4, 6];
      const D = o.bidirectional ? 2 : 1;
      const x = input([T, B, I], dev, seed);
      const h0 = input([o.L * D, B, H], dev, seed + 1);
      const w: ds.Tensor[] = [];
      for (let l = 0; l < o.L; l++) {
        for (let d = 0; d < D; d++) {
          const s = seed + 10 * (l * D + d + 1);
          w.push(input([gates * H, l ? D * H : I], dev, s, true, -0.5, 0.5), input([gates * H, H], dev, s + 1, true, -0.5, 0.5));
          w.push(input([gates * H], dev, s + 2, true, -0.5, 0.5), input([gates * H], dev, s + 3, true, -0.5, 0.5));
        }
      }
      const c0 = mode === 'lstm' ? input([o.L * D, B, H], dev, seed + 2) : null;
      return withGrads([x, h0, ...(c0 ? [c0] : []), ...w], () => {
        const r = ds.rnn(x, w, h0, c0, { mode, numLayers: o.L, bidirectional: o.bidirectional, lengths: o.lengths });
        return ds.cat([r.output.reshape([-1]), r.h.reshape([-1]), ...(r.c ? [r.c.reshape([-1])] : [])]);
      });
    },
    tol: 1e-5,
  };
}

export const cases: BackendCase[] = [
  rnnCase('lstm', 4, { L: 2, bidirectional: true, lengths: [5, 2, 4] }, 300),
  rnnCase('gru', 3, { L: 1, bidirectional: false }, 400),
  rnnCase('rnn_relu', 1, { L: 2, bidirectional: true }, 500),
];
