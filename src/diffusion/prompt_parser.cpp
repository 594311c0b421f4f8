#include "diffusion/prompt_parser.hpp"

#include <cctype>
#include <charconv>
#include <cstring>

#include "core/error.hpp"

namespace rendermart::diffusion {
namespace {

constexpr double kRoundBracket = 1.1;
constexpr double kSquareBracket = 1 / 1.1;
constexpr const char* kBreak = "BREAK";
constexpr std::size_t kBreakLength = 5;

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// A character of a word for the \b around BREAK: Python's \w, with every byte of a multi-byte
// UTF-8 character counted as a letter (most characters beyond ASCII in prompts are).
bool is_word(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || std::isalnum(byte) != 0 || c == '_';
}

// Plain text, split where re.split(r"\s*\bBREAK\b\s*", text) splits it: each BREAK, with the
// whitespace around it, becomes a break marker between the pieces.
void append_text(const std::string& text, std::vector<WeightedText>& out) {
  std::size_t piece_start = 0;
  std::size_t search = 0;
  while (true) {
    const auto found = text.find(kBreak, search);
    if (found == std::string::npos) break;
    const auto after = found + kBreakLength;
    const bool bounded = (found == 0 || !is_word(text[found - 1])) &&
                         (after == text.size() || !is_word(text[after]));
    if (!bounded) {
      search = found + 1;
      continue;
    }
    auto match_start = found;
    while (match_start > piece_start && is_space(text[match_start - 1])) --match_start;
    auto match_end = after;
    while (match_end < text.size() && is_space(text[match_end])) ++match_end;
    out.push_back({text.substr(piece_start, match_start - piece_start), 1.0});
    out.push_back({kBreak, -1});
    piece_start = match_end;
    search = match_end;
  }
  out.push_back({text.substr(piece_start), 1.0});
}

// Python's float() of what [+-]?[.\d]+ matched: digits with at most one point.
double parse_weight(const std::string& text) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;
  double value = 0;
  const auto [end, error] = std::from_chars(first, last, value, std::chars_format::fixed);
  if (error != std::errc() || end != last) {
    throw invalid_argument("prompt", "the weight \"" + text +
                                         "\" in the prompt is not a number: write it as in "
                                         "(word:1.2)");
  }
  return value;
}

}  // namespace

std::vector<WeightedText> parse_prompt_attention(const std::string& prompt) {
  std::vector<WeightedText> res;
  std::vector<std::size_t> round_brackets;
  std::vector<std::size_t> square_brackets;
  const auto multiply_range = [&](std::size_t start, double multiplier) {
    for (auto p = start; p < res.size(); ++p) res[p].weight *= multiplier;
  };
  const auto n = prompt.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = prompt[i];
    if (c == '\\') {
      // \( \) \[ \] \\ are the character; a backslash before anything else is dropped.
      if (i + 1 < n && std::strchr("()[]\\", prompt[i + 1]) != nullptr) {
        res.push_back({std::string(1, prompt[i + 1]), 1.0});
        i += 2;
      } else {
        res.push_back({"", 1.0});
        i += 1;
      }
    } else if (c == '(') {
      round_brackets.push_back(res.size());
      ++i;
    } else if (c == '[') {
      square_brackets.push_back(res.size());
      ++i;
    } else if (c == ':') {
      // ":<number>)" closes a round bracket with that weight; otherwise the colon is text.
      auto j = i + 1;
      if (j < n && (prompt[j] == '+' || prompt[j] == '-')) ++j;
      const auto digits = j;
      while (j < n && (std::isdigit(static_cast<unsigned char>(prompt[j])) || prompt[j] == '.')) {
        ++j;
      }
      if (j > digits && j < n && prompt[j] == ')') {
        if (round_brackets.empty()) {
          append_text(prompt.substr(i, j + 1 - i), res);
        } else {
          const auto start = round_brackets.back();
          round_brackets.pop_back();
          multiply_range(start, parse_weight(prompt.substr(i + 1, j - i - 1)));
        }
        i = j + 1;
      } else {
        append_text(":", res);
        ++i;
      }
    } else if (c == ')' && !round_brackets.empty()) {
      multiply_range(round_brackets.back(), kRoundBracket);
      round_brackets.pop_back();
      ++i;
    } else if (c == ']' && !square_brackets.empty()) {
      multiply_range(square_brackets.back(), kSquareBracket);
      square_brackets.pop_back();
      ++i;
    } else if (c == ')' || c == ']') {
      append_text(std::string(1, c), res);
      ++i;
    } else {
      const auto end = prompt.find_first_of("\\()[]:", i);
      const auto stop = end == std::string::npos ? n : end;
      append_text(prompt.substr(i, stop - i), res);
      i = stop;
    }
  }
  // Brackets left open weight everything after them.
  for (const auto position : round_brackets) multiply_range(position, kRoundBracket);
  for (const auto position : square_brackets) multiply_range(position, kSquareBracket);
  if (res.empty()) res.push_back({"", 1.0});
  std::size_t k = 0;
  while (k + 1 < res.size()) {
    if (res[k].weight == res[k + 1].weight) {
      res[k].text += res[k + 1].text;
      res.erase(res.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    } else {
      ++k;
    }
  }
  return res;
}

std::vector<PromptChunk> chunk_prompt(const std::vector<WeightedText>& parsed,
                                      const ClipTokenizer& tokenizer, const ChunkRules& rules) {
  const auto length = static_cast<std::size_t>(rules.tokens_per_chunk);
  const auto comma = tokenizer.encode(",").at(1);
  std::vector<PromptChunk> chunks;
  PromptChunk chunk;  // the tokens so far, without bos, eos and padding
  std::ptrdiff_t last_comma = -1;
  const auto next_chunk = [&] {
    PromptChunk full;
    full.ids.reserve(length + 2);
    full.ids.push_back(tokenizer.bos_id());
    full.ids.insert(full.ids.end(), chunk.ids.begin(), chunk.ids.end());
    full.ids.push_back(tokenizer.eos_id());
    full.ids.resize(length + 2, tokenizer.pad_id());
    full.weights.reserve(length + 2);
    full.weights.push_back(1);
    full.weights.insert(full.weights.end(), chunk.weights.begin(), chunk.weights.end());
    full.weights.resize(length + 2, 1);
    chunks.push_back(std::move(full));
    chunk = {};
    last_comma = -1;
  };
  for (const auto& piece : parsed) {
    if (piece.is_break()) {
      next_chunk();
      continue;
    }
    // encode() adds bos and eos, which the loop skips.
    const auto tokens = tokenizer.encode(piece.text);
    for (std::size_t position = 1; position + 1 < tokens.size(); ++position) {
      const auto token = tokens[position];
      const auto size = static_cast<std::ptrdiff_t>(chunk.ids.size());
      if (token == comma) {
        last_comma = size;
      } else if (rules.comma_backtrack != 0 && chunk.ids.size() == length && last_comma != -1 &&
                 size - last_comma <= rules.comma_backtrack) {
        // The chunk is full and a comma is near its end: what follows the comma moves on.
        const auto cut = last_comma + 1;
        PromptChunk moved;
        moved.ids.assign(chunk.ids.begin() + cut, chunk.ids.end());
        moved.weights.assign(chunk.weights.begin() + cut, chunk.weights.end());
        chunk.ids.resize(static_cast<std::size_t>(cut));
        chunk.weights.resize(static_cast<std::size_t>(cut));
        next_chunk();
        chunk = std::move(moved);
      }
      if (chunk.ids.size() == length) next_chunk();
      chunk.ids.push_back(token);
      chunk.weights.push_back(static_cast<float>(piece.weight));
    }
  }
  if (!chunk.ids.empty() || chunks.empty()) next_chunk();
  return chunks;
}

std::vector<PromptChunk> prompt_chunks(const std::string& prompt, const ClipTokenizer& tokenizer,
                                       const ChunkRules& rules) {
  return chunk_prompt(parse_prompt_attention(prompt), tokenizer, rules);
}

PromptChunk empty_chunk(const ClipTokenizer& tokenizer, const ChunkRules& rules) {
  return chunk_prompt({{"", 1.0}}, tokenizer, rules).front();
}

}  // namespace rendermart::diffusion
