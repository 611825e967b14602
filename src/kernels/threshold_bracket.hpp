#pragma once
// The search for one row's entmax threshold t: the bracket lo < hi with mass(lo) ≥ 1 > mass(hi),
// narrowed until lo and hi are adjacent doubles. The computed mass is non-increasing in t
// (every rounding of its sum is monotone, and the exact fixed-point total keeps that), so that
// adjacent pair is unique: any sequence of trial points that keeps the bracket ends where plain
// bisection ends, bit for bit. The trial points come from regula falsi on g(t) = mass^(α−1) − 1
// (linear in t while one score carries the mass, piecewise nearly so otherwise) with the
// Illinois halving, and a bisection after every interpolated trial that did not halve the
// bracket, so it takes at most twice bisection's steps (plus one) and usually a fraction of them.
// The next trial point depends only on the bracket's history, so every process of a
// partitioned row takes the same ones.

#include <cmath>
#include <limits>

namespace hopcap::kernels {

class ThresholdBracket {
 public:
  /// The bracket [lo, hi], where mass(lo) ≥ 1 is known without a value and g(hi) = g_hi < 0.
  ThresholdBracket(double lo, double hi, double g_hi)
      : lo_(lo), hi_(hi), g_hi_(g_hi) {}

  /// The next point to try, strictly inside the bracket; false once lo and hi are adjacent.
  bool next(double& t) const {
    const double mid = 0.5 * (lo_ + hi_);
    if (!(mid > lo_ && mid < hi_)) return false;
    t = mid;
    if (bisect_ || !(g_lo_ >= 0.0)) return true;  // a slow step before, or g(lo) not measured yet
    const double span = g_lo_ - g_hi_;
    if (!(span > 0.0)) return true;
    const double falsi = lo_ + (hi_ - lo_) * (g_lo_ / span);
    t = falsi > lo_ ? (falsi < hi_ ? falsi : std::nextafter(hi_, lo_)) : std::nextafter(lo_, hi_);
    return true;
  }

  /// Records a trial: keeps_lo when mass(t) ≥ 1, with g(t) for the interpolation.
  void update(double t, bool keeps_lo, double g) {
    const double before = hi_ - lo_;
    const bool interpolated = !bisect_ && g_lo_ >= 0.0;
    if (keeps_lo) {
      lo_ = t;
      g_lo_ = g > 0.0 ? g : 0.0;
      if (last_ == Moved::lo) g_hi_ *= 0.5;  // hi kept twice: Illinois
      last_ = Moved::lo;
    } else {
      hi_ = t;
      g_hi_ = g < 0.0 ? g : -std::numeric_limits<double>::min();
      if (last_ == Moved::hi && g_lo_ >= 0.0) g_lo_ *= 0.5;
      last_ = Moved::hi;
    }
    bisect_ = interpolated && !(hi_ - lo_ <= 0.5 * before);
  }

  double lo() const { return lo_; }
  double hi() const { return hi_; }

 private:
  enum class Moved { none, lo, hi };
  double lo_, hi_;
  double g_lo_ = -1.0;  // negative: not measured
  double g_hi_;
  bool bisect_ = false;
  Moved last_ = Moved::none;
};

}  // namespace hopcap::kernels
