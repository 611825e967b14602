// hopcap run CONFIG.toml: the MPI sweep engine. Errors are reported once (by rank 0) and
// every rank exits with the same code.
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "hopcap/error.hpp"
#include "hopcap/parallel/mpi.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/driver.hpp"
#include "hopcap/sweep/interrupt.hpp"

namespace hopcap::cli {
namespace {

struct RunOptions {
  std::string config_path;
  std::optional<std::string> output;  ///< -o as given (empty is refused, not ignored)
  std::vector<std::string> overrides;
  bool resume = false;
  bool overwrite = false;
  bool allow_changed_inputs = false;
  bool dry_run = false;
  bool print_config = false;
  std::string command_line;
};

sweep::SweepConfig load_config(const RunOptions& o) {
  // A sweep definition is a few kilobytes; the limit keeps /dev/zero-like paths from filling
  // memory, and the regular-file check keeps a FIFO from blocking.
  constexpr std::uint64_t kMaxConfigBytes = std::uint64_t{16} << 20;
  std::string text;
  try {
    text = io::read_regular_file(o.config_path, kMaxConfigBytes);
  } catch (const InputError& e) {
    throw InputError(std::string("cannot read config file ") + e.what());
  }
  sweep::SweepConfig config = sweep::parse_config(text, o.config_path);
  for (const std::string& assignment : o.overrides) sweep::apply_override(config, assignment);
  if (o.output) {
    if (o.output->empty()) throw ConfigError("-o/--output: the output file name is empty");
    config.output = *o.output;
  }
  sweep::validate(config);
  return config;
}

// Threads per rank: OMP_NUM_THREADS when set; otherwise the cores this rank may run on,
// shared among the ranks on its node, so that ranks x threads never exceed the cores. Idle
// OpenMP threads spin, and spinning threads on oversubscribed cores starve MPI's progress
// (a 100x slowdown), so an explicit oversubscription is warned about.
std::string choose_threads(MPI_Comm world, int rank) {
  const int local_ranks = parallel::Communicator::split_by_node(world).size();
  const int cores = omp_get_num_procs();
  std::string how = "OMP_NUM_THREADS";
  if (std::getenv("OMP_NUM_THREADS") == nullptr) {
    omp_set_num_threads(std::max(1, cores / local_ranks));
    how = "automatic: cores available to the rank / ranks on its node";
  }
  int oversubscribed = local_ranks * omp_get_max_threads() > cores && omp_get_max_threads() > 1 ? 1 : 0;
  parallel::check_mpi(MPI_Allreduce(MPI_IN_PLACE, &oversubscribed, 1, MPI_INT, MPI_MAX, world), "MPI_Allreduce");
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const bool passive = policy != nullptr && (std::string(policy) == "passive" || std::string(policy) == "PASSIVE");
  if (oversubscribed && !passive && rank == 0) {
    std::cerr << "hopcap run: warning: ranks x threads exceed the cores of a node; idle threads will spin and "
                 "slow MPI down: set OMP_WAIT_POLICY=passive or fewer OMP_NUM_THREADS"
              << std::endl;
  }
  return how;
}

void run_in_session(const RunOptions& o, int rank, int& code, std::string& message) {
  try {
    const std::string threading = choose_threads(MPI_COMM_WORLD, rank);
    const sweep::SweepConfig config = load_config(o);
    if (o.print_config) {
      if (rank == 0) std::cout << sweep::to_toml(config);
    } else {
      sweep::RunRequest request{config,      o.command_line, o.resume, o.dry_run, threading,
                                o.overwrite, o.allow_changed_inputs};
      code = sweep::run_sweep(request, MPI_COMM_WORLD, std::cout);
    }
  } catch (const ConfigError& e) {
    code = 2;
    message = e.what();
  } catch (const std::exception& e) {
    code = 1;
    message = e.what();
  }
}

void run_command(const RunOptions& o) {
  int code = 0;
  std::string message;
  int rank = 0;
  {
    // OpenMP threads never call MPI; the results coordinator on rank 0 does, beside rank 0's
    // computation, when MPI_THREAD_MULTIPLE is provided (else rank 0 only coordinates).
    const parallel::MpiSession mpi(MPI_THREAD_MULTIPLE);
    // From here on SIGTERM/SIGINT are recorded, and the sweep's coordinator ends the run with
    // everything finished committed (sweep/interrupt.hpp).
    const sweep::InterruptHandlers interrupts;
    parallel::check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
    run_in_session(o, rank, code, message);
  }
  if (code != 0 && rank == 0 && !message.empty()) std::cerr << "hopcap: error: " << one_line(message) << std::endl;
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
  cmd->add_flag("--overwrite", options->overwrite, "replace an existing output file with a new run")
      ->excludes("--resume");
  cmd->add_flag("--allow-changed-inputs", options->allow_changed_inputs,
                "with --resume: continue although the input data or hopcap changed since the run started "
                "(recorded in the file)")
      ->needs("--resume");
  cmd->add_flag("--dry-run", options->dry_run, "validate and print the plan without running");
  cmd->add_flag("--print-config", options->print_config, "print the full effective config (TOML) and exit");
  cmd->callback([options] { run_command(*options); });
}

}  // namespace hopcap::cli
