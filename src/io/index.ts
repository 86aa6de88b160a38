/**
 * Files: PNG and JPEG images to and from tensors, image grids, and PNG line charts.
 *
 * @example
 * const img = await io.readImage('digit.png');          // [1, H, W] float32 in [0, 1]
 * await io.writePng('grid.png', io.toImageGrid(batch)); // batch: [N, C, H, W]
 * await io.plotLines('loss.png', [{ name: 'train', values: losses }], { title: 'Loss', xLabel: 'epoch' });
 * @module
 */
export {
  readImage,
  readImageSync,
  writePng,
  writePngSync,
  decodeImage,
  encodePng,
  imageFormat,
  imageToTensor,
  tensorToImage,
  toImageGrid,
  type RawImage,
  type ImageFormat,
  type ReadImageOptions,
  type WritePngOptions,
  type ImageGridOptions,
} from './image';
export { plotLines, renderLines, PALETTE, type PlotSeries, type PlotOptions, type Color } from './plot';
