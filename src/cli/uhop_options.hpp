#pragma once
// The U-Hop+ options shared by `hopcap train` and `hopcap retrieve --train-uhop`, and the JSON
// description of a training result.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "hopcap/uhop.hpp"

namespace hopcap::cli {

struct UhopOptions {
  std::int64_t feature_dim = 0;
  bool bias = false;
  std::string loss = "pairwise";
  double tau = 0.1;
  double tau_min = 0.0;
  double anneal = 1.0;
  std::string optimizer = "adam";
  double lr = 0.01;
  bool lr_follows_tau = false;
  double momentum = 0.9;
  std::string projection = "none";
  std::string init = "gaussian";
  std::int64_t iterations = 500;
  std::int64_t batch = 0;
  std::int64_t plateau_window = 0;
  double plateau_tol = 1e-9;
  std::int64_t restarts = 1;
  bool progress = false;
};

/// Registers --Dphi, --loss, --tau, ... on app. `dphi_required` makes --Dphi mandatory.
void add_uhop_options(CLI::App& app, UhopOptions& options, bool dphi_required);

/// Checked settings (throws ConfigError naming the option); the seed comes from the memories.
UhopSettings to_settings(const UhopOptions& options, std::uint64_t seed);

nlohmann::ordered_json settings_json(const UhopSettings& settings);

/// Stage I on the memories; with options.progress a line per 10 % of the steps on stderr.
UhopResult train_with_progress(const Matrix& memories, const UhopSettings& settings, bool progress);

/// iterations, loss_final, delta_min_before/after, min_angle_deg_before/after, ...
nlohmann::ordered_json result_json(const UhopResult& result);

}  // namespace hopcap::cli
