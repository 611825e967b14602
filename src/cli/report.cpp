#include "cli/report.hpp"

#include <cmath>
#include <limits>

#include "hopcap/bounds.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap::cli {
namespace {

// JSON has no infinity; a lone memory's raw Δ is +∞, written as null.
nlohmann::ordered_json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json code_json(const kernels::SeparationReport& r) {
  nlohmann::ordered_json j;
  j["M"] = r.m;
  j["d"] = r.dim;
  j["min_angle_deg"] = r.min_angle_deg;
  j["max_cos"] = r.max_cos;
  j["delta_min"] = r.delta_min_sphere;
  j["closest_pair"] = {r.closest_pair[0], r.closest_pair[1]};
  j["raw_delta_min"] = finite_or_null(r.raw_delta_min);
  j["max_norm"] = r.max_norm;
  j["min_norm"] = r.min_norm;
  if (r.dim >= 2) {
    j["prop31_lower"] = bounds::prop31_lower(r.m, r.dim);
    j["prop31_upper"] = bounds::prop31_upper(r.m, r.dim);
  } else {
    j["prop31_lower"] = nullptr;
    j["prop31_upper"] = nullptr;
  }
  return j;
}

nlohmann::ordered_json separation_json(const Matrix& memories, const FeatureMap* map) {
  const kernels::SeparationReport raw = kernels::separation_report(memories);
  nlohmann::ordered_json j;
  j["raw_delta_min"] = finite_or_null(raw.raw_delta_min);
  j["max_norm"] = raw.max_norm;
  j["min_angle_deg"] = raw.min_angle_deg;
  j["delta_min_sphere"] = raw.delta_min_sphere;
  if (map != nullptr) {
    const kernels::SeparationReport f =
        kernels::feature_separation_report(memories, map->weight, map->bias);
    j["feature_min_angle_deg"] = f.min_angle_deg;
    j["feature_delta_min"] = f.delta_min_sphere;
  }
  return j;
}

nlohmann::ordered_json summary_json(const RetrievalSummary& s) {
  nlohmann::ordered_json j;
  j["queries"] = s.queries;
  j["retrieved"] = s.retrieved;
  j["success_rate"] = s.success_rate;
  j["converged_rate"] = s.converged_rate;
  j["iterations"] = {{"mean", s.iterations_mean}, {"min", s.iterations_min}, {"max", s.iterations_max}};
  j["distance"] = {{"mean", s.distance_mean}, {"max", s.distance_max}};
  j["energy_mean"] = s.energy_mean;
  // Histogram of metastable sizes 0..k, cut after the largest size that occurs.
  std::size_t last = 0;
  for (std::size_t k = 0; k < s.metastable_histogram.size(); ++k) {
    if (s.metastable_histogram[k] > 0) last = k;
  }
  nlohmann::ordered_json hist = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k <= last && k < s.metastable_histogram.size(); ++k) {
    hist.push_back(s.metastable_histogram[k]);
  }
  j["metastable"] = {{"mean", s.metastable_mean}, {"histogram_from_size_0", hist}};
  return j;
}

nlohmann::ordered_json well_separation_json(const Matrix& memories, double beta,
                                            const FeatureMap* map) {
  nlohmann::ordered_json j;
  const kernels::SeparationReport report =
      map != nullptr ? kernels::feature_separation_report(memories, map->weight, map->bias)
                     : kernels::separation_report(memories);
  // The KHM condition uses normalised features (m = 1); the MHM the raw memories.
  const SeparationSpace space = map != nullptr ? SeparationSpace::sphere : SeparationSpace::raw;
  const WellSeparation ws = check_well_separation(report, space, beta);
  j["condition"] = "Delta_mu >= ln(2(M-1)m/R)/beta + 2mR";
  j["space"] = map != nullptr ? "feature_sphere" : "raw";
  j["radius"] = ws.radius;
  j["radius_rule"] = "Ramsauer R = 1/(beta M m)";
  j["threshold"] = finite_or_null(ws.threshold);
  j["stored"] = ws.stored_count;
  j["stored_fraction"] = static_cast<double>(ws.stored_count) / static_cast<double>(ws.m_count);
  if (report.dim >= 2) {
    const CapacityResult cap = prop31_capacity(report.dim, beta);
    j["prop31_capacity"] = cap.capacity;
    j["prop31_capacity_limit_reached"] = cap.limit_reached;
  }
  return j;
}

}  // namespace hopcap::cli
