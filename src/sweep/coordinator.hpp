#pragma once
// The coordinator of a sweep, on rank 0: it hands out configurations, receives every result,
// writes it into the results file, commits on time and prints progress. It runs on a thread
// of its own beside rank 0's computation (MPI_THREAD_MULTIPLE), or as rank 0's only work
// where the MPI library gives less; either way it answers within milliseconds, so no result
// waits behind a computation (docs/engine.md).
//
// Protocol with the root of every other group (tags on the world communicator):
//   root -> 0, kRequestTag: a flags byte (has a result, sender was interrupted), then the
//                           packed result of its last configuration, if any;
//   0 -> root, kAssignTag:  the next index into the work list, or -1: no more work.
// Rank 0's own group takes work and hands in results through next_local()/submit_local().

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hopcap/io/results_file.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"
#include "sweep/fault_injection.hpp"

namespace hopcap::sweep {

inline constexpr int kRequestTag = 71;
inline constexpr int kAssignTag = 72;
inline constexpr std::uint8_t kRequestHasResult = 1;
inline constexpr std::uint8_t kRequestInterrupted = 2;

/// UTC now as ISO 8601 ("2026-01-31T12:00:00Z"), for the file's provenance.
std::string utc_now();

class Coordinator {
 public:
  /// `todo` indexes plan.work; `remote_roots` is the number of group roots other than rank 0;
  /// `local_root` says whether rank 0 computes too.
  Coordinator(io::ResultsFile file, const SweepConfig& config, const Plan& plan, std::vector<std::int64_t> todo,
              MPI_Comm world, int remote_roots, bool local_root, FaultInjection faults, std::ostream& out);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  /// serve() on a thread of its own (join() waits for it).
  void start_thread();
  /// Serves until every root has been told there is no more work and every result is written.
  /// An interrupt (signal), a failed configuration under fail_fast or an error here commits
  /// what is finished, records it in the file and ends the whole job (parallel::abort_job).
  void serve();
  void join();

  /// Rank 0's computation: the next index into the work list, or -1 when none is left.
  std::int64_t next_local();
  void submit_local(ConfigResult result);
  /// Rank 0's computation has ended (after its last submit_local()).
  void local_done();

  /// After serve(): the final summary into the file and on `out`, then closes the file.
  /// Returns the run's exit code: 0, or 1 when some grid point is still not run.
  int finish(const std::string& timings, int ranks, int threads, int groups, std::int64_t group_size);

 private:
  void write(const ConfigResult& result);
  void commit();
  void progress();
  bool poll_remote();
  bool drain_local();
  [[noreturn]] void end_early(int exit_code, const std::string& line, const std::string& run_state);
  double seconds() const;
  std::string interrupt_line() const;
  /// Records how the run ended and closes the file (which makes it durable first).
  void close_as(const std::string& run_state);
  std::int64_t take_next();

  io::ResultsFile file_;
  const SweepConfig& config_;
  const Plan& plan_;
  std::vector<std::int64_t> todo_;
  MPI_Comm world_;
  int active_remote_;
  bool local_active_;
  FaultInjection faults_;
  std::ostream& out_;
  std::thread thread_;

  std::mutex mutex_;  // guards next_, local_results_, local_active_
  std::int64_t next_ = 0;
  std::deque<ConfigResult> local_results_;

  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::unordered_map<std::int64_t, std::int64_t> work_of_id_;  // grid id -> index into plan.work
  std::unordered_set<std::int64_t> written_ids_;
  double total_cost_ = 0.0, done_cost_ = 0.0, flops_ = 0.0;
  std::int64_t written_ = 0, failed_ = 0, uncommitted_ = 0;
  double last_commit_ = 0.0, last_progress_ = 0.0;
  std::atomic<int> interrupted_by_{0};  // the signal that ends the run early, or 0
};

}  // namespace hopcap::sweep
