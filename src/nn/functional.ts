/**
 * The functional forms of the layers, as `nn.functional` (PyTorch's `torch.nn.functional`). The same
 * functions are exported at the top level.
 * @module
 */
export { relu, leakyRelu, elu, sigmoid, tanh, hardtanh, softplus, gelu } from '../ops/elementwise';
export { linear } from '../ops/matmul';
export { conv2d, convTranspose2d } from '../ops/conv';
export { flatten } from '../ops/layout';
