// Well-separation condition, retrieval-error bound and the capacity search.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/bounds.hpp"
#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ±e_i in R^d: a well-separated code (Δ_min = 1) with 2d memories.
using codes::cross_polytope;

TEST(Threshold, MatchesHandComputation) {
  // β = 2, M = 10, m = 1.5, R = 0.01: ½ ln(2·9·1.5/0.01) + 2·1.5·0.01 = ½ ln 2700 + 0.03.
  EXPECT_NEAR(well_separation_threshold(2.0, 10, 1.5, 0.01), 3.98050352599621, 1e-13);
  // Ramsauer's R = 1/(β M m) = 1/30: ½ ln(2·9·1.5·30) + 2·1.5/30 = ½ ln 810 + 0.1.
  EXPECT_NEAR(ramsauer_radius(2.0, 10, 1.5), 1.0 / 30.0, 1e-16);
  EXPECT_NEAR(well_separation_threshold(2.0, 10, 1.5, ramsauer_radius(2.0, 10, 1.5)),
              3.448517123833242, 1e-13);
  EXPECT_EQ(well_separation_threshold(2.0, 1, 1.5, 0.01), -kInf);
}

TEST(RetrievalError, MatchesHandComputationAndTheCondition) {
  // Δ = 1, β = 3, M = 5, m = 1, R = 0.1: 2·1·4·exp(−3(1 − 0.2)) = 8 e^{−2.4}.
  EXPECT_NEAR(retrieval_error_bound(1.0, 3.0, 5, 1.0, 0.1), 0.7257436263153001, 1e-15);
  EXPECT_EQ(retrieval_error_bound(1.0, 3.0, 1, 1.0, 0.1), 0.0);
  EXPECT_EQ(retrieval_error_bound(kInf, 3.0, 5, 1.0, 0.1), 0.0);
  // Δ ≥ Δ_th ⇔ 2m(M−1)exp(−β(Δ − 2mR)) ≤ R: the condition says the error bound fits in S_μ.
  const double beta = 7.0;
  const std::int64_t m = 40;
  const double norm = 1.3;
  const double radius = 0.02;
  const double th = well_separation_threshold(beta, m, norm, radius);
  for (double offset : {-0.5, -0.01, -1e-6, 1e-6, 0.01, 0.5}) {
    const bool stored = th + offset >= th;
    EXPECT_EQ(stored, retrieval_error_bound(th + offset, beta, m, norm, radius) <= radius)
        << "offset " << offset;
  }
}

TEST(Threshold, DecreasesWithBetaSoMoreMemoriesAreStored) {
  // With Ramsauer's R the threshold (ln(2(M−1)M m²β) + 2/M)/β decreases once
  // 2(M−1)M m²β > e, i.e. for every β used here.
  const Matrix x = generate_memories(Distribution::sphere, 8, 200, 17);
  const kernels::SeparationReport rep = kernels::separation_report(x, {64});
  double previous_threshold = kInf;
  std::int64_t previous_count = -1;
  std::vector<std::int64_t> counts;
  for (double beta = 0.5; beta <= 1e5; beta *= 2.0) {
    const WellSeparation ws = check_well_separation(rep, SeparationSpace::sphere, beta);
    EXPECT_LT(ws.threshold, previous_threshold) << "beta " << beta;
    EXPECT_GE(ws.stored_count, previous_count) << "beta " << beta;
    previous_threshold = ws.threshold;
    previous_count = ws.stored_count;
    counts.push_back(ws.stored_count);
    // A memory is stored exactly when its own Δ reaches the threshold.
    for (std::size_t mu = 0; mu < ws.stored.size(); ++mu) {
      EXPECT_EQ(ws.stored[mu] != 0, 1.0 - rep.row_max_cos[mu] >= ws.threshold);
    }
  }
  EXPECT_EQ(counts.front(), 0);
  EXPECT_EQ(counts.back(), 200);
  // Somewhere in between only part of the set is stored.
  EXPECT_TRUE(std::any_of(counts.begin(), counts.end(), [](auto c) { return c > 0 && c < 200; }));
}

TEST(WellSeparation, CrossPolytopeIsFullyStoredAtLowTemperature) {
  const Matrix x = cross_polytope(6);
  const kernels::SeparationReport rep = kernels::separation_report(x);
  ASSERT_NEAR(rep.raw_delta_min, 1.0, 1e-15);
  for (SeparationSpace space : {SeparationSpace::raw, SeparationSpace::sphere}) {
    // β = 100: ln(2·11·1·1200)/100 + 2/1200 ≈ 0.105 < 1.
    const WellSeparation cold = check_well_separation(rep, space, 100.0);
    EXPECT_TRUE(cold.all_stored());
    EXPECT_EQ(cold.stored_count, 12);
    EXPECT_NEAR(cold.radius, 1.0 / 1200.0, 1e-18);
    // β = 1: ln(2·11·12) + 1/6 ≈ 5.74 > 1.
    const WellSeparation hot = check_well_separation(rep, space, 1.0);
    EXPECT_EQ(hot.stored_count, 0);
    // An explicit radius is used as given.
    const WellSeparation fixed = check_well_separation(rep, space, 100.0, 0.25);
    EXPECT_EQ(fixed.radius, 0.25);
    EXPECT_NEAR(fixed.threshold, std::log(2.0 * 11.0 / 0.25) / 100.0 + 0.5, 1e-15);
  }
}

TEST(WellSeparation, RandomMemoriesFarBeyondCapacityAreNotStored) {
  const Matrix x = generate_memories(Distribution::sphere, 8, 10000, 4);
  const kernels::SeparationReport rep = kernels::separation_report(x);
  EXPECT_EQ(check_well_separation(rep, SeparationSpace::sphere, 1.0).stored_count, 0);
  EXPECT_EQ(check_well_separation(rep, SeparationSpace::raw, 1.0).stored_count, 0);
  const Matrix g = generate_memories(Distribution::gaussian, 8, 10000, 4);
  const kernels::SeparationReport grep = kernels::separation_report(g);
  EXPECT_EQ(check_well_separation(grep, SeparationSpace::raw, 1.0).stored_count, 0);
}

TEST(WellSeparation, SingleMemoryIsAlwaysStored) {
  Matrix x(1, 3);
  x(0, 0) = 0.2;
  const kernels::SeparationReport rep = kernels::separation_report(x);
  EXPECT_TRUE(check_well_separation(rep, SeparationSpace::raw, 1e-3).all_stored());
  EXPECT_TRUE(check_well_separation(rep, SeparationSpace::sphere, 1e-3).all_stored());
}

// The defining property of the search result, checked by direct evaluation.
void expect_capacity_edge(const CapacityResult& r, const std::function<double(std::int64_t)>& f,
                          double beta, double norm, std::optional<double> radius) {
  auto holds = [&](std::int64_t m) {
    const double rad = radius ? *radius : ramsauer_radius(beta, m, norm);
    return f(m) >= well_separation_threshold(beta, m, norm, rad);
  };
  ASSERT_GE(r.capacity, 1);
  EXPECT_TRUE(holds(r.capacity));
  EXPECT_FALSE(r.limit_reached);
  EXPECT_FALSE(holds(r.capacity + 1));
  EXPECT_EQ(r.delta_min, f(r.capacity));
  EXPECT_GE(r.delta_min, r.threshold);
}

TEST(Capacity, Prop31SearchStopsAtTheEdge) {
  for (std::int64_t dim : {2, 3, 8, 16, 32}) {
    for (double beta : {1.0, 10.0, 100.0, 1e3}) {
      SCOPED_TRACE("dim=" + std::to_string(dim) + " beta=" + std::to_string(beta));
      const auto f = [dim](std::int64_t m) { return bounds::prop31_lower(m, dim); };
      expect_capacity_edge(prop31_capacity(dim, beta), f, beta, 1.0, std::nullopt);
      expect_capacity_edge(prop31_capacity(dim, beta, 1e-3), f, beta, 1.0, 1e-3);
    }
  }
  // Larger β and larger dimension never lower the capacity.
  EXPECT_LE(prop31_capacity(8, 10.0).capacity, prop31_capacity(8, 100.0).capacity);
  EXPECT_LE(prop31_capacity(8, 100.0).capacity, prop31_capacity(16, 100.0).capacity);
}

TEST(Capacity, ExactPolygonCodesInTheCircle) {
  // The optimal M-point code on S^1 has Δ = 1 − cos(2π/M); unit norm.
  const auto f = [](std::int64_t m) { return m == 1 ? 2.0 : bounds::polygon_delta(m); };
  for (double beta : {10.0, 1e3, 1e5}) {
    const CapacityResult r = theoretical_capacity(f, beta, 1.0);
    expect_capacity_edge(r, f, beta, 1.0, std::nullopt);
  }
}

TEST(Capacity, HighTemperatureGivesOneAndTheLimitIsReported) {
  // At β = 1 even two antipodal points (Δ = 2) miss the threshold ln(4) + 1 ≈ 2.39 at M = 2.
  const auto antipodal = [](std::int64_t) { return 2.0; };
  EXPECT_GT(well_separation_threshold(1.0, 2, 1.0, ramsauer_radius(1.0, 2, 1.0)), 2.0);
  const CapacityResult one = theoretical_capacity(antipodal, 1.0, 1.0);
  EXPECT_EQ(one.capacity, 1);
  EXPECT_EQ(one.threshold, -kInf);
  // A constant Δ = 2 at very low temperature holds up to any small limit.
  const CapacityResult capped = theoretical_capacity(antipodal, 1e6, 1.0, std::nullopt, 1000);
  EXPECT_TRUE(capped.limit_reached);
  EXPECT_EQ(capped.capacity, 1000);
}

// Largest M ≤ limit with the condition Δ(M) ≥ Δ_th(β, M) at R = 1/(βM), by a plain loop.
std::int64_t brute_force_capacity(const std::function<double(std::int64_t)>& delta, double beta,
                                  std::int64_t limit) {
  std::int64_t best = 1;
  for (std::int64_t m = 2; m <= limit; ++m) {
    const double md = static_cast<double>(m);
    const double threshold = std::log(2.0 * (md - 1.0) * beta * md) / beta + 2.0 / (beta * md);
    if (delta(m) >= threshold) best = m;
  }
  return best;
}

TEST(Capacity, BestLowerBoundInTwoAndThreeDimensionsByHand) {
  // n = 3: CSW's 1/μ = 2/(1 − cos θ) ≥ M up to Δ = 2/M, three times Prop 3.1's 2/(3M).
  // n = 2: π/θ ≥ M up to θ = π/M, Δ = 1 − cos(π/M) (Prop 3.1: π²/(8M²), smaller).
  const auto csw3 = [](std::int64_t m) { return 2.0 / static_cast<double>(m); };
  const auto csw2 = [](std::int64_t m) { return 1.0 - std::cos(std::numbers::pi / static_cast<double>(m)); };
  for (double beta : {20.0, 50.0, 100.0, 300.0, 1000.0, 5000.0}) {
    SCOPED_TRACE("beta=" + std::to_string(beta));
    const std::int64_t expected3 = brute_force_capacity(csw3, beta, 200000);
    const std::int64_t expected2 = brute_force_capacity(csw2, beta, 200000);
    const CapacityResult r3 = best_lower_capacity(3, beta);
    const CapacityResult r2 = best_lower_capacity(2, beta);
    EXPECT_EQ(r3.capacity, expected3);
    EXPECT_EQ(r2.capacity, expected2);
    EXPECT_NEAR(r3.delta_min, csw3(r3.capacity), 1e-12);
    EXPECT_GE(r3.capacity, prop31_capacity(3, beta).capacity);
  }
  // β = 100 by hand: 2/M ≥ ln(200 M(M−1))/100 + 2/(100M) holds at M = 17 (0.11765 ≥ 0.11022)
  // and fails at M = 18 (0.11111 < 0.11133); Prop 3.1's 2/(3M) holds at M = 7 (0.09524 ≥
  // 0.09322) and fails at M = 8 (0.08333 < 0.09574).
  EXPECT_EQ(best_lower_capacity(3, 100.0).capacity, 17);
  EXPECT_EQ(prop31_capacity(3, 100.0).capacity, 7);
}

TEST(Capacity, BestLowerBoundHasItsEdgeAndBeatsProp31) {
  for (std::int64_t dim : {4, 8, 16, 32, 64}) {
    for (double beta : {10.0, 100.0, 1000.0}) {
      SCOPED_TRACE("dim=" + std::to_string(dim) + " beta=" + std::to_string(beta));
      const CapacityResult best = best_lower_capacity(dim, beta, std::nullopt, std::int64_t{1} << 40);
      const CapacityResult p31 = prop31_capacity(dim, beta, std::nullopt, std::int64_t{1} << 40);
      EXPECT_GE(best.capacity, p31.capacity);
      if (best.limit_reached) continue;
      // The edge, through the inverted CSW bound (bisection on θ) rather than the direct count.
      const auto delta = [dim](std::int64_t m) {
        return std::max(bounds::prop31_lower(m, dim),
                        bounds::separation_of_angle(bounds::csw_lower_angle(dim, m)));
      };
      const auto threshold = [beta](std::int64_t m) {
        return well_separation_threshold(beta, m, 1.0, ramsauer_radius(beta, m, 1.0));
      };
      if (best.capacity >= 2) {
        EXPECT_GE(delta(best.capacity), threshold(best.capacity) - 1e-12);
      }
      EXPECT_LT(delta(best.capacity + 1), threshold(best.capacity + 1) + 1e-12);
    }
  }
  // Strictly more than Prop 3.1 somewhere that matters: d = 16, β = 100.
  EXPECT_GT(best_lower_capacity(16, 100.0).capacity, prop31_capacity(16, 100.0).capacity);
  EXPECT_THROW(best_lower_capacity(1, 10.0), ConfigError);
  EXPECT_THROW(best_lower_capacity(3, 0.0), ConfigError);
}

TEST(WellSeparation, RejectsInvalidArguments) {
  EXPECT_THROW(well_separation_threshold(0.0, 10, 1.0, 0.1), ConfigError);
  EXPECT_THROW(well_separation_threshold(1.0, 0, 1.0, 0.1), ConfigError);
  EXPECT_THROW(well_separation_threshold(1.0, 10, 0.0, 0.1), ConfigError);
  EXPECT_THROW(well_separation_threshold(1.0, 10, 1.0, -0.1), ConfigError);
  EXPECT_THROW(ramsauer_radius(-1.0, 10, 1.0), ConfigError);
  const std::vector<double> nan_delta = {0.5, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_THROW(check_well_separation(nan_delta, 1.0, 1.0), KernelError);
  EXPECT_THROW(check_well_separation(std::vector<double>{}, 1.0, 1.0), ConfigError);
  EXPECT_THROW(theoretical_capacity([](std::int64_t) { return 1.0; }, 1.0, 1.0, std::nullopt, 0),
               ConfigError);
  EXPECT_THROW(prop31_capacity(1, 1.0), ConfigError);
}

}  // namespace
}  // namespace hopcap
