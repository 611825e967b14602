#pragma once
// The angle between each query and its target memory in the space the model scores in: the
// angle between the normalised features Φ̂(query) and Φ̂(target) for a KHM, the raw angle for
// the MHM. It says how much query noise the model actually sees: a map can shrink a raw
// angle (or grow it), so two models fed the same raw queries may face different problems.

#include <cstdint>
#include <span>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::kernels {

/// angles[i] := the angle, in degrees, between row i of `queries` and row i of `targets`,
/// after the feature map when one is given (queries and targets are n×d either way). Formed
/// as 2·atan2(‖â − b̂‖, ‖â + b̂‖), accurate at small angles where acos of the cosine is not.
/// Each value depends on its two rows alone (fixed summation order), not on threads.
/// A zero row (or zero feature) has no direction: its angle is NaN.
/// Throws KernelError when the shapes disagree.
void query_target_angles_deg(const Matrix& queries, const Matrix& targets, const FeatureMap* map,
                             std::span<double> angles);

/// Median, mean and largest of a set of angles (NaN entries ignored; all NaN when none is left).
struct AngleSummary {
  double median = 0.0;
  double mean = 0.0;
  double max = 0.0;
};
AngleSummary summarize_angles(std::span<const double> angles_deg);

}  // namespace hopcap::kernels
