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
//   sep = ["softmax", "entmax15", "sparsemax", "entmax:1.3"]
//   query = ["angle:20", "gauss:0.1", "mask:0.3", "random", "data:idx:PATH"]
//   model = ["mhm", "khm_uhop", "khm_random", "khm_identity"]
//   memories = ["sphere", "binary", "gaussian", "idx:PATH", "h5:PATH:DATASET", ...]
//   replicas = 2           # replica axis 0..R-1 (independent seeds)
//   seed = 1
//   filter = "Dphi <= d"   # "" (none) | "Dphi <= d" | "Dphi >= d"
//   [retrieval]  queries_per_memory, random_queries, t_max, tol, epsilon, khm_scores,
//                scale_pixels, normalize
//   [uhop]       loss, tau, tau_min, anneal, optimizer, lr, lr_follows_tau, momentum,
//                projection, init, iters, batch, restarts, bias
//   [capacity]   enabled, delta, M_min, M_max
//   [run]        output, group_size, commit_every, commit_seconds, progress_seconds, fail_fast
//
// Integer axes given as ranges are rounded to the nearest integer and deduplicated.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hopcap/uhop.hpp"

namespace hopcap::sweep {

struct SweepConfig {
  // [sweep]: the axes
  std::vector<std::int64_t> d{16};
  std::vector<std::int64_t> m{64};
  std::vector<std::int64_t> dphi{16};
  std::vector<double> beta{8.0};
  std::vector<std::string> sep{"softmax"};
  std::vector<std::string> query{"angle:20"};
  std::vector<std::string> model{"mhm"};
  std::vector<std::string> memories{"sphere"};
  std::int64_t replicas = 1;
  std::uint64_t seed = 1;
  std::string filter;

  // [retrieval]
  std::int64_t queries_per_memory = 1;
  std::int64_t random_queries = 0;  ///< queries of the `random` and `data:` models; 0 = M
  std::int64_t t_max = 100;
  double tol = 1e-10;
  double epsilon = 1e-2;
  std::string khm_scores = "normalized";  ///< normalized | raw
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

  // [run]
  std::string output = "hopcap-run.h5";
  std::int64_t group_size = 0;  ///< ranks per group; 0 = automatic
  std::int64_t commit_every = 16;
  double commit_seconds = 30.0;
  double progress_seconds = 10.0;
  bool fail_fast = false;

  bool operator==(const SweepConfig&) const = default;
};

/// Parses TOML text (source names the file in messages). Unknown sections or keys, wrong
/// types, empty axes and impossible values throw ConfigError whose message starts with the
/// dotted key, e.g. "sweep.beta: values must be > 0 (got -1)".
SweepConfig parse_config(std::string_view toml_text, std::string_view source = "config");

/// Applies one command-line override "section.key=VALUE", VALUE in TOML syntax
/// (e.g. "sweep.d=[8,16]", "uhop.tau=0.05", "run.output=\"x.h5\""); the result is validated
/// like a parsed file. Throws ConfigError naming the key.
void apply_override(SweepConfig& config, std::string_view assignment);

/// Throws ConfigError naming the first bad key (the checks parse_config applies).
void validate(const SweepConfig& config);

/// The full effective config as TOML, every key present; parse_config(to_toml(c)) == c.
std::string to_toml(const SweepConfig& config);

/// The part of the config that determines the results: every section except [run] (output
/// path, group size, commit and progress intervals change how a run goes, not what it finds).
/// `--resume` requires this to match.
std::string science_toml(const SweepConfig& config);

}  // namespace hopcap::sweep
