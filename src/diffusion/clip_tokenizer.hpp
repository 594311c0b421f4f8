#pragma once

// The CLIP byte-level BPE tokenizer, from a model's tokenizer/vocab.json and merges.txt, with the
// behaviour of transformers' CLIPTokenizer (the class Stable Diffusion pipelines load) when ftfy is
// installed: the text is split on the special tokens first, then each piece is normalised (NFC,
// curly quotes and full-width forms as plain ASCII, ligatures spelled out), whitespace-collapsed
// and lower-cased, cut into words by CLIP's pattern, and each word is BPE-merged. ftfy's mojibake
// repair (text that was decoded with the wrong encoding) is not reproduced. Torch-free.

#include <nlohmann/json.hpp>

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

  // The tokenizers of SD 1.x (CLIP ViT-L) and SD 2.x (OpenCLIP ViT-H, which pads with "!"), from
  // the CLIP vocabulary carried in the binary: for checkpoints that ship no tokenizer.
  enum class Variant { clip, open_clip };
  static ClipTokenizer builtin(Variant variant);

  // [bos, ids..., eos] without truncation or padding. Thread-safe.
  std::vector<std::int64_t> encode(const std::string& text) const;
  // As the pipelines call it: [bos] + at most max_length - 2 ids + [eos], then the pad id up to
  // max_length.
  std::vector<std::int64_t> encode_padded(const std::string& text, int max_length) const;

  std::int64_t bos_id() const { return bos_id_; }
  std::int64_t eos_id() const { return eos_id_; }
  std::int64_t pad_id() const { return pad_id_; }

 private:
  // vocab.json, merges.txt and tokenizer_config.json as parsed or read; `origin` names them in
  // errors.
  ClipTokenizer(const nlohmann::json& vocab, const std::string& merges,
                const nlohmann::json& config, const std::string& origin);
  // The rest of a tokenizer folder, once vocab.json is read (so that a missing vocab.json is
  // the error named first).
  ClipTokenizer(const nlohmann::json& vocab, const std::string& folder);

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
