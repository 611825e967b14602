#pragma once
// Energy landscapes and basins of attraction of a memory set in the plane (the paper's
// Figures 1 and 2): on a G×G grid around the memories, the MHM energy of each separation map
// and the memory each grid point is retrieved to after a fixed number of updates. The memories
// are the normalised features φ̂_μ of a U-Hop+ map with D_Φ = 2 (or the raw memories before
// training), so the figures show how Stage I reshapes the landscape that Stage II descends.
// Pure computation: no I/O, no MPI.

#include <cstdint>
#include <span>
#include <vector>

#include "hopcap/kernels/separation.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap {

struct LandscapeSettings {
  double beta = 20.0;           ///< inverse temperature β > 0
  std::int64_t grid = 100;      ///< G ≥ 2 points per axis
  double margin = 0.1;          ///< the grid spans the memories' bounding box ± margin (paper)
  int updates = 5;              ///< retrieval updates per grid point (paper: 5)
  double capture_radius = 1e-3; ///< a point is in memory μ's basin if ‖x_T − ξ_μ‖ < this

  /// Throws ConfigError naming the first bad setting.
  void validate() const;
};

/// One memory set's landscape for several separation maps.
struct Landscape {
  std::vector<double> x, y;  ///< grid coordinates, G each (x varies along a row of the grid)
  /// Per separation map, G×G values in row-major order (row = y index, column = x index).
  std::vector<std::vector<double>> energy;
  /// Per separation map, G×G basin labels: the memory index, or −1 when x_T is within the
  /// capture radius of no memory (a metastable or unconverged point).
  std::vector<std::vector<std::int64_t>> basin;
  /// Per separation map, the fraction of grid points with a label ≥ 0.
  std::vector<double> captured_fraction;
};

/// Landscape of the memories (M ≥ 1 rows, 2 columns) for every map in `maps`: energy
/// E(x) = ½‖x‖² − β⁻¹Ψ*(β Ξ x) at each grid point and the basin label after `updates` steps of
/// x ← Ξᵀ Sep(β Ξ x). Throws ConfigError for bad settings or memories that are not 2-D.
Landscape compute_landscape(const Matrix& memories, std::span<const Separation> maps,
                            const LandscapeSettings& settings);

}  // namespace hopcap
