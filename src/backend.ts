/**
 * Runtime facts and knobs: memory figures, the CPU thread pool and instruction set, CUDA availability,
 * stream synchronisation, and the native op table.
 * @module
 */
import { liveTensors } from './memory';
import { native } from './native';

/** Memory held on one device. */
export interface DeviceMemory {
  /** Live user tensors (views counted separately, internal tensors saved for backward not counted). */
  tensors: number;
  /** Bytes of storage alive (including storage kept by queued ops and saved for backward). */
  bytes: number;
  /** Distinct storages alive. */
  storages: number;
}

/** Host memory figures. */
export interface HostMemory extends DeviceMemory {
  /** Freed blocks the allocator keeps for reuse (see {@link emptyCache}); not counted in `bytes`. */
  cachedBytes: number;
}

/** Memory figures per device type. */
export interface MemoryInfo {
  /** Host memory. */
  cpu: HostMemory;
  /** All CUDA devices together. */
  cuda: DeviceMemory;
}

/**
 * Live tensors and bytes per device. Storage released by completed queued ops is reflected once the
 * stream has run them (`synchronize()` first for exact figures).
 * @example const before = memory().cpu.bytes;
 */
export function memory(): MemoryInfo {
  const m = native.memory();
  let cudaTensors = 0;
  for (const [k, v] of liveTensors) if (k.startsWith('cuda')) cudaTensors += v;
  return {
    cpu: { tensors: liveTensors.get('cpu') ?? 0, bytes: m.cpu.bytes, storages: m.cpu.storages, cachedBytes: m.cpu.cachedBytes },
    cuda: { tensors: cudaTensors, bytes: m.cuda.bytes, storages: m.cuda.storages },
  };
}

/**
 * Returns the blocks the allocators keep for reuse to the system: host blocks of freed tensors, and the
 * CUDA caching allocator's (when CUDA is present). Memory in use is not affected.
 */
export function emptyCache(): void {
  native.emptyCache();
  if (native.cudaInfo().available) native.cudaEmptyCache();
}

/** Blocks until every device stream has finished the work queued so far. */
export function synchronize(): void {
  native.synchronize();
}

/** Threads the CPU backend uses per op (the caller's thread included). */
export function getNumThreads(): number {
  return native.numThreads();
}

/**
 * Sets the CPU thread pool size (default: `DEEPSCOPE_NUM_THREADS` or the number of cores).
 * @example setNumThreads(1); // benchmarks on one core
 */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`setNumThreads: n must be an integer, got ${n}`);
  native.setNumThreads(n);
}

/** The CPU's instruction sets and threads. */
export interface CpuInfo {
  /** The best instruction set the CPU supports: `generic`, `avx2` or `avx512`. */
  detected: string;
  /** The one the kernels use: `detected`, lowered by `DEEPSCOPE_ISA`. */
  active: string;
  /** Size of the intra-op thread pool. */
  threads: number;
}

/** The CPU instruction set the kernels use and the thread pool size. @example cpuInfo().active // 'avx512' */
export function cpuInfo(): CpuInfo {
  return { ...native.cpuIsa(), threads: native.numThreads() };
}

/** The measured FP32 peak of the CPU: the figure benchmarks quote their GFLOP/s against. */
export interface CpuPeak {
  /** Billions of float multiply-adds' operations (2 per FMA lane) per second, all threads together. */
  gflops: number;
  /** Threads that ran the loop at once. */
  threads: number;
  /** The instruction set of the loop (`cpuInfo().active`). */
  isa: string;
  /** Wall time of the measurement. */
  seconds: number;
}

/**
 * Measures the CPU's FP32 peak: a register-resident loop of independent multiply-adds with the active
 * instruction set, on `threads` threads started together, for about `millis` milliseconds, off the JS
 * thread. Benchmarks measure it in the same run as the kernels they rate, since a core's sustained clock
 * (and so its peak) depends on the machine, the ISA and the load.
 * @example
 * const { gflops } = await measureCpuPeak({ threads: 1 }); // e.g. 150 on one AVX-512 core
 */
export async function measureCpuPeak(options: { threads?: number; millis?: number } = {}): Promise<CpuPeak> {
  const threads = options.threads ?? native.numThreads();
  const millis = options.millis ?? 300;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new RangeError(`measureCpuPeak: option 'threads' must be an integer in 1..1024, got ${threads}`);
  }
  if (!(typeof millis === 'number' && millis > 0 && millis <= 60000)) {
    throw new RangeError(`measureCpuPeak: option 'millis' must be in (0, 60000], got ${millis}`);
  }
  return native.measureCpuPeak(threads, millis);
}

/** One row of the native op table. */
export interface OpTableRow {
  /** The native op's name (`conv2d`, `relu_backward`, ...). */
  name: string;
  /** Whether the CPU backend implements it (always, today). */
  cpu: boolean;
  /** Whether the CUDA backend implements it. */
  cuda: boolean;
}

/** Every native op and the backends implementing it. */
export function opTable(): OpTableRow[] {
  return native.opTable();
}

/** CUDA availability and devices. */
export const cuda = {
  /** True when the binary has the CUDA backend and a driver and device are present. */
  available(): boolean {
    return native.cudaInfo().available;
  },
  /** Number of usable CUDA devices. */
  deviceCount(): number {
    return native.cudaInfo().devices.length;
  },
  /** Devices, versions, the caching allocator's figures, and why CUDA is unavailable when it is. */
  info() {
    return native.cudaInfo();
  },
  /** Returns cached, unused device blocks to the driver. */
  emptyCache(): void {
    native.cudaEmptyCache();
  },
};
