#pragma once
// `hopcap run`: the whole sweep over MPI_COMM_WORLD. Ranks form groups of G; group leaders
// take configurations from a shared counter (an MPI-3 atomic fetch-and-add on rank 0), largest
// estimated cost first, so no rank waits while work remains. Results travel to rank 0, which
// writes them into the preallocated results file as they arrive and makes them durable every
// commit_every configurations or commit_seconds. With resume, the file's config must equal
// this run's (apart from [run]) and finished points are skipped.

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
};

/// Collective over `world`. Rank 0 prints progress and the final summary to `out`. Returns
/// the exit code: 0 when every configuration ran (failed ones are recorded, not fatal).
/// Throws ConfigError/H5Error on rank 0 problems before any work (e.g. resume mismatch);
/// every rank throws the same message.
int run_sweep(const RunRequest& request, MPI_Comm world, std::ostream& out);

}  // namespace hopcap::sweep
