/**
 * The device check, outside jest (the device machine has no dev dependencies): CUDA facts, the runtime
 * plumbing (copies, fill, memory figures, out of memory), then every backend case whose ops all have CUDA
 * kernels, against the CPU, and a table of the results. Compiled by `scripts/gpu-check.sh prepare`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ds from '../../src';
import { BackendCase } from '../backend/case';
import { normError } from '../helpers';
import { Nd } from '../reference/nd';

const rows: string[] = [];
const say = (s: string) => {
  console.log(s);
  rows.push(s);
};

function check(name: string, f: () => void): boolean {
  try {
    f();
    say(`ok    ${name}`);
    return true;
  } catch (e) {
    say(`FAIL  ${name}: ${(e as Error).message.split('\n')[0]}`);
    return false;
  }
}

function assert(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

function main(): number {
  const info = ds.cuda.info();
  const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;
  say(`deepscope ${version}; cpu ${JSON.stringify(ds.cpuInfo())}`);
  say(`cuda ${JSON.stringify(info)}`);
  if (!info.available) return 1;
  let failed = 0;
  const cuda = ds.device('cuda');
  failed += +!check('round trip cpu → cuda → cpu', () => {
    const x = ds.arange(0, 1000).float();
    const back = x.to(cuda).to('cpu').dataSync();
    assert(back.every((v, i) => v === i), 'values differ');
  });
  failed += +!check('fill on the device (float32 and int32)', () => {
    const f = ds.full([1000, 1000], 2.5, { device: cuda }).dataSync();
    assert(f[0] === 2.5 && f[f.length - 1] === 2.5, 'fill');
    assert(ds.ones([7], { dtype: 'int32', device: cuda }).dataSync().every((v) => v === 1), 'int fill');
  });
  failed += +!check('memory figures and emptyCache', () => {
    ds.synchronize();
    const before = ds.memory().cuda.bytes;
    const t = ds.zeros([1 << 20], { device: cuda });
    assert(ds.memory().cuda.bytes - before === 4 << 20, 'bytes after allocation');
    t.dispose();
    ds.synchronize();
    assert(ds.memory().cuda.bytes === before, 'bytes after dispose');
    ds.emptyCache();
  });
  failed += +!check('out of memory is an error and later work succeeds', () => {
    let threw = false;
    try {
      ds.zeros([Math.ceil((2 * info.devices[0].totalMemory) / 4)], { device: cuda });
    } catch (e) {
      threw = /CUDA out of memory/.test((e as Error).message);
    }
    assert(threw, 'no out-of-memory error');
    assert(ds.ones([3], { device: cuda }).to('cpu').dataSync().every((v) => v === 1), 'later work');
  });

  const caseDir = path.join(__dirname, '..', 'backend', 'cases');
  const cudaOps = new Set(ds.opTable().filter((r) => r.cuda).map((r) => r.name));
  say(`${cudaOps.size} of ${ds.opTable().length} ops have CUDA kernels`);
  // Per op: the largest normalised error of the cases that exercise it, and whether they all passed.
  const perOp = new Map<string, { err: number; tol: number; cases: number; failed: number; skipped: number }>();
  const note = (ops: string[], err: number, tol: number, outcome: 'pass' | 'fail' | 'skip') => {
    for (const op of ops) {
      const r = perOp.get(op) ?? { err: 0, tol: 0, cases: 0, failed: 0, skipped: 0 };
      r.cases++;
      if (outcome === 'skip') r.skipped++;
      else {
        if (outcome === 'fail') r.failed++;
        if (!(err <= r.err)) r.err = err; // NaN and Infinity stick
        r.tol = Math.max(r.tol, tol);
      }
      perOp.set(op, r);
    }
  };
  let skipped = 0;
  for (const f of fs.readdirSync(caseDir).filter((n) => n.endsWith('.js'))) {
    const cases = (require(path.join(caseDir, f)) as { cases: BackendCase[] }).cases;
    cases.forEach((c, i) => {
      const label = `${f.replace(/\.js$/, '')}[${i}] ${c.ops.join(', ')}`;
      const missing = c.ops.filter((op) => !cudaOps.has(op));
      if (missing.length) {
        skipped++;
        note(c.ops, 0, c.tol, 'skip');
        return;
      }
      let worst = 0;
      const t0 = Date.now();
      try {
        ds.tidy(() => {
          const ref = c.run(ds.CPU);
          const got = c.run(cuda);
          assert(got.length === ref.length, `${got.length} outputs, the CPU gives ${ref.length}`);
          got.forEach((g, k) => {
            assert(g.device === cuda, `output ${k} is on ${g.device}`);
            assert(g.shape.join() === ref[k].shape.join(), `output ${k}: shape [${g.shape}] != [${ref[k].shape}]`);
            const err = normError(g.to('cpu').dataSync(), Nd.from(ref[k].dataSync(), [...ref[k].shape]));
            if (!(err <= worst)) worst = err;
          });
        });
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        // An op outside the case's list without a CUDA kernel (a backward helper, say): not this case's fault.
        const absent = /^(\w+): not implemented on cuda/.exec(msg);
        if (absent) {
          skipped++;
          note(c.ops, 0, c.tol, 'skip');
          say(`SKIP  ${label}: needs ${absent[1]}, which has no CUDA kernel yet`);
          return;
        }
        failed++;
        note(c.ops, Infinity, c.tol, 'fail');
        say(`FAIL  ${label}: ${msg}`);
        return;
      }
      const pass = worst <= c.tol;
      if (!pass) failed++;
      note(c.ops, worst, c.tol, pass ? 'pass' : 'fail');
      say(`${pass ? 'PASS' : 'FAIL'}  ${label}: max error ${worst.toExponential(2)} (tol ${c.tol}), ${Date.now() - t0} ms`);
    });
  }
  say('');
  say('op                                         cases  max error   tol      result');
  for (const [op, r] of [...perOp].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (!cudaOps.has(op)) continue;
    const result = r.failed ? 'FAIL' : r.skipped === r.cases ? 'SKIP' : 'PASS';
    const tol = r.tol ? r.tol.toExponential(0) : '0';
    say(`${op.padEnd(42)} ${String(r.cases).padStart(5)}  ${r.err.toExponential(2).padEnd(10)}  ${tol.padEnd(7)}  ${result}`);
  }
  const untested = [...cudaOps].filter((op) => !perOp.has(op));
  if (untested.length) say(`CUDA ops no case covers: ${untested.join(', ')}`);
  say(`${skipped} backend cases skipped (an op without a CUDA kernel); ${failed} failures`);
  const out = process.env.OUT;
  if (out) fs.writeFileSync(path.join(out, 'gpu-check.txt'), rows.join('\n') + '\n');
  return failed ? 1 : 0;
}

process.exitCode = main();
