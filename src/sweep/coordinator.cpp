#include "sweep/coordinator.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <ostream>
#include <sstream>
#include <utility>

#include "hopcap/error.hpp"
#include "hopcap/io/hdf5_lock.hpp"
#include "hopcap/parallel/mpi.hpp"
#include "hopcap/sweep/interrupt.hpp"
#include "hopcap/sweep/results_layout.hpp"
#include "sweep/wire.hpp"

namespace hopcap::sweep {
namespace {

using parallel::check_mpi;

// Idle polling: a request is answered within kMaxIdleSleep, and an idle coordinator costs
// nothing measurable on the core it shares with rank 0's computation.
constexpr double kMinIdleSleep = 2e-4, kMaxIdleSleep = 5e-3;
// After an interrupt, results already on their way are still taken for this long.
constexpr double kInterruptGraceSeconds = 0.2;

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "a signal";
  }
}

}  // namespace

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

Coordinator::Coordinator(io::ResultsFile file, const SweepConfig& config, const Plan& plan,
                         std::vector<std::int64_t> todo, MPI_Comm world, int remote_roots, bool local_root,
                         FaultInjection faults, std::ostream& out)
    : file_(std::move(file)),
      config_(config),
      plan_(plan),
      todo_(std::move(todo)),
      world_(world),
      active_remote_(remote_roots),
      local_active_(local_root),
      faults_(faults),
      out_(out) {
  for (std::int64_t k : todo_) {
    const Configuration& c = plan_.work[static_cast<std::size_t>(k)];
    work_of_id_[c.id] = k;
    total_cost_ += c.cost;
  }
}

Coordinator::~Coordinator() {
  if (thread_.joinable()) thread_.join();
}

double Coordinator::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Coordinator::start_thread() { thread_ = std::thread([this] { serve(); }); }

void Coordinator::join() {
  if (thread_.joinable()) thread_.join();
}

std::int64_t Coordinator::take_next() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (interrupted_by_ != 0 || next_ >= static_cast<std::int64_t>(todo_.size())) return -1;
  return todo_[static_cast<std::size_t>(next_++)];
}

std::int64_t Coordinator::next_local() { return take_next(); }

void Coordinator::submit_local(ConfigResult result) {
  const std::lock_guard<std::mutex> lock(mutex_);
  local_results_.push_back(std::move(result));
}

void Coordinator::local_done() {
  const std::lock_guard<std::mutex> lock(mutex_);
  local_active_ = false;
}

void Coordinator::serve() {
  try {
    double idle = kMinIdleSleep;
    double interrupted_at = -1.0;
    while (true) {
      bool busy = poll_remote();
      busy = drain_local() || busy;
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (active_remote_ == 0 && !local_active_ && local_results_.empty()) break;
      }
      const double now = seconds();
      if (uncommitted_ > 0 && (uncommitted_ >= config_.commit_every || now - last_commit_ >= config_.commit_seconds)) {
        commit();
      }
      if (now - last_progress_ >= config_.progress_seconds) progress();
      if (interrupted_by_ == 0 && interrupt_signal() != 0) interrupted_by_ = interrupt_signal();
      if (interrupted_by_ != 0) {
        if (interrupted_at < 0) interrupted_at = now;
        if (now - interrupted_at >= kInterruptGraceSeconds) end_early(kInterruptedExitCode, interrupt_line(), "interrupted");
      }
      if (busy) {
        idle = kMinIdleSleep;
      } else {
        std::this_thread::sleep_for(std::chrono::duration<double>(idle));
        idle = std::min(2 * idle, kMaxIdleSleep);
      }
    }
    commit();
  } catch (const std::exception& e) {
    parallel::abort_job(1, std::string("hopcap: error: rank 0 (results writer): ") + e.what());
  }
}

bool Coordinator::poll_remote() {
  if (active_remote_ == 0) return false;
  int flag = 0;
  MPI_Status status;
  check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, kRequestTag, world_, &flag, &status), "MPI_Iprobe");
  if (!flag) return false;
  int bytes = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
  std::vector<char> message(static_cast<std::size_t>(std::max(bytes, 0)));
  check_mpi(MPI_Recv(message.data(), bytes, MPI_BYTE, status.MPI_SOURCE, kRequestTag, world_, MPI_STATUS_IGNORE),
            "MPI_Recv");
  if (message.empty()) throw MpiError("empty work request from rank " + std::to_string(status.MPI_SOURCE));
  const auto flags = static_cast<std::uint8_t>(message[0]);
  if ((flags & kRequestInterrupted) != 0 && interrupted_by_ == 0) interrupted_by_ = SIGTERM;
  if ((flags & kRequestHasResult) != 0) write(unpack(message.data() + 1, message.size() - 1));
  const std::int64_t next = take_next();
  if (next < 0) --active_remote_;
  check_mpi(MPI_Send(&next, 1, MPI_INT64_T, status.MPI_SOURCE, kAssignTag, world_), "MPI_Send");
  return true;
}

bool Coordinator::drain_local() {
  bool any = false;
  while (true) {
    ConfigResult result;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (local_results_.empty()) return any;
      result = std::move(local_results_.front());
      local_results_.pop_front();
    }
    write(result);
    any = true;
  }
}

void Coordinator::write(const ConfigResult& r) {
  const auto work = work_of_id_.find(r.id);
  if (work == work_of_id_.end()) throw MpiError("result for configuration " + std::to_string(r.id) + ", which was not handed out");
  const Configuration& c = plan_.work[static_cast<std::size_t>(work->second)];
  faults_.on_write(written_ + 1);
  const io::PointStatus status = r.status == ResultStatus::ok ? io::PointStatus::ok : io::PointStatus::failed;
  {
    // The points that share the result first, the configuration's own point last; resume checks
    // every one of them, so a kill between these writes only makes the configuration run again.
    const std::lock_guard<std::mutex> hdf5(io::hdf5_mutex());
    for (std::int64_t id : c.shares) {
      file_.write_point(file_point(config_, grid_index(plan_.shape, id)), r.values, status, r.message);
    }
    file_.write_point(file_point(config_, grid_index(plan_.shape, c.id)), r.values, status, r.message);
  }
  ++written_;
  ++uncommitted_;
  flops_ += r.flops;
  done_cost_ += c.cost;
  if (r.status == ResultStatus::failed) {
    ++failed_;
    out_ << "hopcap run: configuration " << r.id << " failed: " << r.message << std::endl;
    if (config_.fail_fast) {
      end_early(1, "hopcap: error: configuration " + std::to_string(r.id) + " failed (run.fail_fast): " + r.message,
                "failed");
    }
  }
}

void Coordinator::commit() {
  const std::lock_guard<std::mutex> hdf5(io::hdf5_mutex());
  file_.flush();
  uncommitted_ = 0;
  last_commit_ = seconds();
}

void Coordinator::progress() {
  last_progress_ = seconds();
  const double elapsed = std::max(last_progress_, 1e-9);
  const double share = total_cost_ > 0 ? done_cost_ / total_cost_ : 1.0;
  out_ << "hopcap run: " << written_ << "/" << todo_.size() << " configurations (" << failed_ << " failed), "
       << std::fixed << std::setprecision(1) << 100.0 * share << " % of the estimated work, "
       << std::defaultfloat << std::setprecision(3) << flops_ / elapsed / 1e9 << " GFLOP/s, elapsed "
       << std::llround(last_progress_) << " s, ETA ";
  if (done_cost_ > 0) {
    out_ << std::llround((total_cost_ - done_cost_) / (done_cost_ / elapsed)) << " s";
  } else {
    out_ << "unknown";
  }
  out_ << std::setprecision(6) << std::endl;
}

void Coordinator::end_early(int exit_code, const std::string& line, const std::string& run_state) {
  std::string problem;
  try {
    const std::lock_guard<std::mutex> hdf5(io::hdf5_mutex());
    close_as(run_state);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  out_.flush();
  if (!problem.empty()) {
    parallel::abort_job(1, "hopcap: error: rank 0 (results writer): cannot close " + config_.output + ": " + problem);
  }
  parallel::abort_job(exit_code, line);
}

std::string Coordinator::interrupt_line() const {
  std::ostringstream line;
  line << "hopcap run: interrupted by " << signal_name(interrupted_by_) << ": " << written_ << " of " << todo_.size()
       << " configurations committed to " << config_.output << "; run the same command with --resume to continue";
  return line.str();
}

void Coordinator::close_as(const std::string& run_state) {
  file_.set_final_attribute("run_state", run_state);
  file_.close();  // makes every result durable first, then writes the final attributes
}

int Coordinator::finish(const std::string& timings, int ranks, int threads, int groups, std::int64_t group_size) {
  const std::lock_guard<std::mutex> hdf5(io::hdf5_mutex());
  if (interrupted_by_ != 0) {
    // Every rank stopped before the grace ran out (a signal that reached only some of them):
    // the run ends in order, interrupted.
    close_as("interrupted");
    std::cerr << interrupt_line() << std::endl;
    return kInterruptedExitCode;
  }
  std::int64_t not_run = 0;
  for (io::PointStatus s : file_.read_status()) not_run += s == io::PointStatus::not_run ? 1 : 0;
  if (not_run > 0) {
    // Never call a file complete that is not: the jobs' templates resume a file without end_time.
    close_as("incomplete");
    std::cerr << "hopcap: error: " << not_run << " grid point(s) of " << config_.output
              << " are still not run; run the same command with --resume to complete it" << std::endl;
    return 1;
  }
  file_.set_final_attribute("end_time", utc_now());
  file_.set_final_attribute("timings", timings);
  file_.set_final_attribute("configurations_run", std::int64_t{written_});
  file_.set_final_attribute("configurations_failed", std::int64_t{failed_});
  file_.set_final_attribute("gflops_counted", flops_ / 1e9);
  close_as("complete");
  const double wall = seconds();
  std::error_code ec;
  const std::filesystem::path where = std::filesystem::absolute(config_.output, ec);
  out_ << "hopcap run: " << written_ << " configurations (" << failed_ << " failed) in " << std::setprecision(3)
       << wall << " s on " << ranks << " rank(s) x " << threads << " thread(s), " << groups << " group(s) of "
       << group_size << "\n"
       << "hopcap run: " << static_cast<double>(written_) / std::max(wall, 1e-9) << " configurations/s, "
       << flops_ / std::max(wall, 1e-9) / 1e9
       << " GFLOP/s (counted GEMM flops of retrieval, U-Hop+ and metrics)\n"
       << "hopcap run: results in " << (ec ? std::filesystem::path(config_.output) : where).string()
       << std::setprecision(6) << std::endl;
  return 0;
}

}  // namespace hopcap::sweep
