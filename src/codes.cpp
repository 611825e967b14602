#include "hopcap/codes.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/memories.hpp"

namespace hopcap::codes {
namespace {

// Generators refuse sizes whose matrix would not fit in memory rather than die in the allocator.
constexpr std::int64_t max_entries = std::int64_t{1} << 32;

void require_size(std::int64_t rows, std::int64_t cols, const char* what) {
  require(cols == 0 || rows <= max_entries / cols,
          std::string(what) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
              " is too large to generate");
}

Matrix from_rows(const std::vector<std::vector<double>>& rows) {
  Matrix out(static_cast<std::int64_t>(rows.size()),
             static_cast<std::int64_t>(rows.front().size()));
  for (std::int64_t i = 0; i < out.rows; ++i) {
    std::copy(rows[static_cast<std::size_t>(i)].begin(), rows[static_cast<std::size_t>(i)].end(),
              out.row(i));
  }
  return out;
}

// All 2^k sign patterns applied to the first k entries of values (the rest kept as they are).
std::vector<std::vector<double>> sign_patterns(const std::vector<double>& values, int k) {
  std::vector<std::vector<double>> out;
  for (unsigned mask = 0; mask < (1u << k); ++mask) {
    std::vector<double> v = values;
    for (int b = 0; b < k; ++b) {
      if ((mask >> b) & 1u) v[static_cast<std::size_t>(b)] = -v[static_cast<std::size_t>(b)];
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

bool parse_int(std::string_view text, std::int64_t& value) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* end = t.data() + t.size();
  const auto [ptr, ec] = std::from_chars(t.data(), end, value);
  return ec == std::errc() && ptr == end;
}

bool parse_u64(std::string_view text, std::uint64_t& value) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* end = t.data() + t.size();
  const auto [ptr, ec] = std::from_chars(t.data(), end, value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

Matrix regular_simplex(std::int64_t m) {
  require(m >= 2, "regular_simplex: m must be >= 2 (got " + std::to_string(m) + ")");
  require_size(m, m - 1, "regular_simplex");
  // Vertex i is e_i − (1/m)·1 written in the Helmert basis of the sum-zero hyperplane:
  // h_k = (1, …, 1, −k, 0, …)/√(k(k+1)) with k ones, k = 1..m−1. Since h_k ⟂ 1, the
  // coordinate is simply h_k[i].
  Matrix out(m, m - 1);
  for (std::int64_t k = 1; k < m; ++k) {
    const double kd = static_cast<double>(k);
    const double scale = 1.0 / std::sqrt(kd * (kd + 1.0));
    for (std::int64_t i = 0; i < k; ++i) out(i, k - 1) = scale;
    out(k, k - 1) = -kd * scale;
  }
  normalize_rows(out);
  return out;
}

Matrix cross_polytope(std::int64_t d) {
  require(d >= 1, "cross_polytope: d must be >= 1 (got " + std::to_string(d) + ")");
  require_size(2 * d, d, "cross_polytope");
  Matrix out(2 * d, d);
  for (std::int64_t i = 0; i < d; ++i) {
    out(2 * i, i) = 1.0;
    out(2 * i + 1, i) = -1.0;
  }
  return out;
}

Matrix regular_polygon(std::int64_t m) {
  require(m >= 2, "regular_polygon: m must be >= 2 (got " + std::to_string(m) + ")");
  require_size(m, 2, "regular_polygon");
  Matrix out(m, 2);
  for (std::int64_t k = 0; k < m; ++k) {
    const double t = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(m);
    out(k, 0) = std::cos(t);
    out(k, 1) = std::sin(t);
  }
  return out;
}

Matrix icosahedron() {
  // Cyclic permutations of (0, ±1, ±φ).
  const double phi = std::numbers::phi;
  std::vector<std::vector<double>> rows;
  for (const auto& v : sign_patterns({1.0, phi}, 2)) {
    for (int shift = 0; shift < 3; ++shift) {
      std::vector<double> p(3, 0.0);
      p[static_cast<std::size_t>((shift + 1) % 3)] = v[0];
      p[static_cast<std::size_t>((shift + 2) % 3)] = v[1];
      rows.push_back(std::move(p));
    }
  }
  Matrix out = from_rows(rows);
  normalize_rows(out);
  return out;
}

Matrix cell24() {
  std::vector<std::vector<double>> rows;
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = i + 1; j < 4; ++j) {
      for (const double si : {1.0, -1.0}) {
        for (const double sj : {1.0, -1.0}) {
          std::vector<double> v(4, 0.0);
          v[i] = si;
          v[j] = sj;
          rows.push_back(std::move(v));
        }
      }
    }
  }
  Matrix out = from_rows(rows);
  normalize_rows(out);
  return out;
}

Matrix e8_roots() {
  std::vector<std::vector<double>> rows;
  // 112 roots ±e_i ± e_j.
  for (std::size_t i = 0; i < 8; ++i) {
    for (std::size_t j = i + 1; j < 8; ++j) {
      for (const double si : {1.0, -1.0}) {
        for (const double sj : {1.0, -1.0}) {
          std::vector<double> v(8, 0.0);
          v[i] = si;
          v[j] = sj;
          rows.push_back(std::move(v));
        }
      }
    }
  }
  // 128 roots (±½)^8 with an even number of minus signs.
  for (unsigned mask = 0; mask < 256; ++mask) {
    if (std::popcount(mask) % 2 != 0) continue;
    std::vector<double> v(8);
    for (unsigned b = 0; b < 8; ++b) v[b] = ((mask >> b) & 1u) ? -0.5 : 0.5;
    rows.push_back(std::move(v));
  }
  Matrix out = from_rows(rows);
  normalize_rows(out);
  return out;
}

Matrix cell600() {
  const double phi = std::numbers::phi;
  std::vector<std::vector<double>> rows;
  // 8 units ±1, ±i, ±j, ±k.
  for (std::size_t i = 0; i < 4; ++i) {
    for (const double s : {1.0, -1.0}) {
      std::vector<double> v(4, 0.0);
      v[i] = s;
      rows.push_back(std::move(v));
    }
  }
  // 16 quaternions (±½, ±½, ±½, ±½).
  for (auto& v : sign_patterns({0.5, 0.5, 0.5, 0.5}, 4)) rows.push_back(std::move(v));
  // 96 even permutations of ½(0, ±1, ±1/φ, ±φ) in the order (1, i, j, k). Of the two mirror
  // images this is the one in Sloane's table (and the usual textbook form).
  const std::array<double, 4> base = {0.0, 0.5, 0.5 / phi, 0.5 * phi};
  std::array<std::size_t, 4> perm = {0, 1, 2, 3};
  do {
    int inversions = 0;
    for (std::size_t a = 0; a < 4; ++a) {
      for (std::size_t b = a + 1; b < 4; ++b) inversions += perm[a] > perm[b] ? 1 : 0;
    }
    if (inversions % 2 != 0) continue;
    for (unsigned mask = 0; mask < 8; ++mask) {
      std::vector<double> v(4, 0.0);
      for (std::size_t k = 1; k < 4; ++k) {
        const double sign = ((mask >> (k - 1)) & 1u) ? -1.0 : 1.0;
        v[perm[k]] = sign * base[k];
      }
      rows.push_back(std::move(v));
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  return from_rows(rows);
}

Matrix generate(std::string_view spec) {
  const std::string quoted = "code spec '" + std::string(spec) + "'";
  const auto colon = spec.find(':');
  const std::string name = trim(spec.substr(0, colon));
  const bool has_param = colon != std::string_view::npos;
  const std::string_view param = has_param ? spec.substr(colon + 1) : std::string_view{};

  const auto int_param = [&](std::int64_t fallback) {
    if (!has_param) return fallback;
    std::int64_t value = 0;
    if (!parse_int(param, value)) {
      throw ConfigError(quoted + ": parameter '" + std::string(param) + "' is not an integer");
    }
    return value;
  };
  const auto no_param = [&] {
    if (has_param) throw ConfigError(quoted + ": '" + name + "' takes no parameter");
  };

  try {
    if (name == "simplex") return regular_simplex(int_param(4));
    if (name == "cross") return cross_polytope(int_param(3));
    if (name == "polygon") return regular_polygon(int_param(6));
    if (name == "icosahedron" || name == "24cell" || name == "e8" || name == "600cell") {
      no_param();
      if (name == "icosahedron") return icosahedron();
      if (name == "24cell") return cell24();
      if (name == "e8") return e8_roots();
      return cell600();
    }
    if (name == "sphere") {
      std::vector<std::string_view> parts;
      std::string_view rest = param;
      while (true) {
        const auto comma = rest.find(',');
        parts.push_back(rest.substr(0, comma));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      std::int64_t d = 0;
      std::int64_t m = 0;
      std::uint64_t seed = 0;
      if (!has_param || parts.size() != 3 || !parse_int(parts[0], d) || !parse_int(parts[1], m) ||
          !parse_u64(parts[2], seed)) {
        throw ConfigError(quoted + ": expected sphere:D,M,SEED with integers D, M >= 1, SEED >= 0");
      }
      require(d >= 1 && m >= 1, "sphere: D and M must be >= 1");
      require_size(m, d, "sphere");
      return generate_memories(Distribution::sphere, d, m, seed);
    }
  } catch (const ConfigError& e) {
    if (std::string_view(e.what()).starts_with(quoted)) throw;
    throw ConfigError(quoted + ": " + e.what());
  }
  throw ConfigError(quoted + ": unknown code '" + name +
                    "' (expected simplex:M, cross:D, polygon:M, icosahedron, 24cell, e8, "
                    "600cell or sphere:D,M,SEED)");
}

}  // namespace hopcap::codes
