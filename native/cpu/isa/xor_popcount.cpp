// The XOR-popcount GEMM behind binary convolution and binary matmul, compiled once per instruction set:
//   c[i·ldc + j] = Σ_k popcount(a[i·kw + k] ⊕ b[j·kw + k])   for i < m, j < n
// with a and b rows of kw 64-bit words. Each A row is loaded once per group of four B rows (four
// accumulators), so a pass over k reads A once and B four rows at a time.
//  - AVX-512: VPOPCNTDQ counts eight words per instruction; the tail is a masked load.
//  - AVX2: no vector popcount, so the nibble lookup: vpshufb maps each 4-bit half of a byte to its count,
//    vpsadbw sums the byte counts into four 64-bit lanes; the tail (kw mod 4 words) is scalar POPCNT.
//  - generic (plain x86-64, no POPCNT instruction): the SWAR popcount on 64-bit words.
// Rules of native/cpu/isa/ apply: plain code in an anonymous namespace, one suffixed table entry.
#include <cstdint>

#include "cpu/isa_table.h"

#if defined(DS_ISA_NAME_avx512) || defined(DS_ISA_NAME_avx2)
#include <immintrin.h>
#endif

#define DS_ISA_CAT_INNER(a, b) a##b
#define DS_ISA_CAT(a, b) DS_ISA_CAT_INNER(a, b)
#define DS_ISA_STR_INNER(a) #a
#define DS_ISA_STR(a) DS_ISA_STR_INNER(a)

namespace ds::cpu {
namespace {

#if defined(DS_ISA_NAME_avx512)

// Dot of one A row with up to four B rows (nb of them; the others alias the last valid row).
void rows4(int64_t kw, const uint64_t* a, const uint64_t* b0, const uint64_t* b1, const uint64_t* b2,
           const uint64_t* b3, int32_t* out) {
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
  int64_t k = 0;
  for (; k + 8 <= kw; k += 8) {
    __m512i va = _mm512_loadu_si512(a + k);
    s0 = _mm512_add_epi64(s0, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_loadu_si512(b0 + k))));
    s1 = _mm512_add_epi64(s1, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_loadu_si512(b1 + k))));
    s2 = _mm512_add_epi64(s2, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_loadu_si512(b2 + k))));
    s3 = _mm512_add_epi64(s3, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_loadu_si512(b3 + k))));
  }
  if (k < kw) {
    __mmask8 m = __mmask8((1u << (kw - k)) - 1);
    __m512i va = _mm512_maskz_loadu_epi64(m, a + k);
    s0 = _mm512_add_epi64(s0, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_maskz_loadu_epi64(m, b0 + k))));
    s1 = _mm512_add_epi64(s1, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_maskz_loadu_epi64(m, b1 + k))));
    s2 = _mm512_add_epi64(s2, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_maskz_loadu_epi64(m, b2 + k))));
    s3 = _mm512_add_epi64(s3, _mm512_popcnt_epi64(_mm512_xor_si512(va, _mm512_maskz_loadu_epi64(m, b3 + k))));
  }
  out[0] = int32_t(_mm512_reduce_add_epi64(s0));
  out[1] = int32_t(_mm512_reduce_add_epi64(s1));
  out[2] = int32_t(_mm512_reduce_add_epi64(s2));
  out[3] = int32_t(_mm512_reduce_add_epi64(s3));
}

#elif defined(DS_ISA_NAME_avx2)

// Byte-wise popcount of v: the count of each nibble from a 16-entry table, low and high halves added.
inline __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, low4));
  __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
  return _mm256_add_epi8(lo, hi);
}

// Sum of the four 64-bit lanes.
inline int64_t hsum(__m256i v) {
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
}

void rows4(int64_t kw, const uint64_t* a, const uint64_t* b0, const uint64_t* b1, const uint64_t* b2,
           const uint64_t* b3, int32_t* out) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  int64_t k = 0;
  for (; k + 4 <= kw; k += 4) {
    __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + k));
#define DS_XP(s, b)                                                                                        \
  s = _mm256_add_epi64(                                                                                    \
      s, _mm256_sad_epu8(popcount_bytes(_mm256_xor_si256(va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + k)))), zero))
    DS_XP(s0, b0);
    DS_XP(s1, b1);
    DS_XP(s2, b2);
    DS_XP(s3, b3);
#undef DS_XP
  }
  int64_t t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
  for (; k < kw; ++k) {
    t0 += _mm_popcnt_u64(a[k] ^ b0[k]);
    t1 += _mm_popcnt_u64(a[k] ^ b1[k]);
    t2 += _mm_popcnt_u64(a[k] ^ b2[k]);
    t3 += _mm_popcnt_u64(a[k] ^ b3[k]);
  }
  out[0] = int32_t(t0);
  out[1] = int32_t(t1);
  out[2] = int32_t(t2);
  out[3] = int32_t(t3);
}

#else

// SWAR popcount: pairs, nibbles, then a multiply sums the eight byte counts into the top byte.
inline int64_t popcount64(uint64_t v) {
  v = v - ((v >> 1) & 0x5555555555555555ull);
  v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return int64_t((v * 0x0101010101010101ull) >> 56);
}

void rows4(int64_t kw, const uint64_t* a, const uint64_t* b0, const uint64_t* b1, const uint64_t* b2,
           const uint64_t* b3, int32_t* out) {
  int64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (int64_t k = 0; k < kw; ++k) {
    t0 += popcount64(a[k] ^ b0[k]);
    t1 += popcount64(a[k] ^ b1[k]);
    t2 += popcount64(a[k] ^ b2[k]);
    t3 += popcount64(a[k] ^ b3[k]);
  }
  out[0] = int32_t(t0);
  out[1] = int32_t(t1);
  out[2] = int32_t(t2);
  out[3] = int32_t(t3);
}

#endif

void xor_popcount_gemm(int64_t m, int64_t n, int64_t kw, const uint64_t* a, const uint64_t* b, int32_t* c,
                       int64_t ldc) {
  for (int64_t j = 0; j < n; j += 4) {
    const int nb = n - j < 4 ? int(n - j) : 4;
    const uint64_t* bj[4];
    for (int q = 0; q < 4; ++q) bj[q] = b + (j + (q < nb ? q : nb - 1)) * kw;
    for (int64_t i = 0; i < m; ++i) {
      int32_t r[4];
      rows4(kw, a + i * kw, bj[0], bj[1], bj[2], bj[3], r);
      for (int q = 0; q < nb; ++q) c[i * ldc + j + q] = r[q];
    }
  }
}

}  // namespace

extern const XorPopcountGemm DS_ISA_CAT(xor_popcount_gemm_, DS_ISA) = {xor_popcount_gemm, DS_ISA_STR(DS_ISA)};

}  // namespace ds::cpu
