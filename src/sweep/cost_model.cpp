#include "hopcap/sweep/cost_model.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/results_file.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/results_layout.hpp"
#include "hopcap/uhop.hpp"

namespace hopcap::sweep {
namespace {

// Queries are retrieved in blocks of this many (execute.cpp's kQueryBlock).
constexpr double kQueryBlock = 4096.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;
// Scores per query block of the group retriever (src/parallel/group_retrieval.cpp).
constexpr double kScoresPerBlock = 4194304.0;
// Rows of a separation Gram tile (kernels::SeparationOptions::block).
constexpr double kSeparationTile = 512.0;

}  // namespace

namespace {

struct Shape {
  double m, d, dphi, local;  // memories, dimensions (D_Phi 0 for the MHM), this rank's rows
};

Shape shape_of(const SweepConfig& config, const Configuration& c, std::int64_t group_size) {
  const double m = static_cast<double>(config.capacity ? config.capacity_m_max : c.m);
  return {m, static_cast<double>(c.d), has_feature_map(c.kind) ? static_cast<double>(c.dphi) : 0.0,
          std::ceil(m / static_cast<double>(std::max<std::int64_t>(group_size, 1)))};
}

}  // namespace

double memory_set_bytes(const SweepConfig& config, const Configuration& c, std::int64_t group_size) {
  const Shape s = shape_of(config, c, group_size);
  return 8.0 * s.local * (s.d + s.dphi);
}

double estimated_peak_bytes(const SweepConfig& config, const Configuration& c, std::int64_t group_size) {
  const Shape s = shape_of(config, c, group_size);
  Configuration sized = c;
  sized.m = static_cast<std::int64_t>(s.m);
  const double block = std::min(kQueryBlock, static_cast<double>(query_count(config, sized)));
  // The retriever holds its own copy of the rank's rows, and scores and probabilities of at
  // most kScoresPerBlock entries at a time (fewer queries per block when a slice is wide).
  const double scored = std::min(block, std::max(1.0, std::floor(kScoresPerBlock / std::max(s.local, 1.0))));
  double retrieval = s.local * s.d + 2.0 * scored * s.local;
  retrieval += 4.0 * block * (s.d + s.dphi);  // the block's states, next states, targets
  // The metrics run before retrieval: one visiting part (its rows, their maxima, norms and
  // indices) or the sample on every rank, and one Gram tile.
  const double dim = std::max(s.d, s.dphi);
  double metrics = 0.0;
  if (config.metrics == MetricsMode::exact) metrics = s.local * (dim + 6.0) + kSeparationTile * kSeparationTile;
  if (config.metrics == MetricsMode::estimate) {
    metrics = std::min(s.m, static_cast<double>(config.metrics_sample)) * (dim + 8.0) + kSeparationTile * kSeparationTile;
  }
  const double features = s.m * s.dphi;  // features of the whole set, gathered for U-Hop+
  return memory_set_bytes(config, c, group_size) + 8.0 * (features + std::max(retrieval, metrics));
}

namespace {

// The configuration a capacity search costs like: its probes at M_max (make_plan's rule).
Configuration sized_for_cost(const SweepConfig& config, const Configuration& c) {
  Configuration sized = c;
  if (config.capacity) sized.m = config.capacity_m_max;
  return sized;
}

// Probes of a capacity search per point: about 2·log2(M_max/M_min) per replica, the largest
// dominating; make_plan counts 4 at M_max per replica.
double probes_per_configuration(const SweepConfig& config) {
  if (!config.capacity) return 1.0;
  return 4.0 * (config.pools_replicas() ? static_cast<double>(config.replicas) : 1.0);
}

double metrics_flops_of_one(const SweepConfig& config, const Configuration& c) {
  // As execute.cpp counts them: Gram tiles, each pair once (M²·d) or the sample's pairs with
  // all others (2·M·S·d); with a map also the features (2·M·D·d) and their tiles.
  if (c.m < 2 || config.metrics == MetricsMode::off) return 0.0;
  const double m = static_cast<double>(c.m), d = static_cast<double>(c.d), dphi = static_cast<double>(c.dphi);
  const double gram = config.metrics == MetricsMode::exact ? m * m : 2.0 * m * std::min(m, static_cast<double>(config.metrics_sample));
  return gram * d + (has_feature_map(c.kind) ? 2.0 * m * dphi * d + gram * dphi : 0.0);
}

bool probe_applies(const Configuration& c) {
  return c.query_model.has_target() && c.memory_source.synthetic();
}

}  // namespace

double metrics_flops(const SweepConfig& config, const Configuration& c) {
  return probes_per_configuration(config) * metrics_flops_of_one(config, sized_for_cost(config, c));
}

std::string retrieval_probe_key(const Configuration& c) {
  std::ostringstream key;
  key << std::setprecision(17) << "d=" << c.d << " M=" << std::min(c.m, kStepProbeMaxMemories)
      << " Dphi=" << (has_feature_map(c.kind) ? c.dphi : 0) << " beta=" << c.beta << " sep=" << c.sep
      << " query=" << c.query << " model=" << c.model << " memories=" << c.memories;
  return key.str();
}

double measure_retrieval_steps(const SweepConfig& config, const Configuration& c) {
  const QueryModel& query = c.query_model;
  require(query.has_target() && c.memory_source.synthetic(),
          "measure_retrieval_steps: needs a targeted query and synthetic memories");
  const std::int64_t m = std::min(c.m, kStepProbeMaxMemories);
  Matrix memories(m, c.d);
  generate_memory_slice(*c.memory_source.distribution, c.d, c.memory_seed, c.memory_set, 0, m, memories.data);
  const std::optional<FeatureMap> map = starting_feature_map(c);
  const RetrievalSettings rs = retrieval_settings(config, c);
  // The run's queries q = 0 .. n-1 aim at memory q / queries_per_memory; probe every kth.
  const std::int64_t n = config.queries_per_memory * m;
  const std::int64_t probed = std::min(n, kStepProbeQueries);
  const std::int64_t stride = n / probed;
  std::vector<std::int64_t> targets(static_cast<std::size_t>(probed)), local(static_cast<std::size_t>(probed));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(probed));
  Matrix aimed_at(probed, c.d);
  for (std::int64_t i = 0; i < probed; ++i) {
    const std::int64_t q = i * stride;
    ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(q);
    targets[static_cast<std::size_t>(i)] = q / config.queries_per_memory;
    local[static_cast<std::size_t>(i)] = i;
    std::copy_n(memories.row(targets[static_cast<std::size_t>(i)]), c.d, aimed_at.row(i));
  }
  Matrix states(probed, c.d);
  make_queries(query, aimed_at, local, ids, c.query_seed, states, map ? &*map : nullptr);
  const Retriever retriever(memories, rs, map);
  std::vector<QueryOutcome> outcomes(static_cast<std::size_t>(probed));
  retriever.run(states, targets, outcomes);
  return summarize(outcomes, m).iterations_mean;
}

double expected_retrieval_steps(const SweepConfig& config, const Configuration& c, const RetrievalStepProbes& probes) {
  const double t_max = static_cast<double>(config.t_max);
  if (!probe_applies(c)) return t_max;
  const auto probe = probes.find(retrieval_probe_key(sized_for_cost(config, c)));
  return probe == probes.end() ? t_max : probe->second;
}

namespace {

bool has_search(const SweepConfig& config, const Configuration& c) {
  return c.kind == Model::khm_uhop && config.uhop.method != "paper";
}

}  // namespace

std::string search_probe_key(const SweepConfig& config, const Configuration& c) {
  if (!has_search(config, c)) return "";
  std::ostringstream key;
  key << "method=" << config.uhop.method << " d=" << c.d << " M=" << std::min(c.m, kSearchProbeMemories)
      << " Dphi=" << c.dphi << " memories=" << c.memories;
  return key.str();
}

SearchProbe measure_search_evaluations(const SweepConfig& config, const Configuration& c,
                                       double* seconds_per_evaluation) {
  require(has_search(config, c), "measure_search_evaluations: needs khm_uhop with uhop.method refine or search");
  const std::int64_t m = std::min(c.m, kSearchProbeMemories);
  Matrix memories(m, c.d);
  const Distribution distribution =
      c.memory_source.synthetic() ? *c.memory_source.distribution : Distribution::sphere;
  generate_memory_slice(distribution, c.d, c.memory_seed, c.memory_set, 0, m, memories.data);
  UhopSettings settings = config.uhop.parse(c.map_seed);
  settings.feature_dim = c.dphi;
  settings.hops = std::min(settings.hops, kSearchProbeHops);
  const auto start = std::chrono::steady_clock::now();
  const UhopResult trained = train_uhop(memories, settings);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double evaluations = static_cast<double>(trained.search_evaluations);
  if (seconds_per_evaluation != nullptr) {
    // The loop's steps are loss evaluations of the same size too.
    const double loop = static_cast<double>(settings.iterations * settings.restarts);
    *seconds_per_evaluation = seconds / std::max(evaluations + loop, 1.0);
  }
  return {evaluations, settings.method == UhopMethod::search
                           ? uhop_search_anneals(m, c.d, c.dphi, settings.bias, settings.hops)
                           : 1};
}

namespace {

double search_rank(const SweepConfig& config, const Configuration& c) {
  const double n = static_cast<double>(c.d) + (config.uhop.bias ? 1.0 : 0.0);
  return std::min(static_cast<double>(c.m), n);
}

}  // namespace

std::string search_shape_key(const SweepConfig& config, const Configuration& c) {
  if (!has_search(config, c)) return "";
  std::ostringstream key;
  key << "M=" << std::min(c.m, kSearchRateMaxMemories) << " r=" << search_rank(config, c) << " Dphi=" << c.dphi;
  return key.str();
}

namespace {

// The search's loss evaluations: pairwise, float64 always (uhop_search.cpp).
const UhopLossOptions kSearchLoss{UhopLossKind::pairwise, 0.01, 0};

// GFLOP/s (kernels::uhop_work's count) of the loss and ∂L/∂W with these options on m sphere
// points of dimension d mapped to feature_dim, the best of `evaluations`, the first of which
// also pays for first touch.
double measure_loss_gflops(const UhopLossOptions& options, std::int64_t m, std::int64_t d, std::int64_t feature_dim,
                           int evaluations) {
  const Matrix points = generate_memories(Distribution::sphere, d, m, 1, 0);
  const FeatureMap map = initial_uhop_map(UhopInit::gaussian, feature_dim, d, false, 1, 0);
  Matrix grad;
  double best = 1e300;
  for (int k = 0; k < evaluations; ++k) {
    const auto start = std::chrono::steady_clock::now();
    (void)kernels::uhop_loss(points, map, options, &grad, nullptr);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return kernels::uhop_work(m, d, feature_dim, options, true).gemm_flops / std::max(best, 1e-9) / 1e9;
}

}  // namespace

double measure_search_gflops(std::int64_t m, std::int64_t rank, std::int64_t feature_dim) {
  return measure_loss_gflops(kSearchLoss, m, rank, feature_dim, 6);
}

std::string uhop_shape_key(const SweepConfig& config, const Configuration& c) {
  if (c.kind != Model::khm_uhop) return "";
  std::ostringstream key;
  key << "B=" << std::min(uhop_step_memories(config, c), kUhopRateMaxMemories) << " d=" << c.d << " Dphi=" << c.dphi;
  return key.str();
}

double measure_uhop_gflops(const SweepConfig& config, std::int64_t m, std::int64_t d, std::int64_t feature_dim) {
  return measure_loss_gflops(uhop_step_options(config), m, d, feature_dim, 4);
}

double expected_search_evaluations(const SweepConfig& config, const Configuration& c, const SearchProbes& probes) {
  const Configuration sized = sized_for_cost(config, c);
  const std::string key = search_probe_key(config, sized);
  if (key.empty() || probes.empty()) return 0.0;
  // A search anneals from its seeded and symmetric starts and once per hop (each settled when
  // it comes near the best); refine is one anneal.
  const double anneals =
      config.uhop.method == "search"
          ? static_cast<double>(uhop_search_anneals(sized.m, sized.d, sized.dphi, config.uhop.bias, config.uhop.hops))
          : 1.0;
  const auto per_anneal = [](const SearchProbe& p) { return p.evaluations / static_cast<double>(p.anneals); };
  const auto found = probes.find(key);
  double per = 0.0;
  if (found != probes.end()) {
    per = per_anneal(found->second);
  } else {
    for (const auto& [other, probe] : probes) per = std::max(per, per_anneal(probe));
  }
  return per * anneals;
}

double search_evaluation_flops(const SweepConfig& config, const Configuration& c) {
  return kernels::uhop_work(c.m, static_cast<std::int64_t>(search_rank(config, c)), c.dphi, kSearchLoss, true).gemm_flops;
}

PhaseFlops phase_flops(const SweepConfig& config, const Configuration& configuration, double retrieval_steps,
                       double search_evaluations) {
  const Configuration c = sized_for_cost(config, configuration);
  const double m = static_cast<double>(c.m), d = static_cast<double>(c.d), dphi = static_cast<double>(c.dphi);
  const double probes = probes_per_configuration(config);
  PhaseFlops f;
  // Per retrieval step and query (execute.cpp): scores and update, for a KHM also the features.
  const double per_step = has_feature_map(c.kind) ? 2.0 * (m * dphi + m * d + dphi * d) : 4.0 * m * d;
  const double queries = probes * static_cast<double>(query_count(config, c));
  f.retrieval = queries * retrieval_steps * per_step;
  f.retrieval_with_outcomes = queries * (retrieval_steps + 1.0) * per_step;
  if (c.kind == Model::khm_uhop) {
    f.uhop_steps = static_cast<double>(config.uhop.iterations) * static_cast<double>(config.uhop.restarts);
    f.uhop = probes * f.uhop_steps * uhop_step_flops(config, c);
    f.uhop_steps *= probes;
    f.search_evaluations = probes * search_evaluations;
    f.search = f.search_evaluations * search_evaluation_flops(config, c);
  }
  f.metrics = probes * metrics_flops_of_one(config, c);
  return f;
}

double oversubscription(int ranks_per_node, int threads_per_rank, int cores_per_node) {
  if (cores_per_node <= 0) return 1.0;
  const double wanted = static_cast<double>(std::max(ranks_per_node, 1)) * static_cast<double>(std::max(threads_per_rank, 1));
  return std::max(1.0, wanted / static_cast<double>(cores_per_node));
}

double uhop_gflops(const SweepConfig& config, const Configuration& c, const EngineCalibration& engine) {
  if (engine.uhop_gflops.empty()) return engine.gflops_per_rank;
  const auto measured = engine.uhop_gflops.find(uhop_shape_key(config, sized_for_cost(config, c)));
  if (measured != engine.uhop_gflops.end()) return measured->second;
  double slowest = 1e300;
  for (const auto& [shape, rate] : engine.uhop_gflops) slowest = std::min(slowest, rate);
  return slowest;
}

double configuration_seconds(const SweepConfig& config, const Configuration& c, std::int64_t group_size,
                             const EngineCalibration& engine) {
  const PhaseFlops f = phase_flops(config, c, expected_retrieval_steps(config, c, engine.steps),
                                   expected_search_evaluations(config, c, engine.search));
  const double g = static_cast<double>(std::max<std::int64_t>(group_size, 1));
  const auto measured = engine.gflops_by_separation.find(c.sep);
  const double gflops = measured == engine.gflops_by_separation.end() ? engine.gflops_per_rank : measured->second;
  const double rate = gflops * 1e9 * g, metrics_rate = engine.metrics_gflops_per_rank * 1e9 * g;
  const double uhop_rate = uhop_gflops(config, c, engine) * 1e9 * g;
  return engine.seconds_per_configuration * probes_per_configuration(config) +
         engine.seconds_per_uhop_step * f.uhop_steps + (rate > 0 ? f.retrieval_with_outcomes / rate : 0.0) +
         (uhop_rate > 0 ? f.uhop / uhop_rate : 0.0) + (metrics_rate > 0 ? f.metrics / metrics_rate : 0.0) +
         search_seconds(config, c, engine);
}

double search_seconds(const SweepConfig& config, const Configuration& c, const EngineCalibration& engine) {
  const Configuration sized = sized_for_cost(config, c);
  const PhaseFlops f = phase_flops(config, c, 0.0, expected_search_evaluations(config, c, engine.search));
  if (f.search_evaluations == 0.0 || engine.search_gflops.empty()) return 0.0;
  const auto measured = engine.search_gflops.find(search_shape_key(config, sized));
  double gflops = 1e300;
  for (const auto& [shape, rate] : engine.search_gflops) gflops = std::min(gflops, rate);
  if (measured != engine.search_gflops.end()) gflops = measured->second;
  return engine.search_overhead * f.search / (gflops * 1e9);
}

CostEstimate estimate_cost(const SweepConfig& config, const Plan& plan, const DryRunFacts& facts) {
  CostEstimate e;
  const double threads = std::max(facts.threads_per_rank, 1);
  const double g = static_cast<double>(std::max<std::int64_t>(facts.group_size, 1));
  for (const Configuration& c : plan.work) {
    const double peak = estimated_peak_bytes(config, c, facts.group_size);
    const PhaseFlops f = phase_flops(config, c, expected_retrieval_steps(config, c, facts.engine.steps),
                                     expected_search_evaluations(config, c, facts.engine.search));
    const double seconds = configuration_seconds(config, c, facts.group_size, facts.engine);
    const double searching = search_seconds(config, c, facts.engine);
    for (CostTotals* t : {&e.by_model[c.model], &e.total}) {
      ++t->configurations;
      t->flops += f.total();
      t->metrics_flops += f.metrics;
      t->search_flops += f.search;
      t->search_seconds += searching;
      t->group_seconds += seconds;
      t->core_hours += g * seconds * threads / 3600.0;
      if (peak > t->peak_bytes) {
        t->peak_bytes = peak;
        t->peak_m = static_cast<double>(config.capacity ? config.capacity_m_max : c.m);
      }
    }
  }
  e.oversubscription = oversubscription(facts.ranks_per_node, facts.threads_per_rank, facts.cores_per_node);
  const double commits = std::ceil(static_cast<double>(plan.work.size()) /
                                   static_cast<double>(std::max<std::int64_t>(config.commit_every, 1)));
  e.wall_seconds = facts.seconds_start_up + facts.engine.seconds_per_run + commits * facts.engine.seconds_per_commit +
                   e.oversubscription * e.total.group_seconds / static_cast<double>(std::max(facts.groups, 1));
  return e;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Creating this sweep's file (its skipped points written), one commit of run.commit_every
// points with every variable, and closing it with the final attributes, in the temporary
// directory: what the run's writer pays besides the configurations.
void calibrate_file(const SweepConfig& config, const Plan& plan, EngineCalibration& calibration) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("hopcap-cost-probe-" + std::to_string(::getpid()) + ".h5");
  try {
    auto start = Clock::now();
    io::ResultsFile file = io::ResultsFile::create(path, sweep_layout(config, {{"config", to_toml(config)}}), true);
    for (const std::vector<std::int64_t>* ids : {&plan.filtered, &plan.inapplicable}) {
      for (const std::int64_t id : *ids) {
        file.write_point(file_point(config, grid_index(plan.shape, id)), {}, io::PointStatus::skipped, "skipped");
      }
    }
    file.flush();
    const double created = seconds_since(start);
    std::map<std::string, std::vector<double>> values;
    for (const SweepVariable& v : sweep_variables()) values[v.name] = {1.0};
    const std::int64_t points = std::min<std::int64_t>(config.commit_every, static_cast<std::int64_t>(plan.work.size()));
    start = Clock::now();
    for (std::int64_t k = 0; k < points; ++k) {
      file.write_point(file_point(config, plan.work[static_cast<std::size_t>(k)].index), values, io::PointStatus::ok);
    }
    file.flush();
    calibration.seconds_per_commit = seconds_since(start);
    start = Clock::now();
    for (const char* name : {"end_time", "timings", "run_state"}) file.set_final_attribute(name, std::string(200, 'x'));
    file.close();
    calibration.seconds_per_run = created + seconds_since(start);
  } catch (const std::exception&) {
    // No writable temporary directory: the file's costs stay unknown (0), the rest holds.
  }
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path.string() + ".lock", ignored);
}

// The retrieval steps of the sweep's targeted configurations, costliest first, until
// kStepProbeSeconds are spent; the rest stay at t_max.
void calibrate_steps(const SweepConfig& config, const Plan& plan, EngineCalibration& calibration) {
  const auto start = Clock::now();
  for (const Configuration& planned : plan.work) {
    if (!probe_applies(planned)) continue;
    const Configuration c = sized_for_cost(config, planned);
    const std::string key = retrieval_probe_key(c);
    if (calibration.steps.count(key) == 0) {
      if (seconds_since(start) > kStepProbeSeconds) {
        ++calibration.unprobed_configurations;
        continue;
      }
      calibration.steps[key] = measure_retrieval_steps(config, c);
    }
    ++calibration.probed_configurations;
  }
}

// The rate of the loss kernel with the sweep's U-Hop+ step options (loss kind, precision) at
// the shapes of its khm_uhop configurations, largest first, no new shape after
// kUhopRateProbeSeconds (those left take the slowest rate measured).
void calibrate_uhop(const SweepConfig& config, const Plan& plan, EngineCalibration& calibration) {
  calibration.uhop_precision = uhop_step_options(config).precision;
  std::vector<Configuration> trained;
  for (const Configuration& c : plan.work) {
    if (c.kind == Model::khm_uhop) trained.push_back(sized_for_cost(config, c));
  }
  std::stable_sort(trained.begin(), trained.end(), [&](const Configuration& a, const Configuration& b) {
    return uhop_step_flops(config, a) > uhop_step_flops(config, b);
  });
  const auto start = Clock::now();
  for (const Configuration& c : trained) {
    const std::string key = uhop_shape_key(config, c);
    if (calibration.uhop_gflops.count(key) != 0) continue;
    if (!calibration.uhop_gflops.empty() && seconds_since(start) > kUhopRateProbeSeconds) {
      ++calibration.unprobed_uhop_shapes;
      continue;
    }
    calibration.uhop_gflops[key] =
        measure_uhop_gflops(config, std::min(uhop_step_memories(config, c), kUhopRateMaxMemories), c.d, c.dphi);
  }
}

// The pairwise loss kernel's rate, then the evaluations of the sweep's refine or search
// settings in plan order, no new probe after kSearchProbeSeconds.
void calibrate_search(const SweepConfig& config, const Plan& plan, EngineCalibration& calibration) {
  if (std::none_of(plan.work.begin(), plan.work.end(), [&](const Configuration& c) { return has_search(config, c); })) {
    return;
  }
  const auto start = Clock::now();
  double overhead = 1e300;
  std::set<std::string> unprobed;
  for (const Configuration& planned : plan.work) {
    if (!has_search(config, planned)) continue;
    Configuration c = sized_for_cost(config, planned);
    const std::string shape = search_shape_key(config, c);
    if (calibration.search_gflops.count(shape) == 0) {
      calibration.search_gflops[shape] = measure_search_gflops(std::min(c.m, kSearchRateMaxMemories),
                                                               static_cast<std::int64_t>(search_rank(config, c)), c.dphi);
    }
    const std::string key = search_probe_key(config, c);
    if (calibration.search.count(key) != 0 || unprobed.count(key) != 0) continue;
    if (seconds_since(start) > kSearchProbeSeconds) {
      unprobed.insert(key);
      continue;
    }
    double per_evaluation = 0.0;
    calibration.search[key] = measure_search_evaluations(config, c, &per_evaluation);
    c.m = std::min(c.m, kSearchProbeMemories);
    const double kernel = search_evaluation_flops(config, c) /
                          (measure_search_gflops(c.m, static_cast<std::int64_t>(search_rank(config, c)), c.dphi) * 1e9);
    overhead = std::min(overhead, per_evaluation / kernel);
  }
  calibration.search_overhead = overhead < 1e300 ? std::max(overhead, 1.0) : 1.0;
  calibration.unprobed_search_settings = static_cast<std::int64_t>(unprobed.size());
}

}  // namespace

EngineCalibration calibrate_engine(const SweepConfig& config, const Plan& plan) {
  const parallel::Group self(MPI_COMM_SELF);
  DatasetCache cache;
  SweepConfig probe = config;
  probe.queries_per_memory = 1;
  const auto configuration = [&](std::int64_t m, std::int64_t d, Model model = Model::mhm,
                                  const Separation& sep = Separation{SeparationKind::softmax, 1.0}) {
    Configuration c;
    c.d = d;
    c.m = m;
    c.dphi = 4;
    c.beta = 8.0;
    c.separation = sep;
    c.query_model = QueryModel{QueryKind::angle, 20.0, {}};
    c.kind = model;
    c.memory_source = MemorySource{Distribution::sphere, {}};
    c.sep = c.separation.name();
    c.query = c.query_model.name();
    c.model = model_name(model);
    c.memories = c.memory_source.name();
    assign_seeds(probe, c);
    return c;
  };
  // Seconds of one run of c; flops: its counted flops, or with retrieval_passes its retrieval
  // steps and final pass (MHM: 4·M·d per query and pass).
  const auto seconds_of = [&](const Configuration& c, double& flops, bool retrieval_passes = false) {
    const auto start = Clock::now();
    const ConfigResult r = execute_configuration(probe, c, self, cache);
    const double seconds = seconds_since(start);
    flops = retrieval_passes ? r.values.at("queries").at(0) * (r.values.at("iterations_mean").at(0) + 1.0) * 4.0 *
                                   static_cast<double>(c.m) * static_cast<double>(c.d)
                             : r.flops;
    return seconds;
  };
  EngineCalibration calibration;
  double flops = 0.0;
  calibration.seconds_per_configuration = 1e300;
  for (int k = 0; k < 3; ++k) {
    calibration.seconds_per_configuration =
        std::min(calibration.seconds_per_configuration, seconds_of(configuration(16, 8), flops));
  }
  // U-Hop+ on a tiny set: what its steps cost beyond the configuration's fixed cost.
  probe.uhop.iterations = 200;
  probe.uhop.method = "paper";  // the cost of Algorithm 1's steps alone
  probe.uhop.restarts = 1;
  const double trained = seconds_of(configuration(16, 8, Model::khm_uhop), flops);
  calibration.seconds_per_uhop_step = std::max(trained - calibration.seconds_per_configuration, 0.0) / 200.0;
  // The second of two runs: the first also pays for first-touch page faults and thread start-up.
  // Retrieval alone (metrics off); the metrics have their own rate below.
  probe.metrics = MetricsMode::off;
  (void)seconds_of(configuration(1024, 32), flops);
  for (const Separation& sep : config.sep) {
    const double big = seconds_of(configuration(1024, 32, Model::mhm, sep), flops, true);
    calibration.gflops_by_separation[sep.name()] = flops / std::max(big - calibration.seconds_per_configuration, 1e-6) / 1e9;
  }
  calibration.gflops_per_rank = calibration.gflops_by_separation.at(config.sep.front().name());
  calibration.retrieval_precision = retrieval_settings(probe, configuration(1024, 32)).precision;
  // Separation metrics: M²·d flops of the exact report of 2048 memories in d = 32, the
  // faster of two runs (the estimate's tiles do the same work per Gram entry).
  const Matrix memories = generate_memories(Distribution::sphere, 32, 2048, 1, 0);
  double best = 1e300;
  for (int k = 0; k < 2; ++k) {
    const auto start = Clock::now();
    (void)kernels::separation_report(memories);
    best = std::min(best, seconds_since(start));
  }
  calibration.metrics_gflops_per_rank = 2048.0 * 2048.0 * 32.0 / std::max(best, 1e-6) / 1e9;
  calibrate_file(config, plan, calibration);
  calibrate_uhop(config, plan, calibration);
  calibrate_steps(config, plan, calibration);
  calibrate_search(config, plan, calibration);
  return calibration;
}

void print_dry_run(std::ostream& out, const SweepConfig& config, const Plan& plan, const DryRunFacts& facts) {
  const CostEstimate e = estimate_cost(config, plan, facts);
  const EngineCalibration& engine = facts.engine;
  out << "hopcap run (dry run): " << plan.grid_size << " grid points, " << plan.work.size()
      << " configurations to run, " << plan.filtered.size() << " filtered, " << plan.inapplicable.size()
      << " inapplicable (khm_identity with Dphi > d), " << facts.groups << " group(s) of "
      << facts.group_size << " rank(s), output " << config.output << "\n";
  out << std::defaultfloat << std::setprecision(3) << "hopcap run (dry run): engine measured here: "
      << "retrieval";
  for (const auto& [sep, gflops] : engine.gflops_by_separation) out << " " << gflops << " (" << sep << ")";
  out << " GFLOP/s per rank in " << kPrecisionNames.name(engine.retrieval_precision) << " ("
      << facts.threads_per_rank << " thread(s)), "
      << engine.seconds_per_configuration * 1e3 << " ms per configuration and "
      << engine.seconds_per_uhop_step * 1e6 << " us per U-Hop+ step besides their flops; separation metrics "
      << engine.metrics_gflops_per_rank << " GFLOP/s per rank (run.metrics = \"" << kMetricsModeNames.name(config.metrics)
      << "\"); file "
      << engine.seconds_per_run * 1e3 << " ms to create and close, " << engine.seconds_per_commit * 1e3
      << " ms per commit of " << config.commit_every << "\n";
  if (!engine.uhop_gflops.empty()) {
    out << "hopcap run (dry run): U-Hop+ steps (uhop.loss = \"" << config.uhop.loss << "\", "
        << kPrecisionNames.name(engine.uhop_precision) << "), GFLOP/s per rank by shape:";
    for (const auto& [shape, gflops] : engine.uhop_gflops) out << " " << gflops << " (" << shape << ")";
    if (engine.unprobed_uhop_shapes > 0) out << "; " << engine.unprobed_uhop_shapes << " shape(s) take the slowest";
    out << "\n";
  }
  out << "hopcap run (dry run): retrieval steps per query: t_max = " << config.t_max
      << " for random and data queries; measured for " << engine.probed_configurations
      << " configuration(s) with targeted queries (" << engine.steps.size() << " probe(s) of at most "
      << kStepProbeQueries << " queries)";
  if (engine.unprobed_configurations > 0) out << ", t_max assumed for " << engine.unprobed_configurations << " more";
  out << "\n";
  const bool searches =
      std::any_of(plan.work.begin(), plan.work.end(), [&](const Configuration& c) { return has_search(config, c); });
  if (searches && (engine.search.empty() || engine.search_gflops.empty())) {
    out << "hopcap run (dry run): warning: uhop.method = \"" << config.uhop.method
        << "\" was not measured: its loss evaluations after Algorithm 1's steps are missing from this estimate, "
           "which is a lower bound (docs/performance.md)\n";
  } else if (searches) {
    double fewest = 1e300, most = 0.0;
    for (const Configuration& c : plan.work) {
      if (!has_search(config, c)) continue;
      const double n = expected_search_evaluations(config, c, engine.search);
      fewest = std::min(fewest, n);
      most = std::max(most, n);
    }
    out << std::defaultfloat << std::setprecision(3) << "hopcap run (dry run): U-Hop+ uhop.method = \""
        << config.uhop.method << "\" after Algorithm 1's steps: " << fewest << " to " << most
        << " loss evaluations per configuration, counted by " << engine.search.size()
        << " probe(s) of the method on at most " << kSearchProbeMemories << " memories";
    if (config.uhop.method == "search") {
      out << " with at most " << kSearchProbeHops << " hops, scaled per anneal to " << kUhopSearchStarts
          << " starts (+ 2 symmetric ones where they apply) + " << config.uhop.hops << " hops";
    }
    double slowest = 1e300, fastest = 0.0;
    for (const auto& [shape, rate] : engine.search_gflops) {
      slowest = std::min(slowest, rate);
      fastest = std::max(fastest, rate);
    }
    out << "; " << e.total.search_flops / 1e9 << " GFLOP at the loss kernel's " << slowest << " to " << fastest
        << " GFLOP/s (by shape) x " << engine.search_overhead << " (the search around it): "
        << e.total.search_seconds << " s of the configurations' time";
    if (engine.unprobed_search_settings > 0) {
      out << "; " << engine.unprobed_search_settings
          << " setting(s) not probed (probe time spent) take the largest count per anneal";
    }
    out << " (docs/performance.md)\n";
  }
  out << "  " << std::left << std::setw(14) << "model" << std::right << std::setw(16) << "configurations"
      << std::setw(16) << "est. GFLOP" << std::setw(20) << "peak MiB/rank" << std::setw(14) << "core-hours" << "\n";
  const auto row = [&](const std::string& name, const CostTotals& t) {
    out << "  " << std::left << std::setw(14) << name << std::right << std::setw(16) << t.configurations
        << std::defaultfloat << std::setprecision(3) << std::setw(16) << t.flops / 1e9 << std::setw(20)
        << t.peak_bytes / kMiB << std::setw(14) << t.core_hours << "\n";
  };
  for (const auto& [name, t] : e.by_model) row(name, t);
  row("total", e.total);
  out << std::defaultfloat << std::setprecision(3) << "hopcap run (dry run): about " << e.total.core_hours
      << " core-hours; predicted wall time " << e.wall_seconds << " s on " << facts.ranks << " rank(s) x "
      << facts.threads_per_rank << " thread(s): start-up " << facts.seconds_start_up << " s, file "
      << engine.seconds_per_run + std::ceil(static_cast<double>(plan.work.size()) /
                                            static_cast<double>(std::max<std::int64_t>(config.commit_every, 1))) *
                                      engine.seconds_per_commit
      << " s, configurations " << e.total.group_seconds / std::max(facts.groups, 1) << " s spread evenly over "
      << facts.groups << " group(s)";
  if (e.oversubscription > 1.0) {
    out << " x " << e.oversubscription << " (" << facts.ranks_per_node << " rank(s) x " << facts.threads_per_rank
        << " thread(s) on " << facts.cores_per_node << " core(s) of a node)";
  }
  out << "\n";
  // Exact metrics grow as M²: say so when they are most of the work.
  if (config.metrics == MetricsMode::exact && e.total.metrics_flops > 0.5 * e.total.flops) {
    out << std::defaultfloat << std::setprecision(3) << "hopcap run (dry run): exact separation metrics are "
        << 100.0 * e.total.metrics_flops / e.total.flops << " % of the estimated flops; run.metrics = \"estimate\" bounds "
        << "them from the pairs of " << config.metrics_sample << " sampled memories (docs/output-format.md)\n";
  }
  // The largest configuration partitioned over larger groups: memory and compute per rank
  // (communication not counted: each rank receives every part's rows once per metrics pass),
  // each rank on a core of its own.
  if (!plan.work.empty()) {
    const Configuration& largest = *std::max_element(plan.work.begin(), plan.work.end(), [&](const Configuration& a, const Configuration& b) {
      return estimated_peak_bytes(config, a, 1) < estimated_peak_bytes(config, b, 1);
    });
    out << "hopcap run (dry run): the largest configuration (M = " << (config.capacity ? config.capacity_m_max : largest.m)
        << ", " << largest.model << ") in a group of g ranks, per rank:";
    for (const std::int64_t g : {std::int64_t{1}, std::int64_t{4}, std::int64_t{16}, std::int64_t{64}, std::int64_t{256}}) {
      out << std::defaultfloat << std::setprecision(3) << " g = " << g << ": "
          << estimated_peak_bytes(config, largest, g) / kMiB << " MiB, "
          << configuration_seconds(config, largest, g, engine) << " s;";
    }
    out << "\n";
  }
  if (facts.memory_per_rank_bytes > 0 && e.total.peak_bytes > facts.memory_per_rank_bytes) {
    // The smallest group that brings the largest configuration within a rank's memory.
    std::int64_t fits = facts.group_size;
    for (const Configuration& c : plan.work) {
      while (fits < (std::int64_t{1} << 20) && estimated_peak_bytes(config, c, fits) > facts.memory_per_rank_bytes) {
        fits *= 2;
      }
    }
    out << "hopcap run (dry run): warning: the largest configuration (M = " << static_cast<std::int64_t>(e.total.peak_m)
        << ") needs " << e.total.peak_bytes / kGiB << " GiB per rank, but a rank has "
        << facts.memory_per_rank_bytes / kGiB << " GiB; set run.group_size = " << fits << " or more\n";
  }
  out << std::defaultfloat << std::setprecision(6) << std::flush;
}

}  // namespace hopcap::sweep
