// hopcap train: U-Hop+ Stage I on one memory set, summarised as one JSON object; --out saves
// the learned map and its trace for `hopcap retrieve --feature-map`.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/memory_source.hpp"
#include "cli/uhop_options.hpp"
#include "cli/work_threads.hpp"
#include "hopcap/io/feature_map_io.hpp"
#include "hopcap/io/output_target.hpp"

namespace hopcap::cli {
namespace {

struct TrainOptions {
  MemoryOptions memories;
  UhopOptions uhop;
  std::string out;
  bool overwrite = false;
};

void run_train(const TrainOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  // Refused before the training, not after it.
  if (!o.out.empty()) io::check_output_target(o.out, o.overwrite, "--out '" + o.out + "'", io::kOverwriteHint);
  nlohmann::ordered_json memories_json;
  const Matrix memories = load_memories(o.memories, memories_json);
  const UhopSettings settings = o.uhop.parse(o.memories.seed);
  settings.validate(memories.cols);
  // A step: the features (M x d x D_Phi) and their pairwise scores (M x M x D_Phi).
  fit_threads_to_work(gemm_flops(memories.rows, memories.rows + memories.cols, settings.feature_dim));
  const UhopResult result = train_with_progress(memories, settings, o.uhop.progress);

  nlohmann::ordered_json out;
  out["command"] = "train";
  out["settings"] = settings_json(settings);
  out["memories"] = memories_json;
  const nlohmann::ordered_json summary = result_json(result);
  for (const auto& [key, value] : summary.items()) out[key] = value;
  if (!o.out.empty()) {
    nlohmann::ordered_json description;
    description["settings"] = out["settings"];
    description["memories"] = memories_json;
    io::save_feature_map(o.out, result.map, &result.trace, description.dump(), o.overwrite);
    out["out"] = o.out;
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

void register_train(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "learn a U-Hop+ feature map (Stage I)");
  add_memory_options(*cmd, options->memories);
  add_uhop_options(*cmd, options->uhop, /*dphi_required=*/true);
  cmd->add_option("--out", options->out, "save W (and b) and the trace to this HDF5 file (a new file)");
  cmd->add_flag("--overwrite", options->overwrite, "replace an existing --out file");
  cmd->callback([options] { run_train(*options); });
}

}  // namespace hopcap::cli
