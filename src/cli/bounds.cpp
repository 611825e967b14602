// hopcap bounds: every spherical-code bound at one dimension, either on the optimal minimal
// angle of M points or on the number of points at a minimal angle.
#include <cmath>
#include <iostream>
#include <memory>
#include <numbers>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli/bounds_json.hpp"
#include "cli/commands.hpp"
#include "cli/integer_option.hpp"
#include "hopcap/bounds.hpp"
#include "hopcap/error.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::cli {
namespace {

nlohmann::ordered_json number_or_null(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

struct BoundsOptions {
  std::int64_t dim = 0;
  std::int64_t count = 0;
  double angle_deg = std::numeric_limits<double>::quiet_NaN();
};

void run_bounds(const BoundsOptions& o, bool has_count, bool has_angle) {
  if (has_count == has_angle) throw ConfigError("bounds needs exactly one of --count M or --angle DEG");
  const nlohmann::ordered_json out =
      has_count ? optimal_angle_json(o.dim, o.count) : code_size_json(o.dim, o.angle_deg);
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

nlohmann::ordered_json optimal_angle_json(std::int64_t dim, std::int64_t count) {
  const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(dim, count);
  const std::pair<const char*, double> entries[] = {
      {"prop31_lower", b.prop31_lower},         {"prop31_upper", b.prop31_upper},
      {"csw_lower", b.csw_lower},               {"levenshtein_upper", b.levenshtein_upper},
      {"rankin_upper", b.rankin_upper},         {"fejes_toth_upper", b.fejes_toth_upper},
  };
  nlohmann::ordered_json j;
  j["dim"] = dim;
  j["count"] = count;
  nlohmann::ordered_json angles = nlohmann::ordered_json::object();
  nlohmann::ordered_json separations = nlohmann::ordered_json::object();
  for (const auto& [name, theta] : entries) {
    angles[name] = number_or_null(bounds::degrees(theta));
    separations[name] = number_or_null(bounds::separation_of_angle(theta));
  }
  j["min_angle_deg"] = angles;
  j["separation"] = separations;
  j["kl_asymptotic_rate"] = number_or_null(b.kl_asymptotic_rate);
  j["best_lower"] = {{"bound", b.best_lower_name}, {"angle_deg", bounds::degrees(b.best_lower)}};
  j["best_upper"] = {{"bound", b.best_upper_name}, {"angle_deg", bounds::degrees(b.best_upper)}};
  return j;
}

nlohmann::ordered_json code_size_json(std::int64_t dim, double angle_deg) {
  require(dim >= 2, "bounds: --dim must be >= 2, got " + std::to_string(dim));
  require(std::isfinite(angle_deg) && angle_deg > 0.0 && angle_deg <= 180.0,
          "bounds: --angle must be in (0, 180] degrees, got " + std::to_string(angle_deg));
  const double theta = bounds::radians(angle_deg);
  const double n = static_cast<double>(dim);
  const bool acute = angle_deg < 90.0;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  nlohmann::ordered_json j;
  j["dim"] = dim;
  j["angle_deg"] = angle_deg;
  j["log2_count"] = {
      {"csw_lower", number_or_null(bounds::csw_log2_count(dim, theta))},
      {"kl_upper_asymptotic", number_or_null(acute ? n * bounds::kl_combined_rate(theta) : nan)},
      {"levenshtein_upper", number_or_null(bounds::levenshtein_log2_count(dim, theta))},
      {"rankin_upper",
       number_or_null(acute ? nan
                            : std::log2(static_cast<double>(bounds::rankin_max_points(dim, theta))))},
  };
  j["rate"] = {
      {"csw_lower", number_or_null(angle_deg <= 90.0 ? bounds::csw_rate(theta) : nan)},
      {"kl_upper", number_or_null(acute ? bounds::kl_combined_rate(theta) : nan)},
  };
  return j;
}

void register_bounds(CLI::App& app) {
  auto options = std::make_shared<BoundsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bounds", "spherical-code bounds: on the optimal minimal angle of M points, or on A(D, angle)");
  cmd->add_option("--dim", options->dim, "dimension D of the sphere S^(D-1)")
      ->required()
      ->transform(checked_integer<std::int64_t>(2, kMaxDimension));
  CLI::Option* count = cmd->add_option("--count", options->count, "number of points M")
                           ->transform(checked_integer<std::int64_t>(2, std::numeric_limits<std::int64_t>::max()));
  CLI::Option* angle =
      cmd->add_option("--angle", options->angle_deg, "minimal angle in degrees, in (0, 180]");
  cmd->callback([options, count, angle] { run_bounds(*options, count->count() > 0, angle->count() > 0); });
}

}  // namespace hopcap::cli
