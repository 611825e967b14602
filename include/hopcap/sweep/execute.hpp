#pragma once
// One configuration of a sweep, run by a group of ranks: the memory set (rows partitioned over
// the group), the feature map of its model (U-Hop+ trained on the partitioned set: features
// gathered, gradient of W summed; mini-batches assembled on every rank), separation metrics
// on the partitioned set as run.metrics asks (exact: each pair once; estimate: bounds from a
// seeded sample; off), theory, and partitioned
// retrieval of every query. The result is a set of named values matching sweep_variables(); a configuration that fails (bad setting for
// this point, non-finite loss, out of memory) is returned as failed with its message.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap::sweep {

enum class ResultStatus : std::int8_t { ok = 1, failed = 2 };

struct ConfigResult {
  std::int64_t id = 0;  ///< grid id of the configuration
  ResultStatus status = ResultStatus::ok;
  std::string message;
  std::map<std::string, std::vector<double>> values;
  /// Floating-point operations done for this result by the whole group, counted from the work
  /// actually done (GEMM-model counts: 2·m·n·k per product, retrieval steps and U-Hop+ steps
  /// as taken); complete on the group root.
  double flops = 0.0;
  /// Seconds this rank spent in U-Hop+ training, separation metrics and retrieval (summed over
  /// the probes of a capacity search).
  std::array<double, 3> phase_seconds{};
  /// Each query's angle to its target as the model sees it (NaN without a target), in query
  /// order: what a capacity probe pools over its replicas. Not written to the file as such.
  std::vector<double> query_angles_deg;
};

/// One output variable of a sweep: over the grid axes, plus at most one extra dimension.
struct SweepVariable {
  const char* name;
  const char* long_name;
  const char* units;
  const char* extra_dim;  ///< "" | "metastable_size" | "uhop_iteration"
};

/// The variables every configuration reports (NaN where one does not apply, e.g. feature-space
/// quantities of the MHM).
const std::vector<SweepVariable>& sweep_variables();

/// Metastable sizes 0 .. kMetastableBins−2 have their own bin; the last bin counts the rest.
inline constexpr std::int64_t kMetastableBins = 33;

/// Length of the uhop_iteration dimension for this config (≥ 1).
std::int64_t uhop_trace_length(const SweepConfig& config);

/// Loaded data sets, kept across configurations of one rank (key: the source spec).
class DatasetCache {
 public:
  const Matrix& get(const std::string& spec);

 private:
  std::map<std::string, Matrix> loaded_;
};

/// The retrieval settings of configuration c under config (β, separation, t_max, tol, ε,
/// KHM scores): what execute_configuration retrieves with.
RetrievalSettings retrieval_settings(const SweepConfig& config, const Configuration& c);

/// The loss options of configuration c's U-Hop+ steps (uhop.loss, the initial uhop.tau,
/// uhop.precision, automatic tiles), and the memories B of one step (M, or the mini-batch).
UhopLossOptions uhop_step_options(const SweepConfig& config);
std::int64_t uhop_step_memories(const SweepConfig& config, const Configuration& c);

/// Flops counted for one of c's U-Hop+ steps: kernels::uhop_work's GEMM flops of the loss and
/// ∂L/∂W over the step's memories, as the kernel tiles them. The run's `gflops_counted` and
/// the dry run's estimate both count this.
double uhop_step_flops(const SweepConfig& config, const Configuration& c);

/// The map seed's Gaussian map for khm_random (its fixed map) and khm_uhop (a stand-in before
/// training), the identity for khm_identity (ConfigError when Dphi > d); none for the MHM.
std::optional<FeatureMap> starting_feature_map(const Configuration& c);

/// Every rank of the group calls this with the same configuration and gets the same status,
/// message and values (the driver writes the group root's).
ConfigResult execute_configuration(const SweepConfig& config, const Configuration& c,
                                   const parallel::Group& group, DatasetCache& cache);

}  // namespace hopcap::sweep
