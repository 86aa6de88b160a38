/**
 * Child process of large-file.test.ts. `write FILE MB COUNT` makes COUNT float32 tensors totalling MB
 * megabytes and writes them; `read FILE` reads the file back and checks the values. Each run is a fresh
 * process, so getrusage's maxRSS (a high-water mark) measures the peak of that one operation; the
 * report is the peak RSS above the RSS just before the operation started.
 */
import * as ds from '../../src';

async function main(): Promise<void> {
  const [mode, file, mbArg, countArg] = process.argv.slice(2);
  const peak = () => process.resourceUsage().maxRSS * 1024;
  if (mode === 'write') {
    const mb = Number(mbArg);
    const count = Number(countArg);
    const per = Math.floor((mb * 1024 * 1024) / 4 / count);
    const dict = new Map<string, ds.Tensor>();
    for (let i = 0; i < count; i++) dict.set(`layer${i}.weight`, ds.full([per], i + 0.5));
    ds.synchronize();
    const rss0 = process.memoryUsage().rss;
    // The high-water mark may already be above the current RSS (start-up, the fills): measure above both.
    const peak0 = peak();
    const t = Date.now();
    await ds.io.writeSafetensors(file, dict);
    const ms = Date.now() - t;
    out({ bytes: per * 4 * count, ms, peakGrowth: peak() - Math.max(rss0, peak0), baseline: rss0 });
  } else {
    const rss0 = process.memoryUsage().rss;
    const peak0 = peak();
    const t = Date.now();
    const { tensors } = await ds.io.readSafetensors(file);
    ds.synchronize();
    const ms = Date.now() - t;
    const peakGrowth = peak() - Math.max(rss0, peak0);
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
