/**
 * Loads the native binary: `build/Release` in a checkout, `prebuilds/<platform>-<arch>/` when installed.
 * A failure is reported once, listing what was tried and what to do.
 * @module
 */
import * as path from 'path';

/** Opaque handle on native storage plus shape and dtype. */
export interface NativeHandle {
  readonly __nativeTensor: never;
}

/** @internal */
export interface NativeMemory {
  bytes: number;
  storages: number;
}

/** @internal */
export interface NativeCudaInfo {
  built: boolean;
  available: boolean;
  reason: string;
  driverVersion: number;
  runtimeVersion: number;
  devices: { name: string; computeCapability: string; totalMemory: number; multiprocessors: number }[];
  allocatedBytes: number;
  reservedBytes: number;
}

/** Attribute values an op accepts. */
export type Attrs = Record<string, number | boolean | string | readonly number[] | undefined>;

/** @internal The functions the binary exports (native/napi). */
export interface NativeBinding {
  empty(dtype: string, shape: readonly number[], device: string, index: number): NativeHandle;
  fromData(data: ArrayBufferView, dtype: string, shape: readonly number[], device: string, index: number): NativeHandle;
  writeData(h: NativeHandle, data: ArrayBufferView): void;
  view(h: NativeHandle, shape: readonly number[]): NativeHandle;
  dispose(h: NativeHandle): void;
  run(op: string, inputs: (NativeHandle | null)[], outputs: NativeHandle[], attrs: Attrs): void;
  copyTo(h: NativeHandle, device: string, index: number): NativeHandle;
  read(h: NativeHandle): Promise<ArrayBuffer>;
  readSync(h: NativeHandle): ArrayBuffer;
  readInto<T extends ArrayBufferView>(h: NativeHandle, target: T, byteOffset?: number): Promise<T>;
  writeFrom<T extends ArrayBufferView>(h: NativeHandle, source: T, byteOffset?: number): Promise<T>;
  version(h: NativeHandle): number;
  synchronize(): void;
  memory(): { cpu: NativeMemory & { cachedBytes: number }; cuda: NativeMemory };
  emptyCache(): void;
  opTable(): { name: string; cpu: boolean; cuda: boolean }[];
  numThreads(): number;
  setNumThreads(n: number): void;
  cpuIsa(): { detected: string; active: string };
  measureCpuPeak(threads: number, millis: number): Promise<{ gflops: number; threads: number; isa: string; seconds: number }>;
  cudaInfo(): NativeCudaInfo;
  cudaEmptyCache(): void;
}

function load(): NativeBinding {
  const root = path.resolve(__dirname, '..');
  const override = process.env.DEEPSCOPE_BINARY;
  const tried: string[] = [];
  if (override) {
    try {
      return require(path.resolve(override)) as NativeBinding;
    } catch (e) {
      tried.push(`DEEPSCOPE_BINARY=${override}: ${(e as Error).message}`);
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const gypBuild = require('node-gyp-build') as { (dir: string): unknown; path(dir: string): string };
    return gypBuild(root) as NativeBinding;
  } catch (e) {
    tried.push(`${path.join(root, 'build', 'Release')} and ${path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)}: ${(e as Error).message}`);
  }
  throw new Error(
    'deepscope: could not load its native binary.\n' +
      tried.map((t) => `  tried ${t}`).join('\n') +
      `\nThis package ships prebuilt binaries for linux-x64 (glibc); this is ${process.platform}-${process.arch} on Node ${process.version}.\n` +
      'In a git checkout, run `npm install` (it builds with cmake-js; needs cmake and a C++17 compiler).\n' +
      'Elsewhere, set DEEPSCOPE_BINARY to a deepscope.node you built.',
  );
}

/** @internal */
export const native: NativeBinding = load();
