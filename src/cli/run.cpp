// hopcap run CONFIG.toml: the MPI sweep engine. Errors are reported once (by rank 0) and
// every rank exits with the same code.
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "hopcap/error.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/driver.hpp"

namespace hopcap::cli {
namespace {

struct RunOptions {
  std::string config_path;
  std::string output;
  std::vector<std::string> overrides;
  bool resume = false;
  bool dry_run = false;
  bool print_config = false;
  std::string command_line;
};

sweep::SweepConfig load_config(const RunOptions& o) {
  std::ifstream in(o.config_path);
  if (!in) throw InputError("cannot read config file '" + o.config_path + "'");
  std::stringstream text;
  text << in.rdbuf();
  sweep::SweepConfig config = sweep::parse_config(text.str(), o.config_path);
  for (const std::string& assignment : o.overrides) sweep::apply_override(config, assignment);
  if (!o.output.empty()) config.output = o.output;
  sweep::validate(config);
  return config;
}

// Threads per rank: OMP_NUM_THREADS when set; otherwise the cores this rank may run on,
// shared among the ranks on its node, so that ranks x threads never exceed the cores. Idle
// OpenMP threads spin, and spinning threads on oversubscribed cores starve MPI's progress
// (a 100x slowdown), so an explicit oversubscription is warned about.
std::string choose_threads(MPI_Comm world, int rank) {
  MPI_Comm node;
  MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local_ranks = 1;
  MPI_Comm_size(node, &local_ranks);
  MPI_Comm_free(&node);
  const int cores = omp_get_num_procs();
  std::string how = "OMP_NUM_THREADS";
  if (std::getenv("OMP_NUM_THREADS") == nullptr) {
    omp_set_num_threads(std::max(1, cores / local_ranks));
    how = "automatic: cores available to the rank / ranks on its node";
  }
  int oversubscribed = local_ranks * omp_get_max_threads() > cores && omp_get_max_threads() > 1 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &oversubscribed, 1, MPI_INT, MPI_MAX, world);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const bool passive = policy != nullptr && (std::string(policy) == "passive" || std::string(policy) == "PASSIVE");
  if (oversubscribed && !passive && rank == 0) {
    std::cerr << "hopcap run: warning: ranks x threads exceed the cores of a node; idle threads will spin and "
                 "slow MPI down: set OMP_WAIT_POLICY=passive or fewer OMP_NUM_THREADS"
              << std::endl;
  }
  return how;
}

void run_command(const RunOptions& o) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  int provided = 0;
  // OpenMP threads never call MPI: FUNNELED is the level actually needed.
  if (!initialized) MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const std::string threading = choose_threads(MPI_COMM_WORLD, rank);
  int code = 0;
  std::string message;
  try {
    const sweep::SweepConfig config = load_config(o);
    if (o.print_config) {
      if (rank == 0) std::cout << sweep::to_toml(config);
    } else {
      sweep::RunRequest request{config, o.command_line, o.resume, o.dry_run, threading};
      code = sweep::run_sweep(request, MPI_COMM_WORLD, std::cout);
    }
  } catch (const ConfigError& e) {
    code = 2;
    message = e.what();
  } catch (const std::exception& e) {
    code = 1;
    message = e.what();
  }
  if (code != 0 && rank == 0 && !message.empty()) std::cerr << "hopcap: error: " << message << std::endl;
  MPI_Finalize();
  if (code != 0) throw ReportedError(code);
}

}  // namespace

void register_run(CLI::App& app, int argc, char** argv) {
  auto options = std::make_shared<RunOptions>();
  for (int i = 0; i < argc; ++i) options->command_line += (i ? " " : "") + std::string(argv[i]);
  CLI::App* cmd = app.add_subcommand("run", "run a sweep of configurations (MPI) into an HDF5 file");
  cmd->add_option("config", options->config_path, "sweep definition (TOML)")->required();
  cmd->add_option("-o,--output", options->output, "output HDF5 file (overrides run.output)");
  cmd->add_option("--set", options->overrides,
                  "override a config key, e.g. --set sweep.beta=[1,8] --set uhop.tau=0.05 (repeatable)");
  cmd->add_flag("--resume", options->resume, "reopen the output, skip finished configurations, run the rest");
  cmd->add_flag("--dry-run", options->dry_run, "validate and print the plan without running");
  cmd->add_flag("--print-config", options->print_config, "print the full effective config (TOML) and exit");
  cmd->callback([options] { run_command(*options); });
}

}  // namespace hopcap::cli
