// The Lucibello–Mézard threshold α_c(λ) of the MHM with spherical memories and its finite-d
// form at radius ε, against the published table (../shared/anchors.md §3.1), closed forms, the
// modified-Bessel form of the expected non-target weight, and the Laplace expansion.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "hopcap/error.hpp"
#include "hopcap/lm_capacity.hpp"

namespace hopcap {
namespace {

// E[exp(−λd(1 − φ))] = Γ(d/2) (2/(λd))^{d/2−1} e^{−λd} I_{d/2−1}(λd), in log form.
double bessel_log_weight(double lambda, std::int64_t d) {
  const double x = lambda * static_cast<double>(d);
  const double nu = 0.5 * static_cast<double>(d) - 1.0;
  return std::lgamma(0.5 * static_cast<double>(d)) + nu * std::log(2.0 / x) - x + std::log(std::cyl_bessel_i(nu, x));
}

TEST(LmThreshold, PublishedTableToItsDigits) {
  struct Row {
    double lambda, overlap, g_max, alpha_c;
  };
  // anchors.md §3.1: λ, φ*, g_max, α_c (six decimals).
  const Row rows[] = {{0.05, 0.049876, 0.001248, 0.048752}, {0.1, 0.099020, 0.004975, 0.095025},
                      {0.25, 0.236068, 0.030346, 0.219654}, {0.5, 0.414214, 0.112994, 0.387006},
                      {1.0, 0.618034, 0.377428, 0.622572},  {2.0, 0.780776, 1.091246, 0.908754},
                      {5.0, 0.904988, 3.670302, 1.329698},  {10.0, 0.951249, 8.336210, 1.663790},
                      {100.0, 0.995012, 97.196165, 2.803835}};
  for (const Row& row : rows) {
    const LmThreshold t = lm_threshold(row.lambda);
    EXPECT_NEAR(t.overlap, row.overlap, 6e-7) << row.lambda;
    EXPECT_NEAR(t.g_max, row.g_max, 6e-7) << row.lambda;
    EXPECT_NEAR(t.alpha_c, row.alpha_c, 6e-7) << row.lambda;
    EXPECT_NEAR(t.alpha_c, row.lambda - t.g_max, 1e-12 * row.lambda) << row.lambda;
  }
}

TEST(LmThreshold, GoldenRatioAtLambdaOne) {
  // λ = 1: φ*² + φ* − 1 = 0, so φ* = (√5 − 1)/2, 1 − φ*² = φ* and α_c = 1 − φ* − ½ ln φ*.
  const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
  const LmThreshold t = lm_threshold(1.0);
  EXPECT_NEAR(t.overlap, phi, 1e-15);
  EXPECT_NEAR(t.alpha_c, 1.0 - phi - 0.5 * std::log(phi), 1e-15);
}

TEST(LmThreshold, SmallAndLargeLambdaExpansions) {
  // α_c = λ − λ²/2 + λ⁴/4 + O(λ⁶) and α_c = ½ ln λ + ½ + 1/(8λ) + O(1/λ²).
  for (double lambda : {1e-2, 1e-3, 1e-4}) {
    const double series = lambda - lambda * lambda / 2.0 + std::pow(lambda, 4) / 4.0;
    EXPECT_NEAR(lm_threshold(lambda).alpha_c, series, std::pow(lambda, 6) + 1e-15 * lambda) << lambda;
  }
  for (double lambda : {1e3, 1e6, 1e12}) {
    const double series = 0.5 * std::log(lambda) + 0.5 + 1.0 / (8.0 * lambda);
    EXPECT_NEAR(lm_threshold(lambda).alpha_c, series, 1.0 / (lambda * lambda) + 1e-14 * series) << lambda;
  }
}

TEST(LmThreshold, RefusesBadLambda) {
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    EXPECT_THROW((void)lm_threshold(bad), ConfigError) << bad;
    EXPECT_THROW((void)lm_log_spurious_weight(bad, 8), ConfigError) << bad;
  }
  EXPECT_THROW((void)lm_log_spurious_weight(1.0, 1), ConfigError);
  EXPECT_THROW((void)lm_log_spurious_distance(1.0, 0), ConfigError);
  EXPECT_THROW((void)lm_rate_at_radius(1.0, 8, 0.0), ConfigError);
  EXPECT_THROW((void)lm_rate_at_radius(1.0, 8, std::numeric_limits<double>::quiet_NaN()), ConfigError);
  EXPECT_THROW((void)lm_rate_at_radius_asymptotic(1.0, 8, -1.0), ConfigError);
}

TEST(LmSpuriousWeight, DimensionThreeClosedForm) {
  // d = 3: φ is uniform on [−1, 1], so E[e^{−λd(1−φ)}] = (1 − e^{−6λ})/(6λ); and with
  // u = 1 − φ, E[e^{−3λu} √(2u)] = (√2/2) a^{−3/2} γ(3/2, 2a), a = 3λ,
  // γ(3/2, x) = (√π/2) erf(√x) − √x e^{−x}.
  for (double lambda : {0.1, 1.0, 4.0}) {
    EXPECT_NEAR(lm_log_spurious_weight(lambda, 3), std::log(-std::expm1(-6.0 * lambda) / (6.0 * lambda)), 1e-10);
    const double a = 3.0 * lambda, x = 2.0 * a;
    const double gamma = std::sqrt(std::numbers::pi) / 2.0 * std::erf(std::sqrt(x)) - std::sqrt(x) * std::exp(-x);
    EXPECT_NEAR(lm_log_spurious_distance(lambda, 3), std::log(std::sqrt(2.0) / 2.0 * std::pow(a, -1.5) * gamma), 1e-10)
        << lambda;
  }
  // anchors.md §3.1 (λ = 1, d = 3): 0.166254.
  EXPECT_NEAR(std::exp(lm_log_spurious_weight(1.0, 3)), 0.166254, 5e-7);
}

TEST(LmSpuriousWeight, ModifiedBesselForm) {
  // anchors.md §3.1, to their four digits.
  EXPECT_NEAR(std::exp(lm_log_spurious_weight(1.0, 6)), 2.5772e-2, 5e-7);
  EXPECT_NEAR(std::exp(lm_log_spurious_weight(1.0, 10)), 2.1382e-3, 5e-8);
  EXPECT_NEAR(std::exp(lm_log_spurious_weight(0.5, 10)), 2.1147e-2, 5e-7);
  for (std::int64_t d : {2, 4, 7, 16, 33, 64, 150}) {
    for (double lambda : {0.25, 1.0, 3.0}) {
      EXPECT_NEAR(lm_log_spurious_weight(lambda, d), bessel_log_weight(lambda, d), 1e-9) << lambda << " " << d;
    }
  }
}

TEST(LmRateAtRadius, ApproachesTheLaplaceExpansionAndAlphaC) {
  // d·(exact − expansion) = O(1/d), and the rate tends to α_c(λ).
  for (double lambda : {0.25, 1.0, 4.0}) {
    const double alpha_c = lm_threshold(lambda).alpha_c;
    double previous_gap = INFINITY;
    for (std::int64_t d : {100, 1000, 10000, 100000}) {
      const double exact = lm_rate_at_radius(lambda, d, 0.01);
      const double expansion = lm_rate_at_radius_asymptotic(lambda, d, 0.01);
      const double gap = std::fabs(exact - expansion) * static_cast<double>(d);
      EXPECT_LT(gap, 5.0 / static_cast<double>(d)) << lambda << " " << d;
      EXPECT_LT(gap, previous_gap) << lambda << " " << d;
      previous_gap = gap;
      EXPECT_LT(exact, alpha_c) << "epsilon < 1 lowers the rate below alpha_c: " << lambda << " " << d;
    }
    EXPECT_NEAR(lm_rate_at_radius(lambda, 1000000, 0.01), alpha_c, 1e-5) << lambda;
  }
}

TEST(LmRateAtRadius, IsTheLogOfOnePlusEpsilonOverTheExpectedDistance) {
  // ln M_ε = ln(1 + ε/E), E from the d = 3 closed form above; also when ε/E < 1.
  const double lambda = 1.0, a = 3.0, x = 6.0;
  const double gamma = std::sqrt(std::numbers::pi) / 2.0 * std::erf(std::sqrt(x)) - std::sqrt(x) * std::exp(-x);
  const double e = std::sqrt(2.0) / 2.0 * std::pow(a, -1.5) * gamma;
  for (double epsilon : {1e-3, 0.01, 0.5, 10.0}) {
    EXPECT_NEAR(lm_rate_at_radius(lambda, 3, epsilon), std::log1p(epsilon / e) / 3.0, 1e-10) << epsilon;
  }
}

}  // namespace
}  // namespace hopcap
