// float32 U-Hop+ training: Algorithm 1's steps in float32 give the same learned codes as in
// float64 (their minimal angle recomputed from the returned map), the trace and the map are
// bitwise the same at every thread count, and the final loss is the float64 one.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <omp.h>

#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/uhop.hpp"
#include "uhop_code_settings.hpp"

namespace hopcap {
namespace {

using test::code_settings;

// The minimal angle of the learned code, recomputed (float64) from the map the training returns.
double learned_angle(const Matrix& x, const UhopSettings& s) {
  const UhopResult r = train_uhop(x, s);
  return kernels::feature_separation_report(x, r.map.weight, r.map.bias).min_angle_deg;
}

// Accuracy gate. At the end of the anneal (τ = 5e-4, D_Φ ≤ 4) the float32 weights carry a
// relative error of at most ((D_Φ + 3)/τ + 2)·2^−24 ≈ 1e-3 (test_uhop_loss_float32.cpp), which
// tilts the gradient by about that much; the optimal codes are strict local maxima of the
// minimal angle, so both precisions settle on the same code, within the 0.05° to which
// Algorithm 1 settles it in float64 (test_uhop.cpp). The gate: both within 0.05° of the known
// code, and within 0.02° of each other (measured on the icosahedron: 2e-4°).
TEST(UhopFloat32Gate, LearnedCodesAgreeWithFloat64) {
  struct Code {
    std::int64_t m, dphi;
    double angle_deg;
    const char* name;
  };
  const Code codes[] = {
      {12, 3, std::acos(1.0 / std::sqrt(5.0)) * 180.0 / M_PI, "icosahedron"},
      {6, 3, 90.0, "octahedron"},
      {7, 2, 360.0 / 7.0, "heptagon"},
  };
  for (const Code& code : codes) {
    for (std::uint64_t seed = 0; seed < 2; ++seed) {
      // d = 2M > M: the memories are linearly independent, so W can place φ_μ anywhere.
      const Matrix x = generate_memories(Distribution::sphere, 2 * code.m, code.m, 100 + seed, 0);
      const double a64 = learned_angle(x, code_settings(code.dphi, seed, Precision::float64));
      const double a32 = learned_angle(x, code_settings(code.dphi, seed, Precision::float32));
      SCOPED_TRACE(std::string(code.name) + " seed " + std::to_string(seed));
      EXPECT_NEAR(a64, code.angle_deg, 0.05);
      EXPECT_NEAR(a32, code.angle_deg, 0.05);
      EXPECT_NEAR(a32, a64, 0.02);
    }
  }
}

// 24 memories in D_Φ = 4: Algorithm 1 alone settles short of the 24-cell (60°, the optimal code,
// which refine and search reach: test_uhop_search.cpp); float32 must settle on the same code as
// float64, within the gate's 0.02° (measured: 3e-4° apart), and never above the optimum.
TEST(UhopFloat32Gate, TwentyFourMemoriesInFourDimensionsSettleAlike) {
  const Matrix x = generate_memories(Distribution::sphere, 48, 24, 100, 0);
  const double a64 = learned_angle(x, code_settings(4, 0, Precision::float64));
  const double a32 = learned_angle(x, code_settings(4, 0, Precision::float32));
  EXPECT_NEAR(a32, a64, 0.02);
  EXPECT_LE(a64, 60.0 + 1e-9);
  EXPECT_LE(a32, 60.0 + 1e-9);
}

TEST(UhopFloat32Training, BitwiseOverThreadsAndTheFinalLossIsFloat64) {
  const Matrix x = generate_memories(Distribution::sphere, 8, 150, 5, 0);
  UhopSettings s;
  s.method = UhopMethod::paper;
  s.feature_dim = 5;
  s.iterations = 15;
  s.restarts = 2;
  s.seed = 3;
  s.tau = 0.2;
  s.tau_min = 0.01;
  s.anneal = 0.8;
  s.panel_rows = 32;  // several tiles, so that the threads share them
  s.precision = Precision::float32;
  const int saved = omp_get_max_threads();
  std::vector<UhopResult> runs;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    runs.push_back(train_uhop(x, s));
  }
  omp_set_num_threads(saved);
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].map.weight.data, runs[0].map.weight.data) << "threads " << i + 1;
    ASSERT_EQ(runs[i].trace.size(), runs[0].trace.size());
    for (std::size_t t = 0; t < runs[0].trace.size(); ++t) {
      EXPECT_EQ(runs[i].trace[t].loss, runs[0].trace[t].loss) << "threads " << i + 1 << " step " << t;
    }
  }
  // The reported final loss is a float64 evaluation of the final map.
  const UhopLossValue exact = kernels::uhop_loss(x, runs[0].map, {s.loss, runs[0].tau_final, s.panel_rows});
  EXPECT_EQ(runs[0].loss_final, exact.loss);
  // The first step took the float32 path: its loss (at the kept restart's initial map) differs
  // from the float64 one in the last bits, within the float32 bound τ·((D_Φ + 3)/τ + 2)·2^−24.
  const double first64 = kernels::uhop_loss(x, runs[0].initial_map, {s.loss, s.tau, s.panel_rows}).loss;
  const double bound = s.tau * ((5.0 + 3.0) / s.tau + 2.0) * 0x1p-24;
  EXPECT_NEAR(runs[0].trace[0].loss, first64, bound);
  EXPECT_NE(runs[0].trace[0].loss, first64);
}

}  // namespace
}  // namespace hopcap
