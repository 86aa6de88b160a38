/**
 * Files: safetensors checkpoints (reader and writer written here, streaming in slices; weights,
 * optimizer state and training checkpoints), torchvision and timm state dicts, ONNX models in both
 * directions, PNG and JPEG images to and from tensors, image grids, PNG line charts, and heat maps with
 * contours (PNG, SVG, CSV).
 *
 * @example
 * await io.save(model, 'model.safetensors', { metadata: { epoch: '10' } });
 * await io.loadInto(model, 'model.safetensors');
 * await io.loadTorchvision(models.resnet50(), 'resnet50.safetensors'); // torchvision's or timm's weights
 * const img = await io.readImage('digit.png');          // [1, H, W] float32 in [0, 1]
 * await io.writePng('grid.png', io.toImageGrid(batch)); // batch: [N, C, H, W]
 * await io.exportOnnx(model, ds.randn([1, 3, 64, 64]), 'model.onnx'); // runs in onnxruntime
 * const imported = await io.importOnnx('model.onnx');                  // a trainable nn.Module
 * await io.plotLines('loss.png', [{ name: 'train', values: losses }], { title: 'Loss', xLabel: 'epoch' });
 * @module
 */
export {
  writeSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsContents,
  type ReadSafetensorsOptions,
  type TensorDict,
} from './safetensors';
export {
  save,
  load,
  loadInto,
  saveOptimizer,
  loadOptimizer,
  saveCheckpoint,
  loadCheckpoint,
  type StateDictModule,
  type SaveOptions,
  type LoadOptions,
  type LoadIntoOptions,
  type Checkpoint,
} from './checkpoint';
export {
  loadTorchvision,
  TorchvisionLoadError,
  type LoadTorchvisionOptions,
  type LoadTorchvisionResult,
  type TorchvisionShapeMismatch,
} from './torchvision';
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
export { writeHeatmap, renderHeatmap, heatmapSvg, surfaceCsv, type GridSurface, type HeatmapOptions } from './heatmap';
export {
  exportOnnx,
  toOnnx,
  importOnnx,
  OnnxModule,
  type ExportOnnxOptions,
  type ExportOnnxResult,
  type ImportOnnxOptions,
} from './onnx';
