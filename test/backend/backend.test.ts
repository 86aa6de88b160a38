/**
 * The backend test (ggml's test-backend-ops): every case runs on the CPU and on each other available
 * backend, and the results are compared by normalised error. It also checks that the cases cover every
 * op in the native op table, so a new op cannot land untested on the other backends.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ds from '../../src';
import { BackendCase } from './case';
import { normError } from '../helpers';
import { Nd } from '../reference/nd';

const caseDir = path.join(__dirname, 'cases');
const families = fs
  .readdirSync(caseDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ family: f.replace(/\.ts$/, ''), cases: (require(path.join(caseDir, f)) as { cases: BackendCase[] }).cases }));
const all = families.flatMap((f) => f.cases.map((c, i) => ({ ...c, label: `${f.family}[${i}] ${c.ops.join(', ')}` })));

describe('op table coverage', () => {
  test('every native op has a backend case, and every case names real ops', () => {
    const table = new Set(ds.opTable().map((r) => r.name));
    const covered = new Set(all.flatMap((c) => c.ops));
    expect([...table].filter((op) => !covered.has(op))).toEqual([]);
    expect([...covered].filter((op) => !table.has(op))).toEqual([]);
  });

  test('every op has a CPU kernel', () => {
    expect(ds.opTable().filter((r) => !r.cpu).map((r) => r.name)).toEqual([]);
  });
});

describe('cases run on the CPU', () => {
  for (const c of all) {
    test(c.label, () => {
      ds.tidy(() => {
        const outs = c.run(ds.CPU);
        expect(outs.length).toBeGreaterThan(0);
        for (const o of outs) expect(o.device).toBe(ds.CPU);
      });
    });
  }
});

const cudaInfo = ds.cuda.info();
describe('CUDA against the CPU', () => {
  if (!cudaInfo.available) {
    test.skip(`skipped: CUDA unavailable (${cudaInfo.reason})`, () => undefined);
    return;
  }
  const cudaOps = new Set(ds.opTable().filter((r) => r.cuda).map((r) => r.name));
  const cuda = ds.device('cuda');
  for (const c of all) {
    const missing = c.ops.filter((op) => !cudaOps.has(op));
    if (missing.length) {
      test.skip(`${c.label}: no CUDA kernel yet for ${missing.join(', ')}`, () => undefined);
      continue;
    }
    test(c.label, () => {
      ds.tidy(() => {
        const ref = c.run(ds.CPU);
        const got = c.run(cuda);
        expect(got.length).toBe(ref.length);
        got.forEach((g, i) => {
          expect(g.device).toBe(cuda);
          expect([...g.shape]).toEqual([...ref[i].shape]);
          const err = normError(g.to('cpu').dataSync(), Nd.from(ref[i].dataSync(), [...ref[i].shape]));
          expect(err).toBeLessThanOrEqual(c.tol);
        });
      });
    });
  }
});
