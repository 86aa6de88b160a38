/**
 * Elementwise ops: arithmetic and comparisons with broadcasting and scalars, math functions and
 * activations, `where` and `clamp`. Forward runs the native kernel; backward sits next to it.
 * @module
 */
import { AsyncLocalStorage } from 'async_hooks';
import { DType } from '../dtype';
import { Tensor, fmtShape } from '../tensor';
import { record } from '../autograd';
import { Attrs } from '../native';
import { cast, full } from './creation';
import { broadcastShapes, checkNumber, checkSameDevice, checkTensor, empty, run, run1 } from './util';
import { sumTo } from './reduce';

/** A tensor or a plain number standing for one. */
export type Operand = Tensor | number;

// ---------------------------------------------------------------------------------------------- binary

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const COMPARISONS = new Set<BinaryName>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
// Ops whose result is float even for int32 inputs (true division, real powers).
const FLOAT_ONLY = new Set<BinaryName>(['div', 'pow']);

// Type promotion: int32 only when both sides are integral (an integer number counts), float32 otherwise.
function promote(op: BinaryName, a: Operand, b: Operand): DType {
  if (FLOAT_ONLY.has(op)) return 'float32';
  const integral = (x: Operand) => (x instanceof Tensor ? x.dtype === 'int32' : Number.isInteger(x));
  return integral(a) && integral(b) ? 'int32' : 'float32';
}

function checkOperand(op: string, arg: string, x: unknown): void {
  if (typeof x === 'number') return;
  checkTensor(op, arg, x);
}

// Runs the native binary op after type promotion; a number on the right rides along as an attribute.
function binaryRaw(op: BinaryName, a: Operand, b: Operand): Tensor {
  checkOperand(op, 'input', a);
  checkOperand(op, 'other', b);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}: at least one argument must be a Tensor`);
  const dt = promote(op, a, b);
  const dev = checkSameDevice(op, { input: a instanceof Tensor ? a : null, other: b instanceof Tensor ? b : null });
  // A number on the left becomes a 0-d tensor.
  const ta = a instanceof Tensor ? cast(a, dt) : full([], a, { dtype: dt, device: dev });
  const tb = b instanceof Tensor ? cast(b, dt) : null;
  const shape = tb ? broadcastShapes(op, ta.shape, tb.shape) : [...ta.shape];
  const attrs: Attrs = tb ? {} : { scalar: b as number };
  try {
    return run1(op, [ta, tb], shape, COMPARISONS.has(op) ? 'float32' : dt, dev, attrs);
  } finally {
    if (ta !== a) ta.dispose();
    if (tb && tb !== b) tb.dispose();
  }
}

const asTensor = (x: Operand): Tensor | null => (x instanceof Tensor ? x : null);

/**
 * a + b, broadcasting. @example add(x, 1); x.add(y);
 */
export function add(a: Operand, b: Operand): Tensor {
  const out = binaryRaw('add', a, b);
  const [ta, tb] = [asTensor(a), asTensor(b)];
  record('add', [ta, tb], [out], [], ([g]) => [ta && sumTo(g, ta.shape), tb && sumTo(g, tb.shape)]);
  return out;
}

/** a - b, broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  const out = binaryRaw('sub', a, b);
  const [ta, tb] = [asTensor(a), asTensor(b)];
  record('sub', [ta, tb], [out], [], ([g]) => [ta && sumTo(g, ta.shape), tb && sumTo(neg(g), tb.shape)]);
  return out;
}

/** a * b, broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const out = binaryRaw('mul', a, b);
  const [ta, tb] = [asTensor(a), asTensor(b)];
  record('mul', [ta, tb], [out], [ta, tb], ([g], [sa, sb]) => [
    ta && sumTo(mul(g, sb ?? (b as number)), ta.shape),
    tb && sumTo(mul(g, sa ?? (a as number)), tb.shape),
  ]);
  return out;
}

/** a / b (true division: float32 result), broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  const out = binaryRaw('div', a, b);
  const [ta, tb] = [asTensor(a), asTensor(b)];
  record('div', [ta, tb], [out], [tb, tb ? out : null], ([g], [sb, so]) => [
    ta && sumTo(div(g, sb ?? (b as number)), ta.shape),
    tb && sumTo(neg(div(mul(g, so!), sb!)), tb.shape),
  ]);
  return out;
}

/**
 * a ** b. With a number exponent this is the unary power (any real exponent); with a tensor exponent
 * both sides are differentiable (d/db = a^b · ln a).
 */
export function pow(a: Operand, b: Operand): Tensor {
  if (a instanceof Tensor && typeof b === 'number') return unary('pow_scalar', a, { exponent: b });
  const out = binaryRaw('pow', a, b);
  const [ta, tb] = [asTensor(a), asTensor(b)];
  record('pow', [ta, tb], [out], [ta, tb, out], ([g], [sa, sb, so]) => [
    ta && sumTo(mul(g, mul(sb!, pow(sa!, sub(sb!, 1)))), ta.shape),
    tb && sumTo(mul(g, mul(so!, log(sa ?? full([], a as number, { device: tb.device })))), tb.shape),
  ]);
  return out;
}

// max/min with PyTorch's gradient rule: the winner takes the gradient, ties split it evenly.
function extremum(op: 'maximum' | 'minimum', a: Operand, b: Operand): Tensor {
  const out = binaryRaw(op, a, b);
  const [ta, tb] = [asTensor(a), asTensor(b)];
  const wins = op === 'maximum' ? gt : lt;
  record(op, [ta, tb], [out], [ta, tb], ([g], [sa, sb]) => {
    const x = sa ?? (a as number);
    const y = sb ?? (b as number);
    const half = mul(eq(x, y), 0.5);
    return [ta && sumTo(mul(g, add(wins(x, y), half)), ta.shape), tb && sumTo(mul(g, add(wins(y, x), half)), tb.shape)];
  });
  return out;
}

/** Elementwise maximum; ties split the gradient evenly. NaN propagates. */
export function maximum(a: Operand, b: Operand): Tensor {
  return extremum('maximum', a, b);
}

/** Elementwise minimum; ties split the gradient evenly. NaN propagates. */
export function minimum(a: Operand, b: Operand): Tensor {
  return extremum('minimum', a, b);
}

const comparison = (op: BinaryName) => (a: Operand, b: Operand): Tensor => binaryRaw(op, a, b);

/** a == b as a float32 mask of 0/1 (comparisons are not differentiable). */
export const eq = comparison('eq');
/** a != b as a float32 mask. */
export const ne = comparison('ne');
/** a < b as a float32 mask. */
export const lt = comparison('lt');
/** a <= b as a float32 mask. */
export const le = comparison('le');
/** a > b as a float32 mask. */
export const gt = comparison('gt');
/** a >= b as a float32 mask. */
export const ge = comparison('ge');

/**
 * Picks `a` where `cond` is non-zero, else `b`; all three broadcast together. Gradients flow to the
 * chosen side.
 * @example where(gt(x, 0), x, 0) // relu
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  checkTensor('where', 'condition', cond);
  checkOperand('where', 'input', a);
  checkOperand('where', 'other', b);
  const dev = checkSameDevice('where', { condition: cond, input: asTensor(a), other: asTensor(b) });
  const dt = promote('add', a, b);
  const ta = a instanceof Tensor ? cast(a, dt) : full([], a, { dtype: dt, device: dev });
  const tb = b instanceof Tensor ? cast(b, dt) : full([], b, { dtype: dt, device: dev });
  let out: Tensor;
  try {
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
    out = run1('where', [cond, ta, tb], shape, dt, dev);
  } finally {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
  const [xa, xb] = [asTensor(a), asTensor(b)];
  record('where', [xa, xb], [out], [cond], ([g], [c]) => [
    xa && sumTo(where(c!, g, 0), xa.shape),
    xb && sumTo(where(c!, 0, g), xb.shape),
  ]);
  return out;
}

// ----------------------------------------------------------------------------------------------- unary

type UnaryName =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'reciprocal' | 'sign' | 'sin' | 'cos' | 'relu' | 'leaky_relu'
  | 'elu' | 'sigmoid' | 'tanh' | 'hardtanh' | 'softplus' | 'gelu' | 'clamp' | 'pow_scalar';

// What each derivative reads: the input x, the output y, or both.
const NEEDS: Record<UnaryName, { x?: true; y?: true }> = {
  neg: {}, abs: { x: true }, exp: { y: true }, log: { x: true }, sqrt: { y: true }, rsqrt: { x: true, y: true },
  reciprocal: { y: true }, sign: {}, sin: { x: true }, cos: { x: true }, relu: { x: true }, leaky_relu: { x: true },
  elu: { x: true, y: true }, sigmoid: { y: true }, tanh: { y: true }, hardtanh: { x: true }, softplus: { x: true },
  gelu: { x: true }, clamp: { x: true }, pow_scalar: { x: true },
};

const PUBLIC_NAME: Partial<Record<UnaryName, string>> = { leaky_relu: 'leakyRelu', pow_scalar: 'pow' };

// The mode is a property of the recording, not of the backward pass: a graph built inside
// withGuidedRelu keeps its guided ReLUs whenever (and from wherever) its gradient is taken, and the
// AsyncLocalStorage keeps the mode to the async chain that asked for it.
const guidedRelu = new AsyncLocalStorage<boolean>();

/**
 * Runs `fn` with guided backpropagation (Springenberg et al. 2015) for every `relu` it records: in the
 * backward pass such a ReLU passes the incoming gradient g only where both its input and g are positive,
 * (x > 0)·relu(g), so that the input gradient shows what excites the target and not what inhibits it.
 * Covers `nn.ReLU` and functional `relu` alike; forward values are unchanged, and ReLUs recorded outside
 * `fn` (or in other async chains meanwhile) keep the true gradient. Async functions are covered for their
 * whole duration.
 * @example const [gx] = grad(() => withGuidedRelu(() => model.call(x)).narrow(1, c, 1).sum(), [x]);
 */
export function withGuidedRelu<T>(fn: () => T): T {
  return guidedRelu.run(true, fn);
}

function unary(op: UnaryName, x: Tensor, attrs: Attrs = {}): Tensor {
  const name = PUBLIC_NAME[op] ?? op;
  checkTensor(name, 'input', x);
  if (x.dtype !== 'float32') {
    throw new TypeError(`${name}: argument 'input' must be float32, got ${x.dtype} (shape ${fmtShape(x.shape)}); convert with .float()`);
  }
  const out = empty(x.shape, 'float32', x.device);
  run(op, [x], [out], attrs);
  const needs = NEEDS[op];
  const guided = op === 'relu' && guidedRelu.getStore() === true;
  record(name, [x], [out], [needs.x ? x : null, needs.y ? out : null], ([g], [sx, sy]) => {
    // Backward runs without recording, so relu(g) here is a plain forward.
    const gin = guided ? relu(g) : g;
    const gx = empty(g.shape, 'float32', g.device);
    try {
      run(`${op}_backward`, [sx, sy, gin], [gx], attrs);
    } finally {
      if (gin !== g) gin.dispose();
    }
    return [gx];
  });
  return out;
}

/** -x */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** |x| (gradient 0 at 0). */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** e^x */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** 1 / sqrt(x). */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** 1 / x. */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/** -1, 0 or 1 (gradient 0). */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** Sine. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** Cosine. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** max(x, 0); its gradient is guided when recorded inside {@link withGuidedRelu}. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** Logistic sigmoid 1 / (1 + e^-x). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** Exact GELU, x·Φ(x). */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);

/** x for x > 0, else `negativeSlope`·x. @example leakyRelu(x, 0.2) */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  return unary('leaky_relu', x, { alpha: negativeSlope });
}

/** x for x > 0, else alpha·(e^x − 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkNumber('elu', 'alpha', alpha);
  return unary('elu', x, { alpha });
}

/** x clipped to [minVal, maxVal]; gradient 0 outside (and at) the bounds. */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  checkNumber('hardtanh', 'minVal', minVal);
  checkNumber('hardtanh', 'maxVal', maxVal, { min: minVal });
  return unary('hardtanh', x, { min: minVal, max: maxVal });
}

/** log(1 + e^(beta·x)) / beta, linear above `threshold` for stability. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  if (beta === 0) throw new RangeError('softplus: beta must be non-zero');
  return unary('softplus', x, { beta, threshold });
}

/** x clipped to [min, max] (either may be omitted); gradient passes where min ≤ x ≤ max. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const attrs: Attrs = {};
  if (min !== undefined && min !== null) attrs.min = checkNumber('clamp', 'min', min);
  if (max !== undefined && max !== null) attrs.max = checkNumber('clamp', 'max', max);
  if (attrs.min === undefined && attrs.max === undefined) throw new TypeError('clamp: give at least one of min and max');
  return unary('clamp', x, attrs);
}

/** x². */
export function square(x: Tensor): Tensor {
  return mul(x, x);
}

// ----------------------------------------------------------------------------------------- the methods

declare module '../tensor' {
  interface Tensor {
    /** See {@link add}. */ add(other: Operand): Tensor;
    /** See {@link sub}. */ sub(other: Operand): Tensor;
    /** See {@link mul}. */ mul(other: Operand): Tensor;
    /** See {@link div}. */ div(other: Operand): Tensor;
    /** See {@link pow}. */ pow(exponent: Operand): Tensor;
    /** See {@link maximum}. */ maximum(other: Operand): Tensor;
    /** See {@link minimum}. */ minimum(other: Operand): Tensor;
    /** See {@link eq}. */ eq(other: Operand): Tensor;
    /** See {@link ne}. */ ne(other: Operand): Tensor;
    /** See {@link lt}. */ lt(other: Operand): Tensor;
    /** See {@link le}. */ le(other: Operand): Tensor;
    /** See {@link gt}. */ gt(other: Operand): Tensor;
    /** See {@link ge}. */ ge(other: Operand): Tensor;
    /** See {@link neg}. */ neg(): Tensor;
    /** See {@link abs}. */ abs(): Tensor;
    /** See {@link exp}. */ exp(): Tensor;
    /** See {@link log}. */ log(): Tensor;
    /** See {@link sqrt}. */ sqrt(): Tensor;
    /** See {@link rsqrt}. */ rsqrt(): Tensor;
    /** See {@link reciprocal}. */ reciprocal(): Tensor;
    /** See {@link sign}. */ sign(): Tensor;
    /** See {@link sin}. */ sin(): Tensor;
    /** See {@link cos}. */ cos(): Tensor;
    /** See {@link relu}. */ relu(): Tensor;
    /** See {@link sigmoid}. */ sigmoid(): Tensor;
    /** See {@link tanh}. */ tanh(): Tensor;
    /** See {@link gelu}. */ gelu(): Tensor;
    /** See {@link leakyRelu}. */ leakyRelu(negativeSlope?: number): Tensor;
    /** See {@link elu}. */ elu(alpha?: number): Tensor;
    /** See {@link hardtanh}. */ hardtanh(minVal?: number, maxVal?: number): Tensor;
    /** See {@link softplus}. */ softplus(beta?: number, threshold?: number): Tensor;
    /** See {@link clamp}. */ clamp(min?: number | null, max?: number | null): Tensor;
    /** See {@link square}. */ square(): Tensor;
  }
}

const proto = Tensor.prototype;
proto.add = function (this: Tensor, o: Operand) { return add(this, o); };
proto.sub = function (this: Tensor, o: Operand) { return sub(this, o); };
proto.mul = function (this: Tensor, o: Operand) { return mul(this, o); };
proto.div = function (this: Tensor, o: Operand) { return div(this, o); };
proto.pow = function (this: Tensor, o: Operand) { return pow(this, o); };
proto.maximum = function (this: Tensor, o: Operand) { return maximum(this, o); };
proto.minimum = function (this: Tensor, o: Operand) { return minimum(this, o); };
proto.eq = function (this: Tensor, o: Operand) { return eq(this, o); };
proto.ne = function (this: Tensor, o: Operand) { return ne(this, o); };
proto.lt = function (this: Tensor, o: Operand) { return lt(this, o); };
proto.le = function (this: Tensor, o: Operand) { return le(this, o); };
proto.gt = function (this: Tensor, o: Operand) { return gt(this, o); };
proto.ge = function (this: Tensor, o: Operand) { return ge(this, o); };
proto.neg = function (this: Tensor) { return neg(this); };
proto.abs = function (this: Tensor) { return abs(this); };
proto.exp = function (this: Tensor) { return exp(this); };
proto.log = function (this: Tensor) { return log(this); };
proto.sqrt = function (this: Tensor) { return sqrt(this); };
proto.rsqrt = function (this: Tensor) { return rsqrt(this); };
proto.reciprocal = function (this: Tensor) { return reciprocal(this); };
proto.sign = function (this: Tensor) { return sign(this); };
proto.sin = function (this: Tensor) { return sin(this); };
proto.cos = function (this: Tensor) { return cos(this); };
proto.relu = function (this: Tensor) { return relu(this); };
proto.sigmoid = function (this: Tensor) { return sigmoid(this); };
proto.tanh = function (this: Tensor) { return tanh(this); };
proto.gelu = function (this: Tensor) { return gelu(this); };
proto.leakyRelu = function (this: Tensor, s?: number) { return leakyRelu(this, s); };
proto.elu = function (this: Tensor, a?: number) { return elu(this, a); };
proto.hardtanh = function (this: Tensor, lo?: number, hi?: number) { return hardtanh(this, lo, hi); };
proto.softplus = function (this: Tensor, b?: number, t?: number) { return softplus(this, b, t); };
proto.clamp = function (this: Tensor, lo?: number | null, hi?: number | null) { return clamp(this, lo, hi); };
proto.square = function (this: Tensor) { return square(this); };
