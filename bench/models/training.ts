/**
 * One training step on the CPU (forward, cross-entropy, backward, SGD with momentum): ResNet-18 at
 * 112×112 and the modern LeNet-5 at 32×32, batch 32, against PyTorch's CPU step on the same architecture
 * (torchvision's resnet18, an nn.Sequential LeNet with the same layers) with the same thread count, in
 * the same run. PyTorch is optional: the first `python3` on the PATH, or /usr/bin/python3 (Debian's
 * python3-torch), that imports torch; without one the table says so.
 * Usage: npx ts-node --transpile-only bench/models/training.ts [--threads N] [--model resnet18|lenet5] [--batch N]
 */
import { spawnSync } from 'child_process';
import * as ds from '../../src';
import { fmt, option, printTable, timeAdaptive } from '../common';

const models: [string, () => ds.nn.Module, number, number][] = [
  ['lenet5', () => ds.models.lenet5({ modern: true }), 1, 32],
  ['resnet18', () => ds.models.resnet18(), 3, 112],
];

const torchScript = `
import sys, time, torch, torch.nn as nn
name, batch, threads, channels, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
if name == 'resnet18':
    import torchvision
    model = torchvision.models.resnet18()
else:
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(batch, channels, size, size)
y = torch.randint(0, 10, (batch,))
def step():
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
for _ in range(2): step()
first = time.perf_counter(); step(); first = time.perf_counter() - first
runs = max(3, min(20, int(3.0 / max(first, 1e-4))))
times = []
for _ in range(runs):
    t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
times.sort()
print(times[len(times) // 2] * 1000)
`;

/** PyTorch's median step in ms, or why there is none. */
function torchStep(name: string, batch: number, threads: number, channels: number, size: number): number | string {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const r = spawnSync(python, ['-c', torchScript, name, String(batch), String(threads), String(channels), String(size)], { encoding: 'utf8' });
    if (r.status !== 0) return `failed: ${r.stderr.trim().split('\n').pop()}`;
    return Number(r.stdout.trim());
  }
  return 'no PyTorch (python3-torch) on this machine';
}

async function main(): Promise<void> {
  const threads = Number(option('threads', String(ds.getNumThreads())));
  const batch = Number(option('batch', '32'));
  const only = option('model');
  ds.setNumThreads(threads);
  const rows: (string | number)[][] = [];
  for (const [name, make, channels, size] of models) {
    if (only && !name.includes(only)) continue;
    const model = make().train();
    const opt = new ds.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = ds.randn([batch, channels, size, size]);
    const y = ds.tensor(Int32Array.from({ length: batch }, (_, i) => i % 10), [batch], { dtype: 'int32' });
    const ours = await timeAdaptive(() => {
      ds.tidy(() => {
        opt.zeroGrad();
        ds.crossEntropy(model.call(x), y).backward();
        opt.step();
      });
      ds.synchronize();
    }, 3000, 20);
    const theirs = torchStep(name, batch, threads, channels, size);
    rows.push([`${name} ${size}×${size}`, batch, threads, fmt(ours, 1), typeof theirs === 'number' ? fmt(theirs, 1) : theirs, typeof theirs === 'number' ? fmt(ours / theirs) : '-']);
    ds.dispose([x, y]);
    model.dispose();
  }
  printTable(
    `Training step (forward, cross-entropy, backward, SGD momentum), ${threads} thread(s), ISA ${ds.cpuInfo().active} (ms: median; ratio = ours / PyTorch, < 1 is faster)`,
    ['model', 'batch', 'thr', 'ours ms', 'PyTorch ms', 'ratio'],
    rows,
  );
}

void main();
