#pragma once
// Naive reference twin of the query-angle kernel: the map applied by explicit sums, the angle
// as acos of the cosine in long double. Never optimise this; it exists to be obviously right.

#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::ref {

/// Degrees between row i of queries and row i of targets, after the map when one is given.
std::vector<double> query_target_angles_deg(const Matrix& queries, const Matrix& targets, const FeatureMap* map);

/// The median of the values (the mean of the two middle ones for an even count), by a sorted copy.
double median(std::vector<double> values);

}  // namespace hopcap::ref
