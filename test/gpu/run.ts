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
  let skipped = 0;
  for (const f of fs.readdirSync(caseDir).filter((n) => n.endsWith('.js'))) {
    const cases = (require(path.join(caseDir, f)) as { cases: BackendCase[] }).cases;
    cases.forEach((c, i) => {
      const label = `${f.replace(/\.js$/, '')}[${i}] ${c.ops.join(', ')}`;
      if (c.ops.some((op) => !cudaOps.has(op))) {
        skipped++;
        return;
      }
      failed += +!check(label, () =>
        ds.tidy(() => {
          const ref = c.run(ds.CPU);
          const got = c.run(cuda);
          got.forEach((g, k) => {
            const err = normError(g.to('cpu').dataSync(), Nd.from(ref[k].dataSync(), [...ref[k].shape]));
            assert(err <= c.tol, `output ${k}: normalised error ${err.toExponential(2)} > ${c.tol}`);
          });
        }),
      );
    });
  }
  say(`${skipped} backend cases skipped (an op without a CUDA kernel); ${failed} failures`);
  const out = process.env.OUT;
  if (out) fs.writeFileSync(path.join(out, 'gpu-check.txt'), rows.join('\n') + '\n');
  return failed ? 1 : 0;
}

process.exitCode = main();
