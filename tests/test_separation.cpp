// Separation functions: probability vectors, closed forms, limits in α, symmetries, extreme
// inputs, the convex conjugate, parsing, and the tuned kernels against their naive twins.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/kernels/separation.hpp"
#include "reference/separation_ref.hpp"

namespace hopcap {
namespace {

using kernels::conjugate;
using kernels::separate;

const std::vector<std::string> kAllSeparations = {"softmax",    "sparsemax",  "entmax15",
                                                  "entmax:1.2", "entmax:1.7", "entmax:3"};

std::vector<double> sep(const std::string& name, const std::vector<double>& z) {
  std::vector<double> p(z.size());
  separate(Separation::parse(name), z, p);
  return p;
}

std::vector<double> random_scores(std::size_t n, double scale, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> z(n);
  for (double& v : z) v = scale * u(gen);
  return z;
}

void expect_probability_vector(const std::vector<double>& p) {
  double sum = 0.0;
  for (double v : p) {
    ASSERT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(Separation, OutputIsAProbabilityVector) {
  for (const auto& name : kAllSeparations) {
    for (std::size_t n : {1u, 2u, 7u, 33u, 65u, 1000u}) {
      for (double scale : {1e-3, 1.0, 30.0, 1e4}) {
        SCOPED_TRACE(name + " n=" + std::to_string(n) + " scale=" + std::to_string(scale));
        expect_probability_vector(sep(name, random_scores(n, scale, static_cast<unsigned>(n))));
      }
    }
  }
}

TEST(Separation, TunedKernelsMatchTheNaiveTwinsAtAwkwardSizes) {
  for (const auto& name : kAllSeparations) {
    const Separation s = Separation::parse(name);
    for (std::size_t n : {1u, 2u, 7u, 33u, 65u}) {
      for (double scale : {0.1, 2.0, 50.0}) {
        SCOPED_TRACE(name + " n=" + std::to_string(n) + " scale=" + std::to_string(scale));
        const auto z = random_scores(n, scale, static_cast<unsigned>(7 * n + 1));
        EXPECT_LT(max_abs_diff(sep(name, z), ref::separate(s, z)), 1e-12);
      }
    }
  }
}

TEST(Separation, RowsKernelEqualsOneVectorAtATime) {
  const std::int64_t rows = 37, cols = 29;
  const auto z = random_scores(static_cast<std::size_t>(rows * cols), 5.0, 3);
  for (const auto& name : kAllSeparations) {
    std::vector<double> p(z.size());
    kernels::separate_rows(Separation::parse(name), z.data(), rows, cols, p.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::vector<double> row(z.begin() + r * cols, z.begin() + (r + 1) * cols);
      const auto expected = sep(name, row);
      for (std::int64_t c = 0; c < cols; ++c) {
        EXPECT_EQ(p[static_cast<std::size_t>(r * cols + c)], expected[static_cast<std::size_t>(c)])
            << name;
      }
    }
  }
}

TEST(Sparsemax, ClosedFormExamples) {
  // τ = 1/4 keeps the two largest: (1 − ¼, ½ − ¼, 0).
  auto p = sep("sparsemax", {1.0, 0.5, -1.0});
  EXPECT_NEAR(p[0], 0.75, 1e-15);
  EXPECT_NEAR(p[1], 0.25, 1e-15);
  EXPECT_EQ(p[2], 0.0);
  // Two scores closer than 1 share the mass linearly: ((1 + δ)/2, (1 − δ)/2).
  p = sep("sparsemax", {0.3, 0.0});
  EXPECT_NEAR(p[0], 0.65, 1e-15);
  EXPECT_NEAR(p[1], 0.35, 1e-15);
  // A gap of at least 1 gives a one-hot vector (exactly; this is the sparsity).
  p = sep("sparsemax", {2.0, 1.0, -3.0});
  EXPECT_EQ(p, (std::vector<double>{1.0, 0.0, 0.0}));
  // Ties are uniform.
  p = sep("sparsemax", {0.2, 0.2, 0.2, 0.2});
  for (double v : p) EXPECT_NEAR(v, 0.25, 1e-15);
}

TEST(Entmax15, ClosedFormForTwoScores) {
  // z = (t, 0): p = ([t/2 − τ]², τ²) with 2τ² − tτ + t²/4 − 1 = 0, τ = (t/2 − √(2 − t²/4))/2,
  // valid while t ≤ 2; beyond, the vector is one-hot.
  for (double t : {0.0, 0.3, 1.0, 1.9}) {
    const double a = t / 2.0;
    const double tau = (a - std::sqrt(2.0 - a * a)) / 2.0;
    const auto p = sep("entmax15", {t, 0.0});
    EXPECT_NEAR(p[0], (a - tau) * (a - tau), 1e-14) << t;
    EXPECT_NEAR(p[1], tau * tau, 1e-14) << t;
  }
  EXPECT_EQ(sep("entmax15", {2.5, 0.0}), (std::vector<double>{1.0, 0.0}));
}

TEST(Entmax, AlphaTwoIsSparsemaxAndAlphaOnePointFiveIsEntmax15) {
  // The general α-entmax (bisection), built directly: parsing maps these alphas to the exact
  // algorithms it is compared with.
  const auto bisection = [](double alpha, const std::vector<double>& z) {
    std::vector<double> p(z.size());
    separate(Separation{SeparationKind::entmax, alpha}, z, p);
    return p;
  };
  for (std::size_t n : {1u, 2u, 7u, 33u, 65u}) {
    const auto z = random_scores(n, 3.0, static_cast<unsigned>(n + 11));
    EXPECT_LT(max_abs_diff(bisection(2.0, z), sep("sparsemax", z)), 1e-13) << n;
    EXPECT_LT(max_abs_diff(bisection(1.5, z), sep("entmax15", z)), 1e-13) << n;
  }
}

TEST(Entmax, ApproachesSoftmaxAsAlphaTendsToOne) {
  const auto z = random_scores(50, 2.0, 99);
  const auto soft = sep("softmax", z);
  double previous = std::numeric_limits<double>::infinity();
  for (double gap : {1e-1, 1e-2, 1e-3, 1e-4}) {
    const double err = max_abs_diff(sep("entmax:" + std::to_string(1.0 + gap), z), soft);
    EXPECT_LT(err, previous) << gap;
    EXPECT_LT(err, 2.0 * gap) << gap;  // the distance is O(α − 1)
    previous = err;
  }
  EXPECT_LT(previous, 1e-4);
}

TEST(Separation, PermutationEquivariance) {
  const auto z = random_scores(33, 4.0, 5);
  std::vector<std::size_t> perm(z.size());
  std::iota(perm.begin(), perm.end(), 0u);
  std::shuffle(perm.begin(), perm.end(), std::mt19937_64(8));
  std::vector<double> zp(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) zp[i] = z[perm[i]];
  for (const auto& name : kAllSeparations) {
    const auto p = sep(name, z);
    const auto pp = sep(name, zp);
    for (std::size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(pp[i], p[perm[i]], 1e-15) << name;
  }
}

TEST(Separation, AddingAConstantChangesNothing) {
  const auto z = random_scores(20, 3.0, 6);
  for (const auto& name : kAllSeparations) {
    for (double c : {-1e3, -0.5, 7.0, 1e3}) {
      std::vector<double> shifted = z;
      for (double& v : shifted) v += c;
      EXPECT_LT(max_abs_diff(sep(name, shifted), sep(name, z)), 1e-11) << name << " c=" << c;
    }
  }
}

TEST(Separation, ExtremeInputsStayFiniteAndExact) {
  for (const auto& name : kAllSeparations) {
    SCOPED_TRACE(name);
    // β = 10⁴ on cosine scores of either sign: one clear winner → one-hot.
    auto p = sep(name, {1e4 * 0.9, -1e4, 1e4 * 0.2, -1e4 * 0.95});
    expect_probability_vector(p);
    EXPECT_NEAR(p[0], 1.0, 1e-300);
    // Two winners 10⁻¹⁰ apart at scale 10⁴ split the mass almost evenly.
    p = sep(name, {1e4, 1e4 - 1e-10, -1e4});
    expect_probability_vector(p);
    EXPECT_NEAR(p[0], 0.5, 1e-9);
    EXPECT_NEAR(p[1], 0.5, 1e-9);
    EXPECT_EQ(p[2], 0.0);
    // Huge magnitudes of one sign and a long vector of ties.
    p = sep(name, std::vector<double>(100000, -1e300 / 1e10));
    for (double v : p) ASSERT_NEAR(v, 1e-5, 1e-15);
    p = sep(name, {1e290, 1e290});
    EXPECT_NEAR(p[0], 0.5, 1e-15);
  }
}

TEST(Separation, BadInputThrowsKernelError) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& name : kAllSeparations) {
    std::vector<double> p(2);
    EXPECT_THROW(separate(Separation::parse(name), std::vector<double>{1.0, nan}, p), KernelError);
    EXPECT_THROW(separate(Separation::parse(name), std::vector<double>{inf, 0.0}, p), KernelError);
    std::vector<double> empty;
    EXPECT_THROW(separate(Separation::parse(name), empty, empty), KernelError);
    std::vector<double> short_out(1);
    EXPECT_THROW(separate(Separation::parse(name), std::vector<double>{1.0, 0.0}, short_out),
                 KernelError);
  }
}

TEST(Conjugate, SoftmaxConjugateIsLogSumExp) {
  const std::vector<double> z = {0.3, -1.2, 2.0, 0.0};
  double lse = 0.0;
  for (double v : z) lse += std::exp(v);
  lse = std::log(lse);
  const auto p = sep("softmax", z);
  EXPECT_NEAR(conjugate(Separation::parse("softmax"), z, p), lse, 1e-14);
  // Stable far beyond exp's range.
  const std::vector<double> big = {1e4, 1e4};
  EXPECT_NEAR(conjugate(Separation::parse("softmax"), big, sep("softmax", big)),
              1e4 + std::log(2.0), 1e-10);
}

TEST(Conjugate, GradientOfTheConjugateIsTheSeparation) {
  // Danskin: ∇Ψ*(z) = Sep(z). Central differences of the conjugate recover p.
  const auto z = random_scores(9, 1.5, 21);
  const double h = 1e-6;
  for (const auto& name : kAllSeparations) {
    const Separation s = Separation::parse(name);
    const auto p = sep(name, z);
    for (std::size_t i = 0; i < z.size(); ++i) {
      auto plus = z;
      auto minus = z;
      plus[i] += h;
      minus[i] -= h;
      const double fd = (conjugate(s, plus, sep(name, plus)) - conjugate(s, minus, sep(name, minus))) /
                        (2.0 * h);
      EXPECT_NEAR(fd, p[i], 1e-8) << name << " i=" << i;
    }
  }
}

TEST(TsallisEntropy, UniformVectorsHaveClosedForms) {
  for (std::size_t n : {1u, 2u, 10u}) {
    const std::vector<double> u(n, 1.0 / static_cast<double>(n));
    const double nd = static_cast<double>(n);
    EXPECT_NEAR(kernels::tsallis_entropy(1.0, u), std::log(nd), 1e-14);
    EXPECT_NEAR(kernels::tsallis_entropy(2.0, u), 0.5 * (1.0 - 1.0 / nd), 1e-14);
    EXPECT_NEAR(kernels::tsallis_entropy(1.5, u), (1.0 - std::sqrt(1.0 / nd)) / 0.75, 1e-14);
  }
  EXPECT_EQ(kernels::tsallis_entropy(2.0, std::vector<double>{1.0, 0.0}), 0.0);
}

TEST(SeparationParse, NamesRoundTripAndBadTextIsRejected) {
  for (const auto& name : kAllSeparations) {
    EXPECT_EQ(Separation::parse(Separation::parse(name).name()).name(),
              Separation::parse(name).name());
  }
  EXPECT_EQ(Separation::parse("sparsemax").alpha, 2.0);
  EXPECT_EQ(Separation::parse("entmax15").alpha, 1.5);
  EXPECT_EQ(Separation::parse("entmax:1.25").alpha, 1.25);
  EXPECT_EQ(Separation::parse("softmax").metastable_threshold(), 0.01);
  EXPECT_EQ(Separation::parse("sparsemax").metastable_threshold(), 0.0);
  for (const char* bad : {"", "softmaxx", "entmax", "entmax:", "entmax:1", "entmax:0.5",
                          "entmax:abc", "entmax:1.5x", "entmax:nan", "entmax:inf", "softmax:2", "Softmax"}) {
    EXPECT_THROW(Separation::parse(bad), ConfigError) << "'" << bad << "'";
  }
}

TEST(SeparationParse, EveryTableNameRoundTripsToItsKind) {
  for (const Named<SeparationKind>& entry : kSeparationNames.entries()) {
    if (!entry.form.empty()) continue;  // entmax:ALPHA: below
    const Separation s = Separation::parse(entry.name);
    EXPECT_EQ(s.kind, entry.value) << entry.name;
    EXPECT_EQ(s.name(), entry.name);
    EXPECT_EQ(kSeparationNames.name(entry.value), entry.name);
  }
  EXPECT_EQ(Separation::parse("entmax:1.25"), (Separation{SeparationKind::entmax, 1.25}));
  EXPECT_EQ(Separation::parse("entmax:1.25").name(), "entmax:1.25");
}

TEST(SeparationParse, EquivalentSpellingsAreOneValue) {
  // α = 1.5 and α = 2 are the named maps (and run their exact algorithms); other spellings of
  // one alpha are one value with one canonical name.
  EXPECT_EQ(Separation::parse("entmax:1.5"), Separation::parse("entmax15"));
  EXPECT_EQ(Separation::parse("entmax:1.50"), Separation::parse("entmax15"));
  EXPECT_EQ(Separation::parse("entmax:2"), Separation::parse("sparsemax"));
  EXPECT_EQ(Separation::parse("entmax:2.0").name(), "sparsemax");
  EXPECT_EQ(Separation::parse("entmax:1.5").name(), "entmax15");
  EXPECT_EQ(Separation::parse("entmax:1.30").name(), "entmax:1.3");
}

TEST(SeparationParse, UnknownNamesListTheAcceptedOnes) {
  try {
    (void)Separation::parse("argmax");
    FAIL() << "argmax was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown separation function 'argmax' (softmax | sparsemax | entmax15 | entmax:ALPHA)");
  }
  try {
    (void)Separation::parse("entmax");
    FAIL() << "entmax without alpha was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "separation function 'entmax': expected entmax:ALPHA");
  }
}

}  // namespace
}  // namespace hopcap
