// CPU kernels of binary networks (layouts in ops/binary.h).
//
// binary_conv2d is a packed im2col followed by the XOR-popcount GEMM of cpu/isa_table.h: a tile of output
// pixels gathers, per pixel, the `words` packed words of every kernel tap into one row of kH·kW·words words,
// in the weight's [kH, kW, words] order, so that row against a filter's row counts all sign mismatches at
// once. Taps that fall in the zero padding gather zero words; against filter o they add the fixed amount
// s[o, t] = C − 2·popcount(w[o, t]) to the ±1 sum, which the epilogue takes back out for border pixels
// only. binary_matmul runs the same GEMM on packed matrix rows. Work is split by tiles of output pixels
// (rows), each written by one thread; every sum is an integer, so results never depend on the threads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/isa_table.h"
#include "ops/binary.h"

namespace ds::cpu {
namespace {

constexpr int64_t kTile = 32;  // output pixels (GEMM rows) per task: one tile's im2col rows stay in L1/L2

int64_t words_of(const TensorRef& packed, const char* op) {
  DS_CHECK(packed.dtype == DType::i32 && packed.ndim == 4 && packed.shape[3] % 2 == 0,
           std::string(op) + ": packed tensors are int32 [N, H, W, 2·words]");
  return packed.shape[3] / 2;
}

const uint64_t* words_ptr(const TensorRef& packed) { return static_cast<const uint64_t*>(packed.data); }

// Sizes of a bitpack / bitunpack pair: float [N, C, H, W] and packed [N, H, W, 2·words].
struct PackDims {
  int64_t N, C, P, words;
};

PackDims pack_dims(const TensorRef& real, const TensorRef& packed, const char* op) {
  const int64_t words = words_of(packed, op);
  DS_CHECK(real.ndim == 4 && real.dtype == DType::f32, std::string(op) + ": the float side is float32 [N, C, H, W]");
  PackDims d{real.shape[0], real.shape[1], real.shape[2] * real.shape[3], words};
  DS_CHECK(packed.shape[0] == d.N && packed.shape[1] * packed.shape[2] == d.P && words == (d.C + 63) / 64,
           std::string(op) + ": packed shape");
  return d;
}

}  // namespace

void binarize(const TensorRef& x, const TensorRef& y) {
  DS_CHECK(x.numel() == y.numel(), "binarize: sizes");
  const float* xs = x.f32();
  float* ys = y.f32();
  parallel_for(0, x.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) ys[i] = xs[i] >= 0.f ? 1.f : (xs[i] < 0.f ? -1.f : xs[i]);
  });
}

void binarize_backward(const TensorRef& x, const TensorRef& gy, const TensorRef& gx) {
  DS_CHECK(x.numel() == gy.numel() && x.numel() == gx.numel(), "binarize_backward: sizes");
  const float* xs = x.f32();
  const float* g = gy.f32();
  float* out = gx.f32();
  parallel_for(0, x.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = std::fabs(xs[i]) <= 1.f ? g[i] : 0.f;
  });
}

void bitpack(const TensorRef& x, const TensorRef& packed) {
  const PackDims d = pack_dims(x, packed, "bitpack");
  const int64_t N = d.N, C = d.C, P = d.P, words = d.words;
  const float* xs = x.f32();
  uint64_t* out = static_cast<uint64_t*>(packed.data);
  // One task per (image, word): channel planes are read in order, each pixel's word written in place.
  parallel_for(0, N * words, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, P * 64)), [&](int64_t lo, int64_t hi) {
    for (int64_t item = lo; item < hi; ++item) {
      const int64_t n = item / words, wi = item % words;
      uint64_t* dst = out + n * P * words + wi;
      for (int64_t p = 0; p < P; ++p) dst[p * words] = 0;
      const int64_t c1 = std::min(C, wi * 64 + 64);
      for (int64_t c = wi * 64; c < c1; ++c) {
        const float* src = xs + (n * C + c) * P;
        const uint64_t bit = uint64_t(1) << (c - wi * 64);
        for (int64_t p = 0; p < P; ++p)
          if (src[p] >= 0.f) dst[p * words] |= bit;
      }
    }
  });
}

void bitunpack(const TensorRef& packed, const TensorRef& y) {
  const PackDims d = pack_dims(y, packed, "bitunpack");
  const int64_t N = d.N, C = d.C, P = d.P, words = d.words;
  const uint64_t* in = words_ptr(packed);
  float* ys = y.f32();
  parallel_for(0, N * C, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, P)), [&](int64_t lo, int64_t hi) {
    for (int64_t plane = lo; plane < hi; ++plane) {
      const int64_t n = plane / C, c = plane % C;
      const uint64_t* src = in + n * P * words + c / 64;
      float* dst = ys + plane * P;
      for (int64_t p = 0; p < P; ++p) dst[p] = (src[p * words] >> (c % 64)) & 1 ? 1.f : -1.f;
    }
  });
}

void binary_conv2d(const TensorRef& x, const TensorRef& w, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, const BinaryConv2dParams& p) {
  const int64_t words = words_of(x, "binary_conv2d");
  DS_CHECK(words_of(w, "binary_conv2d") == words && words == (p.channels + 63) / 64, "binary_conv2d: words");
  DS_CHECK(y.ndim == 4 && y.dtype == DType::f32 && y.shape[0] == x.shape[0] && y.shape[1] == w.shape[0],
           "binary_conv2d: output shape");
  const int64_t N = x.shape[0], H = x.shape[1], W = x.shape[2];
  const int64_t O = w.shape[0], KH = w.shape[1], KW = w.shape[2], OH = y.shape[2], OW = y.shape[3];
  const int64_t taps = KH * KW, kw_words = taps * words, P = OH * OW, C = p.channels;
  DS_CHECK(!alpha.defined || alpha.numel() == O, "binary_conv2d: alpha size");
  DS_CHECK(!scale.defined || scale.numel() == N * P, "binary_conv2d: scale size");
  const uint64_t* xs = words_ptr(x);
  const uint64_t* ws = words_ptr(w);
  // s[o, t]: what a zero-padded tap t adds against filter o, to be taken back out.
  std::vector<int32_t> pad_term(O * taps);
  for (int64_t o = 0; o < O; ++o)
    for (int64_t t = 0; t < taps; ++t) {
      int64_t ones = 0;
      for (int64_t k = 0; k < words; ++k) ones += __builtin_popcountll(ws[(o * taps + t) * words + k]);
      pad_term[o * taps + t] = int32_t(C - 2 * ones);
    }
  const XorPopcountGemmFn gemm = xor_popcount_gemm().fn;
  const int64_t tiles = (P + kTile - 1) / kTile;
  const float* as = alpha.defined ? alpha.f32() : nullptr;
  const float* ks = scale.defined ? scale.f32() : nullptr;
  float* ys = y.f32();
  parallel_for(0, N * tiles, 1, [&](int64_t lo, int64_t hi) {
    std::vector<uint64_t> rows(kTile * kw_words);
    std::vector<int32_t> counts(kTile * O);
    std::vector<int64_t> outside(kTile * taps);  // padded taps of each pixel, then -1
    for (int64_t item = lo; item < hi; ++item) {
      const int64_t n = item / tiles, p0 = (item % tiles) * kTile, np = std::min(kTile, P - p0);
      for (int64_t i = 0; i < np; ++i) {
        const int64_t oh = (p0 + i) / OW, ow = (p0 + i) % OW;
        uint64_t* row = rows.data() + i * kw_words;
        int64_t* out_list = outside.data() + i * taps;
        int64_t nout = 0;
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t ih = oh * p.sh - p.ph + (t / KW) * p.dh, iw = ow * p.sw - p.pw + (t % KW) * p.dw;
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
            std::memcpy(row + t * words, xs + ((n * H + ih) * W + iw) * words, words * sizeof(uint64_t));
          } else {
            std::memset(row + t * words, 0, words * sizeof(uint64_t));
            out_list[nout++] = t;
          }
        }
        if (nout < taps) out_list[nout] = -1;
      }
      gemm(np, O, kw_words, rows.data(), ws, counts.data(), O);
      for (int64_t i = 0; i < np; ++i) {
        const int64_t* out_list = outside.data() + i * taps;
        const float k = ks ? ks[n * P + p0 + i] : 1.f;
        for (int64_t o = 0; o < O; ++o) {
          int64_t dot = taps * C - 2 * int64_t(counts[i * O + o]);
          for (int64_t j = 0; j < taps && out_list[j] >= 0; ++j) dot -= pad_term[o * taps + out_list[j]];
          ys[(n * O + o) * P + p0 + i] = float(dot) * (as ? as[o] : 1.f) * k;
        }
      }
    }
  });
}

void binary_matmul(const TensorRef& a, const TensorRef& b, const TensorRef& alpha, const TensorRef& scale,
                   const TensorRef& y, int64_t bits) {
  const int64_t words = words_of(a, "binary_matmul");
  DS_CHECK(words_of(b, "binary_matmul") == words && words == (bits + 63) / 64, "binary_matmul: words");
  const int64_t M = a.shape[0], N = b.shape[0];
  DS_CHECK(y.numel() == M * N && y.dtype == DType::f32, "binary_matmul: output shape");
  DS_CHECK(!alpha.defined || alpha.numel() == N, "binary_matmul: alpha size");
  DS_CHECK(!scale.defined || scale.numel() == M, "binary_matmul: scale size");
  const XorPopcountGemmFn gemm = xor_popcount_gemm().fn;
  const uint64_t* as = words_ptr(a);
  const uint64_t* bs = words_ptr(b);
  const float* al = alpha.defined ? alpha.f32() : nullptr;
  const float* sc = scale.defined ? scale.f32() : nullptr;
  float* ys = y.f32();
  parallel_for(0, (M + kTile - 1) / kTile, 1, [&](int64_t lo, int64_t hi) {
    std::vector<int32_t> counts(kTile * N);
    for (int64_t tile = lo; tile < hi; ++tile) {
      const int64_t i0 = tile * kTile, m = std::min(kTile, M - i0);
      gemm(m, N, words, as + i0 * words, bs, counts.data(), N);
      for (int64_t i = 0; i < m; ++i) {
        const float s = sc ? sc[i0 + i] : 1.f;
        for (int64_t j = 0; j < N; ++j)
          ys[(i0 + i) * N + j] = float(bits - 2 * int64_t(counts[i * N + j])) * (al ? al[j] : 1.f) * s;
      }
    }
  });
}

}  // namespace ds::cpu
