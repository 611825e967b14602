#pragma once
// hopcap's search beyond the paper's Algorithm 1 (docs/science.md, "Beyond Algorithm 1"): the
// pairwise loss minimised in whitened coordinates of the map, with τ driven to 10⁻⁶ by a
// quasi-Newton method (a max–min refinement of the code), from seeded starts, from starts with
// the icosahedron's symmetry on S², and from perturbations of the best code found (basin
// hopping).

#include <cstdint>

#include "hopcap/feature_map.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::uhop_search {

/// Coordinates in which every linear (affine) map of the memories is a matrix P (D_Φ × r) with
/// features U Pᵀ, U (M × r) orthonormal when the memories' Gram matrix is invertible; the
/// features are then free points (M ≤ d, U = I) or the whole range of the maps (M > d).
class Whitening {
 public:
  Whitening(const Matrix& memories, bool bias);
  const Matrix& basis() const { return basis_; }
  /// P of a map; to_map(to_coordinates(m)) reproduces m's features.
  Matrix to_coordinates(const FeatureMap& map) const;
  FeatureMap to_map(const Matrix& coordinates) const;
  /// True when the features are the coordinates themselves (U = I, M ≤ d).
  bool free_points() const { return free_; }

 private:
  Matrix augmented_;  // memories, with a column of ones for the bias
  Matrix basis_;      // U
  Matrix factor_;     // Cholesky factor: of A Aᵀ (free points) or of Aᵀ A
  bool bias_ = false;
  bool free_ = false;
};

struct Budget {
  std::int64_t starts = 0;  ///< seeded random starts
  std::int64_t hops = 0;    ///< perturbations of the best code
};

struct Outcome {
  FeatureMap map;
  double s_max = 1.0;               ///< of the map's normalised features
  std::int64_t evaluations = 0;     ///< loss and gradient evaluations
};

/// Refines `start` (a map of the memories) to a local max–min code: the pairwise loss at τ
/// falling from tau_start to 10⁻⁶.
Outcome refine(const Matrix& memories, const FeatureMap& start, double tau_start);

/// Starts with the icosahedron's symmetry that search() adds to the seeded ones: two when
/// D_Φ = 3, the features are free points and M is a sum of icosahedral orbits, else none.
std::int64_t symmetric_starts(std::int64_t m, std::int64_t feature_dim, bool free_points);

/// Seeded starts, symmetric starts, refinement and basin hopping; a pure function of its
/// arguments.
Outcome search(const Matrix& memories, std::int64_t feature_dim, bool bias, const Budget& budget,
               std::uint64_t seed);

}  // namespace hopcap::uhop_search
