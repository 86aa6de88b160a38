/**
 * ONNX interchange: {@link exportOnnx} traces a model into an ONNX file, {@link importOnnx} reads one
 * back as a trainable module.
 * @module
 */
export { exportOnnx, toOnnx, type ExportOnnxOptions, type ExportOnnxResult } from './export';
export { importOnnx, OnnxModule, type ImportOnnxOptions } from './import';
