#pragma once

// The CLIP byte-level BPE tokenizer, from a model's tokenizer/vocab.json and merges.txt, with the
// behaviour of transformers' CLIPTokenizer (the class Stable Diffusion pipelines load) when ftfy is
// installed: the text is split on the special tokens first, then each piece is normalised (NFC,
// curly quotes and full-width forms as plain ASCII, ligatures spelled out), whitespace-collapsed
// and lower-cased, cut into words by CLIP's pattern, and each word is BPE-merged. ftfy's mojibake
// repair (text that was decoded with the wrong encoding) is not reproduced. Torch-free.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace rendermart::diffusion {

class ClipTokenizer {
 public:
  // Reads vocab.json, merges.txt and (when present) tokenizer_config.json of `folder`. Throws
  // Error(model_error) for missing or malformed files.
  explicit ClipTokenizer(const std::string& folder);

  // [bos, ids..., eos] without truncation or padding. Thread-safe.
  std::vector<std::int64_t> encode(const std::string& text) const;
  // As the pipelines call it: [bos] + at most max_length - 2 ids + [eos], then the pad id up to
  // max_length.
  std::vector<std::int64_t> encode_padded(const std::string& text, int max_length) const;

  std::int64_t bos_id() const { return bos_id_; }
  std::int64_t eos_id() const { return eos_id_; }
  std::int64_t pad_id() const { return pad_id_; }

 private:
  void encode_piece(const std::string& text, std::vector<std::int64_t>& out) const;
  void encode_word(const std::string& word, std::vector<std::int64_t>& out) const;
  std::int64_t id_of(const std::string& token) const;

  std::unordered_map<std::string, std::int64_t> vocab_;
  std::unordered_map<std::string, int> merge_ranks_;  // "left right" -> rank
  std::vector<std::string> byte_symbols_;             // byte -> its printable stand-in (UTF-8)
  std::vector<std::string> special_tokens_;           // longest first
  std::int64_t bos_id_ = 49406;
  std::int64_t eos_id_ = 49407;
  std::int64_t pad_id_ = 49407;
  std::int64_t unk_id_ = 49407;
};

}  // namespace rendermart::diffusion
