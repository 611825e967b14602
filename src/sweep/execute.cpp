#include "hopcap/sweep/execute.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <new>
#include <numeric>
#include <mutex>
#include <optional>

#include "hopcap/bounds.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/hdf5_lock.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/query_angles.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sizes.hpp"
#include "hopcap/sweep/code_bounds.hpp"
#include "hopcap/uhop.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap::sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Queries are made and retrieved in blocks of this many, so only one block of queries and of
// target memories is held at a time.
constexpr std::int64_t kQueryBlock = 4096;

// The memory set of a configuration: rows are generated (synthetic) or taken from the cached,
// preprocessed data set, so any rank can produce any row.
class MemorySet {
 public:
  MemorySet(const SweepConfig& config, const Configuration& c, DatasetCache& cache) : c_(c) {
    if (c.memory_source.synthetic()) {
      distribution_ = *c.memory_source.distribution;
      return;
    }
    io::Preprocess pre;
    pre.subset = c.m;
    pre.subset_seed = c.memory_seed;
    pre.scale_pixels = config.scale_pixels;
    pre.project_to_sphere = config.normalize;
    data_ = io::preprocess(cache.get(c.memory_source.spec), pre);
    require(data_.cols == c.d, "memories '" + c.memories + "' have dimension " + std::to_string(data_.cols) +
                                   ", but this point has d = " + std::to_string(c.d));
  }

  Matrix rows(std::int64_t first, std::int64_t count) const {
    Matrix out(count, c_.d);
    if (count == 0) return out;
    if (data_.rows > 0) {
      std::copy_n(data_.row(first), out.data.size(), out.data.begin());
    } else {
      generate_memory_slice(distribution_, c_.d, c_.memory_seed, c_.memory_set, first, count, out.data);
    }
    return out;
  }

 private:
  const Configuration& c_;
  Distribution distribution_ = Distribution::sphere;
  Matrix data_;
};

UhopSettings uhop_settings(const SweepConfig& config, const Configuration& c) {
  UhopSettings s = config.uhop.parse(c.map_seed);
  s.feature_dim = c.dphi;
  return s;
}

}  // namespace

const std::vector<SweepVariable>& sweep_variables() {
  static const std::vector<SweepVariable> variables = {
      {"success_rate", "fraction of queries retrieved (argmax on target and distance <= epsilon)", "1", ""},
      {"converged_rate", "fraction of queries that converged before t_max", "1", ""},
      {"iterations_mean", "mean number of retrieval updates", "1", ""},
      {"iterations_max", "largest number of retrieval updates", "1", ""},
      {"distance_mean", "mean distance of the final state to its target memory", "1", ""},
      {"energy_mean", "mean model energy of the final states", "1", ""},
      {"metastable_mean", "mean metastable-state size", "1", ""},
      {"queries", "number of queries", "1", ""},
      {"query_angle_median_deg",
       "median angle between a query and its target memory as the model sees them (normalised features for a KHM, "
       "raw for the MHM)",
       "degree", ""},
      {"query_angle_mean_deg", "mean angle between a query and its target memory as the model sees them", "degree",
       ""},
      {"query_angle_max_deg", "largest angle between a query and its target memory as the model sees them",
       "degree", ""},
      {"delta_min", "minimum separation of the normalised memories, 1 - max cosine", "1", ""},
      {"raw_delta_min", "minimum separation Delta_min of the raw memories (Ramsauer et al.)", "1", ""},
      {"min_angle_deg", "smallest angle between two memories", "degree", ""},
      {"feature_delta_min", "minimum separation of the normalised features, 1 - max cosine", "1", ""},
      {"feature_min_angle_deg", "smallest angle between two features", "degree", ""},
      {"stored_fraction", "fraction of memories provably stored by the well-separation condition", "1", ""},
      {"theoretical_capacity", "largest M the well-separation condition allows at the Prop 3.1 separation", "1", ""},
      {"prop31_lower", "Proposition 3.1 lower bound on the optimal Delta_min at this M and dimension", "1", ""},
      {"prop31_upper", "Proposition 3.1 upper bound on the optimal Delta_min at this M and dimension", "1", ""},
      {"uhop_loss_final", "U-Hop+ loss of the learned map at the final temperature", "1", ""},
      {"uhop_iterations", "U-Hop+ steps taken by the kept restart", "1", ""},
      {"uhop_delta_min_before", "feature Delta_min of the initial map", "1", ""},
      {"uhop_delta_min_after", "feature Delta_min of the learned map", "1", ""},
      {"seconds", "wall time of the configuration", "s", ""},
      {"seconds_uhop", "wall time of U-Hop+ training", "s", ""},
      {"seconds_metrics", "wall time of the separation metrics and theory", "s", ""},
      {"seconds_retrieval", "wall time of query generation and retrieval", "s", ""},
      {"metastable_histogram", "number of queries per metastable-state size (last bin: this size or more)", "1",
       "metastable_size"},
      {"uhop_loss_trace", "U-Hop+ loss per step", "1", "uhop_iteration"},
      {"uhop_delta_min_trace", "feature Delta_min per U-Hop+ step", "1", "uhop_iteration"},
  };
  return variables;
}

std::int64_t uhop_trace_length(const SweepConfig& config) { return std::max<std::int64_t>(1, config.uhop.iterations); }

const Matrix& DatasetCache::get(const std::string& spec) {
  auto it = loaded_.find(spec);
  if (it == loaded_.end()) {
    const std::lock_guard<std::mutex> hdf5(io::hdf5_mutex());
    it = loaded_.emplace(spec, io::load_source(spec)).first;
  }
  return it->second;
}

RetrievalSettings retrieval_settings(const SweepConfig& config, const Configuration& c) {
  RetrievalSettings rs;
  rs.beta = c.beta;
  rs.separation = c.separation;
  rs.max_iterations = checked_narrow<int>(config.t_max, "retrieval.t_max");
  rs.tolerance = config.tol;
  rs.epsilon = config.epsilon;
  rs.khm_scores = config.khm_scores;
  rs.precision = config.precision;
  return rs;
}

UhopLossOptions uhop_step_options(const SweepConfig& config) {
  const UhopSettings s = config.uhop.parse(0);
  UhopLossOptions options{s.loss, s.tau, s.panel_rows};
  options.precision = s.precision;
  return options;
}

std::int64_t uhop_step_memories(const SweepConfig& config, const Configuration& c) {
  return config.uhop.batch > 0 ? std::min(config.uhop.batch, c.m) : c.m;
}

double uhop_step_flops(const SweepConfig& config, const Configuration& c) {
  return kernels::uhop_work(uhop_step_memories(config, c), c.d, c.dphi, uhop_step_options(config), true).gemm_flops;
}

std::optional<FeatureMap> starting_feature_map(const Configuration& c) {
  switch (c.kind) {
    case Model::mhm: return std::nullopt;
    case Model::khm_random:
    case Model::khm_uhop: return initial_uhop_map(UhopInit::gaussian, c.dphi, c.d, false, c.map_seed, 0);
    case Model::khm_identity:
      require(c.dphi <= c.d, "khm_identity needs Dphi <= d (Dphi = " + std::to_string(c.dphi) +
                                 ", d = " + std::to_string(c.d) + ")");
      return initial_uhop_map(UhopInit::identity, c.dphi, c.d, false, 0, 0);
  }
  return std::nullopt;
}

ConfigResult execute_configuration(const SweepConfig& config, const Configuration& c,
                                   const parallel::Group& group, DatasetCache& cache) {
  const auto start = std::chrono::steady_clock::now();
  ConfigResult result;
  result.id = c.id;
  auto& v = result.values;
  for (const SweepVariable& var : sweep_variables()) {
    if (std::string(var.extra_dim).empty()) v[var.name] = {kNaN};
  }
  try {
    const MemorySet memories(config, c, cache);
    const bool mhm = c.kind == Model::mhm;
    // khm_uhop's map is trained below (from its own uhop.init); the fixed maps are set here.
    std::optional<FeatureMap> map;
    if (c.kind != Model::khm_uhop) map = starting_feature_map(c);

    const RetrievalSettings rs = retrieval_settings(config, c);
    // Whole memory blocks per rank: the retrieval engine's sums are then exact and the same
    // for any group size (the other partitioned kernels take any split).
    const kernels::RowPartition partition = group.row_partition(c.m, Retriever::memory_block(rs, c.m));
    const std::int64_t first = partition.first;
    const Matrix local_memories = memories.rows(first, partition.rows_of(partition.part));

    // U-Hop+ on the partitioned memory set: the Gram panels of each rank's rows against the
    // gathered features (mini-batches assembled on every rank), the gradient of W summed over
    // the group; every rank ends with the same map. Errors are collective (the kernel throws
    // on every rank alike).
    std::optional<UhopResult> trained;
    const auto since = [](std::chrono::steady_clock::time_point t0) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    auto phase_start = std::chrono::steady_clock::now();
    if (c.kind == Model::khm_uhop) {
      std::int64_t steps = 0;  // over every restart
      const auto count_step = [&steps](std::int64_t, const UhopTracePoint&) { ++steps; };
      trained = train_uhop_partitioned(local_memories, partition, uhop_settings(config, c), count_step);
      // Per step, the GEMMs of the loss and ∂L/∂W over the step's memories as the kernel
      // tiles them (about 3·B²·D_Φ + 4·B·D_Φ·d for pairwise).
      result.flops += static_cast<double>(steps) * uhop_step_flops(config, c);
      map = trained->map;
    }

    result.phase_seconds[0] = since(phase_start);
    if (trained) v["seconds_uhop"] = {result.phase_seconds[0]};
    phase_start = std::chrono::steady_clock::now();
    if (trained) {
      v["uhop_loss_final"] = {trained->loss_final};
      v["uhop_iterations"] = {static_cast<double>(trained->iterations)};
      v["uhop_delta_min_before"] = {trained->delta_min_before};
      v["uhop_delta_min_after"] = {trained->delta_min_after};
      std::vector<double> loss, delta;
      for (const UhopTracePoint& p : trained->trace) {
        loss.push_back(p.loss);
        delta.push_back(p.delta_min);
      }
      v["uhop_loss_trace"] = loss;
      v["uhop_delta_min_trace"] = delta;
    }
    // Separation metrics on the partitioned set, as run.metrics asks: "exact", every pair once
    // by one rank of the group, the stored counts of the parts summed; "estimate", bounds from
    // the pairs of a seeded sample of memories with all others; "off", the variables stay
    // missing (NaN).
    if (c.m >= 2 && config.metrics != MetricsMode::off) {
      const bool exact = config.metrics == MetricsMode::exact;
      const std::vector<std::int64_t> sample =
          exact ? std::vector<std::int64_t>{} : kernels::sample_rows(c.m, config.metrics_sample, c.memory_seed);
      const kernels::SeparationReport raw =
          exact ? kernels::separation_report_partitioned(local_memories, partition)
                : kernels::separation_estimate_partitioned(local_memories, partition, sample);
      v["delta_min"] = {raw.delta_min_sphere};
      v["raw_delta_min"] = {raw.raw_delta_min};
      v["min_angle_deg"] = {raw.min_angle_deg};
      std::optional<kernels::SeparationReport> features;
      if (map) {
        features = exact ? kernels::feature_separation_report_partitioned(local_memories, partition, map->weight,
                                                                          map->bias)
                         : kernels::feature_separation_estimate_partitioned(local_memories, partition, map->weight,
                                                                            map->bias, sample);
        v["feature_delta_min"] = {features->delta_min_sphere};
        v["feature_min_angle_deg"] = {features->min_angle_deg};
      }
      // The stored fraction needs every Δ_μ: an estimate knows only the sampled ones (and a
      // capacity search reads a fraction of 1 as proof that every memory is stored).
      if (exact) {
        const WellSeparation ws = map ? check_well_separation(*features, SeparationSpace::sphere, c.beta)
                                      : check_well_separation(raw, SeparationSpace::raw, c.beta);
        std::vector<std::int64_t> stored{ws.stored_count};
        group.sum(stored);
        v["stored_fraction"] = {static_cast<double>(stored[0]) / static_cast<double>(c.m)};
      }
      // Gram tiles, each pair once: M²·d (exact) or 2·M·S·d for a sample of S; with a map also
      // its features (2·M·D·d) and their tiles (M²·D or 2·M·S·D).
      const double m = static_cast<double>(c.m), d = static_cast<double>(c.d), dphi = static_cast<double>(c.dphi);
      const double gram = exact ? m * m : 2.0 * m * static_cast<double>(sample.size());  // flops per dimension
      result.flops += gram * d + (map ? 2.0 * m * dphi * d + gram * dphi : 0.0);
    }
    const std::int64_t dim = mhm ? c.d : c.dphi;
    if (dim >= 2) {
      v["prop31_lower"] = {bounds::prop31_lower(c.m, dim)};
      v["prop31_upper"] = {bounds::prop31_upper(c.m, dim)};
      v["theoretical_capacity"] = {static_cast<double>(prop31_capacity(dim, c.beta, std::nullopt, std::int64_t{1} << 40).capacity)};
    }
    v.merge(code_bound_values(c.d, mhm ? 0 : c.dphi, c.m, dim, c.beta));

    result.phase_seconds[1] = since(phase_start);
    v["seconds_metrics"] = {result.phase_seconds[1]};
    phase_start = std::chrono::steady_clock::now();
    // Partitioned retrieval of every query, block by block: the same engine as in one process.
    const Retriever retriever(local_memories, partition, rs, map);
    const QueryModel& query = c.query_model;
    const std::int64_t n = query_count(config, c);
    // Data queries: a seeded subset of n rows of the query set, preprocessed as the memories.
    Matrix data_queries;
    if (query.kind == QueryKind::data) {
      const Matrix& all = cache.get(query.source);
      require(all.cols == c.d, "queries '" + query.source + "' have dimension " + std::to_string(all.cols) +
                                   ", but this point has d = " + std::to_string(c.d));
      require(n <= all.rows, "this point asks for " + std::to_string(n) + " queries, but '" + query.source +
                                 "' has " + std::to_string(all.rows) + " rows (set retrieval.random_queries)");
      io::Preprocess pre;
      pre.subset = n;
      pre.subset_seed = c.query_seed;
      pre.scale_pixels = config.scale_pixels;
      pre.project_to_sphere = config.normalize;
      data_queries = io::preprocess(all, pre);
    }
    std::vector<QueryOutcome> outcomes(static_cast<std::size_t>(n));
    // The noise the model sees: each query's angle to its target after the map (NaN without a target).
    std::vector<double> angles(static_cast<std::size_t>(n), kNaN);
    const FeatureMap* scoring_map = map ? &*map : nullptr;
    for (std::int64_t q0 = 0; q0 < n; q0 += kQueryBlock) {
      const std::int64_t b = std::min(kQueryBlock, n - q0);
      std::vector<std::int64_t> targets(static_cast<std::size_t>(b), -1), local_targets(static_cast<std::size_t>(b), -1);
      std::vector<std::uint64_t> ids(static_cast<std::size_t>(b));
      Matrix target_memories(b, c.d);
      for (std::int64_t i = 0; i < b; ++i) {
        ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(q0 + i);
        if (!query.has_target()) continue;
        targets[static_cast<std::size_t>(i)] = (q0 + i) / config.queries_per_memory;
        local_targets[static_cast<std::size_t>(i)] = i;
        const Matrix row = memories.rows(targets[static_cast<std::size_t>(i)], 1);
        std::copy_n(row.data.begin(), c.d, target_memories.row(i));
      }
      Matrix states(b, c.d);
      if (query.kind == QueryKind::data) {
        std::copy_n(data_queries.row(q0), states.data.size(), states.data.begin());
      } else {
        make_queries(query, target_memories, local_targets, ids, c.query_seed, states, scoring_map);
      }
      if (query.has_target()) {
        kernels::query_target_angles_deg(
            states, target_memories, scoring_map,
            std::span<double>(angles).subspan(static_cast<std::size_t>(q0), static_cast<std::size_t>(b)));
      }
      retriever.run(states, targets,
                    std::span<QueryOutcome>(outcomes).subspan(static_cast<std::size_t>(q0), static_cast<std::size_t>(b)));
    }
    const RetrievalSummary s = summarize(outcomes, c.m);
    result.phase_seconds[2] = since(phase_start);
    v["seconds_retrieval"] = {result.phase_seconds[2]};
    {
      // Per retrieval step and query: scores (M·dim), the update (M·d), and for a KHM the
      // query's features (D_Φ·d).
      const double m = static_cast<double>(c.m), d = static_cast<double>(c.d), dphi = static_cast<double>(c.dphi);
      const double per_step = map ? 2.0 * (m * dphi + m * d + dphi * d) : 4.0 * m * d;
      result.flops += s.iterations_mean * static_cast<double>(s.queries) * per_step;
    }
    v["success_rate"] = {s.success_rate};
    v["converged_rate"] = {s.converged_rate};
    v["iterations_mean"] = {s.iterations_mean};
    v["iterations_max"] = {static_cast<double>(s.iterations_max)};
    v["distance_mean"] = {s.distance_mean};
    v["energy_mean"] = {s.energy_mean};
    v["metastable_mean"] = {s.metastable_mean};
    v["queries"] = {static_cast<double>(s.queries)};
    const kernels::AngleSummary angle_summary = kernels::summarize_angles(angles);
    v["query_angle_median_deg"] = {angle_summary.median};
    v["query_angle_mean_deg"] = {angle_summary.mean};
    v["query_angle_max_deg"] = {angle_summary.max};
    result.query_angles_deg = std::move(angles);
    std::vector<double> histogram(static_cast<std::size_t>(kMetastableBins), 0.0);
    for (std::size_t k = 0; k < s.metastable_histogram.size(); ++k) {
      histogram[std::min<std::size_t>(k, static_cast<std::size_t>(kMetastableBins - 1))] +=
          static_cast<double>(s.metastable_histogram[k]);
    }
    v["metastable_histogram"] = histogram;
  } catch (const std::bad_alloc&) {
    result.status = ResultStatus::failed;
    result.message = "out of memory";
  } catch (const Error& e) {
    result.status = ResultStatus::failed;
    result.message = e.what();
  }
  v["seconds"] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  return result;
}

}  // namespace hopcap::sweep
