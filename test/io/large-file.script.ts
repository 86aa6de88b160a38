/**
 * Child process of large-file.test.ts. `write FILE MB COUNT` makes COUNT float32 tensors totalling MB
 * megabytes, the first holding half of them (as fc6 holds most of VGG's weights), and writes them;
 * `read FILE` reads the file back and checks the values. The report is the peak RSS during the
 * operation above the RSS just before it: Linux's high-water mark (VmHWM) is reset to the current RSS
 * first (`5` written to /proc/self/clear_refs), so start-up peaks do not hide the operation's.
 */
import * as fs from 'fs';
import * as ds from '../../src';

function status(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/self/status`);
  return Number(m[1]) * 1024;
}

/** Resets the high-water mark; returns the RSS it starts from. */
function startMeasuring(): number {
  fs.writeFileSync('/proc/self/clear_refs', '5');
  return status('VmRSS');
}

async function main(): Promise<void> {
  const [mode, file, mbArg, countArg] = process.argv.slice(2);
  if (mode === 'write') {
    const mb = Number(mbArg);
    const count = Number(countArg);
    const half = Math.floor((mb * 1024 * 1024) / 8);
    const sizes = [half, ...new Array<number>(count - 1).fill(Math.floor(half / (count - 1)))];
    const dict = new Map<string, ds.Tensor>();
    sizes.forEach((n, i) => dict.set(`layer${i}.weight`, ds.full([n], i + 0.5)));
    ds.synchronize();
    const rss0 = startMeasuring();
    const t = Date.now();
    await ds.io.writeSafetensors(file, dict);
    const ms = Date.now() - t;
    out({ bytes: sizes.reduce((a, n) => a + 4 * n, 0), ms, peakGrowth: status('VmHWM') - rss0 });
  } else {
    const rss0 = startMeasuring();
    const t = Date.now();
    const { tensors } = await ds.io.readSafetensors(file);
    ds.synchronize();
    const ms = Date.now() - t;
    const peakGrowth = status('VmHWM') - rss0;
    let ok = true;
    let bytes = 0;
    for (const [name, x] of tensors) {
      const i = Number(/\d+/.exec(name)![0]);
      const d = x.dataSync();
      bytes += d.byteLength;
      ok = ok && d[0] === i + 0.5 && d[d.length - 1] === i + 0.5 && d[d.length >> 1] === i + 0.5;
    }
    out({ bytes, ms, peakGrowth, ok, count: tensors.size });
  }
}

function out(x: object): void {
  process.stdout.write(JSON.stringify(x) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack) + '\n');
  process.exit(1);
});
