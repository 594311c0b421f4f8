#include "diffusion/clip_tokenizer.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "diffusion/model_config.hpp"

namespace rendermart::diffusion {
namespace {

// transformers reads this many merges: CLIP's vocabulary is 49408 = 256 bytes + 256 word-final
// bytes + these merges + the two special tokens.
constexpr int kMerges = 49152 - 256 - 2;

std::string utf8(utf8proc_int32_t code_point) {
  utf8proc_uint8_t buffer[4];
  const auto n = utf8proc_encode_char(code_point, buffer);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

std::vector<utf8proc_int32_t> decode(const std::string& text) {
  std::vector<utf8proc_int32_t> out;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t pos = 0;
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  while (pos < size) {
    utf8proc_int32_t cp = 0;
    const auto n = utf8proc_iterate(bytes + pos, size - pos, &cp);
    if (n <= 0) {  // invalid UTF-8: the replacement character, as Python's decode would
      out.push_back(0xFFFD);
      ++pos;
      continue;
    }
    out.push_back(cp);
    pos += n;
  }
  return out;
}

std::string nfc(const std::string& text) {
  utf8proc_uint8_t* result = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                              static_cast<utf8proc_ssize_t>(text.size()), &result,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return text;
  std::string out(reinterpret_cast<char*>(result), static_cast<std::size_t>(n));
  std::free(result);
  return out;
}

bool is_space(utf8proc_int32_t cp) {
  // Python's str.isspace / regex \s: the Unicode White_Space characters plus the ASCII
  // separators 0x1C-0x1F.
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F) || cp == 0x85 ||
      cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
      cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000) {
    return true;
  }
  return false;
}

bool is_letter(utf8proc_int32_t cp) {
  const auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT ||
         c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_LO;
}

bool is_number(utf8proc_int32_t cp) {
  const auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

// The fixes of ftfy.fix_text that apply to text typed by a person: curly quotes become straight
// ones, full-width forms and Latin ligatures their plain letters, control characters go; then NFC.
std::string fix_text(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const auto cp : decode(text)) {
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x201A || cp == 0x201B) {
      out += '\'';
    } else if (cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0x201F) {
      out += '"';
    } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
      out += static_cast<char>(cp - 0xFF01 + 0x21);
    } else if (cp == 0x3000) {
      out += ' ';
    } else if (cp >= 0xFB00 && cp <= 0xFB06) {
      static const char* ligatures[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
      out += ligatures[cp - 0xFB00];
    } else if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CC && !is_space(cp)) {
      continue;
    } else {
      out += utf8(cp);
    }
  }
  return nfc(out);
}

// whitespace_clean(text).lower() of transformers' CLIPTokenizer, on code points.
std::vector<utf8proc_int32_t> clean_and_lower(const std::string& text) {
  std::vector<utf8proc_int32_t> out;
  bool pending_space = false;
  for (const auto cp : decode(text)) {
    if (is_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(utf8proc_tolower(cp));
  }
  return out;
}

std::string to_utf8(const std::vector<utf8proc_int32_t>& cps, std::size_t begin, std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) out += utf8(cps[i]);
  return out;
}

bool starts_with_ci(const std::vector<utf8proc_int32_t>& cps, std::size_t at, const char* word) {
  for (std::size_t i = 0; word[i]; ++i) {
    if (at + i >= cps.size() || utf8proc_tolower(cps[at + i]) != word[i]) return false;
  }
  return true;
}

// CLIP's pattern: 's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ (the special tokens
// are split off before this runs).
std::vector<std::string> split_words(const std::vector<utf8proc_int32_t>& cps) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < cps.size()) {
    const auto cp = cps[i];
    if (cp == '\'') {
      bool matched = false;
      for (const char* suffix : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}) {
        if (starts_with_ci(cps, i, suffix)) {
          const std::size_t n = std::char_traits<char>::length(suffix);
          words.push_back(to_utf8(cps, i, i + n));
          i += n;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    std::size_t j = i + 1;
    if (is_letter(cp)) {
      while (j < cps.size() && is_letter(cps[j])) ++j;
    } else if (is_number(cp)) {
      // one digit per word
    } else if (is_space(cp)) {
      i = j;
      continue;
    } else {
      while (j < cps.size() && !is_space(cps[j]) && !is_letter(cps[j]) && !is_number(cps[j])) ++j;
    }
    words.push_back(to_utf8(cps, i, j));
    i = j;
  }
  return words;
}

// GPT-2's reversible map of bytes to printable characters.
std::vector<std::string> make_byte_symbols() {
  std::vector<int> printable;
  for (int b = '!'; b <= '~'; ++b) printable.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) printable.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) printable.push_back(b);
  std::vector<std::string> symbols(256);
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool direct = std::find(printable.begin(), printable.end(), b) != printable.end();
    symbols[static_cast<std::size_t>(b)] = utf8(direct ? b : 256 + extra++);
  }
  return symbols;
}

}  // namespace

// The CLIP vocabulary and merges that every Stable Diffusion tokenizer uses, carried in the
// binary (assets/clip_tokenizer/README.md) for checkpoints that come without a tokenizer.
extern "C" const char rendermart_clip_vocab[];
extern "C" const char rendermart_clip_vocab_end[];
extern "C" const char rendermart_clip_merges[];
extern "C" const char rendermart_clip_merges_end[];

namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::model_error, "missing file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ClipTokenizer::ClipTokenizer(const std::string& folder)
    : ClipTokenizer(read_json_file(folder + "/vocab.json"), folder) {}

ClipTokenizer::ClipTokenizer(const nlohmann::json& vocab, const std::string& folder)
    : ClipTokenizer(vocab, read_text_file(folder + "/merges.txt"),
                    std::ifstream(folder + "/tokenizer_config.json")
                        ? read_json_file(folder + "/tokenizer_config.json")
                        : nlohmann::json::object(),
                    folder) {}

ClipTokenizer ClipTokenizer::builtin(Variant variant) {
  // OpenCLIP (SD 2.x) pads with "!", a special token there (as stabilityai's tokenizer/ says).
  auto config = variant == Variant::open_clip
                    ? nlohmann::json{{"pad_token", "!"},
                                     {"added_tokens_decoder", {{"0", {{"content", "!"}}}}}}
                    : nlohmann::json::object();
  return ClipTokenizer(
      nlohmann::json::parse(std::string_view(rendermart_clip_vocab,
                                             rendermart_clip_vocab_end - rendermart_clip_vocab)),
      std::string(rendermart_clip_merges, rendermart_clip_merges_end), config,
      "the built-in CLIP tokenizer");
}

ClipTokenizer::ClipTokenizer(const nlohmann::json& vocab, const std::string& merges,
                             const nlohmann::json& config, const std::string& origin)
    : byte_symbols_(make_byte_symbols()) {
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer()) {
      throw Error(ErrorCode::model_error,
                  origin + "/vocab.json: the id of a token is not a number");
    }
    vocab_.emplace(token, id.get<std::int64_t>());
  }
  std::istringstream lines(merges);
  std::string line;
  std::getline(lines, line);  // "#version: 0.2"
  int rank = 0;
  while (rank < kMerges && std::getline(lines, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    merge_ranks_.emplace(line, rank++);
  }
  if (rank == 0) throw Error(ErrorCode::model_error, origin + "/merges.txt has no merges");

  std::string bos = "<|startoftext|>";
  std::string eos = "<|endoftext|>";
  std::string pad = eos;
  std::string unk = eos;
  std::vector<std::string> added;
  const auto token_text = [&](const char* key, std::string& into) {
    const auto it = config.find(key);
    if (it == config.end()) return;
    if (it->is_string()) into = it->get<std::string>();
    if (it->is_object() && it->contains("content")) into = (*it)["content"].get<std::string>();
  };
  token_text("bos_token", bos);
  token_text("eos_token", eos);
  token_text("pad_token", pad);
  token_text("unk_token", unk);
  if (const auto decoder = config.find("added_tokens_decoder"); decoder != config.end()) {
    for (const auto& [id_text, token] : decoder->items()) {
      const auto content = token.value("content", std::string());
      if (content.empty()) continue;
      added.push_back(content);
      vocab_.try_emplace(content, std::stoll(id_text));
    }
  }
  bos_id_ = id_of(bos);
  eos_id_ = id_of(eos);
  pad_id_ = id_of(pad);
  unk_id_ = id_of(unk);
  for (const auto& token : {bos, eos, pad, unk}) added.push_back(token);
  std::sort(added.begin(), added.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  added.erase(std::unique(added.begin(), added.end()), added.end());
  special_tokens_ = added;
}

std::int64_t ClipTokenizer::id_of(const std::string& token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) {
    throw Error(ErrorCode::model_error, "the tokenizer's vocabulary has no token " + token);
  }
  return it->second;
}

std::vector<std::int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<std::int64_t> ids{bos_id_};
  // The special tokens are cut out first (the earliest match, the longest there), as the slow
  // tokenizer's trie does; the text between them is tokenized normally.
  std::size_t start = 0;
  std::size_t scan = 0;
  while (scan < text.size()) {
    std::size_t best_at = std::string::npos;
    const std::string* best = nullptr;
    for (const auto& token : special_tokens_) {
      const auto at = text.find(token, scan);
      if (at < best_at) {
        best_at = at;
        best = &token;
      }
    }
    if (!best) break;
    encode_piece(text.substr(start, best_at - start), ids);
    ids.push_back(id_of(*best));
    start = scan = best_at + best->size();
  }
  encode_piece(text.substr(start), ids);
  ids.push_back(eos_id_);
  return ids;
}

std::vector<std::int64_t> ClipTokenizer::encode_padded(const std::string& text,
                                                       int max_length) const {
  auto ids = encode(text);
  const auto limit = static_cast<std::size_t>(max_length);
  if (ids.size() > limit) {
    ids.resize(limit);
    ids.back() = eos_id_;
  }
  ids.resize(limit, pad_id_);
  return ids;
}

void ClipTokenizer::encode_piece(const std::string& text, std::vector<std::int64_t>& out) const {
  for (const auto& word : split_words(clean_and_lower(fix_text(text)))) encode_word(word, out);
}

void ClipTokenizer::encode_word(const std::string& word, std::vector<std::int64_t>& out) const {
  // Bytes -> printable symbols; the last one carries the end-of-word mark.
  std::vector<std::string> parts;
  for (unsigned char byte : word) parts.push_back(byte_symbols_[byte]);
  if (parts.empty()) return;
  parts.back() += "</w>";
  while (parts.size() > 1) {
    int best_rank = INT_MAX;
    std::size_t best = 0;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const auto it = merge_ranks_.find(parts[i] + " " + parts[i + 1]);
      if (it != merge_ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best_rank == INT_MAX) break;
    // Merge every occurrence of the best pair, left to right, as the reference does.
    const std::string left = parts[best];
    const std::string right = parts[best + 1];
    std::vector<std::string> merged;
    for (std::size_t i = 0; i < parts.size();) {
      if (i + 1 < parts.size() && parts[i] == left && parts[i + 1] == right) {
        merged.push_back(left + right);
        i += 2;
      } else {
        merged.push_back(parts[i]);
        ++i;
      }
    }
    parts = std::move(merged);
  }
  for (const auto& part : parts) {
    const auto it = vocab_.find(part);
    out.push_back(it == vocab_.end() ? unk_id_ : it->second);
  }
}

}  // namespace rendermart::diffusion
