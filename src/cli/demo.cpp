// hopcap demo: the small default case of the README's quick start, as a readable summary.
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "cli/commands.hpp"
#include "hopcap/bounds.hpp"
#include "hopcap/build_info.hpp"
#include "hopcap/codes.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap::cli {
namespace {

struct DemoOptions {
  std::int64_t d = 16;
  std::int64_t m = 64;
  double beta = 16.0;
  std::string query = "angle:20";
  std::uint64_t seed = 1;
};

void run_demo(const DemoOptions& o) {
  std::printf("hopcap %s (git %.12s) demo: MHM retrieval of M = %lld random memories on the unit "
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
  std::vector<std::int64_t> targets(static_cast<std::size_t>(o.m));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(o.m));
  std::iota(targets.begin(), targets.end(), std::int64_t{0});
  std::iota(ids.begin(), ids.end(), std::uint64_t{0});
  Matrix queries(o.m, o.d);
  make_queries(query, memories, targets, ids, o.seed, queries);
  std::printf("retrieval of one query per memory (%s), beta = %g, t_max = 100, eps = 0.01:\n",
              query.name().c_str(), o.beta);
  std::printf("  %-10s %12s %12s %16s %18s\n", "separation", "retrieved", "converged",
              "mean iterations", "mean metastable");
  for (const char* name : {"softmax", "entmax15", "sparsemax"}) {
    RetrievalSettings settings;
    settings.beta = o.beta;
    settings.separation = Separation::parse(name);
    const Retriever retriever(memories, settings);
    Matrix states = queries;
    std::vector<QueryOutcome> outcomes(static_cast<std::size_t>(o.m));
    retriever.run(states, targets, outcomes);
    const RetrievalSummary s = summarize(outcomes, o.m);
    std::printf("  %-10s %8lld/%-3lld %8lld/%-3lld %16.2f %18.2f\n", name,
                static_cast<long long>(s.retrieved), static_cast<long long>(s.queries),
                static_cast<long long>(s.converged), static_cast<long long>(s.queries),
                s.iterations_mean, s.metastable_mean);
  }
  const kernels::SeparationReport ico = kernels::separation_report(codes::icosahedron());
  std::printf("\nself-check      icosahedron min angle %.7f deg (exact arccos(1/sqrt 5) = %.7f deg)\n",
              ico.min_angle_deg, bounds::degrees(std::acos(1.0 / std::sqrt(5.0))));
  std::printf("\nmore: hopcap retrieve --help | hopcap codes --help | docs/science.md\n");
}

}  // namespace

void register_demo(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "run a small default case and print a readable summary");
  cmd->add_option("--d", options->d, "dimension")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--M", options->m, "number of memories")->capture_default_str()->check(CLI::Range(2, 100000));
  cmd->add_option("--beta", options->beta, "inverse temperature")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--query", options->query, "query model")->capture_default_str();
  cmd->add_option("--seed", options->seed, "base seed")->capture_default_str();
  cmd->callback([options] { run_demo(*options); });
}

}  // namespace hopcap::cli
