/**
 * Learning-rate schedulers against PyTorch's closed forms (relative tolerance 1e-12: the chainable
 * recursive forms accumulate float64 rounding only), and state dict round trips.
 */
import * as ds from '../../src';

const { optim } = ds;

function makeOpt(lrs: number[] = [0.1]): ds.optim.SGD {
  return new optim.SGD(lrs.map((lr) => ({ params: [ds.keep(ds.zeros([1], { requiresGrad: true }))], lr })), { lr: lrs[0], momentum: 0.9 });
}

/** lr after construction (t = 0) and after each of `n` steps. */
function sequence(s: ds.optim.LRScheduler, n: number): number[][] {
  const out = [s.getLastLr()];
  for (let i = 0; i < n; i++) {
    s.step();
    out.push(s.getLastLr());
    expect(s.optimizer.paramGroups.map((g) => g.lr)).toEqual(s.getLastLr());
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][], rel = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) =>
    row.forEach((v, i) => {
      const e = expected[t][i];
      if (!(Math.abs(v - e) <= rel * Math.max(Math.abs(e), 1e-300))) throw new Error(`t=${t}, group ${i}: ${v} vs ${e}`);
    }),
  );
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('schedulers against closed forms', () => {
  test('StepLR: lr(t) = base · γ^⌊t/stepSize⌋', () => {
    const bases = [0.1, 0.5];
    const s = new optim.StepLR(makeOpt(bases), 3, { gamma: 0.5 });
    expectClose(sequence(s, 12), range(13).map((t) => bases.map((b) => b * 0.5 ** Math.floor(t / 3))));
  });

  test('MultiStepLR: lr(t) = base · γ^(#milestones ≤ t), repeated milestones count twice', () => {
    const ms = [2, 5, 5, 9];
    const s = new optim.MultiStepLR(makeOpt([1]), [9, 5, 2, 5], { gamma: 0.1 });
    expectClose(sequence(s, 12), range(13).map((t) => [0.1 ** ms.filter((m) => m <= t).length]));
  });

  test('CosineAnnealingLR: lr(t) = η_min + (base − η_min)(1 + cos(πt/T))/2, periodic past T', () => {
    const bases = [0.1, 0.02];
    const etaMin = 0.001;
    const T = 10;
    const s = new optim.CosineAnnealingLR(makeOpt(bases), T, { etaMin });
    expectClose(
      sequence(s, 35),
      range(36).map((t) => bases.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2)),
      1e-10,
    );
  });

  // PyTorch's OneCycleLR: phase ends e (two phases: pct·T − 1, T − 1; three: pct·T − 1, 2·pct·T − 2, T − 1),
  // p = (t − e_prev)/(e − e_prev), cos: b + (a − b)(1 + cos πp)/2, linear: a + (b − a)p.
  function oneCycle(t: number, o: { maxLr: number; T: number; pct: number; div: number; fdiv: number; three: boolean; linear: boolean }): number {
    const init = o.maxLr / o.div;
    const min = init / o.fdiv;
    const phases = o.three
      ? [
          [o.pct * o.T - 1, init, o.maxLr],
          [2 * o.pct * o.T - 2, o.maxLr, init],
          [o.T - 1, init, min],
        ]
      : [
          [o.pct * o.T - 1, init, o.maxLr],
          [o.T - 1, o.maxLr, min],
        ];
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, a, b] = phases[i];
      if (t <= end || i === phases.length - 1) {
        const p = (t - start) / (end - start);
        return o.linear ? a + (b - a) * p : b + ((a - b) / 2) * (1 + Math.cos(Math.PI * p));
      }
      start = end;
    }
    throw new Error('unreachable');
  }

  test.each([
    ['cos, two phases', { maxLr: 0.1, T: 20, pct: 0.3, div: 25, fdiv: 1e4, three: false, linear: false }],
    ['linear, two phases', { maxLr: 1, T: 17, pct: 0.25, div: 10, fdiv: 100, three: false, linear: true }],
    ['cos, three phases', { maxLr: 0.5, T: 30, pct: 0.3, div: 25, fdiv: 1e4, three: true, linear: false }],
    ['linear, three phases', { maxLr: 0.5, T: 12, pct: 0.4, div: 5, fdiv: 10, three: true, linear: true }],
  ])('OneCycleLR %s', (_, o) => {
    const opt = makeOpt([0.123]);
    const s = new optim.OneCycleLR(opt, {
      maxLr: o.maxLr,
      totalSteps: o.T,
      pctStart: o.pct,
      divFactor: o.div,
      finalDivFactor: o.fdiv,
      threePhase: o.three,
      annealStrategy: o.linear ? 'linear' : 'cos',
    });
    const seq = sequence(s, o.T - 1);
    expectClose(seq, range(o.T).map((t) => [oneCycle(t, o)]));
    expect(seq[0][0]).toBeCloseTo(o.maxLr / o.div, 15);
    expect(seq[o.T - 1][0]).toBeCloseTo(o.maxLr / o.div / o.fdiv, 12);
    s.step(); // step T is allowed (PyTorch checks t > totalSteps)
    expect(() => s.step()).toThrow(/OneCycleLR: tried to step 21 times|tried to step \d+ times; the cycle has totalSteps/);
  });

  test('OneCycleLR: epochs × stepsPerEpoch, per-group maxLr, momentum cycling', () => {
    const opt = makeOpt([0.1, 0.1]);
    const s = new optim.OneCycleLR(opt, { maxLr: [1, 2], epochs: 2, stepsPerEpoch: 5, cycleMomentum: true });
    expect(s.totalSteps).toBe(10);
    expectClose([s.getLastLr()], [[1 / 25, 2 / 25]]);
    expect(opt.paramGroups[0].momentum).toBeCloseTo(0.95, 15);
    for (let i = 0; i < 2; i++) s.step(); // t = 2 = pct·T − 1: the peak
    expect(s.getLastLr()).toEqual([1, 2]);
    expect(opt.paramGroups[0].momentum).toBeCloseTo(0.85, 15);
    const adam = new optim.Adam([ds.keep(ds.zeros([1], { requiresGrad: true }))]);
    new optim.OneCycleLR(adam, { maxLr: 0.01, totalSteps: 10, cycleMomentum: true });
    expect(adam.paramGroups[0].betas).toEqual([0.95, 0.999]);
  });

  test('schedulers chain: StepLR and MultiStepLR on one optimizer multiply', () => {
    const opt = makeOpt([1]);
    const a = new optim.StepLR(opt, 2, { gamma: 0.5 });
    const b = new optim.MultiStepLR(opt, [3], { gamma: 0.1 });
    const lrs: number[] = [];
    for (let t = 1; t <= 4; t++) {
      a.step();
      b.step();
      lrs.push(opt.paramGroups[0].lr);
    }
    expectClose([lrs], [[1, 0.5, 0.05, 0.025]]);
  });

  test('state dict round trip resumes the sequence', () => {
    const mk = (opt: ds.optim.SGD) => new optim.OneCycleLR(opt, { maxLr: 0.3, totalSteps: 15, threePhase: true });
    const o1 = makeOpt();
    const s1 = mk(o1);
    const straight = sequence(s1, 14);
    const o2 = makeOpt();
    const s2 = mk(o2);
    for (let i = 0; i < 6; i++) s2.step();
    const saved = JSON.parse(JSON.stringify({ sched: s2.stateDict(), lr: o2.paramGroups[0].lr }));
    const o3 = makeOpt();
    const s3 = mk(o3);
    s3.loadStateDict(saved.sched);
    o3.paramGroups[0].lr = saved.lr;
    expect(s3.lastEpoch).toBe(6);
    const rest: number[][] = [];
    for (let i = 0; i < 8; i++) {
      s3.step();
      rest.push(s3.getLastLr());
    }
    expect(rest).toEqual(straight.slice(7));

    const c1 = new optim.CosineAnnealingLR(makeOpt(), 7);
    for (let i = 0; i < 4; i++) c1.step();
    const c2 = new optim.CosineAnnealingLR(c1.optimizer, 7);
    c2.loadStateDict(c1.stateDict());
    c1.step();
    const expected = c1.getLastLr();
    c1.optimizer.paramGroups[0].lr = c2.getLastLr()[0];
    c2.step();
    expect(c2.getLastLr()).toEqual(expected);
    expect(() => c2.loadStateDict({ bogus: 1 })).toThrow(/CosineAnnealingLR.loadStateDict: unknown key 'bogus'/);
  });

  test('validation', () => {
    const opt = makeOpt();
    expect(() => new optim.StepLR(opt, 0)).toThrow(/StepLR: stepSize must be a positive integer, got 0/);
    expect(() => new optim.MultiStepLR(opt, [1, 2.5])).toThrow(/MultiStepLR: milestones\[1\] must be a positive integer, got 2.5/);
    expect(() => new optim.CosineAnnealingLR(opt, 10, { etaMin: -1 })).toThrow(/CosineAnnealingLR: etaMin must be a non-negative number, got -1/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: 1 })).toThrow(/OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 1.5 })).toThrow(/pctStart must be a number in \[0, 1\], got 1.5/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: [1, 2], totalSteps: 10 })).toThrow(/maxLr must be a number or an array of 1 numbers/);
    expect(() => new optim.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as never })).toThrow(/annealStrategy must be 'cos' or 'linear'/);
  });
});
