#include "hopcap/landscape.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hopcap/error.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap {

void LandscapeSettings::validate() const {
  require(std::isfinite(beta) && beta > 0.0, "landscape: beta must be finite and > 0");
  require(grid >= 2 && grid <= 4096, "landscape: the grid needs 2 to 4096 points per axis, got " + std::to_string(grid));
  require(std::isfinite(margin) && margin >= 0.0, "landscape: the margin must be >= 0");
  require(updates >= 1, "landscape: at least one retrieval update");
  require(std::isfinite(capture_radius) && capture_radius > 0.0, "landscape: the capture radius must be > 0");
}

Landscape compute_landscape(const Matrix& memories, std::span<const Separation> maps,
                            const LandscapeSettings& settings) {
  settings.validate();
  require(memories.cols == 2, "landscape: memories must be 2-dimensional, got d = " + std::to_string(memories.cols));
  require(memories.rows >= 1, "landscape: needs at least one memory");
  require(!maps.empty(), "landscape: no separation map given");
  const std::int64_t g = settings.grid;
  const std::int64_t n_points = checked_product(g, g, "landscape: grid points", kMaxDimension);
  double lo[2] = {memories(0, 0), memories(0, 1)}, hi[2] = {lo[0], lo[1]};
  for (std::int64_t i = 0; i < memories.rows; ++i) {
    for (int k = 0; k < 2; ++k) {
      require(std::isfinite(memories(i, k)), "landscape: memories must be finite");
      lo[k] = std::min(lo[k], memories(i, k));
      hi[k] = std::max(hi[k], memories(i, k));
    }
  }
  Landscape out;
  for (int k = 0; k < 2; ++k) {
    std::vector<double>& axis = k == 0 ? out.x : out.y;
    const double a = lo[k] - settings.margin, b = hi[k] + settings.margin;
    axis.resize(static_cast<std::size_t>(g));
    for (std::int64_t i = 0; i < g; ++i) axis[static_cast<std::size_t>(i)] = a + (b - a) * static_cast<double>(i) / static_cast<double>(g - 1);
  }
  Matrix points(n_points, 2);
  for (std::int64_t r = 0; r < g; ++r) {
    for (std::int64_t c = 0; c < g; ++c) {
      points(r * g + c, 0) = out.x[static_cast<std::size_t>(c)];
      points(r * g + c, 1) = out.y[static_cast<std::size_t>(r)];
    }
  }
  for (const Separation& sep : maps) {
    RetrievalSettings rs;
    rs.beta = settings.beta;
    rs.separation = sep;
    const Retriever retriever(memories, rs);
    std::vector<double> energy(static_cast<std::size_t>(n_points));
    for (std::int64_t p = 0; p < n_points; ++p) energy[static_cast<std::size_t>(p)] = retriever.energy(points.row_span(p));
    Matrix state = points, next(n_points, 2);
    for (int t = 0; t < settings.updates; ++t) {
      retriever.advance(state, next);
      std::swap(state, next);
    }
    std::vector<std::int64_t> basin(static_cast<std::size_t>(n_points), -1);
    std::int64_t captured = 0;
    for (std::int64_t p = 0; p < n_points; ++p) {
      for (std::int64_t mu = 0; mu < memories.rows; ++mu) {
        const double dx = state(p, 0) - memories(mu, 0), dy = state(p, 1) - memories(mu, 1);
        if (std::sqrt(dx * dx + dy * dy) < settings.capture_radius) {
          basin[static_cast<std::size_t>(p)] = mu;
          ++captured;
          break;
        }
      }
    }
    out.energy.push_back(std::move(energy));
    out.basin.push_back(std::move(basin));
    out.captured_fraction.push_back(static_cast<double>(captured) / static_cast<double>(n_points));
  }
  return out;
}

}  // namespace hopcap
