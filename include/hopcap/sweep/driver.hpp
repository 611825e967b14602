#pragma once
// `hopcap run`: the whole sweep over MPI_COMM_WORLD. Ranks form groups of G; each group's root
// asks rank 0's coordinator for the next configuration (largest estimated cost first), so no
// rank waits while work remains. Every result goes to the coordinator at once, which writes it
// into the preallocated results file and makes it durable every commit_every configurations
// or commit_seconds, whatever rank 0 itself is computing (sweep/coordinator.hpp). A failure
// after the start ends the whole job with one line naming the rank and the configuration;
// SIGTERM/SIGINT commit what is finished and end it with kInterruptedExitCode. With resume,
// the file's config must equal this run's (apart from [run]) and finished points are skipped.

#include <mpi.h>

#include <iosfwd>
#include <string>

#include "hopcap/sweep/config.hpp"

namespace hopcap::sweep {

struct RunRequest {
  SweepConfig config;
  std::string command_line;
  bool resume = false;
  bool dry_run = false;
  std::string threading = "OMP_NUM_THREADS";  ///< how the thread count was chosen (provenance)
  bool overwrite = false;  ///< a new run may replace an existing output file
  bool allow_changed_inputs = false;  ///< resume although the program or input data changed
};

/// Collective over `world`. Rank 0 prints progress and the final summary to `out`. Returns
/// the exit code: 0 when every configuration ran (failed ones are recorded, not fatal).
/// Throws ConfigError/H5Error on rank 0 problems before any work (e.g. resume mismatch);
/// every rank throws the same message.
int run_sweep(const RunRequest& request, MPI_Comm world, std::ostream& out);

}  // namespace hopcap::sweep
