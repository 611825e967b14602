#pragma once
// What a sweep will cost, before it runs (`hopcap run --dry-run`): the counted flops of every
// configuration by phase, peak memory per rank, wall time and core-hours, from rates and fixed
// costs measured on this node. The flops follow the counting model the run itself records
// (docs/output-format.md, `gflops_counted`) at an expected number of retrieval steps per query
// (expected_retrieval_steps); the memory counts the large buffers (memory set, features, one
// block of queries and of scores), not the program. docs/performance.md checks the model
// against measured runs.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>

#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap::sweep {

/// Bytes of this rank's rows of configuration c's memory set and their features, in a group of
/// `group_size`: what a rank holds at the least, whatever else the configuration needs.
double memory_set_bytes(const SweepConfig& config, const Configuration& c, std::int64_t group_size);

/// Bytes one rank of a group of `group_size` holds at the peak of configuration c: its rows,
/// and the larger of the retrieval's buffers (one query block's scores) and the metrics'
/// (run.metrics: one visiting part, or the sample, and a Gram tile).
double estimated_peak_bytes(const SweepConfig& config, const Configuration& c, std::int64_t group_size);

/// Estimated flops of configuration c's separation metrics (exact M²·dim, estimate 2·M·S·dim,
/// off 0; a capacity search counted as make_plan does).
double metrics_flops(const SweepConfig& config, const Configuration& c);

/// Mean retrieval steps per query measured by short probes, keyed by retrieval_probe_key.
using RetrievalStepProbes = std::map<std::string, double>;

/// What decides how many steps a query of c takes: everything but the replica (and M beyond
/// the probes' cap, kStepProbeMaxMemories).
std::string retrieval_probe_key(const Configuration& c);

/// Memories of a step probe at the most (the first rows of the configuration's nested set).
inline constexpr std::int64_t kStepProbeMaxMemories = 1024;
/// Queries of a step probe at the most, spread evenly over the configuration's queries.
inline constexpr std::int64_t kStepProbeQueries = 16;

/// Mean steps per query of c's retrieval, measured on at most kStepProbeQueries of its own
/// queries (every kth one) against the first min(M, kStepProbeMaxMemories) memories, on this
/// process alone. With every query probed it equals the run's `iterations_mean`. A U-Hop+
/// configuration is probed with the map its training starts from. Pre: c has a target
/// (angle, gauss, mask) and synthetic memories.
double measure_retrieval_steps(const SweepConfig& config, const Configuration& c);

/// Retrieval steps per query the model assumes for c: t_max for queries with no target
/// (random and data queries, far from every memory, rarely meet the tolerance before t_max;
/// the conservative bound), the probe's measured mean where one ran, else t_max.
double expected_retrieval_steps(const SweepConfig& config, const Configuration& c, const RetrievalStepProbes& probes);

/// U-Hop+'s `refine` and `search` (uhop.method) after Algorithm 1's loop: loss evaluations
/// counted by a short run of the real method on few memories, keyed by search_probe_key.
struct SearchProbe {
  double evaluations = 0.0;  ///< UhopResult::search_evaluations of the probe
  std::int64_t anneals = 1;  ///< anneals the probe ran (search: uhop_search_anneals; refine 1)
};
using SearchProbes = std::map<std::string, SearchProbe>;

/// Memories of a search probe at the most (the first rows of the configuration's nested set).
inline constexpr std::int64_t kSearchProbeMemories = 64;
/// Basin hops of a search probe at the most; the configuration's count is scaled from it.
inline constexpr std::int64_t kSearchProbeHops = 4;

/// What decides the evaluations of c's refine or search: d, D_Φ, the memories, min(M,
/// kSearchProbeMemories) and the method (the hops enter by scaling). "" for a configuration
/// without them (not khm_uhop, or uhop.method = "paper").
std::string search_probe_key(const SweepConfig& config, const Configuration& c);

/// Runs U-Hop+ as the sweep would (its [uhop] settings, c's map seed) on the first
/// min(M, kSearchProbeMemories) memories of c's nested set (synthetic sphere memories of
/// dimension d for file memories), with at most kSearchProbeHops hops. Returns the count and
/// the seconds the run took per loss evaluation (the loop's steps included) in
/// *seconds_per_evaluation.
SearchProbe measure_search_evaluations(const SweepConfig& config, const Configuration& c,
                                       double* seconds_per_evaluation);

/// The shape of c's search evaluations, M (at most kSearchRateMaxMemories), r and D_Φ: the
/// key of the loss kernel's measured rate. "" as search_probe_key.
std::string search_shape_key(const SweepConfig& config, const Configuration& c);
inline constexpr std::int64_t kSearchRateMaxMemories = 1024;

/// The shape of c's U-Hop+ steps, B (M or the mini-batch, at most kUhopRateMaxMemories), d and
/// D_Φ: the key of the loss kernel's measured rate for Algorithm 1's steps. "" but for khm_uhop.
std::string uhop_shape_key(const SweepConfig& config, const Configuration& c);
inline constexpr std::int64_t kUhopRateMaxMemories = 1024;

/// GFLOP/s (kernels::uhop_work's GEMM flops) of one U-Hop+ step, loss and ∂L/∂W with the
/// sweep's step options (uhop.loss, uhop.tau, uhop.precision: uhop_step_options), on m sphere
/// memories of dimension d mapped to feature_dim, the best of a few evaluations.
double measure_uhop_gflops(const SweepConfig& config, std::int64_t m, std::int64_t d, std::int64_t feature_dim);

/// GFLOP/s of the pairwise loss and its gradient (search_evaluation_flops) on m sphere points
/// of dimension `rank` mapped to `feature_dim`, the best of a few evaluations (its exponentials
/// and normalisation per pair, and cache effects, make the rate depend on the shape).
double measure_search_gflops(std::int64_t m, std::int64_t rank, std::int64_t feature_dim);

/// Loss evaluations c's refine or search is expected to take: refine, the probe's count;
/// search, the probe's count per anneal times the anneals of c, uhop_search_anneals (a
/// count that varies little with M beyond the probe's, docs/performance.md). A key not probed
/// takes the largest count per anneal of the probes; none, or "paper", 0.
double expected_search_evaluations(const SweepConfig& config, const Configuration& c, const SearchProbes& probes);

/// Flops of one loss evaluation of the search on M memories: the pairwise loss and its
/// gradient on M points of dimension r mapped to D_Φ (kernels::uhop_work: 4·M²·D_Φ + 4·M·r·D_Φ
/// in one tile, M ≤ 64; about 3·M²·D_Φ + 4·M·r·D_Φ beyond), r = M where the features are free
/// points (M ≤ d + bias), else d + bias.
double search_evaluation_flops(const SweepConfig& config, const Configuration& c);

/// Counted flops of one configuration by phase, as execute.cpp counts them, at `steps`
/// retrieval steps per query (a capacity search: 4 probes at M_max per replica, as make_plan).
struct PhaseFlops {
  double retrieval = 0.0;  ///< queries · steps · (4·M·d, or 2·(M·D_Φ + M·d + D_Φ·d) for a KHM)
  double uhop = 0.0;       ///< U-Hop+ steps · uhop_step_flops (the kernel's GEMMs over B = M or the mini-batch)
  double metrics = 0.0;    ///< metrics_flops
  double uhop_steps = 0.0;  ///< iterations · restarts (per probe of a capacity search)
  /// refine/search after the loop: evaluations · search_evaluation_flops. Not in total(): the
  /// run's `gflops_counted` leaves them out too.
  double search = 0.0;
  double search_evaluations = 0.0;  ///< evaluations (per probe of a capacity search, times the probes)
  /// The retrieval's work in time: its steps and one more pass per query, the final weights
  /// (argmax, metastable size, energy), which the counted flops leave out.
  double retrieval_with_outcomes = 0.0;
  double total() const { return retrieval + uhop + metrics; }
};
PhaseFlops phase_flops(const SweepConfig& config, const Configuration& c, double retrieval_steps,
                       double search_evaluations = 0.0);

/// The engine's speed on this node, measured by running configurations of this sweep's
/// retrieval settings on one rank with its OpenMP threads: the counted GFLOP/s of a mid-size
/// MHM configuration, the fixed cost of a tiny one (set-up, seeds, metrics and result
/// assembly) and of a tiny U-Hop+ step, the file's fixed costs (creating this sweep's results
/// file, one commit, closing it) and the retrieval steps of the sweep's configurations.
struct EngineCalibration {
  /// Retrieval GFLOP/s per rank, steps and final passes counted (the sweep's first separation).
  double gflops_per_rank = 0.0;
  /// Retrieval GFLOP/s per rank by separation (sparse maps sort or bisect every score row,
  /// work the flop count leaves out); a separation not measured takes gflops_per_rank.
  std::map<std::string, double> gflops_by_separation;
  /// The precision the retrieval rates were measured in: the sweep's retrieval.precision.
  Precision retrieval_precision = Precision::float64;
  /// GFLOP/s per rank of Algorithm 1's steps (measure_uhop_gflops) by uhop_shape_key, in the
  /// sweep's uhop.precision and loss kind; a shape not measured takes the slowest, and with
  /// none measured the steps take gflops_per_rank.
  std::map<std::string, double> uhop_gflops;
  Precision uhop_precision = Precision::float64;  ///< the precision uhop_gflops was measured in
  std::int64_t unprobed_uhop_shapes = 0;          ///< shapes left to the slowest rate (probe time spent)
  double seconds_per_configuration = 0.0;
  double seconds_per_uhop_step = 0.0;  ///< fixed cost of one U-Hop+ step (a tiny one, beside its flops)
  double metrics_gflops_per_rank = 0.0;  ///< counted GFLOP/s of the separation metrics (M²·d per exact report)
  double seconds_per_run = 0.0;     ///< creating and closing (rewriting) the results file of this sweep
  double seconds_per_commit = 0.0;  ///< writing run.commit_every points and flushing them
  RetrievalStepProbes steps;        ///< measured mean steps per query, by retrieval_probe_key
  std::int64_t probed_configurations = 0;    ///< targeted configurations whose steps were measured
  std::int64_t unprobed_configurations = 0;  ///< targeted ones left at t_max (probe time spent)
  /// The pairwise loss kernel's GFLOP/s by search_shape_key (a shape not measured takes the
  /// slowest), and what an evaluation of the search costs over the kernel's best time: the
  /// probe's seconds per evaluation over that time at the probe's shape (the L-BFGS step, and
  /// the kernel run once at a time rather than at its best of several).
  std::map<std::string, double> search_gflops;
  double search_overhead = 1.0;
  SearchProbes search;                         ///< by search_probe_key
  std::int64_t unprobed_search_settings = 0;   ///< keys left to the largest count (probe time spent)
};
/// Runs the measurements (about a second; the step probes stop after kStepProbeSeconds, the
/// search probes start no new one after kSearchProbeSeconds).
EngineCalibration calibrate_engine(const SweepConfig& config, const Plan& plan);
inline constexpr double kStepProbeSeconds = 0.5;
/// No new U-Hop+ step shape is measured after this (the first is measured always).
inline constexpr double kUhopRateProbeSeconds = 0.5;
inline constexpr double kSearchProbeSeconds = 3.0;

struct DryRunFacts {
  int ranks = 1;
  int threads_per_rank = 1;
  std::int64_t group_size = 1;
  int groups = 1;
  int ranks_per_node = 1;  ///< ranks of this job on the busiest node (MPI shared-memory split)
  int cores_per_node = 0;  ///< cores those ranks may run on (their affinity masks); 0: unknown
  double seconds_start_up = 0.0;  ///< the process's age at the dry run (MPI start-up, planning)
  double memory_per_rank_bytes = 0.0;  ///< 0: unknown
  EngineCalibration engine;            ///< measured on this node
};

/// How much slower every rank runs when a node's ranks × threads outnumber its cores: their
/// ratio, at least 1 (cores 0: unknown, 1).
double oversubscription(int ranks_per_node, int threads_per_rank, int cores_per_node);

/// The U-Hop+ step rate configuration c takes: engine.uhop_gflops at its shape, else the
/// slowest measured, else (none measured) engine.gflops_per_rank.
double uhop_gflops(const SweepConfig& config, const Configuration& c, const EngineCalibration& engine);

/// Seconds configuration c takes on its group of `group_size` ranks at the calibrated rates:
/// the fixed cost of a configuration and of its U-Hop+ steps, plus its flops (the retrieval's
/// with its final pass, the U-Hop+ steps', the metrics') at the engine's retrieval, U-Hop+
/// (uhop_gflops) and metrics rates, shared by the group
/// (communication not counted), plus the refine or search evaluations, each at its fixed
/// cost and its flops at the loss kernel's rate, not shared (every rank of the group runs the
/// same search on the gathered set).
double configuration_seconds(const SweepConfig& config, const Configuration& c, std::int64_t group_size,
                             const EngineCalibration& engine);

/// The refine/search part of configuration_seconds: expected_search_evaluations (times the
/// probes of a capacity search) × search_evaluation_flops / the kernel's GFLOP/s at c's shape
/// × search_overhead, the same on a group of any size.
double search_seconds(const SweepConfig& config, const Configuration& c, const EngineCalibration& engine);

struct CostTotals {
  std::int64_t configurations = 0;
  double flops = 0.0;
  double metrics_flops = 0.0;  ///< the part of flops spent on the separation metrics
  double search_flops = 0.0;   ///< refine/search flops, beside `flops`
  double search_seconds = 0.0;  ///< the part of group_seconds spent in refine/search
  double group_seconds = 0.0;  ///< Σ configuration_seconds: their time on one group, one after another
  double core_hours = 0.0;     ///< Σ group_size · configuration_seconds · threads / 3600
  double peak_bytes = 0.0;
  double peak_m = 0.0;
};
struct CostEstimate {
  std::map<std::string, CostTotals> by_model;
  CostTotals total;
  double oversubscription = 1.0;
  /// Start-up, creating and closing the file, one commit per run.commit_every configurations,
  /// and the configurations spread evenly over the groups, slowed by oversubscription.
  double wall_seconds = 0.0;
};
CostEstimate estimate_cost(const SweepConfig& config, const Plan& plan, const DryRunFacts& facts);

/// The dry run's report: per model and in total, configurations, estimated GFLOP, the largest
/// peak memory per rank and core-hours; the predicted wall time and what it is made of; a note
/// when exact metrics are most of the flops; the largest configuration's memory and compute per
/// rank in groups of 1 to 256 ranks; a warning line for every configuration kind that will not
/// fit a rank's memory, and the group size that would fit.
void print_dry_run(std::ostream& out, const SweepConfig& config, const Plan& plan, const DryRunFacts& facts);

}  // namespace hopcap::sweep
