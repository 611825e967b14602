#pragma once
// The spherical-code bounds a grid sweep records per configuration: the bounds on the optimal
// minimal angle θ*(n, M) and its separation 1 − cos θ* at the configuration's M, for the raw
// dimension d (suffix _d) and, for KHMs, the feature dimension D_Φ (suffix _dphi; NaN for the
// MHM), and the theoretical capacity at the strongest valid lower bound. See
// hopcap/bounds.hpp for the bounds and docs/output-format.md for the variables.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hopcap/sweep/execute.hpp"

namespace hopcap::sweep {

/// The variables, all over the grid axes only.
const std::vector<SweepVariable>& code_bound_variables();

/// Their values (NaN where a bound does not apply, where M < 2 or a dimension is < 2).
/// feature_dim = 0 for a model without a feature map; capacity_dim is the dimension the
/// theoretical capacities use (d for the MHM, D_Φ for KHMs).
std::map<std::string, std::vector<double>> code_bound_values(std::int64_t d, std::int64_t feature_dim,
                                                             std::int64_t m, std::int64_t capacity_dim,
                                                             double beta);

}  // namespace hopcap::sweep
