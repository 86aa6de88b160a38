/**
 * The functional forms of the layers, as `nn.functional` (PyTorch's `torch.nn.functional`). The same
 * functions are exported at the top level.
 * @module
 */
export { relu, leakyRelu, elu, sigmoid, tanh, hardtanh, softplus, gelu } from '../ops/elementwise';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, adaptiveMaxPool2d } from '../ops/pool';
export { batchNorm, localResponseNorm } from '../ops/norm';
export { interpolate, upsample } from '../ops/resample';
export { dropout, dropout2d } from '../ops/dropout';
