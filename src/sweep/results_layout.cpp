#include "hopcap/sweep/results_layout.hpp"

#include <limits>
#include <type_traits>

#include "hopcap/kernels/separation.hpp"
#include "hopcap/lm_capacity.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/sweep/capacity.hpp"
#include "hopcap/sweep/code_bounds.hpp"
#include "hopcap/sweep/execute.hpp"

namespace hopcap::sweep {

namespace {

// The variables of a sweep.lambda file: the β each point used, and the Lucibello-Mezard
// capacity of its λ with the finite-d estimate at retrieval.epsilon.
const std::vector<SweepVariable>& lambda_variables() {
  static const std::vector<SweepVariable> variables = {
      {"beta", "inverse temperature beta = lambda * d of the point", "1", ""},
      {"lm_alpha_c",
       "Lucibello-Mezard capacity alpha_c(lambda) = lim ln M*/d (MHM, softmax, sphere memories; NaN otherwise)", "1",
       ""},
      {"lm_rate_at_epsilon",
       "finite-d estimate of ln M*/d at the retrieval radius epsilon (MHM, softmax, sphere memories; NaN otherwise)",
       "1", ""},
  };
  return variables;
}

// Capacity mode has no M axis in the file (the search runs over M), and no replica axis when
// it pools the replicas; inside the plan they have one entry each.
bool collapsed_in_file(const SweepConfig& config, std::size_t axis) {
  return config.capacity && (axis == 1 || (axis == kAxisCount - 1 && config.pools_replicas()));
}

}  // namespace

std::vector<std::int64_t> file_point(const SweepConfig& config, const GridIndex& index) {
  std::vector<std::int64_t> point;
  for (std::size_t a = 0; a < kAxisCount; ++a) {
    if (!collapsed_in_file(config, a)) point.push_back(index[a]);
  }
  return point;
}

io::ResultsLayout sweep_layout(const SweepConfig& c, const std::map<std::string, io::AttributeValue>& attributes) {
  io::ResultsLayout layout;
  auto numbers = [](const auto& values) {
    std::vector<double> out;
    for (const auto& v : values) out.push_back(static_cast<double>(v));
    return out;
  };
  // Labels of the named axes: their canonical names.
  auto names = [](const auto& values) {
    std::vector<std::string> out;
    for (const auto& v : values) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Model>) {
        out.emplace_back(model_name(v));
      } else {
        out.push_back(v.name());
      }
    }
    return out;
  };
  std::vector<std::int64_t> replicas(static_cast<std::size_t>(c.replicas));
  for (std::int64_t r = 0; r < c.replicas; ++r) replicas[static_cast<std::size_t>(r)] = r;
  const std::vector<io::AxisSpec> axes = {
      {"d", "memory dimension", "1", numbers(c.d), {}, true},
      {"M", "number of memories", "1", numbers(c.m), {}, true},
      {"Dphi", "feature dimension D_Phi (KHM models)", "1", numbers(c.dphi), {}, true},
      c.lambda.empty() ? io::AxisSpec{"beta", "inverse temperature beta", "1", c.beta, {}, false}
                       : io::AxisSpec{"lambda", "inverse temperature per dimension lambda = beta / d", "1", c.lambda, {}, false},
      {"sep", "separation function", "", {}, names(c.sep), false},
      {"query", "query model and level", "", {}, names(c.query), false},
      {"model", "model (mhm, khm_uhop, khm_random, khm_identity)", "", {}, names(c.model), false},
      {"memories", "memory distribution or data set", "", {}, names(c.memories), false},
      {"replica", "replica (independent memories, queries and maps)", "1", numbers(replicas), {}, true},
  };
  for (std::size_t a = 0; a < axes.size(); ++a) {
    if (!collapsed_in_file(c, a)) layout.axes.push_back(axes[a]);
  }
  if (c.capacity) {
    layout.extra_dims = {{"capacity_probe", "probe of the capacity search", capacity_probe_length(c)}};
  } else {
    layout.extra_dims = {{"metastable_size", "metastable-state size (last: this size or more)", kMetastableBins},
                         {"uhop_iteration", "U-Hop+ step", uhop_trace_length(c)}};
  }
  std::vector<SweepVariable> variables = c.capacity ? capacity_variables() : sweep_variables();
  if (!c.capacity) variables.insert(variables.end(), code_bound_variables().begin(), code_bound_variables().end());
  if (!c.lambda.empty()) variables.insert(variables.end(), lambda_variables().begin(), lambda_variables().end());
  for (const SweepVariable& v : variables) {
    io::VariableSpec spec{v.name, v.long_name, v.units, {}, io::ValueType::f64};
    for (const io::AxisSpec& axis : layout.axes) spec.dims.push_back(axis.name);
    if (std::string(v.extra_dim).size() > 0) spec.dims.emplace_back(v.extra_dim);
    if (spec.name == "capacity_bound") {
      spec.flag_values = {-1, 0, 1};
      spec.flag_meanings = "fails_at_M_min bracketed holds_at_M_max";
    }
    layout.variables.push_back(spec);
  }
  layout.attributes = attributes;
  return layout;
}

void add_lambda_values(const SweepConfig& config, const Configuration& c, ConfigResult& result) {
  if (config.lambda.empty()) return;
  const double lambda = config.lambda[static_cast<std::size_t>(c.index[3])];
  result.values["beta"] = {c.beta};
  double alpha_c = std::numeric_limits<double>::quiet_NaN(), rate = alpha_c;
  // The theory holds for softmax retrieval by the MHM on memories uniform on the sphere.
  const bool applies = c.kind == Model::mhm && c.separation.kind == SeparationKind::softmax &&
                       c.memory_source.distribution == Distribution::sphere && c.d >= 2;
  if (applies) {
    alpha_c = lm_threshold(lambda).alpha_c;
    rate = lm_rate_at_radius(lambda, c.d, config.epsilon);
  }
  result.values["lm_alpha_c"] = {alpha_c};
  result.values["lm_rate_at_epsilon"] = {rate};
}

}  // namespace hopcap::sweep
