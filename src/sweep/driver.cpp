#include "hopcap/sweep/driver.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/build_info.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/library_versions.hpp"
#include "hopcap/io/results_file.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/sweep/capacity.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap::sweep {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kResultTag = 71;
// Automatic group size: one rank per configuration unless a memory set would exceed this.
constexpr double kMemoryPerRankBytes = 2.0 * 1024 * 1024 * 1024;

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw MpiError(std::string("MPI error in ") + what);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// ---- results on the wire: id, status, message, then every variable as (name, values)
std::vector<char> pack(const ConfigResult& r) {
  std::vector<char> out;
  auto put = [&out](const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    out.insert(out.end(), c, c + n);
  };
  auto put_string = [&](const std::string& s) {
    const std::uint64_t n = s.size();
    put(&n, sizeof n);
    put(s.data(), s.size());
  };
  put(&r.id, sizeof r.id);
  put(&r.status, sizeof r.status);
  put(&r.flops, sizeof r.flops);
  put_string(r.message);
  const std::uint64_t count = r.values.size();
  put(&count, sizeof count);
  for (const auto& [name, values] : r.values) {
    put_string(name);
    const std::uint64_t n = values.size();
    put(&n, sizeof n);
    put(values.data(), n * sizeof(double));
  }
  return out;
}

ConfigResult unpack(const std::vector<char>& in) {
  std::size_t at = 0;
  auto get = [&](void* p, std::size_t n) {
    if (at + n > in.size()) throw MpiError("truncated result message");
    std::memcpy(p, in.data() + at, n);
    at += n;
  };
  auto get_string = [&] {
    std::uint64_t n = 0;
    get(&n, sizeof n);
    std::string s(n, '\0');
    get(s.data(), n);
    return s;
  };
  ConfigResult r;
  get(&r.id, sizeof r.id);
  get(&r.status, sizeof r.status);
  get(&r.flops, sizeof r.flops);
  r.message = get_string();
  std::uint64_t count = 0;
  get(&count, sizeof count);
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::string name = get_string();
    std::uint64_t n = 0;
    get(&n, sizeof n);
    std::vector<double> values(n);
    get(values.data(), n * sizeof(double));
    r.values[name] = std::move(values);
  }
  return r;
}

// Rank 0's errors before the work starts reach every rank as the same ConfigError.
void agree_on_error(MPI_Comm world, int rank, const std::string& local_error) {
  std::uint64_t n = rank == 0 ? local_error.size() : 0;
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, world), "MPI_Bcast");
  if (n == 0) return;
  std::string message = local_error;
  message.resize(n);
  check(MPI_Bcast(message.data(), static_cast<int>(n), MPI_CHAR, 0, world), "MPI_Bcast");
  throw ConfigError(message);
}

// Capacity mode has no M and no replica axis in the file (the search runs over M and pools
// the replicas); inside the plan they have one entry each.
bool collapsed_in_capacity_mode(std::size_t axis) { return axis == 1 || axis == kAxisCount - 1; }

std::vector<std::int64_t> file_point(const SweepConfig& config, const GridIndex& index) {
  std::vector<std::int64_t> point;
  for (std::size_t a = 0; a < kAxisCount; ++a) {
    if (!config.capacity || !collapsed_in_capacity_mode(a)) point.push_back(index[a]);
  }
  return point;
}

io::ResultsLayout sweep_layout(const SweepConfig& c, const std::map<std::string, std::string>& attributes) {
  io::ResultsLayout layout;
  auto numbers = [](const auto& values) {
    std::vector<double> out;
    for (const auto& v : values) out.push_back(static_cast<double>(v));
    return out;
  };
  std::vector<std::int64_t> replicas(static_cast<std::size_t>(c.replicas));
  for (std::int64_t r = 0; r < c.replicas; ++r) replicas[static_cast<std::size_t>(r)] = r;
  const std::vector<io::AxisSpec> axes = {
      {"d", "memory dimension", "1", numbers(c.d), {}, true},
      {"M", "number of memories", "1", numbers(c.m), {}, true},
      {"Dphi", "feature dimension D_Phi (KHM models)", "1", numbers(c.dphi), {}, true},
      {"beta", "inverse temperature beta", "1", c.beta, {}, false},
      {"sep", "separation function", "1", {}, c.sep, false},
      {"query", "query model and level", "1", {}, c.query, false},
      {"model", "model (mhm, khm_uhop, khm_random, khm_identity)", "1", {}, c.model, false},
      {"memories", "memory distribution or data set", "1", {}, c.memories, false},
      {"replica", "replica (independent memories, queries and maps)", "1", numbers(replicas), {}, true},
  };
  for (std::size_t a = 0; a < axes.size(); ++a) {
    if (!c.capacity || !collapsed_in_capacity_mode(a)) layout.axes.push_back(axes[a]);
  }
  if (c.capacity) {
    layout.extra_dims = {{"capacity_probe", "probe of the capacity search", capacity_probe_length(c)}};
  } else {
    layout.extra_dims = {{"metastable_size", "metastable-state size (last: this size or more)", kMetastableBins},
                         {"uhop_iteration", "U-Hop+ step", uhop_trace_length(c)}};
  }
  for (const SweepVariable& v : c.capacity ? capacity_variables() : sweep_variables()) {
    io::VariableSpec spec{v.name, v.long_name, v.units, {}, io::ValueType::f64};
    for (const io::AxisSpec& axis : layout.axes) spec.dims.push_back(axis.name);
    if (std::string(v.extra_dim).size() > 0) spec.dims.emplace_back(v.extra_dim);
    layout.variables.push_back(spec);
  }
  layout.attributes = attributes;
  return layout;
}

std::string processor_names(MPI_Comm world, int rank, int size) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  std::vector<char> all(static_cast<std::size_t>(size) * MPI_MAX_PROCESSOR_NAME);
  MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, world);
  if (rank != 0) return "";
  std::set<std::string> unique;
  for (int r = 0; r < size; ++r) unique.insert(std::string(all.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME));
  std::string joined;
  for (const auto& n : unique) joined += (joined.empty() ? "" : ",") + n;
  return joined;
}

// Rank 0's side: the results file, the commit policy and progress lines.
class Writer {
 public:
  Writer(io::ResultsFile file, const SweepConfig& config, const Plan& plan, std::int64_t total, std::ostream& out)
      : file_(std::move(file)), config_(config), plan_(plan), total_(total), out_(out) {}

  void write(const ConfigResult& r) {
    const io::PointStatus status = r.status == ResultStatus::ok ? io::PointStatus::ok : io::PointStatus::failed;
    std::vector<std::int64_t> ids{r.id};
    for (const Configuration& c : plan_.work) {
      if (c.id == r.id) ids.insert(ids.end(), c.shares.begin(), c.shares.end());
    }
    for (std::int64_t id : ids) {
      file_.write_point(file_point(config_, grid_index(plan_.shape, id)), r.values, status, r.message);
    }
    ++written_;
    flops_ += r.flops;
    if (r.status == ResultStatus::failed) {
      ++failed_;
      out_ << "hopcap run: configuration " << r.id << " failed: " << r.message << std::endl;
    }
    ++since_commit_;
    const double now = seconds();
    if (since_commit_ >= config_.commit_every || now - last_commit_ >= config_.commit_seconds) commit();
    if (now - last_progress_ >= config_.progress_seconds) progress();
  }

  void commit() {
    file_.flush();
    since_commit_ = 0;
    last_commit_ = seconds();
  }

  void progress() {
    last_progress_ = seconds();
    const double done = static_cast<double>(written_);
    const double rate = done / std::max(last_progress_, 1e-9);
    const double eta = rate > 0 ? static_cast<double>(total_ - written_) / rate : 0.0;
    out_ << "hopcap run: " << written_ << "/" << total_ << " configurations (" << failed_ << " failed), "
         << std::setprecision(3) << rate << " /s, " << flops_ / std::max(last_progress_, 1e-9) / 1e9
         << " GFLOP/s, elapsed " << std::llround(last_progress_) << " s, ETA " << std::llround(eta) << " s"
         << std::setprecision(6) << std::endl;
  }

  std::int64_t written() const { return written_; }
  double flops() const { return flops_; }
  std::int64_t failed() const { return failed_; }
  io::ResultsFile& file() { return file_; }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  io::ResultsFile file_;
  const SweepConfig& config_;
  const Plan& plan_;
  std::int64_t total_;
  std::ostream& out_;
  Clock::time_point start_ = Clock::now();
  std::int64_t written_ = 0, failed_ = 0, since_commit_ = 0;
  double flops_ = 0.0;
  double last_commit_ = 0.0, last_progress_ = 0.0;
};

}  // namespace

int run_sweep(const RunRequest& request, MPI_Comm world, std::ostream& out) {
  const auto start = Clock::now();
  const std::string started = utc_now();
  int rank = 0, size = 1;
  check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(world, &size), "MPI_Comm_size");
  const SweepConfig& config = request.config;
  const Plan plan = make_plan(config);

  // Group size: as asked, or large enough that one rank holds at most ~2 GiB of memories.
  std::int64_t largest = 0;
  for (const Configuration& c : plan.work) {
    largest = std::max(largest, (config.capacity ? config.capacity_m_max : c.m) * c.d);
  }
  std::int64_t group_size = config.group_size > 0
                                ? config.group_size
                                : static_cast<std::int64_t>(std::ceil(8.0 * static_cast<double>(largest) / kMemoryPerRankBytes));
  group_size = std::clamp<std::int64_t>(group_size, 1, size);
  const int groups = static_cast<int>((size + group_size - 1) / group_size);

  if (request.dry_run) {
    if (rank == 0) {
      out << "hopcap run (dry run): " << plan.grid_size << " grid points, " << plan.work.size()
          << " configurations to run, " << plan.filtered.size() << " filtered, " << groups
          << " group(s) of " << group_size << " rank(s), output " << config.output << std::endl;
    }
    return 0;
  }

  // ---- rank 0 prepares the file and the list of configurations still to run
  std::vector<std::int64_t> todo;  // indices into plan.work
  std::optional<Writer> writer;
  const std::string config_text = to_toml(config);
  const std::string hosts = processor_names(world, rank, size);
  std::string error;
  if (rank == 0) {
    try {
      std::vector<io::PointStatus> status;
      io::ResultsFile file = [&] {
        if (request.resume) {
          io::ResultsFile f = io::ResultsFile::open(config.output);
          // Only the science must match: [run] settings (commit interval, group size, ...) may
          // differ between the killed run and its resumption.
          bool same = false;
          try {
            same = science_toml(parse_config(f.attribute("config"), config.output)) == science_toml(config);
          } catch (const ConfigError&) {
            same = false;
          }
          if (!same) {
            throw ConfigError("--resume: " + config.output +
                              " was written with a different config (compare its 'config' attribute with "
                              "`hopcap run --print-config`)");
          }
          return f;
        }
        char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
        int length = 0;
        MPI_Get_library_version(mpi_version, &length);
        std::map<std::string, std::string> attributes = {
            {"title", config.capacity ? "hopcap capacity search results" : "hopcap sweep results"},
            {"mode", config.capacity ? "capacity" : "grid"},
            {"Conventions", "CF-1.8"},
            {"hopcap_version", build_info().version},
            {"git_sha", build_info().git_sha},
            {"git_dirty", build_info().git_dirty ? "true" : "false"},
            {"config", config_text},
            {"command_line", request.command_line},
            {"mpi_ranks", std::to_string(size)},
            {"group_size", std::to_string(group_size)},
            {"omp_threads_per_rank", std::to_string(omp_get_max_threads())},
            {"omp_threads_chosen_by", request.threading},
            {"blas", blas::config_string()},
            {"blas_threading", blas::threading_mode()},
            {"mpi_library", std::string(mpi_version, static_cast<std::size_t>(std::max(0, length)))},
            {"hdf5_library", io::hdf5_version()},
            {"hosts", hosts},
            {"start_time", started},
            {"seeds", "base seed " + std::to_string(config.seed) + "; per point derived from (seed, replica, memories, d, query, model, Dphi)"},
        };
        io::ResultsFile f = io::ResultsFile::create(config.output, sweep_layout(config, attributes));
        for (std::int64_t id : plan.filtered) {
          f.write_point(file_point(config, grid_index(plan.shape, id)), {}, io::PointStatus::skipped,
                        "excluded by sweep.filter");
        }
        f.flush();
        return f;
      }();
      status = file.read_status();
      for (std::size_t k = 0; k < plan.work.size(); ++k) {
        if (status[static_cast<std::size_t>(plan.work[k].id)] == io::PointStatus::not_run) {
          todo.push_back(static_cast<std::int64_t>(k));
        }
      }
      writer.emplace(std::move(file), config, plan, static_cast<std::int64_t>(todo.size()), out);
      if (request.resume) {
        out << "hopcap run: resuming " << config.output << ", " << plan.work.size() - todo.size()
            << " configurations already done" << std::endl;
      }
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "cannot prepare the output file";
    }
  }
  agree_on_error(world, rank, error);
  std::uint64_t todo_count = todo.size();
  check(MPI_Bcast(&todo_count, 1, MPI_UINT64_T, 0, world), "MPI_Bcast");
  todo.resize(todo_count);
  if (todo_count > 0) check(MPI_Bcast(todo.data(), static_cast<int>(todo_count), MPI_INT64_T, 0, world), "MPI_Bcast");

  // ---- groups and the shared work counter
  MPI_Comm group_comm;
  check(MPI_Comm_split(world, static_cast<int>(rank / group_size), rank, &group_comm), "MPI_Comm_split");
  const parallel::Group group(group_comm);
  std::int64_t* counter = nullptr;
  MPI_Win window;
  check(MPI_Win_allocate(rank == 0 ? sizeof(std::int64_t) : 0, sizeof(std::int64_t), MPI_INFO_NULL, world,
                         &counter, &window),
        "MPI_Win_allocate");
  if (rank == 0) *counter = 0;
  check(MPI_Barrier(world), "MPI_Barrier");

  DatasetCache cache;
  std::deque<std::vector<char>> outgoing;
  std::vector<MPI_Request> pending;
  double compute_seconds = 0.0;
  // Per-phase seconds this rank spent (U-Hop+, metrics, retrieval), from the configurations.
  std::array<double, 3> phase_seconds{};
  auto drain_incoming = [&](bool block) {
    while (writer && writer->written() < static_cast<std::int64_t>(todo_count)) {
      int flag = 0;
      MPI_Status st;
      if (block) {
        check(MPI_Probe(MPI_ANY_SOURCE, kResultTag, world, &st), "MPI_Probe");
        flag = 1;
      } else {
        check(MPI_Iprobe(MPI_ANY_SOURCE, kResultTag, world, &flag, &st), "MPI_Iprobe");
      }
      if (!flag) return;
      int bytes = 0;
      MPI_Get_count(&st, MPI_CHAR, &bytes);
      std::vector<char> buffer(static_cast<std::size_t>(bytes));
      check(MPI_Recv(buffer.data(), bytes, MPI_CHAR, st.MPI_SOURCE, kResultTag, world, MPI_STATUS_IGNORE), "MPI_Recv");
      writer->write(unpack(buffer));
    }
  };

  while (true) {
    std::int64_t next = 0;
    if (group.is_root()) {
      const std::int64_t one = 1;
      check(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window), "MPI_Win_lock");
      check(MPI_Fetch_and_op(&one, &next, MPI_INT64_T, 0, 0, MPI_SUM, window), "MPI_Fetch_and_op");
      check(MPI_Win_unlock(0, window), "MPI_Win_unlock");
    }
    check(MPI_Bcast(&next, 1, MPI_INT64_T, 0, group_comm), "MPI_Bcast");
    if (next >= static_cast<std::int64_t>(todo_count)) break;
    const Configuration& c = plan.work[static_cast<std::size_t>(todo[static_cast<std::size_t>(next)])];
    const auto t0 = Clock::now();
    ConfigResult result = config.capacity ? execute_capacity(config, c, group, cache)
                                          : execute_configuration(config, c, group, cache);
    compute_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    for (std::size_t p = 0; p < phase_seconds.size(); ++p) phase_seconds[p] += result.phase_seconds[p];
    if (group.is_root()) {
      if (result.status == ResultStatus::failed && config.fail_fast) {
        out << "hopcap run: configuration " << c.id << " failed (--fail-fast): " << result.message << std::endl;
        MPI_Abort(world, 1);
      }
      if (rank == 0) {
        writer->write(result);
      } else {
        outgoing.push_back(pack(result));
        pending.emplace_back();
        check(MPI_Isend(outgoing.back().data(), static_cast<int>(outgoing.back().size()), MPI_CHAR, 0, kResultTag,
                        world, &pending.back()),
              "MPI_Isend");
      }
    }
    if (rank == 0) drain_incoming(false);
  }
  if (rank == 0) drain_incoming(true);
  if (!pending.empty()) check(MPI_Waitall(static_cast<int>(pending.size()), pending.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");

  // ---- per-phase timings over the ranks, final provenance, summary
  constexpr int kTimings = 5;
  const char* timing_names[kTimings] = {"compute_seconds", "wall_seconds", "uhop_seconds", "metrics_seconds",
                                        "retrieval_seconds"};
  double timing[kTimings] = {compute_seconds, std::chrono::duration<double>(Clock::now() - start).count(),
                             phase_seconds[0], phase_seconds[1], phase_seconds[2]};
  double tmax[kTimings], tmin[kTimings], tsum[kTimings];
  MPI_Reduce(timing, tmax, kTimings, MPI_DOUBLE, MPI_MAX, 0, world);
  MPI_Reduce(timing, tmin, kTimings, MPI_DOUBLE, MPI_MIN, 0, world);
  MPI_Reduce(timing, tsum, kTimings, MPI_DOUBLE, MPI_SUM, 0, world);
  if (rank == 0) {
    writer->commit();
    std::ostringstream timings;
    for (int k = 0; k < kTimings; ++k) {
      timings << (k ? "; " : "") << timing_names[k] << " min " << tmin[k] << " mean " << tsum[k] / size << " max "
              << tmax[k];
    }
    io::ResultsFile& file = writer->file();
    file.set_final_attribute("end_time", utc_now());
    file.set_final_attribute("timings", timings.str());
    file.set_final_attribute("configurations_run", std::to_string(writer->written()));
    file.set_final_attribute("configurations_failed", std::to_string(writer->failed()));
    std::ostringstream gflops;
    gflops << std::setprecision(17) << writer->flops() / 1e9;  // every digit: a reader may re-add them
    file.set_final_attribute("gflops_counted", gflops.str());
    file.close();
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    const double done = static_cast<double>(writer->written());
    std::error_code ec;
    const std::filesystem::path where = std::filesystem::absolute(config.output, ec);
    out << "hopcap run: " << writer->written() << " configurations (" << writer->failed() << " failed) in "
        << std::setprecision(3) << wall << " s on " << size << " rank(s) x " << omp_get_max_threads()
        << " thread(s), " << groups << " group(s) of " << group_size << "\n"
        << "hopcap run: " << done / std::max(wall, 1e-9) << " configurations/s, "
        << writer->flops() / std::max(wall, 1e-9) / 1e9 << " GFLOP/s (counted GEMM flops of retrieval, U-Hop+ and metrics)\n"
        << "hopcap run: results in " << (ec ? std::filesystem::path(config.output) : where).string()
        << std::setprecision(6) << std::endl;
  }
  MPI_Win_free(&window);
  MPI_Comm_free(&group_comm);
  return 0;
}

}  // namespace hopcap::sweep
