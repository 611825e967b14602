// hopcap demo: the small default case of the README's quick start, as a readable summary.
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/integer_option.hpp"
#include "cli/work_threads.hpp"
#include "hopcap/bounds.hpp"
#include "hopcap/build_info.hpp"
#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sizes.hpp"
#include "hopcap/uhop.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap::cli {
namespace {

struct DemoOptions {
  std::int64_t d = 16;
  std::int64_t m = 64;
  double beta = 16.0;
  std::string query = "angle:20";
  std::uint64_t seed = 1;
  std::string precision = "float64";
};

// One table row per separation function for MHM (no map) or KHM retrieval of the queries.
void print_retrieval_rows(const char* model, const Matrix& memories, const std::optional<FeatureMap>& map,
                          const Matrix& queries, const std::vector<std::int64_t>& targets, double beta,
                          Precision precision) {
  for (const char* name : {"softmax", "entmax15", "sparsemax"}) {
    RetrievalSettings settings;
    settings.beta = beta;
    settings.precision = precision;
    settings.separation = Separation::parse(name);
    const Retriever retriever(memories, settings, map);
    Matrix states = queries;
    std::vector<QueryOutcome> outcomes(targets.size());
    retriever.run(states, targets, outcomes);
    const RetrievalSummary s = summarize(outcomes, memories.rows);
    const std::string label = std::string(model) + ", " + name;
    std::printf("  %-24s %5lld/%-3lld %8lld/%-3lld %16.2f %18.2f\n", label.c_str(),
                static_cast<long long>(s.retrieved), static_cast<long long>(s.queries),
                static_cast<long long>(s.converged), static_cast<long long>(s.queries),
                s.iterations_mean, s.metastable_mean);
  }
}

void run_demo(const DemoOptions& o) {
  Precision precision = Precision::float64;
  try {
    precision = kPrecisionNames.parse(o.precision);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("--precision: ") + e.what());
  }
  fit_threads_to_work(gemm_flops(o.m, o.m, o.d));  // a retrieval or U-Hop+ step: M x M x d
  std::printf("hopcap %s (git %.12s) demo: MHM and KHM retrieval of M = %lld random memories on the unit "
              "sphere in d = %lld, seed %llu\n\n",
              build_info().version, build_info().git_sha, static_cast<long long>(o.m),
              static_cast<long long>(o.d), static_cast<unsigned long long>(o.seed));
  const Matrix memories = generate_memories(Distribution::sphere, o.d, o.m, o.seed, 0);
  const kernels::SeparationReport sep = kernels::separation_report(memories);
  std::printf("memory set      smallest pairwise angle %.4f deg, Delta_min = 1 - cos = %.6f\n",
              sep.min_angle_deg, sep.delta_min_sphere);
  if (o.d >= 2) {
    std::printf("                Prop 3.1 band for the optimal %lld-point code on S^%lld: "
                "[%.6f, %.6f]\n",
                static_cast<long long>(o.m), static_cast<long long>(o.d - 1),
                bounds::prop31_lower(o.m, o.d), bounds::prop31_upper(o.m, o.d));
  }
  const WellSeparation ws = check_well_separation(sep, SeparationSpace::raw, o.beta);
  std::printf("well separated  beta = %g: %lld of %lld memories provably stored "
              "(threshold %.4f, R = 1/(beta M m))\n\n",
              o.beta, static_cast<long long>(ws.stored_count), static_cast<long long>(o.m),
              ws.threshold);

  const QueryModel query = QueryModel::parse(o.query);
  require(query.kind != QueryKind::data, "--query data:SOURCE is a sweep query model (hopcap run); demo generates its queries");
  // One set of raw queries serves every model of the demo, so no map can place them.
  require(!query.in_feature_space(), "--query feature_angle:DEG needs one model's map; demo shares its queries "
                                     "between models (use hopcap retrieve or hopcap run)");
  std::vector<std::int64_t> targets(static_cast<std::size_t>(o.m));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(o.m));
  std::iota(targets.begin(), targets.end(), std::int64_t{0});
  std::iota(ids.begin(), ids.end(), std::uint64_t{0});
  Matrix queries(o.m, o.d);
  make_queries(query, memories, targets, ids, o.seed, queries);
  std::printf("retrieval of one query per memory (%s), beta = %g, t_max = 100, eps = 0.01, %s:\n",
              query.name().c_str(), o.beta, std::string(kPrecisionNames.name(precision)).c_str());
  std::printf("  %-24s %9s %12s %16s %18s\n", "model", "retrieved", "converged",
              "mean iterations", "mean metastable");
  print_retrieval_rows("MHM", memories, std::nullopt, queries, targets, o.beta, precision);

  // U-Hop+ on the same memories: D_Φ = d, τ annealed 0.1 → 0.005 with the step following τ.
  UhopSettings uhop;
  uhop.method = UhopMethod::paper;
  uhop.feature_dim = o.d;
  uhop.lr = 0.02;
  uhop.lr_follows_tau = true;
  uhop.tau = 0.1;
  uhop.tau_min = 0.005;
  uhop.anneal = 0.99;
  uhop.iterations = 400;
  uhop.seed = o.seed;
  const UhopResult trained = train_uhop(memories, uhop);
  print_retrieval_rows("KHM + U-Hop+", memories, trained.map, queries, targets, o.beta, precision);
  const kernels::SeparationReport feature_sep =
      kernels::feature_separation_report(memories, trained.map.weight, trained.map.bias);
  const WellSeparation feature_ws = check_well_separation(feature_sep, SeparationSpace::sphere, o.beta);
  std::printf("\nU-Hop+ (D_Phi = %lld, %lld steps): smallest feature angle %.4f -> %.4f deg, "
              "%lld of %lld memories provably stored in feature space\n",
              static_cast<long long>(o.d), static_cast<long long>(trained.iterations),
              trained.min_angle_deg_before, trained.min_angle_deg_after,
              static_cast<long long>(feature_ws.stored_count), static_cast<long long>(o.m));

  const kernels::SeparationReport ico = kernels::separation_report(codes::icosahedron());
  std::printf("\nself-check      icosahedron min angle %.7f deg (exact arccos(1/sqrt 5) = %.7f deg)\n",
              ico.min_angle_deg, bounds::degrees(std::acos(1.0 / std::sqrt(5.0))));
  // U-Hop+ must place 12 free memories (d = 24) on the icosahedron in D_Phi = 3.
  UhopSettings code;
  code.method = UhopMethod::paper;
  code.feature_dim = 3;
  code.lr = 0.02;
  code.lr_follows_tau = true;
  code.tau_min = 5e-4;
  code.anneal = 0.997;
  code.iterations = 2000;
  code.restarts = 3;
  code.seed = 1;
  const UhopResult ico_fit = train_uhop(generate_memories(Distribution::sphere, 24, 12, 1, 0), code);
  std::printf("self-check      U-Hop+ code of 12 memories in D_Phi = 3: min angle %.7f deg\n",
              ico_fit.min_angle_deg_after);
  std::printf("\nmore: hopcap retrieve --help | hopcap train --help | hopcap codes --help | "
              "docs/science.md\n");
}

}  // namespace

void register_demo(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "run a small default case and print a readable summary");
  cmd->add_option("--d", options->d, "dimension")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(1, kMaxDimension));
  cmd->add_option("--M", options->m, "number of memories")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(2, 100000));
  cmd->add_option("--beta", options->beta, "inverse temperature")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--query", options->query, "query model")->capture_default_str();
  cmd->add_option("--seed", options->seed, "base seed")
      ->capture_default_str()
      ->transform(checked_integer<std::uint64_t>());
  cmd->add_option("--precision", options->precision, "float64 | float32: arithmetic of the retrieval iterations")
      ->capture_default_str();
  cmd->callback([options] { run_demo(*options); });
}

}  // namespace hopcap::cli
