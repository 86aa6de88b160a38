/**
 * deepscope: deep learning for Node.js on hand-written C++ and CUDA kernels.
 *
 * @example
 * import * as ds from 'deepscope';
 * const x = ds.randn([4, 3], { requiresGrad: true });
 * const loss = x.mul(x).sum();
 * loss.backward();
 * console.log(await x.grad!.data());
 * @module
 */
export { Tensor, isTensor, type NestedArray } from './tensor';
export { type DType } from './dtype';
export { Device, CPU, device, type DeviceLike } from './device';
export { tidy, keep, dispose } from './memory';
export { Generator, manualSeed, defaultGenerator } from './random';
export { GradNode, grad, noGrad, enableGrad, isGradEnabled, type BackwardOptions, type GradOptions, type BackwardFn } from './autograd';
export { memory, emptyCache, synchronize, getNumThreads, setNumThreads, cpuInfo, measureCpuPeak, opTable, cuda } from './backend';
export type { DeviceMemory, HostMemory, MemoryInfo, OpTableRow, CpuInfo, CpuPeak } from './backend';
export * from './ops/creation';
export * from './ops/elementwise';
export * from './ops/reduce';
export * from './ops/layout';
export * from './ops/matmul';
export * from './ops/conv';
export * from './ops/softmax';
export * from './ops/loss';
export * from './ops/indexing';
export * from './ops/pool';
export * from './ops/norm';
export * from './ops/resample';
export * from './ops/dropout';
export * from './ops/rnn';
export * from './ops/pack';
export * from './ops/binary';
export * as nn from './nn';
export * as optim from './optim';
export * as io from './io';
export * as data from './data';
export { ProgressBar, formatDuration, type ProgressBarOptions, type ProgressStream, type ProgressMetrics } from './util/progress';
export * as models from './models';
export * as train from './train';
export * as explain from './explain';
export * as attack from './attack';
export * as analysis from './analysis';
