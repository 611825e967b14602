#include "icosahedral_orbits.hpp"

#include <cmath>
#include <numbers>

#include "hopcap/codes.hpp"
#include "hopcap/rng.hpp"

namespace hopcap::uhop_search {
namespace {

constexpr std::uint64_t kOrbitStream = 0x69636f73612d7374ULL;  // "icosa-st"
// Two images of a point under I are the same point when they agree to this (the group's
// entries are exact to a few ulp; distinct images of a generic point are far apart).
constexpr double kSamePoint = 1e-9;

using Point = std::array<double, 3>;

// Rotation of the unit quaternion (w, x, y, z): v ↦ q v q̄.
Rotation rotation_of(const double* q) {
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  return {{{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
           {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
           {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}}};
}

Point apply(const Rotation& r, const Point& v) {
  Point out{};
  for (int i = 0; i < 3; ++i) out[i] = r[i][0] * v[0] + r[i][1] * v[1] + r[i][2] * v[2];
  return out;
}

bool same(const Point& a, const Point& b) {
  return std::abs(a[0] - b[0]) < kSamePoint && std::abs(a[1] - b[1]) < kSamePoint &&
         std::abs(a[2] - b[2]) < kSamePoint;
}

// The distinct images of v under I, in the group's order.
std::vector<Point> orbit(const Point& v) {
  std::vector<Point> out;
  for (const Rotation& r : icosahedral_rotations()) {
    const Point image = apply(r, v);
    bool seen = false;
    for (const Point& p : out) seen = seen || same(p, image);
    if (!seen) out.push_back(image);
  }
  return out;
}

// The unit axis of a rotation whose quaternion has real part w (cos of half its angle):
// w = cos(π/5) for the 5-fold axes, 1/2 for the 3-fold, 0 for the 2-fold.
Point axis_with_real_part(double w) {
  const Matrix q = codes::cell600();
  for (std::int64_t i = 0; i < q.rows; ++i) {
    if (std::abs(q(i, 0) - w) < 1e-12) {
      const double n = std::sqrt(q(i, 1) * q(i, 1) + q(i, 2) * q(i, 2) + q(i, 3) * q(i, 3));
      return {q(i, 1) / n, q(i, 2) / n, q(i, 3) / n};
    }
  }
  return {0.0, 0.0, 1.0};  // not reached: the 600-cell has quaternions of each such w
}

}  // namespace

const std::vector<Rotation>& icosahedral_rotations() {
  static const std::vector<Rotation> group = [] {
    const Matrix q = codes::cell600();
    std::vector<Rotation> out;
    for (std::int64_t i = 0; i < q.rows; ++i) {
      // One of ±q: the one whose first non-zero coordinate is positive.
      int k = 0;
      while (k < 3 && std::abs(q(i, k)) < 1e-12) ++k;
      if (q(i, k) > 0.0) out.push_back(rotation_of(q.row(i)));
    }
    return out;
  }();
  return group;
}

std::optional<OrbitSplit> icosahedral_split(std::int64_t m) {
  // The special orbits add 12, 20 and 30 in the 8 combinations; the rest is generic orbits.
  for (int mask = 0; mask < 8; ++mask) {
    const OrbitSplit s{0, (mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
    const std::int64_t special = (s.five_fold ? 12 : 0) + (s.three_fold ? 20 : 0) + (s.two_fold ? 30 : 0);
    if (m >= special && (m - special) % 60 == 0) return OrbitSplit{(m - special) / 60, s.five_fold, s.three_fold, s.two_fold};
  }
  return std::nullopt;
}

std::optional<Matrix> icosahedral_start(std::int64_t m, std::uint64_t seed) {
  const std::optional<OrbitSplit> split = icosahedral_split(m);
  if (!split || m < 2) return std::nullopt;
  std::vector<Point> points;
  const auto add = [&](const std::vector<Point>& o) { points.insert(points.end(), o.begin(), o.end()); };
  if (split->five_fold) add(orbit(axis_with_real_part(std::cos(std::numbers::pi / 5))));
  if (split->three_fold) add(orbit(axis_with_real_part(0.5)));
  if (split->two_fold) add(orbit(axis_with_real_part(0.0)));
  rng::Stream stream(rng::derive(seed, kOrbitStream), 0, 0);
  for (std::int64_t g = 0; g < split->generic; ++g) {
    // A Gaussian direction: uniform on the sphere, and generic (60 distinct images) with
    // probability one; drawn again in the null event that it is not.
    std::vector<Point> o;
    while (o.size() != 60) {
      Point v{stream.normal(), stream.normal(), stream.normal()};
      const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      if (!(n > 0.0)) continue;
      for (double& e : v) e /= n;
      o = orbit(v);
    }
    add(o);
  }
  Matrix out(m, 3);
  for (std::int64_t i = 0; i < m; ++i) {
    for (int k = 0; k < 3; ++k) out(i, k) = points[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)];
  }
  return out;
}

}  // namespace hopcap::uhop_search
