// hopcap retrieve: one configuration of MHM or KHM retrieval, summarised as one JSON object.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/integer_option.hpp"
#include "cli/memory_source.hpp"
#include "cli/report.hpp"
#include "cli/uhop_options.hpp"
#include "cli/work_threads.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/feature_map_io.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::cli {
namespace {

struct RetrieveOptions {
  MemoryOptions memories;
  double beta = 8.0;
  std::string separation = "softmax";
  std::string query = "angle:20";
  std::int64_t queries_per_memory = 1;
  std::int64_t random_queries = 0;
  int max_iterations = 100;
  double tolerance = 1e-10;
  double epsilon = 1e-2;
  std::int64_t block = 0;
  std::string feature_map;
  std::string khm_scores = "normalized";
  std::string precision = "float64";
  std::string khm_space = "raw";
  bool train_uhop = false;
  UhopOptions uhop;
};

void run_retrieve(const RetrieveOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  nlohmann::ordered_json out;
  out["command"] = "retrieve";
  nlohmann::ordered_json memories_json;
  const Matrix memories = load_memories(o.memories, memories_json);

  RetrievalSettings settings;
  settings.beta = o.beta;
  settings.separation = Separation::parse(o.separation);
  settings.max_iterations = o.max_iterations;
  settings.tolerance = o.tolerance;
  settings.epsilon = o.epsilon;
  settings.block_size = o.block;
  try {
    settings.khm_scores = kKhmScoresNames.parse(o.khm_scores);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("--khm-scores: ") + e.what());
  }
  try {
    settings.precision = kPrecisionNames.parse(o.precision);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("--precision: ") + e.what());
  }
  const QueryModel query = QueryModel::parse(o.query);
  require(query.kind != QueryKind::data, "--query data:SOURCE is a sweep query model (hopcap run); retrieve generates its queries");
  require(o.queries_per_memory >= 1, "--queries-per-memory must be >= 1");
  require(o.random_queries >= 0, "--random-queries must be >= 0");

  // An update of the queries (one per memory and more) against the memories, in d or D_Phi.
  fit_threads_to_work(gemm_flops(memories.rows, memories.rows, std::max(memories.cols, o.uhop.feature_dim)) *
                      static_cast<double>(std::max<std::int64_t>(o.queries_per_memory, 1)));
  std::optional<FeatureMap> map;
  if (!o.feature_map.empty()) map = io::load_feature_map(o.feature_map);
  nlohmann::ordered_json uhop_json;
  if (o.train_uhop) {
    require(o.feature_map.empty(), "--train-uhop and --feature-map exclude each other");
    require(o.uhop.feature_dim >= 1, "--train-uhop needs --Dphi >= 1");
    const UhopSettings uhop = o.uhop.parse(o.memories.seed);
    uhop.validate(memories.cols);
    const UhopResult trained = train_with_progress(memories, uhop, o.uhop.progress);
    map = trained.map;
    uhop_json["settings"] = settings_json(uhop);
    const nlohmann::ordered_json summary = result_json(trained);
    for (const auto& [key, value] : summary.items()) uhop_json[key] = value;
  }
  // Stage II inside feature space: the normalised features become the memories of an MHM and
  // the queries live on the feature sphere.
  require(o.khm_space == "raw" || o.khm_space == "feature",
          "--khm-space must be raw or feature, got '" + o.khm_space + "'");
  const bool in_feature_space = o.khm_space == "feature";
  require(!in_feature_space || map.has_value(),
          "--khm-space feature needs a feature map (--feature-map or --train-uhop)");
  const Matrix stored = in_feature_space ? normalized_features(*map, memories) : memories;
  std::optional<FeatureMap> score_map = in_feature_space ? std::nullopt : map;
  const Retriever retriever(stored, settings, score_map);

  // Query i aims at memory i / R (R queries per memory); random queries have no target.
  const std::int64_t n = query.has_target()
                              ? checked_product(memories.rows, o.queries_per_memory, "--M x --queries-per-memory",
                                                kMaxDimension)
                              : (o.random_queries > 0 ? o.random_queries : memories.rows);
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n), -1);
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), std::uint64_t{0});
  if (query.has_target()) {
    for (std::int64_t i = 0; i < n; ++i) targets[static_cast<std::size_t>(i)] = i / o.queries_per_memory;
  }
  Matrix states(n, stored.cols);
  // feature_angle: through the scoring map (raw-space retrieval of a KHM); inside feature
  // space, or for the MHM, the stored vectors are what the model scores, so the raw angle is it.
  make_queries(query, stored, targets, ids, o.memories.seed, states, score_map ? &*score_map : nullptr);
  std::vector<QueryOutcome> outcomes(static_cast<std::size_t>(n));
  retriever.run(states, targets, outcomes);
  const RetrievalSummary summary = summarize(outcomes, memories.rows);

  nlohmann::ordered_json config_json;
  config_json["model"] = map ? "khm" : "mhm";
  config_json["beta"] = o.beta;
  config_json["sep"] = settings.separation.name();
  config_json["query"] = query.name();
  config_json["queries"] = n;
  config_json["t_max"] = o.max_iterations;
  config_json["tol"] = o.tolerance;
  config_json["epsilon"] = o.epsilon;
  config_json["seed"] = o.memories.seed;
  config_json["precision"] = std::string(kPrecisionNames.name(settings.precision));
  if (map) {
    config_json["feature_map"] = o.train_uhop ? "U-Hop+ (trained in this run)" : o.feature_map;
    config_json["D_phi"] = map->feature_dim();
    config_json["bias"] = map->has_bias();
    config_json["khm_scores"] = o.khm_scores;
    config_json["khm_space"] = o.khm_space;
  }
  out["settings"] = config_json;
  if (o.train_uhop) out["uhop"] = uhop_json;
  memories_json["separation"] = separation_json(memories, map ? &*map : nullptr);
  out["memories"] = memories_json;
  out["summary"] = summary_json(summary);
  out["theory"] = well_separation_json(memories, o.beta, map ? &*map : nullptr);
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

void register_retrieve(CLI::App& app) {
  auto options = std::make_shared<RetrieveOptions>();
  CLI::App* cmd = app.add_subcommand("retrieve", "run MHM/KHM retrieval for one configuration");
  add_memory_options(*cmd, options->memories);
  cmd->add_option("--beta", options->beta, "inverse temperature beta > 0")->capture_default_str();
  cmd->add_option("--sep", options->separation, "softmax | sparsemax | entmax15 | entmax:ALPHA")
      ->capture_default_str();
  cmd->add_option("--query", options->query, "angle:DEG | feature_angle:DEG | gauss:SIGMA | mask:FRAC | random")
      ->capture_default_str();
  cmd->add_option("--queries-per-memory", options->queries_per_memory,
                  "queries aimed at each memory")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(1, kMaxDimension));
  cmd->add_option("--random-queries", options->random_queries,
                  "number of random queries (query model random; default M)")
      ->transform(checked_integer<std::int64_t>(0, kMaxDimension));
  cmd->add_option("--t-max", options->max_iterations, "maximum number of updates")
      ->capture_default_str()
      ->transform(checked_integer<int>(1, kMaxIterations));
  cmd->add_option("--tol", options->tolerance, "convergence tolerance on ||x_{t+1} - x_t||")
      ->capture_default_str();
  cmd->add_option("--epsilon", options->epsilon, "retrieval radius ||x_T - xi|| <= epsilon")
      ->capture_default_str();
  cmd->add_option("--block", options->block, "queries per GEMM block (0 = automatic)")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(0, kMaxDimension));
  cmd->add_option("--feature-map", options->feature_map,
                  "HDF5 file with W (D_Phi x d) and optional b: run the KHM");
  cmd->add_option("--khm-scores", options->khm_scores,
                  "normalized (paper) | raw (official code's unnormalised features)")
      ->capture_default_str();
  cmd->add_option("--precision", options->precision,
                  "float64 | float32: arithmetic of the iterations (outcomes are always decided in float64)")
      ->capture_default_str();
  cmd->add_option("--khm-space", options->khm_space,
                  "raw: feature-space scores, update of raw memories (paper, default); feature: "
                  "retrieval among the normalised features (landscape/basin figures)")
      ->capture_default_str();
  cmd->add_flag("--train-uhop", options->train_uhop,
               "train a U-Hop+ feature map on the memories first (options below), then run the KHM");
  add_uhop_options(*cmd, options->uhop, /*dphi_required=*/false, "--uhop-precision");
  cmd->callback([options] { run_retrieve(*options); });
}

}  // namespace hopcap::cli
