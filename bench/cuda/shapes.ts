/**
 * The shapes of the CUDA benchmark, shared with its PyTorch reference (bench/cuda/torch_ref.py reads the
 * JSON that `node bench/cuda/kernels.js --shapes` prints): GEMM 4096³ and the distinct convolutions of
 * ResNet-50 at batch 32 (input channels, output channels, kernel, stride, input size).
 */

/** One convolution of ResNet-50: NCHW input [batch, cin, size, size], weight [cout, cin, k, k]. */
export interface ConvShape {
  name: string;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  size: number;
}

/** Batch of the convolution benchmarks. */
export const BATCH = 32;

/** Square GEMM sizes. */
export const GEMMS = [4096];

const conv = (cin: number, cout: number, k: number, stride: number, size: number): ConvShape => ({
  name: `${k}x${k}${stride > 1 ? '/2' : ''} ${cin}->${cout} @${size}`,
  cin,
  cout,
  k,
  stride,
  size,
});

/** Every distinct convolution of ResNet-50 (torchvision's v1.5: the stride on the 3×3). */
export const RESNET50: ConvShape[] = [
  conv(3, 64, 7, 2, 224),
  conv(64, 64, 1, 1, 56),
  conv(64, 64, 3, 1, 56),
  conv(64, 256, 1, 1, 56),
  conv(256, 64, 1, 1, 56),
  conv(256, 128, 1, 1, 56),
  conv(128, 128, 3, 2, 56),
  conv(128, 512, 1, 1, 28),
  conv(256, 512, 1, 2, 56),
  conv(512, 128, 1, 1, 28),
  conv(128, 128, 3, 1, 28),
  conv(512, 256, 1, 1, 28),
  conv(256, 256, 3, 2, 28),
  conv(256, 1024, 1, 1, 14),
  conv(512, 1024, 1, 2, 28),
  conv(1024, 256, 1, 1, 14),
  conv(256, 256, 3, 1, 14),
  conv(1024, 512, 1, 1, 14),
  conv(512, 512, 3, 2, 14),
  conv(512, 2048, 1, 1, 7),
  conv(1024, 2048, 1, 2, 14),
  conv(2048, 512, 1, 1, 7),
  conv(512, 512, 3, 1, 7),
];

/** Output size of a convolution with padding k/2. */
export const outSize = (s: ConvShape): number => Math.floor((s.size + 2 * Math.floor(s.k / 2) - s.k) / s.stride) + 1;

/** Multiply-adds ×2 of one pass (forward, backward data and backward weight each cost the same). */
export const convFlops = (s: ConvShape): number => 2 * BATCH * s.cout * outSize(s) ** 2 * s.cin * s.k * s.k;
