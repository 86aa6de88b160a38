/**
 * `deepscope info`: version, build, CPU and CUDA facts, the op count.
 * @module
 */
import { Command } from 'commander';
import { cpuInfo, cuda, opTable } from '../backend';
import { packageVersion } from './common';

/** The shape `deepscope info --json` prints. */
export interface InfoJson {
  version: string;
  node: string;
  platform: string;
  cpu: { isa: string; detectedIsa: string; threads: number };
  cuda: {
    built: boolean;
    available: boolean;
    reason: string;
    devices: { index: number; name: string; computeCapability: string; totalMemory: number; multiprocessors: number }[];
    driverVersion: string | null;
    runtimeVersion: string | null;
    ops: number;
  };
  ops: number;
}

/** CUDA's integer version (12040) as text ('12.4'); null for 0 (unknown). */
export function cudaVersion(v: number): string | null {
  if (!v) return null;
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** Gathers the facts. */
export function collectInfo(): InfoJson {
  const cpu = cpuInfo();
  const c = cuda.info();
  const table = opTable();
  return {
    version: packageVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: { isa: cpu.active, detectedIsa: cpu.detected, threads: cpu.threads },
    cuda: {
      built: c.built,
      available: c.available,
      reason: c.reason,
      devices: c.devices.map((d, index) => ({ index, name: d.name, computeCapability: d.computeCapability, totalMemory: d.totalMemory, multiprocessors: d.multiprocessors })),
      driverVersion: cudaVersion(c.driverVersion),
      runtimeVersion: cudaVersion(c.runtimeVersion),
      ops: table.filter((r) => r.cuda).length,
    },
    ops: table.length,
  };
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** The human-readable report. */
export function formatInfo(i: InfoJson): string {
  const lines = [
    `deepscope ${i.version} (Node ${i.node}, ${i.platform})`,
    `build:   CPU${i.cuda.built ? ' + CUDA' : ' only (CUDA not built)'}`,
    `cpu:     ${i.cpu.isa} kernels (detected ${i.cpu.detectedIsa}${i.cpu.isa !== i.cpu.detectedIsa ? ', lowered by DEEPSCOPE_ISA' : ''}), ${i.cpu.threads} thread${i.cpu.threads === 1 ? '' : 's'}`,
  ];
  if (i.cuda.available) {
    lines.push(`cuda:    available, driver ${i.cuda.driverVersion ?? '?'}, runtime ${i.cuda.runtimeVersion ?? '?'}`);
    for (const d of i.cuda.devices) {
      lines.push(`  cuda:${d.index}  ${d.name}, compute capability ${d.computeCapability}, ${gib(d.totalMemory)}, ${d.multiprocessors} SMs`);
    }
  } else {
    const versions = [i.cuda.driverVersion && `driver ${i.cuda.driverVersion}`, i.cuda.runtimeVersion && `runtime ${i.cuda.runtimeVersion}`].filter(Boolean);
    lines.push(`cuda:    not available${i.cuda.reason ? ` (${i.cuda.reason})` : ''}${versions.length ? `; ${versions.join(', ')}` : ''}`);
  }
  lines.push(`ops:     ${i.ops} native ops (${i.ops} on CPU, ${i.cuda.ops} with CUDA kernels)`);
  return `${lines.join('\n')}\n`;
}

/** Adds the `info` command to `program`. */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('version, build, CPU instruction set and threads, CUDA devices and versions, op count')
    .option('--json', 'print { version, cpu: { isa, detectedIsa, threads }, cuda: { built, available, reason, devices, driverVersion, runtimeVersion }, ops } as JSON')
    .action((opts: { json?: boolean }) => {
      const info = collectInfo();
      process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
    });
}
