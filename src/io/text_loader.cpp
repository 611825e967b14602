// Text memory sets: plain vector files and Hardin–Sloane–Smith packing files.
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::io {
namespace {

namespace fs = std::filesystem;

struct Line {
  std::int64_t number = 0;  // 1-based line number in the file
  std::vector<std::string> tokens;
};

[[noreturn]] void fail(const fs::path& path, const std::string& problem) {
  throw InputError(path.string() + ": " + problem);
}

[[noreturn]] void fail_at(const fs::path& path, std::int64_t line, const std::string& problem) {
  throw InputError(path.string() + ":" + std::to_string(line) + ": " + problem);
}

// Splits every line into tokens separated by whitespace and/or single commas; '#' starts a
// comment. Lines with no tokens are dropped.
std::vector<Line> tokenize(const fs::path& path, const std::string& text) {
  std::vector<Line> lines;
  std::int64_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view raw(text.data() + pos, end - pos);
    pos = end + 1;
    ++number;
    if (const auto hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);

    Line line{number, {}};
    std::string current;
    bool after_comma = false;  // a comma was seen since the last token
    const auto flush = [&] {
      if (!current.empty()) {
        line.tokens.push_back(current);
        current.clear();
        after_comma = false;
      }
    };
    for (const char c : raw) {
      if (c == ',') {
        flush();
        if (after_comma || line.tokens.empty()) fail_at(path, number, "empty field before ','");
        after_comma = true;
      } else if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\0') {
        flush();
      } else {
        current.push_back(c);
      }
    }
    flush();
    if (after_comma) fail_at(path, number, "empty field after trailing ','");
    if (!line.tokens.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

// Drops one leading '+' (from_chars does not take it) unless another sign follows.
std::string_view strip_plus(std::string_view token) {
  if (token.size() > 1 && token[0] == '+' && token[1] != '+' && token[1] != '-') {
    token.remove_prefix(1);
  }
  return token;
}

// Parses a whole token as a double (C locale); nan and inf parse too and are rejected later.
// `out_of_range`, when given, tells a well-formed number beyond a double (1e400, 1e-400) from
// a token that is no number at all.
std::optional<double> parse_double(std::string_view token, bool* out_of_range = nullptr) {
  token = strip_plus(token);
  double value = 0.0;
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (out_of_range != nullptr) *out_of_range = ec == std::errc::result_out_of_range && ptr == end;
  if (token.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_integer(std::string_view token) {
  token = strip_plus(token);
  std::int64_t value = 0;
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

double number_or_fail(const fs::path& path, const Line& line, const std::string& token) {
  bool out_of_range = false;
  const auto value = parse_double(token, &out_of_range);
  if (!value && out_of_range) {
    fail_at(path, line.number, "value '" + token + "' is outside the range of a double");
  }
  if (!value) fail_at(path, line.number, "non-numeric token '" + token + "'");
  if (!std::isfinite(*value)) fail_at(path, line.number, "non-finite value '" + token + "'");
  return *value;
}

// A trailer line (Sloane's "min angle = ..." notes) starts with a word. A token that starts
// like a number but does not parse is a damaged number, never a trailer.
bool starts_trailer(const Line& line) {
  const std::string& first = line.tokens.front();
  return std::isalpha(static_cast<unsigned char>(first.front())) != 0 && !parse_double(first);
}

struct SloaneName {
  std::int64_t dim = 0;
  std::int64_t count = 0;
};

// pack.D.N.txt → (D, N).
std::optional<SloaneName> parse_sloane_name(const fs::path& path) {
  const std::string name = path.filename().string();
  constexpr std::string_view prefix = "pack.";
  constexpr std::string_view suffix = ".txt";
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return std::nullopt;
  }
  const std::string middle = name.substr(prefix.size(), name.size() - prefix.size() -
                                                            suffix.size());
  const auto dot = middle.find('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::string d_text = middle.substr(0, dot);
  const std::string n_text = middle.substr(dot + 1);
  const auto all_digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!all_digits(d_text) || !all_digits(n_text)) return std::nullopt;
  const auto d = parse_integer(d_text);
  const auto n = parse_integer(n_text);
  if (!d || !n || *d < 1 || *n < 1) return std::nullopt;
  return SloaneName{*d, *n};
}

// "D N 1": the header of Sloane's integer files (coordinates scaled by 2^30).
std::optional<SloaneName> parse_integer_header(const Line& line) {
  if (line.tokens.size() != 3) return std::nullopt;
  const auto d = parse_integer(line.tokens[0]);
  const auto n = parse_integer(line.tokens[1]);
  const auto flag = parse_integer(line.tokens[2]);
  if (!d || !n || !flag || *d < 1 || *n < 1 || *flag != 1) return std::nullopt;
  return SloaneName{*d, *n};
}

Matrix load_vectors(const fs::path& path, const std::vector<Line>& lines, std::int64_t dim) {
  if (lines.empty()) fail(path, "empty file: no vectors found");
  const auto cols = static_cast<std::int64_t>(lines.front().tokens.size());
  if (dim > 0 && cols != dim) {
    fail_at(path, lines.front().number,
            "row has " + std::to_string(cols) + " values, expected dimension " +
                std::to_string(dim));
  }
  Matrix out(static_cast<std::int64_t>(lines.size()), cols);
  for (std::int64_t i = 0; i < out.rows; ++i) {
    const Line& line = lines[static_cast<std::size_t>(i)];
    if (static_cast<std::int64_t>(line.tokens.size()) != cols) {
      fail_at(path, line.number,
              "ragged rows: this row has " + std::to_string(line.tokens.size()) +
                  " values, the first (line " + std::to_string(lines.front().number) + ") has " +
                  std::to_string(cols));
    }
    for (std::int64_t j = 0; j < cols; ++j) {
      out(i, j) = number_or_fail(path, line, line.tokens[static_cast<std::size_t>(j)]);
    }
  }
  return out;
}

Matrix load_sloane(const fs::path& path, const std::vector<Line>& lines, std::int64_t dim) {
  if (lines.empty()) fail(path, "empty file: no coordinates found");
  const std::optional<SloaneName> from_name = parse_sloane_name(path);
  const std::optional<SloaneName> header = parse_integer_header(lines.front());
  const auto check_dim = [&](std::int64_t d, const std::string& source) {
    if (dim > 0 && dim != d) {
      fail(path, "dimension " + std::to_string(dim) + " requested but " + source + " says " +
                     std::to_string(d));
    }
  };
  if (from_name) check_dim(from_name->dim, "the file name");
  if (header) {
    check_dim(header->dim, "the integer header");
    if (from_name && (from_name->dim != header->dim || from_name->count != header->count)) {
      fail_at(path, lines.front().number, "integer header disagrees with the file name");
    }
  }

  // The numeric body ends at the first trailer line; nothing numeric may follow it.
  std::vector<double> values;
  std::size_t per_line = 0;
  std::int64_t per_line_first = 0;
  std::optional<std::int64_t> trailer_line;
  for (std::size_t k = header ? 1 : 0; k < lines.size(); ++k) {
    const Line& line = lines[k];
    if (trailer_line) {
      if (!starts_trailer(line)) {
        fail_at(path, line.number,
                "numbers after the trailer text that starts on line " +
                    std::to_string(*trailer_line));
      }
      continue;
    }
    if (starts_trailer(line)) {
      trailer_line = line.number;
      continue;
    }
    if (per_line == 0) {
      per_line = line.tokens.size();
      per_line_first = line.number;
    } else if (line.tokens.size() != per_line) {
      fail_at(path, line.number,
              "ragged rows: " + std::to_string(line.tokens.size()) + " numbers on this line, " +
                  std::to_string(per_line) + " on line " + std::to_string(per_line_first));
    }
    for (const std::string& token : line.tokens) {
      if (header) {
        const auto value = parse_integer(token);
        if (!value) fail_at(path, line.number, "non-integer token '" + token + "' in integer file");
        values.push_back(static_cast<double>(*value));
      } else {
        values.push_back(number_or_fail(path, line, token));
      }
    }
  }
  if (values.empty()) fail(path, "empty file: no coordinates found");

  std::int64_t d = dim;
  if (header) d = header->dim;
  if (d <= 0 && from_name) d = from_name->dim;
  if (d <= 0 && per_line > 1) d = static_cast<std::int64_t>(per_line);
  if (d <= 0) {
    fail(path, "cannot infer the dimension of a one-number-per-line file; name it pack.D.N.txt "
               "or pass the dimension");
  }
  if (per_line != 1 && static_cast<std::int64_t>(per_line) != d) {
    fail_at(path, per_line_first,
            std::to_string(per_line) + " numbers per line, expected 1 or the dimension " +
                std::to_string(d));
  }
  const auto total = static_cast<std::int64_t>(values.size());
  if (total % d != 0) {
    fail(path, std::to_string(total) + " numbers is not divisible by the dimension " +
                   std::to_string(d));
  }
  const std::int64_t rows = total / d;
  const std::optional<SloaneName> expected = header ? header : from_name;
  if (expected && rows != expected->count) {
    fail(path, std::to_string(rows) + " points read but " +
                   (header ? std::string("the header") : std::string("the file name")) +
                   " says " + std::to_string(expected->count));
  }

  Matrix out(rows, d);
  out.data = std::move(values);
  if (header) {
    // Integer coordinates are the point scaled by 2^30 and rounded: normalise each row.
    for (std::int64_t i = 0; i < rows; ++i) {
      double* r = out.row(i);
      double norm = 0.0;
      for (std::int64_t j = 0; j < d; ++j) norm += r[j] * r[j];
      norm = std::sqrt(norm);
      if (!(norm > 0.0)) fail(path, "point " + std::to_string(i) + " is zero; cannot normalise it");
      for (std::int64_t j = 0; j < d; ++j) r[j] /= norm;
    }
  }
  return out;
}

// Sloane's integer files: an integer "D N 1" header and one integer per line after it.
bool looks_like_integer_sloane(const std::vector<Line>& lines) {
  if (lines.empty()) return false;
  const auto header = parse_integer_header(lines.front());
  if (!header) return false;
  std::int64_t count = 0;
  for (std::size_t k = 1; k < lines.size(); ++k) {
    if (starts_trailer(lines[k])) break;
    if (lines[k].tokens.size() != 1) return false;
    ++count;
  }
  return product_within(header->dim, header->count) == count;
}

}  // namespace

Matrix load_text(const std::filesystem::path& path, TextFormat format, std::int64_t dim) {
  if (dim < 0) throw ConfigError("load_text: dimension must be >= 0 (0 infers it)");
  const std::vector<Line> lines = tokenize(path, read_regular_file(path, kMaxTextFileBytes));
  if (format == TextFormat::automatic) {
    format = parse_sloane_name(path) || looks_like_integer_sloane(lines) ? TextFormat::sloane
                                                                         : TextFormat::vectors;
  }
  return format == TextFormat::sloane ? load_sloane(path, lines, dim)
                                      : load_vectors(path, lines, dim);
}

}  // namespace hopcap::io
