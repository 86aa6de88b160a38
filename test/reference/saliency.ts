/**
 * Float64 references of the input-gradient methods on a tiny fixed network, conv(3×3, pad 1) → act →
 * flatten → linear → act → linear, with the backward pass written out by hand (the chain rule layer by
 * layer), so that the library's autograd, its guided ReLU and its batching are checked against an
 * independent derivation.
 */
import { Nd } from './nd';
import { conv2d, conv2dGradInput } from './conv';
import { linear, matmul } from './matmul';

export type Act = 'relu' | 'tanh' | 'softplus';

/** The network's parameters (PyTorch layouts) and its activation. */
export interface TinyNet {
  convW: Nd; // [F, C, 3, 3]
  convB: Nd; // [F]
  fc1W: Nd; // [Hd, F·H·W]
  fc1B: Nd; // [Hd]
  fc2W: Nd; // [K, Hd]
  fc2B: Nd; // [K]
  act: Act;
}

const PAD: [number, number, number, number] = [1, 1, 1, 1];

function actF(a: Act, z: number): number {
  if (a === 'relu') return z > 0 ? z : 0;
  if (a === 'tanh') return Math.tanh(z);
  return z > 20 ? z : Math.log1p(Math.exp(z));
}

// The activation's backward; guided ReLU passes g only where both z and g are positive.
function actB(a: Act, z: number, g: number, guided: boolean): number {
  if (a === 'relu') return z > 0 && (!guided || g > 0) ? g : 0;
  if (a === 'tanh') return (1 - Math.tanh(z) ** 2) * g;
  return g / (1 + Math.exp(-z));
}

interface Cache {
  z1: Nd;
  z2: Nd;
  logits: Nd;
}

function forward(net: TinyNet, x: Nd): Cache {
  const n = x.shape[0];
  const z1 = conv2d(x, net.convW, net.convB, { pad: PAD });
  const a1 = z1.map((v) => actF(net.act, v)).reshape([n, z1.size / n]);
  const z2 = linear(a1, net.fc1W, net.fc1B);
  const a2 = z2.map((v) => actF(net.act, v));
  return { z1, z2, logits: linear(a2, net.fc2W, net.fc2B) };
}

/** The inputs of the two activations, [N, F, H, W] and [N, Hd]. */
export function tinyNetPreActivations(net: TinyNet, x: Nd): Nd[] {
  const { z1, z2 } = forward(net, x);
  return [z1, z2];
}

/** The logits [N, K]. */
export function tinyNetLogits(net: TinyNet, x: Nd): Nd {
  return forward(net, x).logits;
}

/** ∂logit[n, targets[n]]/∂x[n] for every image, [N, C, H, W]; `guided` for guided backpropagation. */
export function tinyNetInputGrad(net: TinyNet, x: Nd, targets: readonly number[], guided = false): Nd {
  const n = x.shape[0];
  const k = net.fc2W.shape[0];
  const { z1, z2 } = forward(net, x);
  const g3 = Nd.zeros([n, k]);
  targets.forEach((c, i) => g3.set([i, c], 1));
  const gz2 = matmul(g3, net.fc2W).map((g, i) => actB(net.act, z2.data[i], g, guided));
  const gz1 = matmul(gz2, net.fc1W).reshape(z1.shape).map((g, i) => actB(net.act, z1.data[i], g, guided));
  return conv2dGradInput(gz1, net.convW, [...x.shape], { pad: PAD });
}

/**
 * Integrated gradients by the midpoint rule, α_k = (k + ½)/steps, and the completeness gap
 * Σ attributions − (S(x) − S(baseline)) per image.
 */
export function integratedGradientsRef(net: TinyNet, x: Nd, baseline: Nd, targets: readonly number[], steps: number): { attributions: Nd; gap: number[] } {
  const n = x.shape[0];
  const mean = Nd.zeros(x.shape);
  for (let s = 0; s < steps; s++) {
    const alpha = (s + 0.5) / steps;
    const point = x.map((v, i) => baseline.data[i] + alpha * (v - baseline.data[i]));
    const g = tinyNetInputGrad(net, point, targets);
    for (let i = 0; i < mean.size; i++) mean.data[i] += g.data[i] / steps;
  }
  const attributions = mean.map((g, i) => g * (x.data[i] - baseline.data[i]));
  const sx = tinyNetLogits(net, x);
  const sb = tinyNetLogits(net, baseline);
  const per = attributions.size / n;
  const gap = targets.map((c, i) => {
    let total = 0;
    for (let j = 0; j < per; j++) total += attributions.data[i * per + j];
    return total - (sx.get(i, c) - sb.get(i, c));
  });
  return { attributions, gap };
}
