#pragma once

// The flash-attention kernel over any vector type S of simd_*.hpp. A kernel body: include it only
// from the per-ISA kernel files (kernels_*.cpp), inside their target region.
//
// How the kernel works. A task is one (batch, head, tile of kTileQueries queries). The queries of
// the tile lie across the vector lanes, so the softmax statistics (running max and sum) are
// lane-wise and need no horizontal reductions, and the head dim and the key count are loop
// counts, never vector widths: 40, 80, 160 or 77 keys need no padding. The task streams over the
// keys in blocks: scores = keys x queryᵀ into a small buffer, then probabilities relative to the
// running max (online softmax: earlier sums and outputs are rescaled), then out += valuesᵀ x
// probabilities. Nothing of size queries x keys is ever stored.
//
// The reduction unit is a 32-bit word: one float for float32, or for bfloat16 (S =
// simd::Avx512Bf16) a pair of values adjacent in the reduction dimension, which vdpbf16ps
// multiplies and adds into a float32 lane. So the query tile and the probabilities are stored as
// words [reduction / pair][lane], the keys are read in place (a pair is two adjacent channels of a
// key row) and the values are packed once per call into pairs of adjacent keys.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <type_traits>

#include "diffusion/kernels/kernel_table.hpp"
#include "diffusion/kernels/simd_math.hpp"
#include "diffusion/kernels/thread_scratch.hpp"

namespace rendermart::diffusion {
namespace {

// A tile of kTileVectors vectors of queries, and micro-kernels of kMicroRows keys (scores) or
// head-dim rows (output): their kMicroRows x kTileVectors accumulators, the tile's query or
// probability vectors and a broadcast word fill the vector registers (32 with AVX-512, 16
// otherwise). Tiles of 3 vectors beat tiles of 2: each key or value read from cache serves half
// as many queries again (4096-token self-attention 10% faster on AVX2 with 4 rows instead of 6,
// 19-25% faster on an Intel Xeon's AVX-512 with 8 rows). bfloat16 pairs (vdpbf16ps, bound by
// its multiply-adds) keep 2: 3 was no faster there, and 20% slower on 64-token attention.
template <typename S>
struct AttentionShape {
  static constexpr bool kBfloat16Pairs = requires(typename S::V v) { S::dot_pairs(v, v, v); };
  static constexpr int kTileVectors = kBfloat16Pairs ? 2 : 3;
  static constexpr int kTileQueries = kTileVectors * S::kLanes;
  static constexpr int kMicroRows = S::kRegisters >= 32 ? 8 : 4;
};

constexpr std::int64_t kMaxKeyBlock = 96;  // even

template <bool kBf16>
constexpr std::int64_t kPerWord = kBf16 ? 2 : 1;

template <typename S, bool kBf16>
typename S::V multiply_add(typename S::V acc, typename S::V a, typename S::V b) {
  if constexpr (kBf16) {
    return S::dot_pairs(acc, a, b);
  } else {
    return S::fmadd(a, b, acc);
  }
}

// Calls kernel(std::integral_constant<int, min(rows, kMaxRows)>{}) for rows >= 1, so that the
// micro-kernels see their row count at compile time and keep their accumulators in registers.
template <int kMaxRows, typename Kernel>
void with_rows(std::int64_t rows, const Kernel& kernel) {
  if (rows >= kMaxRows) return kernel(std::integral_constant<int, kMaxRows>{});
  if constexpr (kMaxRows > 1) with_rows<kMaxRows - 1>(rows, kernel);
}

// scores[r][lane] = Σ_w key_r[w] · query_tile[w][lane] for `Rows` keys, and block_max[lane]
// raised to them; key r's words start at key + r * key_stride bytes.
template <typename S, bool kBf16, int Rows>
void score_rows(const float* query_tile, std::int64_t words, const char* key,
                std::int64_t key_stride, float* scores, float* block_max) {
  using V = typename S::V;
  constexpr int kTileVectors = AttentionShape<S>::kTileVectors;
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  V acc[Rows][kTileVectors];
#pragma GCC unroll 8
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) acc[r][t] = S::zero();
  }
  for (std::int64_t w = 0; w < words; ++w) {
    V query[kTileVectors];
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) {
      query[t] = S::load(query_tile + w * kTileQueries + t * S::kLanes);
    }
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      const V key_word = S::broadcast_word(key + r * key_stride + w * 4);
#pragma GCC unroll 4
      for (int t = 0; t < kTileVectors; ++t) {
        acc[r][t] = multiply_add<S, kBf16>(acc[r][t], key_word, query[t]);
      }
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < kTileVectors; ++t) {
    V max = S::load(block_max + t * S::kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      S::store(scores + r * kTileQueries + t * S::kLanes, acc[r][t]);
      max = S::max(max, acc[r][t]);
    }
    S::store(block_max + t * S::kLanes, max);
  }
}

// out[r][lane] = out[r][lane] · rescale[lane] + Σ_w value_w[r] · probs[w][lane] for `Rows`
// head-dim rows; value row w's words start at value + w * value_stride bytes.
template <typename S, bool kBf16, int Rows>
void accumulate_output(const float* probs, std::int64_t words, const char* value,
                       std::int64_t value_stride, const float* rescale, float* out) {
  using V = typename S::V;
  constexpr int kTileVectors = AttentionShape<S>::kTileVectors;
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  V acc[Rows][kTileVectors];
#pragma GCC unroll 4
  for (int t = 0; t < kTileVectors; ++t) {
    const V factor = S::load(rescale + t * S::kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      acc[r][t] = S::load(out + r * kTileQueries + t * S::kLanes) * factor;
    }
  }
  for (std::int64_t w = 0; w < words; ++w) {
    V prob[kTileVectors];
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) {
      prob[t] = S::load(probs + w * kTileQueries + t * S::kLanes);
    }
    const char* value_row = value + w * value_stride;
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      const V value_word = S::broadcast_word(value_row + r * 4);
#pragma GCC unroll 4
      for (int t = 0; t < kTileVectors; ++t) {
        acc[r][t] = multiply_add<S, kBf16>(acc[r][t], value_word, prob[t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 4
    for (int t = 0; t < kTileVectors; ++t) {
      S::store(out + r * kTileQueries + t * S::kLanes, acc[r][t]);
    }
  }
}

// Online softmax over one block of `rows` keys whose largest scores are block_max: updates the
// running max and sum of each query, sets rescale = e^(old max - new max) for the earlier output,
// and writes the probabilities e^(score - new max) as words (float32: one key per word;
// bfloat16: keys 2i and 2i+1 in word i, a missing last key as 0). `scale` is
// log2(e) / sqrt(head_dim), so that exp2 gives e^x. Every exponent is at most 0: no overflow
// whatever the scores.
template <typename S, bool kBf16>
void softmax_block(const float* scores, std::int64_t rows, const float* block_max, float scale,
                   float* row_max, float* row_sum, float* rescale, float* probs) {
  using V = typename S::V;
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  const V scale_v = S::set1(scale);
  for (int t = 0; t < AttentionShape<S>::kTileVectors; ++t) {
    const std::int64_t lane0 = t * S::kLanes;
    const V old_max = S::load(row_max + lane0);
    const V new_max = S::max(old_max, S::load(block_max + lane0));
    const V shift = new_max * scale_v;
    const V factor = simd::exp2<S>((old_max - new_max) * scale_v);
    V sum = S::zero();
    if constexpr (kBf16) {
      for (std::int64_t r = 0; r < rows; r += 2) {
        const V first = simd::exp2<S, true>(
            S::fmsub(S::load(scores + r * kTileQueries + lane0), scale_v, shift));
        V second = S::zero();
        if (r + 1 < rows) {
          second = simd::exp2<S, true>(
              S::fmsub(S::load(scores + (r + 1) * kTileQueries + lane0), scale_v, shift));
        }
        sum = sum + (first + second);
        S::store_pairs(probs + (r / 2) * kTileQueries + lane0, first, second);
      }
    } else {
      for (std::int64_t r = 0; r < rows; ++r) {
        const V p =
            simd::exp2<S>(S::fmsub(S::load(scores + r * kTileQueries + lane0), scale_v, shift));
        sum = sum + p;
        S::store(probs + r * kTileQueries + lane0, p);
      }
    }
    S::store(row_max + lane0, new_max);
    S::store(rescale + lane0, factor);
    S::store(row_sum + lane0, S::fmadd(S::load(row_sum + lane0), factor, sum));
  }
}

// query_tile[w][lane] = word w of query `lane`, 0 for lanes past `count`, for w below `words`
// rounded up to kLanes; word w of query i is at first + i * stride + 4 * w bytes.
template <typename S>
void pack_queries(const char* first, std::int64_t stride, std::int64_t count, std::int64_t words,
                  float* query_tile) {
  using V = typename S::V;
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  for (int t = 0; t < AttentionShape<S>::kTileVectors; ++t) {
    for (std::int64_t w = 0; w < words; w += S::kLanes) {
      V block[S::kLanes];
#pragma GCC unroll 16
      for (int i = 0; i < S::kLanes; ++i) {
        const std::int64_t query = t * S::kLanes + i;
        const auto* row = reinterpret_cast<const float*>(first + query * stride + 4 * w);
        block[i] = query < count ? S::load(row, words - w) : S::zero();
      }
      S::transpose(block);
#pragma GCC unroll 16
      for (int j = 0; j < S::kLanes; ++j) {
        S::store(query_tile + (w + j) * kTileQueries + t * S::kLanes, block[j]);
      }
    }
  }
}

// Writes out_tile[c][lane] / row_sum[lane] to the rows of the first `count` queries; dst points
// at the first query's head. out_tile has head_dim rounded up to kLanes rows.
template <typename S, typename T>
void write_output(const float* out_tile, std::int64_t head_dim, const float* row_sum,
                  std::int64_t count, T* dst, std::int64_t dst_stride) {
  using V = typename S::V;
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  for (std::int64_t first = 0; first < count; first += S::kLanes) {
    const V inverse = S::set1(1.0f) / S::load(row_sum + first);
    for (std::int64_t c = 0; c < head_dim; c += S::kLanes) {
      V block[S::kLanes];
#pragma GCC unroll 16
      for (int j = 0; j < S::kLanes; ++j) {
        block[j] = S::load(out_tile + (c + j) * kTileQueries + first) * inverse;
      }
      S::transpose(block);
#pragma GCC unroll 16
      for (int i = 0; i < S::kLanes; ++i) {
        if (first + i < count) S::store(dst + (first + i) * dst_stride + c, block[i], head_dim - c);
      }
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
template <typename S, bool kBf16>
struct TileBuffers {
  static constexpr std::int64_t kTileQueries = AttentionShape<S>::kTileQueries;
  float* query_tile;  // [words rounded up to kLanes][kTileQueries]
  float* scores;      // [kMaxKeyBlock][kTileQueries]
  float* probs;       // [kMaxKeyBlock / words per key][kTileQueries]; float32 reuses scores
  float* out_tile;    // [head_dim rounded up to kLanes][kTileQueries]
  float* row_max;     // [kTileQueries], and so on
  float* row_sum;
  float* rescale;
  float* block_max;

  static std::size_t floats(std::int64_t head_dim) {
    const std::int64_t prob_rows = kBf16 ? kMaxKeyBlock / 2 : 0;
    return static_cast<std::size_t>((round_up(head_dim / kPerWord<kBf16>, S::kLanes) +
                                     kMaxKeyBlock + prob_rows + round_up(head_dim, S::kLanes) + 4) *
                                    kTileQueries);
  }

  TileBuffers(float* scratch, std::int64_t head_dim) {
    query_tile = scratch;
    scores = query_tile + round_up(head_dim / kPerWord<kBf16>, S::kLanes) * kTileQueries;
    probs = kBf16 ? scores + kMaxKeyBlock * kTileQueries : scores;
    out_tile = probs + (kBf16 ? kMaxKeyBlock / 2 : kMaxKeyBlock) * kTileQueries;
    row_max = out_tile + round_up(head_dim, S::kLanes) * kTileQueries;
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

template <typename S, bool kBf16, typename T>
void attend_tile(const AttentionProblem<T>& p, const ValueRows& values, std::int64_t b,
                 std::int64_t h, std::int64_t first_query, const TileBuffers<S, kBf16>& buffers) {
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  constexpr int kMicroRows = AttentionShape<S>::kMicroRows;
  const std::int64_t d = p.head_dim;
  const std::int64_t words = d / kPerWord<kBf16>;
  const std::int64_t count = std::min<std::int64_t>(kTileQueries, p.queries - first_query);
  const auto [query_tile, scores, probs, out_tile, row_max, row_sum, rescale, block_max] = buffers;

  const std::int64_t q_stride = p.q.token_stride * static_cast<std::int64_t>(sizeof(T));
  pack_queries<S>(reinterpret_cast<const char*>(p.q.data + b * p.q.batch_stride +
                                                first_query * p.q.token_stride + h * d),
                  q_stride, count, words, query_tile);
  std::fill(out_tile, out_tile + round_up(d, S::kLanes) * kTileQueries, 0.0f);
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
      with_rows<kMicroRows>(rows - r, [&](auto n) {
        score_rows<S, kBf16, decltype(n)::value>(query_tile, words, keys + (block + r) * key_stride,
                                                 key_stride, scores + r * kTileQueries, block_max);
      });
    }
    softmax_block<S, kBf16>(scores, rows, block_max, scale, row_max, row_sum, rescale, probs);
    const std::int64_t prob_words = (rows + kPerWord<kBf16> - 1) / kPerWord<kBf16>;
    const char* value_block = values.data + block / kPerWord<kBf16> * values.row_stride;
    for (std::int64_t c = 0; c < d; c += kMicroRows) {
      with_rows<kMicroRows>(d - c, [&](auto n) {
        accumulate_output<S, kBf16, decltype(n)::value>(probs, prob_words, value_block + 4 * c,
                                                        values.row_stride, rescale,
                                                        out_tile + c * kTileQueries);
      });
    }
  }
  write_output<S>(out_tile, d, row_sum, count,
                  p.out + (b * p.queries + first_query) * p.heads * d + h * d, p.heads * d);
}

// Keys and values of all heads up to this size stay in a core's L2 cache (1 MB and more on
// current cores).
constexpr std::int64_t kCachedKeyValueBytes = 512 * 1024;

// Runs every (batch, head, query tile) task on the intra-op pool; value_rows(b, h) says where the
// values of a head are. Consecutive tasks share what is costly to reload: when the keys and values
// of all heads fit in L2 (cross-attention to 77 text tokens), a query tile goes through all heads,
// so that its query and output rows, which interleave the heads, come from memory once; otherwise
// a head goes through all query tiles, so that its keys and values stay in cache.
template <typename S, bool kBf16, typename T, typename ValueRowsOf>
void attend_all(const AttentionProblem<T>& p, const ValueRowsOf& value_rows) {
  constexpr int kTileQueries = AttentionShape<S>::kTileQueries;
  const std::int64_t tiles = (p.queries + kTileQueries - 1) / kTileQueries;
  const bool tile_major =
      2 * p.keys * p.heads * p.head_dim * static_cast<std::int64_t>(sizeof(T)) <=
      kCachedKeyValueBytes;
  at::parallel_for(0, p.batch * p.heads * tiles, 1, [&](std::int64_t first, std::int64_t last) {
    const TileBuffers<S, kBf16> buffers(thread_scratch(TileBuffers<S, kBf16>::floats(p.head_dim)),
                                        p.head_dim);
    for (std::int64_t task = first; task < last; ++task) {
      const std::int64_t b = task / (p.heads * tiles);
      const std::int64_t within = task % (p.heads * tiles);
      const std::int64_t h = tile_major ? within % p.heads : within / tiles;
      const std::int64_t tile = tile_major ? within / p.heads : within % tiles;
      attend_tile<S, kBf16>(p, value_rows(b, h), b, h, tile * kTileQueries, buffers);
    }
  });
}

template <typename S>
void attention_f32(const AttentionProblem<float>& p) {
  if (p.batch == 0 || p.queries == 0) return;
  attend_all<S, false>(p, [&](std::int64_t b, std::int64_t h) {
    return ValueRows{
        reinterpret_cast<const char*>(p.v.data + b * p.v.batch_stride + h * p.head_dim),
        p.v.token_stride * static_cast<std::int64_t>(sizeof(float))};
  });
}

// S has dot_pairs, store_pairs and interleave_pairs (simd::Avx512Bf16); head_dim is even.
template <typename S>
void attention_bf16(const AttentionProblem<std::uint16_t>& p) {
  if (p.batch == 0 || p.queries == 0) return;
  const std::int64_t pairs = (p.keys + 1) / 2;
  const std::int64_t heads = p.batch * p.heads;
  const std::int64_t d = p.head_dim;
  // packed[b][h][i][c] = value[b][2i][h][c] | value[b][2i + 1][h][c] << 16 (0 past the last key).
  const std::unique_ptr<std::uint32_t[]> packed(
      new std::uint32_t[static_cast<std::size_t>(heads * pairs * d)]);
  at::parallel_for(0, heads * pairs, 64, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t index = first; index < last; ++index) {
      const std::int64_t b = index / (p.heads * pairs);
      const std::int64_t h = (index / pairs) % p.heads;
      const std::int64_t i = index % pairs;
      const std::uint16_t* even =
          p.v.data + b * p.v.batch_stride + 2 * i * p.v.token_stride + h * d;
      const std::uint16_t* odd = 2 * i + 1 < p.keys ? even + p.v.token_stride : nullptr;
      S::interleave_pairs(even, odd, d, packed.get() + index * d);
    }
  });
  attend_all<S, true>(p, [&](std::int64_t b, std::int64_t h) {
    return ValueRows{reinterpret_cast<const char*>(packed.get() + (b * p.heads + h) * pairs * d),
                     d * static_cast<std::int64_t>(sizeof(std::uint32_t))};
  });
}

}  // namespace
}  // namespace rendermart::diffusion
