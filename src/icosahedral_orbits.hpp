#pragma once
// Starts for the search on S² that have the symmetry of the icosahedron's rotation group I
// (60 rotations). Best-known codes of some sizes share it: Sloane's 120 points at 19.3240°
// are two orbits of 60 under I, each point with 5 contacts. The loss is invariant under I, so
// a start made of orbits keeps its symmetry while it is refined, and the search then explores
// the few coordinates of the orbits' representatives instead of 3M free ones: random starts
// did not find that code's basin (docs/science.md, "Beyond Algorithm 1").

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "hopcap/matrix.hpp"

namespace hopcap::uhop_search {

using Rotation = std::array<std::array<double, 3>, 3>;

/// The 60 rotations of I, from the 120 unit quaternions of the 600-cell (the binary
/// icosahedral group, two quaternions ±q per rotation), with the icosahedron of
/// codes::icosahedron() among their orbits.
const std::vector<Rotation>& icosahedral_rotations();

/// How M points split into orbits of I: `generic` orbits of 60 and at most one each of the
/// orbits of the 5-fold axes (12 points, the icosahedron), the 3-fold axes (20, the
/// dodecahedron) and the 2-fold axes (30, the icosidodecahedron); none when M is not such a
/// sum (M mod 60 not in {0, 12, 20, 30, 32, 42, 50}, and M ≡ 2 below 62).
struct OrbitSplit {
  std::int64_t generic = 0;
  bool five_fold = false, three_fold = false, two_fold = false;
};
std::optional<OrbitSplit> icosahedral_split(std::int64_t m);

/// M unit points in R³ (M × 3) made of the orbits of icosahedral_split(m), the generic
/// orbits' representatives uniform on the sphere from the seed; none when M does not split.
std::optional<Matrix> icosahedral_start(std::int64_t m, std::uint64_t seed);

}  // namespace hopcap::uhop_search
