// float32 U-Hop+ losses: loss and gradients against the naive long-double twin within the
// float32 error bound at awkward sizes, every tile boundary and small τ; results bitwise
// independent of the thread count and the row partition; τ below the float32 limit refused.
//
// The bound. A Gram entry z = ⟨φ̂_μ, φ̂_ν⟩/τ is a float dot product of two unit vectors (each
// rounded to float once) of length D_Φ, scaled by 1/τ: |δz| ≤ ((D_Φ + 2)/τ + |z|)·u with
// u = 2^−24 and |z| ≤ 1/τ, and the float exponential adds 2 ulp. Every weight e^{z − shift}
// thus carries a relative error of at most ε = ((D_Φ + 3)/τ + 2)·u, and so does every sum
// of positive weights (the sums are taken in double). The loss moves by at most τ·ε
// (pairwise, per_memory: τ log of such sums) or ε/M (as coded). The gradient adds the float
// GEMMs' rounding over at most M terms and the cancellation of the projection and of ∂L/∂W's
// sum over memories; the tests allow it 64·ε relative to its norm (the worst measured here is
// below a tenth of that).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <omp.h>

#include "hopcap/error.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "reference/uhop_ref.hpp"
#include "thread_parts.hpp"
#include "uhop_loss_checks.hpp"

namespace hopcap {
namespace {

using kernels::uhop_loss;

constexpr const auto& kKinds = test::kLossKinds;
using test::clustered_memories;
using test::identity_map;
using test::norm;
using test::random_map;
using test::relative_difference;

constexpr double kFloatUnit = 0x1p-24;

UhopLossOptions single(UhopLossKind kind, double tau, std::int64_t panel) {
  UhopLossOptions options{kind, tau, panel};
  options.precision = Precision::float32;
  return options;
}

// ε of the header: the relative error bound of every weight and positive sum.
double weight_error(std::int64_t dphi, double tau) {
  return ((static_cast<double>(dphi) + 3.0) / tau + 2.0) * kFloatUnit;
}

double loss_tolerance(UhopLossKind kind, std::int64_t m, std::int64_t dphi, double tau) {
  const double eps = weight_error(dphi, tau);
  return kind == UhopLossKind::as_coded ? eps / static_cast<double>(m) : tau * eps;
}

double gradient_tolerance(std::int64_t dphi, double tau) { return 64.0 * weight_error(dphi, tau); }

// The float32 loss, s_max and gradients against the naive long-double twin.
void expect_near_twin(const Matrix& x, const FeatureMap& map, UhopLossKind kind, double tau, std::int64_t panel) {
  const std::int64_t m = x.rows, dphi = map.feature_dim();
  Matrix gw;
  std::vector<double> gb;
  const UhopLossValue v = uhop_loss(x, map, single(kind, tau, panel), &gw, &gb);
  const double expected = ref::uhop_loss(x, map, map, kind, tau);
  EXPECT_NEAR(v.loss, expected, loss_tolerance(kind, m, dphi, tau));
  // s_max is recomputed in double from the closest pair the float tiles found; that pair's
  // cosine is within the float tiles' error τ|δz| of the true largest one.
  const UhopLossValue exact = uhop_loss(x, map, {kind, tau, panel});
  EXPECT_NEAR(v.s_max, exact.s_max, (static_cast<double>(dphi) + 3.0) * kFloatUnit * 2.0);
  Matrix rw;
  std::vector<double> rb;
  ref::uhop_gradient(x, map, kind, tau, rw, rb);
  if (norm(rw.data) > 1e-200) {
    EXPECT_LT(relative_difference(gw.data, rw.data), gradient_tolerance(dphi, tau));
  }
  ASSERT_EQ(gb.size(), rb.size());
  if (!rb.empty() && norm(rb) > 1e-200) {
    EXPECT_LT(relative_difference(gb, rb), gradient_tolerance(dphi, tau));
  }
}

TEST(UhopLossFloat32, MatchesTheNaiveTwinAtAwkwardSizes) {
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t m : {2, 3, 7, 33, 65}) {
      for (std::int64_t dphi : {1, 3, 5}) {
        for (bool bias : {false, true}) {
          for (std::int64_t panel : {0, 1, 6}) {
            for (double tau : {1.0, 0.07, 0.01}) {
              SCOPED_TRACE(to_string(kind) + " m=" + std::to_string(m) + " D=" + std::to_string(dphi) +
                           " bias=" + std::to_string(bias) + " panel=" + std::to_string(panel) +
                           " tau=" + std::to_string(tau));
              const std::int64_t d = 4;
              const Matrix x = generate_memories(Distribution::gaussian, d, m, 40 + m, 0);
              expect_near_twin(x, random_map(dphi, d, bias, 7 + dphi), kind, tau, panel);
            }
          }
        }
      }
    }
  }
}

// M = k·T − 1, k·T, k·T + 1 for tile sides 1, 2, 3, 5 and D_Φ odd (see test_uhop_loss.cpp).
TEST(UhopLossFloat32, MatchesTheNaiveTwinAtEveryTileBoundary) {
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t tile : {1, 2, 3, 5}) {
      for (std::int64_t k = 1; k <= 4; ++k) {
        for (std::int64_t m : {k * tile - 1, k * tile, k * tile + 1}) {
          if (m < 2) continue;
          SCOPED_TRACE(to_string(kind) + " T=" + std::to_string(tile) + " M=" + std::to_string(m));
          const std::int64_t d = 3, dphi = 3;
          const Matrix x = generate_memories(Distribution::gaussian, d, m, 70 + m, 0);
          expect_near_twin(x, random_map(dphi, d, true, 11), kind, 0.3, tile);
        }
      }
    }
  }
}

// Small τ with clustered memories (every cosine above about 0.8): in float32, τ = 0.01 scans
// its tiles and finds one shift serves (they span at most 20 units of z), while at τ = 1e-3
// and at the limit 1e-4 they span up to 200 and 2000 units, more than float32's 80, and take
// one exponential per row and column shift.
TEST(UhopLossFloat32, SmallTemperaturesDownToTheLimitMatchTheNaiveTwin) {
  const Matrix x = clustered_memories(4, 23);
  const FeatureMap id = identity_map(4);
  for (UhopLossKind kind : kKinds) {
    for (double tau : {1e-2, 1e-3, kUhopFloat32MinTau}) {
      for (std::int64_t tile : {4, 0}) {
        SCOPED_TRACE(to_string(kind) + " tau=" + std::to_string(tau) + " T=" + std::to_string(tile));
        expect_near_twin(x, id, kind, tau, tile);
      }
    }
  }
}

TEST(UhopLossFloat32, TemperatureBelowTheLimitIsRefused) {
  const Matrix x = generate_memories(Distribution::gaussian, 3, 4, 1, 0);
  const FeatureMap map = random_map(2, 3, false, 2);
  for (UhopLossKind kind : kKinds) {
    EXPECT_THROW(uhop_loss(x, map, single(kind, 0.99 * kUhopFloat32MinTau, 0)), ConfigError);
    EXPECT_NO_THROW(uhop_loss(x, map, {kind, 0.99 * kUhopFloat32MinTau, 0}));
  }
  try {
    uhop_loss(x, map, single(UhopLossKind::pairwise, 5e-5, 0));
    FAIL() << "tau 5e-5 was accepted in float32";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("0.0001"), std::string::npos) << e.what();
  }
}

using test::LossAndGradient;
using test::expect_bitwise_equal;

TEST(UhopLossFloat32, ResultDoesNotDependOnTheThreadCount) {
  // Odd and even block counts, a short last block, one block of 256 rows; per_memory's kept
  // and recomputed tiles; narrow and scanned tiles (τ = 0.2, 0.01).
  const Matrix x = generate_memories(Distribution::gaussian, 9, 300, 8, 0);
  const FeatureMap map = random_map(5, 9, true, 9);
  const int saved = omp_get_max_threads();
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t tile : {16, 23, 0, 300}) {
      for (double tau : {0.2, 0.01}) {
        for (std::int64_t kept : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{3 * 23 * 23}}) {
          if (kind != UhopLossKind::per_memory && kept != -1) continue;
          UhopLossOptions options = single(kind, tau, tile);
          options.kept_entries = kept;
          std::vector<LossAndGradient> runs;
          for (int threads : {1, 2, 3}) {
            omp_set_num_threads(threads);
            LossAndGradient r;
            r.value = uhop_loss(x, map, options, &r.grad_w, &r.grad_b);
            runs.push_back(std::move(r));
          }
          omp_set_num_threads(saved);
          for (std::size_t i = 1; i < runs.size(); ++i) {
            expect_bitwise_equal(runs[i], runs[0],
                                 to_string(kind) + " tile " + std::to_string(tile) + " tau " + std::to_string(tau) +
                                     " kept " + std::to_string(kept) + " threads " + std::to_string(i + 1));
          }
        }
      }
    }
  }
}

TEST(UhopLossFloat32, PartitionsAndThreadsGiveBitwiseEqualLossAndGradients) {
  const std::int64_t d = 5, m = 37, dphi = 4;
  const Matrix x = generate_memories(Distribution::gaussian, d, m, 23, 0);
  const FeatureMap map = random_map(dphi, d, true, 31);
  const std::vector<std::vector<std::int64_t>> splits = {
      {0, 37}, {0, 18, 37}, {0, 0, 11, 37}, {0, 5, 6, 30, 37}, {0, 0, 37, 37, 37}};
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t panel : {4, 0}) {
      const UhopLossOptions options = single(kind, 0.15, panel);
      const std::string what = to_string(kind) + " panel " + std::to_string(panel);
      LossAndGradient reference;
      reference.value = uhop_loss(x, map, options, &reference.grad_w, &reference.grad_b);
      for (const auto& split : splits) {
        for (int threads : {1, 2, 3}) {
          test::ThreadParts parts(split);
          std::vector<LossAndGradient> runs(static_cast<std::size_t>(parts.parts()));
          parts.run_each(x, threads, [&](const kernels::RowPartition& partition, const Matrix& local, int part) {
            LossAndGradient& out = runs[static_cast<std::size_t>(part)];
            out.value = kernels::uhop_loss_partitioned(local, partition, map, options, &out.grad_w, &out.grad_b);
          });
          for (const LossAndGradient& run : runs) {
            expect_bitwise_equal(run, reference,
                                 what + " parts " + std::to_string(split.size() - 1) + " threads " +
                                     std::to_string(threads));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hopcap
