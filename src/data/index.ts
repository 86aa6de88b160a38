/**
 * Data: datasets, the {@link DataLoader} (batching, seeded shuffling, prefetch), the MNIST digits, and
 * torchvision's image transforms (`data.transforms`: resize, center crop, normalise, the ImageNet chain).
 *
 * @example
 * import { data, Generator, dispose } from 'deepscope';
 * const { train } = data.mnist();
 * const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, generator: new Generator(0) });
 * for await (const batch of loader) {
 *   const [x, y] = batch; // [64, 1, 28, 28] float32, [64] int32
 *   // ...
 *   dispose(batch);
 * }
 * @module
 */
export { TensorDataset, type Dataset, type Sample, type SampleValue, type Batch } from './dataset';
export { DataLoader, defaultCollate, randperm, randpermAsync, type DataLoaderOptions } from './loader';
export { mnist, MNIST_MEAN, MNIST_STD, type Mnist, type MnistOptions } from './mnist';
export { syntheticText, SYNTHETIC_WORDS, type SyntheticTextOptions } from './text';
export * as transforms from './transforms';
