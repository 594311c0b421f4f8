#pragma once

// Prompts as AUTOMATIC1111 reads them: attention weights written in brackets, and prompts of any
// length cut into chunks that the text encoder takes one at a time. Torch-free.
//
//   (word) x1.1   ((word)) x1.21   [word] /1.1   (word:1.3) x1.3   \( \) \[ \] \\ literal
//   BREAK  ends the current chunk
//
// The rules are those of its modules/prompt_parser.py (parse_prompt_attention) and
// modules/sd_hijack_clip.py (tokenize_line), unbalanced brackets and all: a bracket left open
// weights everything after it, a closing one without an opening one is text.

#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/clip_tokenizer.hpp"

namespace rendermart::diffusion {

// A run of prompt text and its weight. A chunk break is the text "BREAK" with weight -1, as
// AUTOMATIC1111 marks it (so that a BREAK inside brackets, whose weight the brackets then
// multiply, becomes the word again, as it does there).
struct WeightedText {
  std::string text;
  double weight = 1.0;

  bool is_break() const { return weight == -1 && text == "BREAK"; }
  bool operator==(const WeightedText&) const = default;
};

// The prompt as runs of text, neighbours of equal weight merged; never empty (an empty prompt is
// one empty run). Throws Error(invalid_argument, field "prompt") for a weight that is not a
// number, such as (word:1.2.3).
std::vector<WeightedText> parse_prompt_attention(const std::string& prompt);

// One input of the text encoder: [bos], the chunk's tokens, [eos], then the tokenizer's pad id up
// to the chunk's full length; a weight per id (1 for the special and pad ids).
struct PromptChunk {
  std::vector<std::int64_t> ids;
  std::vector<float> weights;
};

// How AUTOMATIC1111 fills chunks: 75 tokens (plus bos and eos: CLIP's 77 positions), and a chunk
// that fills up within 20 tokens after a comma ends at that comma instead, its last words moving
// to the next chunk (its default comma_padding_backtrack).
struct ChunkRules {
  int tokens_per_chunk = 75;
  int comma_backtrack = 20;  // 0: never
};

// The prompt's chunks: at least one (an empty prompt is one chunk of bos, eos and padding).
// Padding after eos is the tokenizer's pad id, in every chunk: for a prompt of one chunk that is
// exactly what the diffusers pipelines feed the encoder, and it is what AUTOMATIC1111 feeds it
// too (eos for CLIP; for OpenCLIP encoders, SD 2.x and SDXL's second, it overwrites everything
// after the first eos with id 0, the "!" that those tokenizers pad with).
std::vector<PromptChunk> chunk_prompt(const std::vector<WeightedText>& parsed,
                                      const ClipTokenizer& tokenizer, const ChunkRules& rules = {});

// parse_prompt_attention, then chunk_prompt.
std::vector<PromptChunk> prompt_chunks(const std::string& prompt, const ClipTokenizer& tokenizer,
                                       const ChunkRules& rules = {});

// The chunk of the empty prompt. With guidance, AUTOMATIC1111 can append it to the shorter of the
// prompt's and the negative prompt's chunks until both have as many, so that they stack into one
// batch ("pad prompt/negative prompt to be same length"); StableDiffusion::condition does.
PromptChunk empty_chunk(const ClipTokenizer& tokenizer, const ChunkRules& rules = {});

}  // namespace rendermart::diffusion
