#pragma once
// JSON renderings of hopcap's result structures, shared by the subcommands.

#include <nlohmann/json.hpp>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::cli {

/// M, d, min_angle_deg, max_cos, delta_min (on the sphere), raw Δ_min, max norm, and the
/// Prop 3.1 bounds at this (M, d) when d ≥ 2.
nlohmann::ordered_json code_json(const kernels::SeparationReport& report);

/// Separation of the memories, raw and (when a feature map is given) in feature space.
nlohmann::ordered_json separation_json(const Matrix& memories, const FeatureMap* map);

/// The retrieval summary: success rate, iteration statistics, metastable-size histogram.
nlohmann::ordered_json summary_json(const RetrievalSummary& summary);

/// The well-separation condition at this β: provably stored memories and the threshold.
nlohmann::ordered_json well_separation_json(const Matrix& memories, double beta,
                                            const FeatureMap* map);

}  // namespace hopcap::cli
