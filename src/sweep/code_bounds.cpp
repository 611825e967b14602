#include "hopcap/sweep/code_bounds.hpp"

#include <array>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "hopcap/bounds.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap::sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The bounds of bounds::OptimalAngleBounds, in the order and with the keys of `hopcap bounds`.
constexpr std::array<const char*, 8> kKeys = {"prop31_lower",      "prop31_upper", "csw_lower",
                                              "levenshtein_upper", "rankin_upper", "fejes_toth_upper",
                                              "best_lower",        "best_upper"};
constexpr std::array<const char*, 8> kDescriptions = {
    "Proposition 3.1 lower bound",
    "Proposition 3.1 upper bound (180 degrees where vacuous)",
    "Chabauty-Shannon-Wyner lower bound (existence)",
    "Levenshtein upper bound (finite n)",
    "Rankin upper bound (from its bounds at 90 degrees and above)",
    "Fejes Toth upper bound (dimension 3 only)",
    "largest valid lower bound",
    "smallest valid upper bound",
};

std::array<double, 8> angles_of(const bounds::OptimalAngleBounds& b) {
  return {b.prop31_lower,      b.prop31_upper,     b.csw_lower,  b.levenshtein_upper,
          b.rankin_upper,      b.fejes_toth_upper, b.best_lower, b.best_upper};
}

std::vector<SweepVariable> make_variables() {
  // SweepVariable holds C strings: the composed names live as long as the program (a deque
  // never moves its elements when it grows).
  static std::deque<std::string> text;
  std::vector<SweepVariable> out;
  const auto add = [&](std::string name, std::string long_name, const char* units) {
    text.push_back(std::move(name));
    const char* n = text.back().c_str();
    text.push_back(std::move(long_name));
    out.push_back({n, text.back().c_str(), units, ""});
  };
  for (const char* suffix : {"d", "dphi"}) {
    const std::string dim = std::string(suffix) == "d" ? "memory dimension d" : "feature dimension Dphi";
    for (std::size_t k = 0; k < kKeys.size(); ++k) {
      add(std::string("optimal_angle_") + kKeys[k] + "_" + suffix,
          std::string(kDescriptions[k]) + " on the optimal minimal angle of M points, " + dim, "degree");
      add(std::string("optimal_separation_") + kKeys[k] + "_" + suffix,
          std::string(kDescriptions[k]) + " on the optimal separation 1 - cos(angle) of M points, " + dim, "1");
    }
    add(std::string("kl_asymptotic_rate_") + suffix,
        "Kabatiansky-Levenshtein asymptotic upper bound on the rate at the best lower angle, " + dim, "bit");
  }
  add("theoretical_capacity_best_lower",
      "largest M the well-separation condition allows at the strongest valid lower bound on the optimal "
      "separation (CSW or Prop 3.1)",
      "1");
  return out;
}

void fill(std::map<std::string, std::vector<double>>& v, const char* suffix, std::int64_t n, std::int64_t m) {
  std::array<double, 8> angles;
  angles.fill(kNaN);
  double rate = kNaN;
  if (n >= 2 && m >= 2) {
    const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(n, m);
    angles = angles_of(b);
    rate = b.kl_asymptotic_rate;
  }
  for (std::size_t k = 0; k < kKeys.size(); ++k) {
    v[std::string("optimal_angle_") + kKeys[k] + "_" + suffix] = {bounds::degrees(angles[k])};
    v[std::string("optimal_separation_") + kKeys[k] + "_" + suffix] = {bounds::separation_of_angle(angles[k])};
  }
  v[std::string("kl_asymptotic_rate_") + suffix] = {rate};
}

}  // namespace

const std::vector<SweepVariable>& code_bound_variables() {
  static const std::vector<SweepVariable> variables = make_variables();
  return variables;
}

std::map<std::string, std::vector<double>> code_bound_values(std::int64_t d, std::int64_t feature_dim,
                                                             std::int64_t m, std::int64_t capacity_dim,
                                                             double beta) {
  std::map<std::string, std::vector<double>> v;
  fill(v, "d", d, m);
  fill(v, "dphi", feature_dim, m);
  v["theoretical_capacity_best_lower"] = {
      capacity_dim >= 2
          ? static_cast<double>(best_lower_capacity(capacity_dim, beta, std::nullopt, std::int64_t{1} << 40).capacity)
          : kNaN};
  return v;
}

}  // namespace hopcap::sweep
