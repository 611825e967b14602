#pragma once
// JSON of the bounds on the optimal minimal angle θ*(D, M) and on A(D, θ), shared by
// `hopcap bounds` and `hopcap codes`.

#include <cstdint>

#include <nlohmann/json.hpp>

namespace hopcap::cli {

/// {"dim", "count", "min_angle_deg": {...}, "separation": {...}, "kl_asymptotic_rate",
/// "best_lower", "best_upper"}; null where a bound does not apply. Pre: D ≥ 2, M ≥ 2.
nlohmann::ordered_json optimal_angle_json(std::int64_t dim, std::int64_t count);

/// {"dim", "angle_deg", "log2_count": {...}, "rate": {...}}. Pre: D ≥ 2, 0 < θ ≤ 180°.
nlohmann::ordered_json code_size_json(std::int64_t dim, double angle_deg);

}  // namespace hopcap::cli
