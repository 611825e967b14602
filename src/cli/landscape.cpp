// hopcap landscape: energy landscapes and basins of attraction of a 2-D memory set before and
// after U-Hop+ steps (the paper's Figures 1 and 2), written to one HDF5 file and summarised
// as one JSON object (captured fraction per snapshot and separation map).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/integer_option.hpp"
#include "cli/uhop_options.hpp"
#include "cli/work_threads.hpp"
#include "hopcap/error.hpp"
#include "hopcap/feature_map.hpp"
#include "hopcap/io/landscape_file.hpp"
#include "hopcap/io/output_target.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/landscape.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::cli {
namespace {

struct LandscapeOptions {
  std::int64_t m = 4;
  std::uint64_t seed = 1111;
  std::vector<std::int64_t> snapshots{0, 1, 2, 5};
  std::vector<std::string> maps{"softmax", "entmax15", "sparsemax"};
  LandscapeSettings landscape;
  UhopOptions uhop;
  std::string out;
  bool overwrite = false;
};

void run_landscape(const LandscapeOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  // Refused before the computation, not after it.
  io::check_output_target(o.out, o.overwrite, "--out '" + o.out + "'", io::kOverwriteHint);
  require(o.m >= 2, "--M must be >= 2, got " + std::to_string(o.m));
  require(!o.snapshots.empty(), "--snapshots needs at least one step count");
  for (const std::int64_t s : o.snapshots) require(s >= 0, "--snapshots must be >= 0, got " + std::to_string(s));
  o.landscape.validate();
  fit_threads_to_work(2.0 * gemm_flops(o.landscape.grid, o.landscape.grid, o.m));  // one update of the grid
  std::vector<Separation> maps;
  for (const std::string& name : o.maps) maps.push_back(Separation::parse(name));
  require(!maps.empty(), "--sep needs at least one separation map");
  if (o.uhop.feature_dim != 0) require(o.uhop.feature_dim == 2, "the landscape is planar: --Dphi must be 2");

  // Memories on the unit circle; U-Hop+ maps them to D_Φ = 2 (training is deterministic, so
  // the map after N steps is the same whether or not the run goes on).
  const Matrix memories = generate_memories(Distribution::sphere, 2, o.m, o.seed, 0);
  UhopSettings settings = o.uhop.parse(o.seed);
  settings.feature_dim = 2;
  settings.iterations = *std::max_element(o.snapshots.begin(), o.snapshots.end());  // the last snapshot
  settings.plateau_window = 0;
  settings.validate(2);

  std::vector<io::LandscapeSnapshot> snapshots;
  nlohmann::ordered_json summary = nlohmann::ordered_json::array();
  for (const std::int64_t steps : o.snapshots) {
    io::LandscapeSnapshot snap;
    snap.step = steps;
    if (steps == 0) {
      snap.memories = memories;
    } else {
      UhopSettings at = settings;
      at.iterations = steps;
      snap.memories = normalized_features(train_uhop(memories, at).map, memories);
    }
    snap.min_angle_deg = kernels::separation_report(snap.memories).min_angle_deg;
    snap.landscape = compute_landscape(snap.memories, maps, o.landscape);
    nlohmann::ordered_json entry;
    entry["step"] = steps;
    entry["min_angle_deg"] = snap.min_angle_deg;
    for (std::size_t k = 0; k < maps.size(); ++k) entry["captured_fraction"][maps[k].name()] = snap.landscape.captured_fraction[k];
    summary.push_back(entry);
    snapshots.push_back(std::move(snap));
  }

  nlohmann::ordered_json out;
  out["command"] = "landscape";
  out["M"] = o.m;
  out["seed"] = o.seed;
  out["beta"] = o.landscape.beta;
  out["grid"] = o.landscape.grid;
  out["margin"] = o.landscape.margin;
  out["updates"] = o.landscape.updates;
  out["capture_radius"] = o.landscape.capture_radius;
  out["uhop"] = settings_json(settings);
  std::vector<std::string> names;
  for (const Separation& s : maps) names.push_back(s.name());
  io::save_landscapes(o.out, snapshots, names, o.landscape, out.dump(), o.overwrite);
  out["snapshots"] = summary;
  out["out"] = o.out;
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

void register_landscape(CLI::App& app) {
  auto o = std::make_shared<LandscapeOptions>();
  // The paper's landscape and basin scripts: τ = 1, learning rate 0.1.
  o->uhop.tau = 1.0;
  o->uhop.lr = 0.1;
  o->uhop.method = "paper";  // snapshots after N steps of Algorithm 1
  CLI::App* cmd = app.add_subcommand(
      "landscape", "energy landscapes and basins of attraction of 2-D memories before and after U-Hop+ steps");
  cmd->add_option("--M", o->m, "number of memories on the unit circle (>= 2)")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(2, kMaxDimension));
  cmd->add_option("--seed", o->seed, "seed of the memories and of the U-Hop+ initialisation")
      ->capture_default_str()
      ->transform(checked_integer<std::uint64_t>());
  cmd->add_option("--snapshots", o->snapshots, "U-Hop+ step counts to draw (0 = the raw memories)")
      ->delimiter(',')
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(0, kMaxIterations));
  cmd->add_option("--sep", o->maps, "separation maps, comma-separated")->delimiter(',')->capture_default_str();
  cmd->add_option("--beta", o->landscape.beta, "inverse temperature beta > 0")->capture_default_str();
  cmd->add_option("--grid", o->landscape.grid, "grid points per axis")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(2, kMaxDimension));
  cmd->add_option("--margin", o->landscape.margin, "grid = bounding box of the memories +- this")->capture_default_str();
  cmd->add_option("--updates", o->landscape.updates, "retrieval updates per grid point")
      ->capture_default_str()
      ->transform(checked_integer<int>(1, kMaxIterations));
  cmd->add_option("--capture-radius", o->landscape.capture_radius,
                  "a grid point belongs to the basin of the memory its final state is this close to")
      ->capture_default_str();
  add_uhop_options(*cmd, o->uhop, /*dphi_required=*/false);
  cmd->add_option("--out", o->out, "HDF5 file of the landscapes (see include/hopcap/io/landscape_file.hpp), a new file")->required();
  cmd->add_flag("--overwrite", o->overwrite, "replace an existing --out file");
  cmd->callback([o] { run_landscape(*o); });
}

}  // namespace hopcap::cli
