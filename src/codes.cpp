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
#include "hopcap/sizes.hpp"

namespace hopcap::codes {
namespace {

// Generators refuse sizes whose matrix would not fit in memory rather than die in the allocator.
constexpr std::int64_t max_entries = std::int64_t{1} << 32;

void require_size(std::int64_t rows, std::int64_t cols, const char* what) {
  (void)checked_product(rows, cols, std::string(what) + ": points x dimension", max_entries);
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

// The 240 E8 roots of squared norm 2: the 112 vectors ±e_i ± e_j and the 128 vectors (±½)^8 with
// an even number of minus signs.
std::vector<std::vector<double>> e8_root_rows() {
  std::vector<std::vector<double>> rows;
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
  for (unsigned mask = 0; mask < 256; ++mask) {
    if (std::popcount(mask) % 2 != 0) continue;
    std::vector<double> v(8);
    for (unsigned b = 0; b < 8; ++b) v[b] = ((mask >> b) & 1u) ? -0.5 : 0.5;
    rows.push_back(std::move(v));
  }
  return rows;
}

// The E8 roots in the subspace spanned by the orthonormal `basis`, as coordinates in that
// basis: the roots with no component outside it (|residual|² below rounding), normalised.
Matrix e8_roots_in(const std::vector<std::vector<double>>& basis) {
  std::vector<std::vector<double>> rows;
  for (const std::vector<double>& root : e8_root_rows()) {
    std::vector<double> coords(basis.size());
    double inside = 0.0;
    for (std::size_t k = 0; k < basis.size(); ++k) {
      double dot = 0.0;
      for (std::size_t i = 0; i < 8; ++i) dot += basis[k][i] * root[i];
      coords[k] = dot;
      inside += dot * dot;
    }
    if (std::abs(inside - 2.0) < 1e-12) rows.push_back(std::move(coords));
  }
  Matrix out = from_rows(rows);
  normalize_rows(out);
  return out;
}

std::vector<double> unit(std::size_t i) {
  std::vector<double> v(8, 0.0);
  v[i] = 1.0;
  return v;
}

// Every distinct permutation of `values` (sorted first), each with every sign pattern on its
// non-zero entries.
void add_signed_permutations(std::array<double, 4> values, bool even_only,
                             std::vector<std::vector<double>>& rows) {
  std::array<std::size_t, 4> perm = {0, 1, 2, 3};
  std::vector<std::array<double, 4>> seen;
  do {
    int inversions = 0;
    for (std::size_t a = 0; a < 4; ++a) {
      for (std::size_t b = a + 1; b < 4; ++b) inversions += perm[a] > perm[b] ? 1 : 0;
    }
    if (even_only && inversions % 2 != 0) continue;
    std::array<double, 4> p{};
    for (std::size_t k = 0; k < 4; ++k) p[perm[k]] = values[k];
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    for (unsigned mask = 0; mask < 16; ++mask) {
      std::vector<double> v(p.begin(), p.end());
      bool repeated = false;
      for (std::size_t k = 0; k < 4; ++k) {
        if ((mask >> k) & 1u) {
          if (v[k] == 0.0) repeated = true;  // −0 is the same point
          v[k] = -v[k];
        }
      }
      if (!repeated) rows.push_back(std::move(v));
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
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
  const std::int64_t points = checked_product(2, d, "cross_polytope: 2 x d points", kMaxDimension);
  require_size(points, d, "cross_polytope");
  Matrix out(points, d);
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
  Matrix out = from_rows(e8_root_rows());
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

Matrix dn_roots(std::int64_t n) {
  require(n >= 3, "dn_roots: n must be >= 3 (got " + std::to_string(n) + ")");
  const std::int64_t pairs = checked_product(n, n - 1, "dn_roots: n x (n - 1)", kMaxDimension);
  const std::int64_t points = checked_product(2, pairs, "dn_roots: 2n(n - 1) points", max_entries);
  require_size(points, n, "dn_roots");
  Matrix out(points, n);
  const double h = 1.0 / std::sqrt(2.0);
  std::int64_t row = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = i + 1; j < n; ++j) {
      for (const double si : {h, -h}) {
        for (const double sj : {h, -h}) {
          out(row, i) = si;
          out(row, j) = sj;
          ++row;
        }
      }
    }
  }
  return out;
}

Matrix e7_roots() {
  // The hyperplane x7 + x8 = 0: e1..e6 and (e7 − e8)/√2.
  std::vector<std::vector<double>> basis;
  for (std::size_t i = 0; i < 6; ++i) basis.push_back(unit(i));
  std::vector<double> last(8, 0.0);
  last[6] = 1.0 / std::sqrt(2.0);
  last[7] = -1.0 / std::sqrt(2.0);
  basis.push_back(last);
  return e8_roots_in(basis);
}

Matrix e6_roots() {
  // The subspace x6 = x7 = −x8: e1..e5 and (−e6 − e7 + e8)/√3.
  std::vector<std::vector<double>> basis;
  for (std::size_t i = 0; i < 5; ++i) basis.push_back(unit(i));
  std::vector<double> last(8, 0.0);
  last[5] = -1.0 / std::sqrt(3.0);
  last[6] = -1.0 / std::sqrt(3.0);
  last[7] = 1.0 / std::sqrt(3.0);
  basis.push_back(last);
  return e8_roots_in(basis);
}

Matrix cell120() {
  // Coxeter's coordinates, squared norm 8: the permutations of (0, 0, ±2, ±2), (±1, ±1, ±1, ±√5),
  // (±φ⁻², ±φ, ±φ, ±φ) and (±φ⁻¹, ±φ⁻¹, ±φ⁻¹, ±φ²), and the even permutations of
  // (0, ±φ⁻², ±1, ±φ²), (0, ±φ⁻¹, ±φ, ±√5) and (±φ⁻¹, ±1, ±φ, ±2): 24 + 3·64 + 2·96 + 192.
  const double phi = std::numbers::phi;
  const double root5 = std::sqrt(5.0);
  std::vector<std::vector<double>> rows;
  add_signed_permutations({0.0, 0.0, 2.0, 2.0}, false, rows);
  add_signed_permutations({1.0, 1.0, 1.0, root5}, false, rows);
  add_signed_permutations({1.0 / (phi * phi), phi, phi, phi}, false, rows);
  add_signed_permutations({1.0 / phi, 1.0 / phi, 1.0 / phi, phi * phi}, false, rows);
  add_signed_permutations({0.0, 1.0 / (phi * phi), 1.0, phi * phi}, true, rows);
  add_signed_permutations({0.0, 1.0 / phi, phi, root5}, true, rows);
  add_signed_permutations({1.0 / phi, 1.0, phi, 2.0}, true, rows);
  Matrix out = from_rows(rows);
  normalize_rows(out);
  return out;
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
    if (name == "dn") return dn_roots(int_param(4));
    if (name == "icosahedron" || name == "24cell" || name == "e8" || name == "600cell" ||
        name == "e6" || name == "e7" || name == "120cell") {
      no_param();
      if (name == "icosahedron") return icosahedron();
      if (name == "24cell") return cell24();
      if (name == "e8") return e8_roots();
      if (name == "e6") return e6_roots();
      if (name == "e7") return e7_roots();
      if (name == "120cell") return cell120();
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
                    "600cell, dn:N, e6, e7, 120cell or sphere:D,M,SEED)");
}

}  // namespace hopcap::codes
