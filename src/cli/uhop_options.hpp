#pragma once
// The U-Hop+ options shared by `hopcap train` and `hopcap retrieve --train-uhop`, and the JSON
// description of a training result.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "hopcap/uhop.hpp"

namespace hopcap::cli {

/// The shared text settings plus the CLI's own progress flag.
struct UhopOptions : UhopTextSettings {
  bool progress = false;
};

/// Registers --Dphi, --loss, --tau, ... on app. `dphi_required` makes --Dphi mandatory;
/// `precision_flag` names the training precision's option (a command whose --precision is
/// its retrieval's passes another name).
void add_uhop_options(CLI::App& app, UhopOptions& options, bool dphi_required,
                      const std::string& precision_flag = "--precision");

nlohmann::ordered_json settings_json(const UhopSettings& settings);

/// Stage I on the memories; with options.progress a line per 10 % of the steps on stderr.
UhopResult train_with_progress(const Matrix& memories, const UhopSettings& settings, bool progress);

/// iterations, loss_final, delta_min_before/after, min_angle_deg_before/after, ...
nlohmann::ordered_json result_json(const UhopResult& result);

}  // namespace hopcap::cli
