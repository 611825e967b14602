#pragma once
// Where a sweep's results go in its file: the file's dimensions and variables for a config
// (grid mode: every axis; capacity mode: no M and no replica axis, plus the probe dimension),
// and the file's multi-index of a grid point of the plan.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hopcap/io/results_file.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap::sweep {

/// The file layout of a sweep with the given global attributes.
io::ResultsLayout sweep_layout(const SweepConfig& config, const std::map<std::string, io::AttributeValue>& attributes);

/// With sweep.lambda: adds the point's β (= λ·d) and the Lucibello-Mezard capacity of its λ
/// (`lm_alpha_c`, `lm_rate_at_epsilon`) to its result; without it, does nothing.
void add_lambda_values(const SweepConfig& config, const Configuration& c, ConfigResult& result);

/// The file's multi-index of a plan grid point (capacity mode drops the M and replica axes).
std::vector<std::int64_t> file_point(const SweepConfig& config, const GridIndex& index);

}  // namespace hopcap::sweep
