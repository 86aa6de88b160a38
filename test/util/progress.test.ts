/**
 * ProgressBar: the line format, in-place redraws on a (fake) terminal with throttling, one line per 10%
 * elsewhere, and the ETA arithmetic, on a fake clock.
 */
import * as ds from '../../src';

const { ProgressBar, formatDuration } = ds;

function fakeStream(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns, write: (s: string) => chunks.push(s) } };
}

function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('ProgressBar', () => {
  test('the line: label, bar, count, ETA and metrics', () => {
    const c = clock();
    const { stream } = fakeStream(false);
    const bar = new ProgressBar({ total: 100, label: 'epoch 1/3', stream, width: 10, now: c.now });
    expect(bar.render()).toBe('epoch 1/3 [..........] 0/100 ETA --:--');
    c.t += 5040; // 5.04 s for 42 units: 0.12 s each, 58 left -> 6.96 s
    bar.tick(42, { loss: 0.23149, acc: 0.94 });
    expect(bar.eta()).toBeCloseTo(6.96, 6);
    expect(bar.render()).toBe('epoch 1/3 [####......] 42/100 ETA 0:07 loss 0.231 acc 0.94');
    bar.tick(0, { loss: 0.1 }); // metrics are replaced, order kept
    expect(bar.render()).toBe('epoch 1/3 [####......] 42/100 ETA 0:07 loss 0.1 acc 0.94');
    const plain = new ProgressBar({ total: 3, stream, now: c.now });
    plain.tick(1, { step: 'warmup', n: 1234.5, big: 12.3456, small: 0.00012345 });
    expect(plain.render()).toBe('[######..............] 1/3 ETA 0:00 step warmup n 1235 big 12.3 small 0.000123');
  });

  test('ETA arithmetic and durations', () => {
    const c = clock(0);
    const bar = new ProgressBar({ total: 1000, stream: fakeStream(false).stream, now: c.now });
    expect(bar.eta()).toBeNull();
    c.t = 30_000;
    bar.tick(100);
    expect(bar.elapsed()).toBe(30);
    expect(bar.eta()).toBe(270); // 0.3 s per unit, 900 left
    expect(bar.render()).toContain('ETA 4:30');
    c.t = 60_000;
    bar.update(400);
    expect(bar.eta()).toBe(90);
    expect([0, 9.6, 59.5, 61, 600, 3599, 3600, 3725, 36000].map(formatDuration)).toEqual([
      '0:00', '0:10', '1:00', '1:01', '10:00', '59:59', '1:00:00', '1:02:05', '10:00:00',
    ]);
    expect(formatDuration(NaN)).toBe('--:--');
  });

  test('on a terminal: redrawn in place with \\r, at most every 100 ms, done ends the line', () => {
    const c = clock();
    const { chunks, stream } = fakeStream(true, 200);
    const bar = new ProgressBar({ total: 50, label: 'train', stream, now: c.now });
    for (let i = 0; i < 50; i++) {
      c.t += 10; // 10 ms per tick: 500 ms in all
      bar.tick(1, { loss: 1 / (i + 1) });
    }
    // Drawn at the first tick, then every 100 ms (every 10 ticks), and at 100%.
    expect(chunks.length).toBe(6);
    for (const ch of chunks) {
      expect(ch.startsWith('\r')).toBe(true);
      expect(ch.endsWith('\x1b[K')).toBe(true); // clears the rest of the old line
      expect(ch).not.toContain('\n');
    }
    expect(chunks[0]).toBe('\rtrain [....................] 1/50 ETA 0:00 loss 1\x1b[K');
    expect(chunks[5]).toBe('\rtrain [####################] 50/50 took 0:01 loss 0.02\x1b[K');
    bar.done();
    expect(chunks.length).toBe(7);
    expect(chunks[6]).toBe('\rtrain [####################] 50/50 took 0:01 loss 0.02\x1b[K\n');
    bar.done();
    bar.tick(1);
    expect(chunks.length).toBe(7); // finished: nothing more
    expect(bar.isDone).toBe(true);
  });

  test('on a terminal: lines are cut to the width', () => {
    const { chunks, stream } = fakeStream(true, 30);
    const bar = new ProgressBar({ total: 10, label: 'a long label', stream });
    bar.tick(1, { loss: 0.5 });
    expect(chunks[0]).toBe('\r' + 'a long label [##..................] 1/10'.slice(0, 29) + '\x1b[K');
  });

  test('not a terminal: one plain line per 10%, and the final line once', () => {
    const c = clock();
    const { chunks, stream } = fakeStream(false);
    const bar = new ProgressBar({ total: 200, label: 'eval', stream, width: 10, now: c.now });
    for (let i = 0; i < 200; i++) {
      c.t += 100;
      bar.tick(1);
    }
    expect(chunks.length).toBe(10);
    expect(chunks.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('\x1b'))).toBe(true);
    expect(chunks[0]).toBe('eval [#.........] 20/200 ETA 0:18\n');
    expect(chunks[4]).toBe('eval [#####.....] 100/200 ETA 0:10\n');
    expect(chunks[9]).toBe('eval [##########] 200/200 took 0:20\n');
    bar.done(); // the same line: not repeated
    expect(chunks.length).toBe(10);
    // done with new metrics prints once more; done before the end prints where it stopped.
    const other = fakeStream(false);
    const b2 = new ProgressBar({ total: 10, stream: other.stream, width: 10, now: c.now });
    b2.tick(10);
    b2.done({ acc: 0.975 });
    expect(other.chunks).toEqual(['[##########] 10/10 took 0:00\n', '[##########] 10/10 took 0:00 acc 0.975\n']);
    const early = fakeStream(false);
    const b3 = new ProgressBar({ total: 10, stream: early.stream, width: 10, now: c.now });
    b3.tick(3);
    b3.done();
    expect(early.chunks).toEqual(['[###.......] 3/10 ETA 0:00\n', '[###.......] 3/10 took 0:00\n']);
  });

  test('a big jump prints one line; total 0 is complete at once; bad arguments', () => {
    const { chunks, stream } = fakeStream(false);
    const bar = new ProgressBar({ total: 100, stream, width: 4 });
    bar.tick(55);
    expect(chunks).toEqual(['[##..] 55/100 ETA 0:00\n']);
    const zero = fakeStream(false);
    const z = new ProgressBar({ total: 0, stream: zero.stream, width: 4 });
    z.done();
    expect(zero.chunks).toEqual(['[####] 0/0 took 0:00\n']);
    expect(() => new ProgressBar({ total: -1, stream })).toThrow(RangeError);
    expect(() => new ProgressBar({ total: 1.5, stream })).toThrow(RangeError);
    expect(() => bar.tick(-1)).toThrow(RangeError);
    expect(() => new ProgressBar({ total: 1, stream: {} as never })).toThrow(TypeError);
  });

  test('defaults to process.stderr and its TTY flag', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const bar = new ProgressBar({ total: 2 });
      bar.tick(2);
      bar.done();
      expect(write).toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });
});
