// The entmax threshold bracket against plain bisection: for a non-increasing mass the two end
// on the same adjacent doubles, whatever the trial points; the bracket takes fewer trials on
// entmax masses and never more than about twice bisection's on adversarial ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "kernels/threshold_bracket.hpp"

namespace {

using hopcap::kernels::ThresholdBracket;

struct Ends {
  double lo, hi;
  int trials;
};

// Plain bisection from [lo, hi] to adjacent doubles: mass(mid) ≥ 1 keeps mid as lo.
Ends bisect(double lo, double hi, const std::function<double(double)>& mass) {
  int trials = 0;
  for (double mid = 0.5 * (lo + hi); mid > lo && mid < hi; mid = 0.5 * (lo + hi), ++trials) {
    (mass(mid) >= 1.0 ? lo : hi) = mid;
  }
  return {lo, hi, trials};
}

Ends search(double lo, double hi, double am1, const std::function<double(double)>& mass) {
  ThresholdBracket bracket(lo, hi, std::pow(mass(hi), am1) - 1.0);
  int trials = 0;
  for (double t = 0.0; bracket.next(t); ++trials) {
    const double m = mass(t);
    EXPECT_GT(t, bracket.lo());
    EXPECT_LT(t, bracket.hi());
    bracket.update(t, m >= 1.0, std::pow(m, am1) - 1.0);
  }
  return {bracket.lo(), bracket.hi(), trials};
}

// Σ [(α−1)(u − t)]₊^{1/(α−1)} summed in order: non-increasing in t.
double entmax_mass(const std::vector<double>& u, double am1, double t) {
  double s = 0.0;
  for (double x : u) {
    const double v = x - t;
    if (v > 0.0) s += am1 == 1.0 ? v : am1 == 0.5 ? 0.25 * v * v : std::pow(am1 * v, 1.0 / am1);
  }
  return s;
}

TEST(ThresholdBracket, EndsWhereBisectionEndsOnEntmaxMasses) {
  std::mt19937_64 rng(11);
  long bisection_trials = 0, bracket_trials = 0;
  for (const double am1 : {1.0, 0.5, 0.25, 2.0}) {
    for (int row = 0; row < 300; ++row) {
      // Scores below the maximum 0: a few to thousands, some tied, spread over the reach.
      const int n = 1 + static_cast<int>(rng() % 2000);
      std::uniform_real_distribution<double> below(-1.5 / am1, 0.0);
      std::vector<double> u(static_cast<std::size_t>(n));
      for (double& x : u) x = (rng() % 7 == 0) ? u[0] : below(rng);
      u[0] = 0.0;
      const auto mass = [&](double t) { return entmax_mass(u, am1, t); };
      const Ends plain = bisect(-1.0 / am1, 0.0, mass);
      const Ends fast = search(-1.0 / am1, 0.0, am1, mass);
      ASSERT_EQ(fast.lo, plain.lo) << "am1 " << am1 << " n " << n;
      ASSERT_EQ(fast.hi, plain.hi);
      EXPECT_EQ(std::nextafter(fast.lo, 1.0), fast.hi);
      EXPECT_GE(mass(fast.lo), 1.0);
      EXPECT_LT(mass(fast.hi), 1.0);
      EXPECT_LE(fast.trials, 2 * plain.trials + 2);
      bisection_trials += plain.trials;
      bracket_trials += fast.trials;
    }
  }
  // The point of the bracket: far fewer masses to sum than bisection.
  EXPECT_LT(bracket_trials, bisection_trials / 2) << bracket_trials << " against " << bisection_trials;
}

TEST(ThresholdBracket, EndsWhereBisectionEndsOnStepFunctions) {
  // Adversarial non-increasing masses: flat stretches and jumps, where interpolation is poor.
  std::mt19937_64 rng(5);
  for (int row = 0; row < 500; ++row) {
    std::vector<double> steps(1 + rng() % 40);
    std::uniform_real_distribution<double> at(-2.0, 0.0);
    for (double& s : steps) s = at(rng);
    std::sort(steps.begin(), steps.end());
    const double weight = 2.5 / static_cast<double>(steps.size());
    // mass(t) = weight · #{steps above t}: 2.5 at −2, 0 at 0.
    const auto mass = [&](double t) {
      return weight * static_cast<double>(steps.end() - std::upper_bound(steps.begin(), steps.end(), t));
    };
    const Ends plain = bisect(-2.0, 0.0, mass);
    const Ends fast = search(-2.0, 0.0, 1.0, mass);
    ASSERT_EQ(fast.lo, plain.lo) << row;
    ASSERT_EQ(fast.hi, plain.hi);
    EXPECT_LE(fast.trials, 2 * plain.trials + 2) << row;
  }
}

}  // namespace
