/**
 * Weight initialisation schemes, PyTorch's `torch.nn.init` in camelCase: each fills a tensor in place (in
 * stream order, not recorded by autograd) and returns it. The random ones draw from `generator` (default:
 * the global one, see `manualSeed`), so a seed reproduces a model's initial weights.
 *
 * Fans follow PyTorch: for a weight of shape `[a, b, ...k]`, `fanIn = b·∏k` and `fanOut = a·∏k` (so a
 * transposed convolution's `[in, out/groups, kH, kW]` weight has `fanIn = out/groups·kH·kW`, as there).
 * @example
 * nn.init.kaimingNormal_(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 * nn.init.zeros_(conv.bias!);
 * @module
 */
import { Tensor, fmtShape } from '../tensor';
import { Generator, defaultGenerator } from '../random';
import { randn } from '../ops/creation';
import { checkNumber, checkTensor, run } from '../ops/util';

/**
 * Names accepted by {@link calculateGain}: PyTorch's (`'leaky_relu'`, `'conv_transpose2d'`) and their
 * camelCase forms (`'leakyRelu'`, `'convTranspose2d'`).
 */
export type Nonlinearity =
  | 'linear'
  | 'identity'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'leakyRelu'
  | 'selu';

/** Options of the random initialisers. */
export interface InitOptions {
  /** The stream to draw from; the global one by default. */
  generator?: Generator;
}

/** Options of {@link xavierUniform_}, {@link xavierNormal_}, {@link orthogonal_} and {@link deltaOrthogonal_}. */
export interface GainOptions extends InitOptions {
  /** Scale factor (see {@link calculateGain}). Default 1. */
  gain?: number;
}

/** Options of {@link kaimingUniform_} and {@link kaimingNormal_}. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (only used with `'leaky_relu'`). Default 0. */
  a?: number;
  /** Keep the variance of activations (`'fanIn'`, default) or of gradients (`'fanOut'`). */
  mode?: 'fanIn' | 'fanOut';
  /** The nonlinearity that follows, for the gain. Default `'leaky_relu'` (with `a = 0`: ReLU's √2). */
  nonlinearity?: Nonlinearity;
}

/**
 * The recommended gain for a nonlinearity: 1 for linear, convolutions and sigmoid, 5/3 for tanh, √2 for
 * ReLU, √(2 / (1 + a²)) for leaky ReLU with negative slope `param` (default 0.01), 3/4 for SELU.
 * @example calculateGain('leaky_relu', 0.2) // ≈ 1.3868
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
    case 'leakyRelu': {
      const a = param ?? 0.01;
      checkNumber('calculateGain', 'param', a);
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * `[fanIn, fanOut]` of a weight of rank >= 2 (see the module docs); RangeError for lower ranks.
 * @example calculateFanInAndFanOut(zeros([64, 3, 7, 7])) // [147, 3136]
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkTensor('calculateFanInAndFanOut', 'tensor', t);
  if (t.ndim < 2) {
    throw new RangeError(`calculateFanInAndFanOut: fans cannot be computed for a tensor with fewer than 2 dimensions, got shape ${fmtShape(t.shape)}`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function target(op: string, t: unknown, random = true): Tensor {
  const x = checkTensor(op, 'tensor', t);
  if (random && x.dtype !== 'float32') throw new TypeError(`${op}: argument 'tensor' must be float32, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
  return x;
}

function generatorOf(op: string, options: InitOptions | undefined): Generator {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`${op}: options must be an object`);
  const g = options?.generator ?? defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError(`${op}: 'generator' must be a Generator`);
  return g;
}

/**
 * Fills `t` with uniform draws from [a, b).
 * @example uniform_(w, -0.1, 0.1, { generator: new Generator(1) })
 */
export function uniform_(t: Tensor, a = 0, b = 1, options?: InitOptions): Tensor {
  const op = 'uniform_';
  const x = target(op, t);
  checkNumber(op, 'a', a);
  checkNumber(op, 'b', b, { min: a });
  const g = generatorOf(op, options);
  if (x.size > 0) run('random_uniform', [], [x], { ...g.take(x.size), a, b });
  return x;
}

/**
 * Fills `t` with normal draws of the given mean and standard deviation.
 * @example normal_(w, 0, 0.01)
 */
export function normal_(t: Tensor, mean = 0, std = 1, options?: InitOptions): Tensor {
  const op = 'normal_';
  const x = target(op, t);
  checkNumber(op, 'mean', mean);
  checkNumber(op, 'std', std, { min: 0 });
  const g = generatorOf(op, options);
  if (x.size > 0) run('random_normal', [], [x], { ...g.take(x.size), a: mean, b: std });
  return x;
}

/** Fills `t` with `value` (float32 or int32 tensors). @example constant_(bias, 0.1) */
export function constant_(t: Tensor, value: number): Tensor {
  const x = target('constant_', t, false);
  checkNumber('constant_', 'value', value);
  if (x.size > 0) run('fill', [], [x], { value });
  return x;
}

/** Fills `t` with zeros. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fills `t` with ones. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

function gainOf(op: string, options: GainOptions | undefined): number {
  return checkNumber(op, 'gain', options?.gain ?? 1);
}

/**
 * Glorot & Bengio (2010): uniform on [−b, b] with `b = gain·√(6 / (fanIn + fanOut))`.
 * @example xavierUniform_(w, { gain: calculateGain('tanh') })
 */
export function xavierUniform_(t: Tensor, options?: GainOptions): Tensor {
  const op = 'xavierUniform_';
  const x = target(op, t);
  const [fi, fo] = calculateFanInAndFanOut(x);
  const std = (gainOf(op, options) * Math.sqrt(2 / (fi + fo))) || 0;
  const b = Math.sqrt(3) * std;
  return uniform_(x, -b, b, { generator: generatorOf(op, options) });
}

/** Glorot & Bengio (2010): normal with mean 0 and `std = gain·√(2 / (fanIn + fanOut))`. */
export function xavierNormal_(t: Tensor, options?: GainOptions): Tensor {
  const op = 'xavierNormal_';
  const x = target(op, t);
  const [fi, fo] = calculateFanInAndFanOut(x);
  const std = (gainOf(op, options) * Math.sqrt(2 / (fi + fo))) || 0;
  return normal_(x, 0, std, { generator: generatorOf(op, options) });
}

function kaimingStd(op: string, x: Tensor, options: KaimingOptions | undefined): number {
  const mode = options?.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new RangeError(`${op}: 'mode' must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const a = checkNumber(op, 'a', options?.a ?? 0);
  const [fi, fo] = calculateFanInAndFanOut(x);
  const fan = mode === 'fanIn' ? fi : fo;
  if (fan === 0) return 0;
  return calculateGain(options?.nonlinearity ?? 'leaky_relu', a) / Math.sqrt(fan);
}

/**
 * He et al. (2015): uniform on [−b, b] with `b = gain·√(3 / fan)`. PyTorch's default for `Linear` and
 * `Conv2d` weights is `kaimingUniform_(w, { a: Math.sqrt(5) })`, i.e. `b = 1/√fanIn`.
 * @example kaimingUniform_(w, { nonlinearity: 'relu' })
 */
export function kaimingUniform_(t: Tensor, options?: KaimingOptions): Tensor {
  const op = 'kaimingUniform_';
  const x = target(op, t);
  const b = Math.sqrt(3) * kaimingStd(op, x, options);
  return uniform_(x, -b, b, { generator: generatorOf(op, options) });
}

/**
 * He et al. (2015): normal with mean 0 and `std = gain / √fan`.
 * @example kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' }) // torchvision's ResNet
 */
export function kaimingNormal_(t: Tensor, options?: KaimingOptions): Tensor {
  const op = 'kaimingNormal_';
  const x = target(op, t);
  return normal_(x, 0, kaimingStd(op, x, options), { generator: generatorOf(op, options) });
}

/**
 * Q of the thin QR decomposition of the row-major m×n matrix `a` (m >= n), by Householder reflections in
 * float64, with each column multiplied by the sign of R's diagonal (so the result is unique and, for
 * Gaussian `a`, Haar-distributed). Returns Q row-major m×n.
 */
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i * n + k] * r[i * n + k];
    norm = Math.sqrt(norm);
    const x0 = r[k * n + k];
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = 0; i < v.length; i++) v[i] /= vn;
    vs.push(v);
    // R[k:, k:] -= 2 v (vᵀ R[k:, k:])
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * r[i * n + j];
      for (let i = k; i < m; i++) r[i * n + j] -= 2 * v[i - k] * dot;
    }
    diag[k] = r[k * n + k];
  }
  // Q = H_0 H_1 ... H_{n-1} [I_n; 0]
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * q[i * n + j];
      for (let i = k; i < m; i++) q[i * n + j] -= 2 * v[i - k] * dot;
    }
  }
  for (let j = 0; j < n; j++) {
    if (diag[j] < 0) for (let i = 0; i < m; i++) q[i * n + j] = -q[i * n + j];
  }
  return q;
}

/**
 * A rows×cols matrix with orthonormal columns (rows >= cols) or rows (rows < cols), from a Gaussian draw of
 * rows·cols values, as PyTorch's `orthogonal_` computes it.
 */
function orthogonalMatrix(rows: number, cols: number, g: Generator): Float64Array {
  const draw = randn([rows, cols], { generator: g });
  const flat = Float64Array.from(draw.dataSync());
  draw.dispose();
  if (rows >= cols) return orthonormalColumns(flat, rows, cols);
  // Work on the transpose (cols × rows, tall), then transpose back.
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = flat[i * cols + j];
  const q = orthonormalColumns(t, cols, rows);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q[j * rows + i];
  return out;
}

/**
 * Saxe et al. (2014): a (semi-)orthogonal matrix times `gain`. The tensor (rank >= 2) is viewed as
 * `[shape[0], rest]`; its rows are orthonormal when there are fewer rows than columns, its columns
 * otherwise. Computed from a QR decomposition of a Gaussian matrix with the sign correction (float64 on
 * the host; reads the draw synchronously).
 * @example orthogonal_(w, { gain: calculateGain('relu') })
 */
export function orthogonal_(t: Tensor, options?: GainOptions): Tensor {
  const op = 'orthogonal_';
  const x = target(op, t);
  if (x.ndim < 2) throw new RangeError(`${op}: only tensors with 2 or more dimensions are supported, got shape ${fmtShape(x.shape)}`);
  const gain = gainOf(op, options);
  const g = generatorOf(op, options);
  if (x.size === 0) return x;
  const rows = x.shape[0];
  const cols = x.size / rows;
  const q = orthogonalMatrix(rows, cols, g);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = gain * q[i];
  return x.copyFromArray(out);
}

function checkConvWeight(op: string, x: Tensor): void {
  if (x.ndim < 3 || x.ndim > 5) {
    throw new RangeError(`${op}: expects a 3-, 4- or 5-D convolution weight [out, in, ...kernel], got shape ${fmtShape(x.shape)}`);
  }
}

// Flat offset of [o, i, centre...] in a row-major conv weight.
function centreOffset(shape: readonly number[], o: number, i: number): number {
  let off = o * shape[1] + i;
  for (let d = 2; d < shape.length; d++) off = off * shape[d] + Math.floor(shape[d] / 2);
  return off;
}

/**
 * The Dirac delta (Zagoruyko & Komodakis, DiracNets): the convolution with this weight is the identity
 * on as many channels as it can keep. For `groups > 1` each group's output channels keep its own inputs.
 * The weight is `[out, in, ...kernel]` (3- to 5-D); `out` must be divisible by `groups`.
 * @example dirac_(conv.weight) // conv(x) = x for a 3x3 conv with in = out and padding 1
 */
export function dirac_(t: Tensor, options: { groups?: number } = {}): Tensor {
  const op = 'dirac_';
  const x = target(op, t, false);
  checkConvWeight(op, x);
  const groups = checkNumber(op, 'groups', options.groups ?? 1, { min: 1, integer: true });
  if (x.shape[0] % groups !== 0) {
    throw new RangeError(`${op}: ${x.shape[0]} output channels of weight ${fmtShape(x.shape)} are not divisible by groups ${groups}`);
  }
  const perGroup = x.shape[0] / groups;
  const minDim = Math.min(perGroup, x.shape[1]);
  const data = x.dtype === 'int32' ? new Int32Array(x.size) : new Float32Array(x.size);
  for (let g = 0; g < groups; g++) for (let d = 0; d < minDim; d++) data[centreOffset(x.shape, g * perGroup + d, d)] = 1;
  return x.copyFromArray(data);
}

/**
 * Delta-orthogonal initialisation (Xiao et al. 2018, "Dynamical isometry and a mean field theory of
 * CNNs"): every kernel tap is zero except the centre one, which is a random orthogonal `[out, in]`
 * matrix (orthonormal columns) times `gain`. Needs `in <= out`; throws a RangeError naming the shapes
 * otherwise. The weight is `[out, in, ...kernel]` (3- to 5-D).
 * @example deltaOrthogonal_(conv.weight, { gain: Math.SQRT2 })
 */
export function deltaOrthogonal_(t: Tensor, options?: GainOptions): Tensor {
  const op = 'deltaOrthogonal_';
  const x = target(op, t);
  checkConvWeight(op, x);
  const [out, inp] = x.shape;
  if (inp > out) {
    throw new RangeError(
      `${op}: weight ${fmtShape(x.shape)} has ${inp} input channels > ${out} output channels; ` +
        'an orthogonal [out, in] centre tap needs in <= out',
    );
  }
  const gain = gainOf(op, options);
  const g = generatorOf(op, options);
  const data = new Float32Array(x.size);
  if (x.size > 0) {
    const q = orthogonalMatrix(out, inp, g);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) data[centreOffset(x.shape, o, i)] = gain * q[o * inp + i];
  }
  return x.copyFromArray(data);
}
