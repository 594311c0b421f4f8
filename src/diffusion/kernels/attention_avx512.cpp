#include "diffusion/kernels/attention_avx512.hpp"

#if defined(__x86_64__)

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <type_traits>

#include "diffusion/kernels/thread_scratch.hpp"
#include "diffusion/kernels/simd.hpp"

// How the kernel works. A task is one (batch, head, tile of kTileQueries queries). The queries of
// the tile lie across the vector lanes, so the softmax statistics (running max and sum) are
// lane-wise and need no horizontal reductions, and the head dim and the key count are loop
// counts, never vector widths: 40, 80, 160 or 77 keys need no padding. The task streams over the
// keys in blocks: scores = keys x queryᵀ into a small buffer, then probabilities relative to the
// running max (online softmax: earlier sums and outputs are rescaled), then out += valuesᵀ x
// probabilities. Nothing of size queries x keys is ever stored.
//
// The reduction unit is a 32-bit word: one float for float32, or for bfloat16 a pair of values
// adjacent in the reduction dimension, which vdpbf16ps multiplies and adds into a float32 lane.
// So the query tile and the probabilities are stored as words [reduction / pair][lane], the
// keys are read in place (a pair is two adjacent channels of a key row) and the values are
// packed once per call into pairs of adjacent keys.
//
// The templates below carry the BF16 target so that one body serves both element types; the
// float32 instantiations contain no AVX512-BF16 instruction (GCC emits those only for their
// intrinsics), so they run on any AVX-512 CPU.

namespace rendermart::diffusion {
namespace {

using simd::kLanes;

constexpr int kTileVectors = 2;
constexpr int kTileQueries = kTileVectors * kLanes;
constexpr std::int64_t kMaxKeyBlock = 96;  // even
constexpr int kMicroRows = 8;              // keys per score call, head-dim rows per output call

template <bool kBf16>
constexpr std::int64_t kPerWord = kBf16 ? 2 : 1;

template <bool kBf16>
RENDERMART_AVX512_BF16 inline __m512 multiply_add(__m512 acc, __m512 a, __m512 b) {
  if constexpr (kBf16) {
    return _mm512_dpbf16_ps(acc, __builtin_bit_cast(__m512bh, a), __builtin_bit_cast(__m512bh, b));
  } else {
    return _mm512_fmadd_ps(a, b, acc);
  }
}

// Calls kernel(std::integral_constant<int, rows>{}) for rows in [1, kMicroRows], so that the
// micro-kernels see their row count at compile time and keep their accumulators in registers.
template <typename Kernel>
void with_rows(std::int64_t rows, const Kernel& kernel) {
  switch (rows) {
    case 1: kernel(std::integral_constant<int, 1>{}); break;
    case 2: kernel(std::integral_constant<int, 2>{}); break;
    case 3: kernel(std::integral_constant<int, 3>{}); break;
    case 4: kernel(std::integral_constant<int, 4>{}); break;
    case 5: kernel(std::integral_constant<int, 5>{}); break;
    case 6: kernel(std::integral_constant<int, 6>{}); break;
    case 7: kernel(std::integral_constant<int, 7>{}); break;
    default: kernel(std::integral_constant<int, kMicroRows>{}); break;
  }
}

// scores[r][lane] = Σ_w key_r[w] · query_tile[w][lane] for `Rows` keys, and block_max[lane]
// raised to them; key r's words start at key + r * key_stride bytes.
template <bool kBf16, int Rows>
RENDERMART_AVX512_BF16 void score_rows(const float* query_tile, std::int64_t words, const char* key,
                                       std::int64_t key_stride, float* scores, float* block_max) {
  __m512 acc[Rows][kTileVectors];
#pragma GCC unroll 8
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  for (std::int64_t w = 0; w < words; ++w) {
    __m512 query[kTileVectors];
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) {
      query[t] = _mm512_load_ps(query_tile + w * kTileQueries + t * kLanes);
    }
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      const __m512 key_word = simd::broadcast_word(key + r * key_stride + w * 4);
#pragma GCC unroll 4
      for (int t = 0; t < kTileVectors; ++t) {
        acc[r][t] = multiply_add<kBf16>(acc[r][t], key_word, query[t]);
      }
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < kTileVectors; ++t) {
    __m512 max = _mm512_load_ps(block_max + t * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      _mm512_store_ps(scores + r * kTileQueries + t * kLanes, acc[r][t]);
      max = _mm512_max_ps(max, acc[r][t]);
    }
    _mm512_store_ps(block_max + t * kLanes, max);
  }
}

// out[r][lane] = out[r][lane] · rescale[lane] + Σ_w value_w[r] · probs[w][lane] for `Rows`
// head-dim rows; value row w's words start at value + w * value_stride bytes.
template <bool kBf16, int Rows>
RENDERMART_AVX512_BF16 void accumulate_output(const float* probs, std::int64_t words,
                                              const char* value, std::int64_t value_stride,
                                              const float* rescale, float* out) {
  __m512 acc[Rows][kTileVectors];
#pragma GCC unroll 4
  for (int t = 0; t < kTileVectors; ++t) {
    const __m512 factor = _mm512_load_ps(rescale + t * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      acc[r][t] = _mm512_mul_ps(_mm512_load_ps(out + r * kTileQueries + t * kLanes), factor);
    }
  }
  for (std::int64_t w = 0; w < words; ++w) {
    __m512 prob[kTileVectors];
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) {
      prob[t] = _mm512_load_ps(probs + w * kTileQueries + t * kLanes);
    }
    const char* value_row = value + w * value_stride;
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      const __m512 value_word = simd::broadcast_word(value_row + r * 4);
#pragma GCC unroll 4
      for (int t = 0; t < kTileVectors; ++t) {
        acc[r][t] = multiply_add<kBf16>(acc[r][t], value_word, prob[t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) {
      _mm512_store_ps(out + r * kTileQueries + t * kLanes, acc[r][t]);
    }
  }
}

// Online softmax over one block of `rows` keys whose largest scores are block_max: updates the
// running max and sum of each query, sets rescale = e^(old max - new max) for the earlier output,
// and writes the probabilities
// e^(score - new max) as words (float32: one key per word; bfloat16: keys 2i and 2i+1 in word i,
// a missing last key as 0). `scale` is log2(e) / sqrt(head_dim), so that exp2 gives e^x.
template <bool kBf16>
RENDERMART_AVX512_BF16 void softmax_block(const float* scores, std::int64_t rows,
                                          const float* block_max, float scale, float* row_max,
                                          float* row_sum, float* rescale, float* probs) {
  const __m512 scale_v = _mm512_set1_ps(scale);
  // vpermw index: word 2i takes the first key's lane i, word 2i+1 the second key's lane i.
  const __m512i interleave = _mm512_set_epi16(
      31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19,
      3, 18, 2, 17, 1, 16, 0);
  for (int t = 0; t < kTileVectors; ++t) {
    const std::int64_t lane0 = t * kLanes;
    const __m512 old_max = _mm512_load_ps(row_max + lane0);
    const __m512 new_max = _mm512_max_ps(old_max, _mm512_load_ps(block_max + lane0));
    const __m512 shift = _mm512_mul_ps(new_max, scale_v);
    const __m512 factor = simd::exp2(_mm512_mul_ps(_mm512_sub_ps(old_max, new_max), scale_v));
    __m512 sum = _mm512_setzero_ps();
    if constexpr (kBf16) {
      for (std::int64_t r = 0; r < rows; r += 2) {
        const __m512 first = simd::exp2<true>(
            _mm512_fmsub_ps(_mm512_load_ps(scores + r * kTileQueries + lane0), scale_v, shift));
        __m512 second = _mm512_setzero_ps();
        if (r + 1 < rows) {
          second = simd::exp2<true>(
              _mm512_fmsub_ps(_mm512_load_ps(scores + (r + 1) * kTileQueries + lane0), scale_v, shift));
        }
        sum = _mm512_add_ps(sum, _mm512_add_ps(first, second));
        const __m512i halves = __builtin_bit_cast(__m512i, _mm512_cvtne2ps_pbh(second, first));
        _mm512_store_si512(probs + (r / 2) * kTileQueries + lane0,
                           _mm512_permutexvar_epi16(interleave, halves));
      }
    } else {
      for (std::int64_t r = 0; r < rows; ++r) {
        const __m512 p =
            simd::exp2(_mm512_fmsub_ps(_mm512_load_ps(scores + r * kTileQueries + lane0), scale_v, shift));
        sum = _mm512_add_ps(sum, p);
        _mm512_store_ps(probs + r * kTileQueries + lane0, p);
      }
    }
    _mm512_store_ps(row_max + lane0, new_max);
    _mm512_store_ps(rescale + lane0, factor);
    _mm512_store_ps(row_sum + lane0, _mm512_fmadd_ps(_mm512_load_ps(row_sum + lane0), factor, sum));
  }
}

// query_tile[w][lane] = word w of query `lane`, 0 for lanes past `count`, for w below `words`
// rounded up to 16; word w of query i is at first + i * stride + 4 * w bytes.
RENDERMART_AVX512 void pack_queries(const char* first, std::int64_t stride, std::int64_t count,
                                    std::int64_t words, float* query_tile) {
  for (int t = 0; t < kTileVectors; ++t) {
    for (std::int64_t w = 0; w < words; w += kLanes) {
      const __mmask16 mask = simd::first_lanes(words - w);
      __m512 block[kLanes];
#pragma GCC unroll 16
      for (int i = 0; i < kLanes; ++i) {
        const std::int64_t query = t * kLanes + i;
        block[i] = _mm512_maskz_loadu_ps(query < count ? mask : 0, first + query * stride + 4 * w);
      }
      simd::transpose16(block);
#pragma GCC unroll 16
      for (int j = 0; j < kLanes; ++j) {
        _mm512_store_ps(query_tile + (w + j) * kTileQueries + t * kLanes, block[j]);
      }
    }
  }
}

// Writes out_tile[c][lane] / row_sum[lane] to the rows of the first `count` queries; dst points
// at the first query's head. out_tile has head_dim rounded up to 16 rows.
template <typename T>
RENDERMART_AVX512 void write_output(const float* out_tile, std::int64_t head_dim,
                                    const float* row_sum, std::int64_t count, T* dst,
                                    std::int64_t dst_stride) {
  for (std::int64_t first = 0; first < count; first += kLanes) {
    const __m512 inverse = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_load_ps(row_sum + first));
    for (std::int64_t c = 0; c < head_dim; c += kLanes) {
      __m512 block[kLanes];
#pragma GCC unroll 16
      for (int j = 0; j < kLanes; ++j) {
        block[j] = _mm512_mul_ps(_mm512_load_ps(out_tile + (c + j) * kTileQueries + first), inverse);
      }
      simd::transpose16(block);
      const __mmask16 mask = simd::first_lanes(head_dim - c);
#pragma GCC unroll 16
      for (int i = 0; i < kLanes; ++i) {
        if (first + i < count) simd::store(dst + (first + i) * dst_stride + c, block[i], mask);
      }
    }
  }
}

// packed[b][h][i][c] = value[b][2i][h][c] | value[b][2i + 1][h][c] << 16 (0 past the last key).
RENDERMART_AVX512 void pack_value_pairs(const AttentionProblem<std::uint16_t>& p,
                                        std::int64_t pairs, std::int64_t first,
                                        std::int64_t last, std::uint32_t* packed) {
  const std::int64_t d = p.head_dim;
  for (std::int64_t index = first; index < last; ++index) {
    const std::int64_t b = index / (p.heads * pairs);
    const std::int64_t h = (index / pairs) % p.heads;
    const std::int64_t i = index % pairs;
    const std::uint16_t* even = p.v.data + b * p.v.batch_stride + 2 * i * p.v.token_stride + h * d;
    const bool has_odd = 2 * i + 1 < p.keys;
    std::uint32_t* out = packed + index * d;
    for (std::int64_t c = 0; c < d; c += kLanes) {
      const __mmask16 mask = simd::first_lanes(d - c);
      const __m512i low = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, even + c));
      const __m512i high =
          has_odd ? _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, even + p.v.token_stride + c))
                  : _mm512_setzero_si512();
      _mm512_mask_storeu_epi32(out + c, mask, _mm512_or_si512(low, _mm512_slli_epi32(high, 16)));
    }
  }
}

std::int64_t round_up(std::int64_t n, std::int64_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

// Keys per block: at most kMaxKeyBlock, spread evenly over the blocks (so 77 text tokens are one
// block), and even so that a bfloat16 pair of keys never straddles two blocks.
std::int64_t key_block(std::int64_t keys) {
  const std::int64_t blocks = (keys + kMaxKeyBlock - 1) / kMaxKeyBlock;
  const std::int64_t size = (keys + blocks - 1) / blocks;
  return size + size % 2;
}

// A task's buffers in its thread's scratch, each a multiple of kTileQueries floats.
template <bool kBf16>
struct TileBuffers {
  float* query_tile;  // [words rounded up to 16][kTileQueries]
  float* scores;      // [kMaxKeyBlock][kTileQueries]
  float* probs;       // [kMaxKeyBlock / words per key][kTileQueries]; float32 reuses scores
  float* out_tile;    // [head_dim rounded up to 16][kTileQueries]
  float* row_max;     // [kTileQueries], and so on
  float* row_sum;
  float* rescale;
  float* block_max;

  static std::size_t floats(std::int64_t head_dim) {
    const std::int64_t prob_rows = kBf16 ? kMaxKeyBlock / 2 : 0;
    return static_cast<std::size_t>(
        (round_up(head_dim / kPerWord<kBf16>, kLanes) + kMaxKeyBlock + prob_rows +
         round_up(head_dim, kLanes) + 4) *
        kTileQueries);
  }

  TileBuffers(float* scratch, std::int64_t head_dim) {
    query_tile = scratch;
    scores = query_tile + round_up(head_dim / kPerWord<kBf16>, kLanes) * kTileQueries;
    probs = kBf16 ? scores + kMaxKeyBlock * kTileQueries : scores;
    out_tile = probs + (kBf16 ? kMaxKeyBlock / 2 : kMaxKeyBlock) * kTileQueries;
    row_max = out_tile + round_up(head_dim, kLanes) * kTileQueries;
    row_sum = row_max + kTileQueries;
    rescale = row_sum + kTileQueries;
    block_max = rescale + kTileQueries;
  }
};

// Values of one (batch, head) as the output micro-kernel reads them: word c of row w at
// data + w * row_stride + 4 * c bytes, one row per key (float32) or per pair of keys (bfloat16).
struct ValueRows {
  const char* data;
  std::int64_t row_stride;
};

template <bool kBf16, typename T>
RENDERMART_AVX512_BF16 void attend_tile(const AttentionProblem<T>& p, const ValueRows& values,
                                        std::int64_t b, std::int64_t h, std::int64_t first_query,
                                        const TileBuffers<kBf16>& buffers) {
  const std::int64_t d = p.head_dim;
  const std::int64_t words = d / kPerWord<kBf16>;
  const std::int64_t count = std::min<std::int64_t>(kTileQueries, p.queries - first_query);
  const auto [query_tile, scores, probs, out_tile, row_max, row_sum, rescale, block_max] = buffers;

  const std::int64_t q_stride = p.q.token_stride * static_cast<std::int64_t>(sizeof(T));
  pack_queries(reinterpret_cast<const char*>(p.q.data + b * p.q.batch_stride +
                                             first_query * p.q.token_stride + h * d),
               q_stride, count, words, query_tile);
  std::fill(out_tile, out_tile + round_up(d, kLanes) * kTileQueries, 0.0f);
  std::fill(row_max, row_max + kTileQueries, -INFINITY);
  std::fill(row_sum, row_sum + kTileQueries, 0.0f);

  const float scale = static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(d)));
  const std::int64_t key_stride = p.k.token_stride * static_cast<std::int64_t>(sizeof(T));
  const char* keys = reinterpret_cast<const char*>(p.k.data + b * p.k.batch_stride + h * d);
  const std::int64_t block_size = key_block(p.keys);
  for (std::int64_t block = 0; block < p.keys; block += block_size) {
    const std::int64_t rows = std::min(block_size, p.keys - block);
    std::fill(block_max, block_max + kTileQueries, -INFINITY);
    for (std::int64_t r = 0; r < rows; r += kMicroRows) {
      with_rows(rows - r, [&](auto n) {
        score_rows<kBf16, decltype(n)::value>(query_tile, words, keys + (block + r) * key_stride,
                                              key_stride, scores + r * kTileQueries, block_max);
      });
    }
    softmax_block<kBf16>(scores, rows, block_max, scale, row_max, row_sum, rescale, probs);
    const std::int64_t prob_words = (rows + kPerWord<kBf16> - 1) / kPerWord<kBf16>;
    const char* value_block = values.data + block / kPerWord<kBf16> * values.row_stride;
    for (std::int64_t c = 0; c < d; c += kMicroRows) {
      with_rows(d - c, [&](auto n) {
        accumulate_output<kBf16, decltype(n)::value>(probs, prob_words, value_block + 4 * c,
                                                     values.row_stride, rescale,
                                                     out_tile + c * kTileQueries);
      });
    }
  }
  write_output(out_tile, d, row_sum, count,
               p.out + (b * p.queries + first_query) * p.heads * d + h * d, p.heads * d);
}

// Keys and values of all heads up to this size stay in a core's L2 cache (1 MB on Zen 5).
constexpr std::int64_t kCachedKeyValueBytes = 512 * 1024;

// Runs every (batch, head, query tile) task on the intra-op pool; value_rows(b, h) says where the
// values of a head are. Consecutive tasks share what is costly to reload: when the keys and values
// of all heads fit in L2 (cross-attention to 77 text tokens), a query tile goes through all heads,
// so that its query and output rows, which interleave the heads, come from memory once; otherwise
// a head goes through all query tiles, so that its keys and values stay in cache.
template <bool kBf16, typename T, typename ValueRowsOf>
void attend_all(const AttentionProblem<T>& p, const ValueRowsOf& value_rows) {
  const std::int64_t tiles = (p.queries + kTileQueries - 1) / kTileQueries;
  const bool tile_major = 2 * p.keys * p.heads * p.head_dim * static_cast<std::int64_t>(sizeof(T)) <=
                          kCachedKeyValueBytes;
  at::parallel_for(0, p.batch * p.heads * tiles, 1, [&](std::int64_t first, std::int64_t last) {
    const TileBuffers<kBf16> buffers(thread_scratch(TileBuffers<kBf16>::floats(p.head_dim)),
                                     p.head_dim);
    for (std::int64_t task = first; task < last; ++task) {
      const std::int64_t b = task / (p.heads * tiles);
      const std::int64_t within = task % (p.heads * tiles);
      const std::int64_t h = tile_major ? within % p.heads : within / tiles;
      const std::int64_t tile = tile_major ? within / p.heads : within % tiles;
      attend_tile<kBf16>(p, value_rows(b, h), b, h, tile * kTileQueries, buffers);
    }
  });
}

}  // namespace

void attention_f32_avx512(const AttentionProblem<float>& p) {
  if (p.batch == 0 || p.queries == 0) return;
  attend_all<false>(p, [&](std::int64_t b, std::int64_t h) {
    return ValueRows{reinterpret_cast<const char*>(p.v.data + b * p.v.batch_stride + h * p.head_dim),
                     p.v.token_stride * static_cast<std::int64_t>(sizeof(float))};
  });
}

void attention_bf16_avx512(const AttentionProblem<std::uint16_t>& p) {
  if (p.batch == 0 || p.queries == 0) return;
  const std::int64_t pairs = (p.keys + 1) / 2;
  const std::int64_t heads = p.batch * p.heads;
  const std::unique_ptr<std::uint32_t[]> packed(
      new std::uint32_t[static_cast<std::size_t>(heads * pairs * p.head_dim)]);
  at::parallel_for(0, heads * pairs, 64, [&](std::int64_t first, std::int64_t last) {
    pack_value_pairs(p, pairs, first, last, packed.get());
  });
  attend_all<true>(p, [&](std::int64_t b, std::int64_t h) {
    return ValueRows{
        reinterpret_cast<const char*>(packed.get() + (b * p.heads + h) * pairs * p.head_dim),
        p.head_dim * static_cast<std::int64_t>(sizeof(std::uint32_t))};
  });
}

}  // namespace rendermart::diffusion

#endif
