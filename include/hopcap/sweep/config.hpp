#pragma once
// The sweep definition of `hopcap run CONFIG.toml`: the axes whose Cartesian product is the
// set of configurations, the fixed retrieval and U-Hop+ settings, the capacity search and the
// run controls. Parsed from TOML, validated before any work, and printed back as the full
// effective config (defaults included) so that feeding the printed text back reproduces the
// run.
//
// TOML layout (every key optional; defaults as in the struct below):
//
//   [sweep]
//   d = [8, 16]                                   # list, or a range table:
//   M = { start = 16, stop = 1024, num = 7, log = true }   # num points, log-spaced if log
//   Dphi = [4, 8]          # feature dimensions (KHM models; the MHM ignores this axis)
//   beta = [1.0, 8.0]
//   lambda = [0.5, 1.0]    # instead of beta: β = λ·d at every d (Lucibello-Mezard's λ = β/d)
//   sep = ["softmax", "entmax15", "sparsemax", "entmax:1.3"]
//   query = ["angle:20", "gauss:0.1", "mask:0.3", "random", "data:idx:PATH"]
//   model = ["mhm", "khm_uhop", "khm_random", "khm_identity"]
//   memories = ["sphere", "binary", "gaussian", "idx:PATH", "h5:PATH:DATASET", ...]
//   replicas = 2           # replica axis 0..R-1 (independent seeds)
//   seed = 1
//   filter = "Dphi <= d"   # "" (none) | "Dphi <= d" | "Dphi >= d"
//   [retrieval]  queries_per_memory, random_queries, t_max, tol, epsilon, khm_scores,
//                precision, scale_pixels, normalize
//   [uhop]       loss, tau, tau_min, anneal, optimizer, lr, lr_follows_tau, momentum,
//                projection, init, iters, batch, restarts, bias, precision
//   [capacity]   enabled, delta, M_min, M_max, per_replica
//   [run]        output, group_size, commit_every, commit_seconds, progress_seconds, fail_fast,
//                metrics, metrics_sample
//
// Named values (sep, query, model, memories, filter, khm_scores, precision, metrics) are parsed once, by
// one name table per vocabulary; every spelling of a value is that value and is printed by its
// canonical name ("entmax:1.5" is "entmax15", "entmax:2" "sparsemax", "angle:20.0"
// "angle:20"), and an axis listing two spellings of one value is refused.
// Integer axes given as ranges are rounded to the nearest integer and deduplicated.
// Every integer key has a range, and the products of sizes (M x d, the grid size, ...) have
// limits: docs/limits.md lists them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/kernels/separation.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/name_table.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sweep/model.hpp"
#include "hopcap/uhop.hpp"

namespace hopcap::sweep {

/// sweep.filter: which (D_Phi, d) pairs of the KHMs run.
enum class DphiFilter { none, dphi_at_most_d, dphi_at_least_d };
inline constexpr NameTable kDphiFilterNames{
    "filter", std::array<Named<DphiFilter>, 3>{{{DphiFilter::none, ""},
                                                {DphiFilter::dphi_at_most_d, "Dphi <= d"},
                                                {DphiFilter::dphi_at_least_d, "Dphi >= d"}}}};

/// run.metrics: the separation metrics of every pair, bounds from a sample, or none.
enum class MetricsMode { exact, estimate, off };
inline constexpr NameTable kMetricsModeNames{
    "metrics mode", std::array<Named<MetricsMode>, 3>{{{MetricsMode::exact, "exact"},
                                                       {MetricsMode::estimate, "estimate"},
                                                       {MetricsMode::off, "off"}}}};

/// The values are parsed once, when the config is read: every vocabulary (separation maps,
/// query models, models, memory sources, KHM scores, filter, metrics) is held as its typed
/// value and printed by its canonical name, so that two spellings of one value ("entmax:1.5"
/// and "entmax15") are one value.
struct SweepConfig {
  // [sweep]: the axes
  std::vector<std::int64_t> d{16};
  std::vector<std::int64_t> m{64};
  std::vector<std::int64_t> dphi{16};
  std::vector<double> beta{8.0};
  /// When not empty, the β axis is given as λ: β = λ·d per configuration, and beta is empty.
  std::vector<double> lambda;
  std::vector<Separation> sep{Separation{}};
  std::vector<QueryModel> query{QueryModel{QueryKind::angle, 20.0, {}}};
  std::vector<Model> model{Model::mhm};
  std::vector<MemorySource> memories{MemorySource{Distribution::sphere, {}}};
  std::int64_t replicas = 1;
  std::uint64_t seed = 1;
  DphiFilter filter = DphiFilter::none;

  // [retrieval]
  std::int64_t queries_per_memory = 1;
  std::int64_t random_queries = 0;  ///< queries of the `random` and `data:` models; 0 = M
  std::int64_t t_max = 100;
  double tol = 1e-10;
  double epsilon = 1e-2;
  KhmScores khm_scores = KhmScores::normalized;  ///< normalized | raw
  Precision precision = Precision::float64;       ///< float64 | float32 arithmetic of the iterations
  bool scale_pixels = false;  ///< dataset memories: map 0..255 to [-1, 1]
  bool normalize = true;      ///< dataset memories: project onto the unit sphere

  // [uhop] (D_Φ comes from the Dphi axis, the seed from the configuration)
  /// Everything but feature_dim (the Dphi axis) and the plateau stop; 200 steps by default.
  UhopTextSettings uhop = [] {
    UhopTextSettings u;
    u.iterations = 200;
    return u;
  }();

  // [capacity]
  bool capacity = false;
  double capacity_delta = 0.01;
  std::int64_t capacity_m_min = 2;
  std::int64_t capacity_m_max = 65536;
  /// One search per replica (a replica axis in the file, for error bars) instead of one search
  /// over the replicas' pooled queries.
  bool capacity_per_replica = false;
  /// Whether the replicas of a capacity point are pooled into one search.
  bool pools_replicas() const { return capacity && !capacity_per_replica; }

  // [run]
  std::string output = "hopcap-run.h5";
  std::int64_t group_size = 0;  ///< ranks per group; 0 = automatic
  std::int64_t commit_every = 16;
  double commit_seconds = 30.0;
  double progress_seconds = 10.0;
  bool fail_fast = false;
  /// Separation metrics: "exact" (every pair, O(M²·d)), "estimate" (bounds from the pairs of
  /// metrics_sample seeded memories with all others, O(M·sample·d)) or "off" (missing values).
  MetricsMode metrics = MetricsMode::exact;
  std::int64_t metrics_sample = 1024;  ///< memories of the estimate's sample (all when M is smaller)

  bool operator==(const SweepConfig&) const = default;
};

/// Parses TOML text (source names the file in messages). Unknown sections or keys, wrong
/// types, empty axes, impossible values and two spellings of one axis value throw ConfigError
/// whose message starts with the dotted key, e.g. "sweep.beta: values must be > 0 (got -1)".
SweepConfig parse_config(std::string_view toml_text, std::string_view source = "config");

/// Applies one command-line override "section.key=VALUE", VALUE in TOML syntax
/// (e.g. "sweep.d=[8,16]", "uhop.tau=0.05", "run.output=\"x.h5\""); the result is validated
/// like a parsed file. Throws ConfigError naming the key.
void apply_override(SweepConfig& config, std::string_view assignment);

/// Throws ConfigError naming the first bad key (the checks parse_config applies), including
/// the size limits of docs/limits.md: every integer key within its range, and the products of
/// sizes (M x d, M x D_Phi, queries, the grid size) within theirs.
void validate(const SweepConfig& config);

/// A data file a sweep reads: the axis key, the axis value as written, and its source spec
/// (memory sets that are files, and the sets of `data:` queries).
struct DataSource {
  const char* key;
  std::string entry;
  std::string spec;
};
std::vector<DataSource> data_sources(const SweepConfig& config);

/// Lengths of the grid's axes in the order of sweep::kAxisNames (plan.hpp). In capacity mode
/// the M axis has one entry, and so has the replica axis unless capacity.per_replica.
std::vector<std::int64_t> grid_shape(const SweepConfig& config);

/// The full effective config as TOML, every key present, every value by its canonical name;
/// parse_config(to_toml(c)) == c.
std::string to_toml(const SweepConfig& config);

/// The part of the config that determines the results: every section except [run] (output
/// path, group size, commit and progress intervals change how a run goes, not what it finds),
/// but with run.metrics and run.metrics_sample, which decide what the metric variables hold.
/// `--resume` requires this to match.
std::string science_toml(const SweepConfig& config);

}  // namespace hopcap::sweep
