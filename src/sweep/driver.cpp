#include "hopcap/sweep/driver.hpp"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/build_info.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/file_fingerprint.hpp"
#include "hopcap/io/library_versions.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/io/results_file.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/parallel/mpi.hpp"
#include "hopcap/sweep/capacity.hpp"
#include "hopcap/sweep/cost_model.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/interrupt.hpp"
#include "hopcap/sweep/plan.hpp"
#include "hopcap/sweep/results_layout.hpp"
#include "sweep/coordinator.hpp"
#include "sweep/fault_injection.hpp"
#include "sweep/wire.hpp"

namespace hopcap::sweep {
namespace {

using Clock = std::chrono::steady_clock;
using parallel::check_mpi;
// Automatic group size: one rank per configuration unless a memory set would exceed this.
constexpr double kMemoryPerRankBytes = 2.0 * 1024 * 1024 * 1024;

// Rank 0's errors before the work starts reach every rank as the same error (ConfigError for a
// bad setting, Error otherwise), so every rank exits with the same code.
void agree_on_error(MPI_Comm world, int rank, bool config_error, const std::string& local_error) {
  constexpr std::size_t kMaxMessage = std::size_t{1} << 20;  // an MPI count is an int
  std::string message = rank == 0 ? local_error.substr(0, kMaxMessage) : std::string();
  std::uint64_t header[2] = {message.size(), config_error ? 1u : 0u};
  check_mpi(MPI_Bcast(header, 2, MPI_UINT64_T, 0, world), "MPI_Bcast");
  if (header[0] == 0) return;
  message.resize(header[0]);
  check_mpi(MPI_Bcast(message.data(), static_cast<int>(header[0]), MPI_CHAR, 0, world), "MPI_Bcast");
  if (header[1] != 0) throw ConfigError(message);
  throw Error(message);
}

std::string processor_names(MPI_Comm world, int rank, int size) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check_mpi(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  std::vector<char> all(rank == 0 ? static_cast<std::size_t>(size) * MPI_MAX_PROCESSOR_NAME : 0);
  check_mpi(MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, world),
            "MPI_Gather");
  if (rank != 0) return "";
  std::set<std::string> unique;
  for (int r = 0; r < size; ++r) unique.insert(std::string(all.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME));
  std::string joined;
  for (const auto& n : unique) joined += (joined.empty() ? "" : ",") + n;
  return joined;
}

// The coordinator runs on a thread of rank 0 when MPI allows threads to call it at once;
// otherwise rank 0 only coordinates. HOPCAP_COORDINATOR=rank forces the second (for tests and
// for MPI libraries that claim MPI_THREAD_MULTIPLE but do it badly).
bool coordinator_thread(int size) {
  if (size == 1) return true;  // no remote roots: the thread never calls MPI
  const char* forced = std::getenv("HOPCAP_COORDINATOR");
  if (forced != nullptr && std::string(forced) == "rank") return false;
  int provided = MPI_THREAD_SINGLE;
  check_mpi(MPI_Query_thread(&provided), "MPI_Query_thread");
  return provided >= MPI_THREAD_MULTIPLE;
}

// The program and the data files a sweep reads (memory sets, data queries), with their
// fingerprints, one per line: recorded at the start, compared by --resume, so that a
// resumption never mixes two versions of the inputs (or of hopcap) in one file.
std::string input_fingerprints(const SweepConfig& config) {
  std::set<std::string> paths;
  for (const DataSource& source : data_sources(config)) paths.insert(io::parse_source_spec(source.spec).path);
  std::string text = std::string("hopcap ") + build_info().version + " (git " + build_info().git_sha +
                     (build_info().git_dirty ? ", modified" : "") + ")";
  for (const std::string& path : paths) text += "\n" + path + ": " + io::file_fingerprint(path);
  return text;
}

// The lines of `now` that `then` does not have, joined into one line for a message.
std::string changed_lines(const std::string& then, const std::string& now) {
  std::set<std::string> before;
  std::istringstream a(then), b(now);
  for (std::string line; std::getline(a, line);) before.insert(line);
  std::string changed;
  for (std::string line; std::getline(b, line);) {
    if (before.count(line) == 0) changed += (changed.empty() ? "" : "; ") + line;
  }
  return changed.empty() ? "an input is gone" : changed;
}

// Memory one rank of a node may use: the node's physical memory shared among its ranks, the
// smallest such share over all nodes.
double memory_per_rank_bytes(MPI_Comm world) {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  const int local_ranks = parallel::Communicator::split_by_node(world).size();
  double share = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) / local_ranks : 0.0;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &share, 1, MPI_DOUBLE, MPI_MIN, world), "MPI_Allreduce");
  return share;
}

// Ranks of this job and cores they may run on (the union of their affinity masks), on the node
// whose ranks outnumber its cores the most; rank 0 gets the answer.
std::pair<int, int> busiest_node(MPI_Comm world) {
  const parallel::Communicator node = parallel::Communicator::split_by_node(world);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  const bool known = sched_getaffinity(0, sizeof mask, &mask) == 0;
  std::array<unsigned char, sizeof(cpu_set_t)> bytes{};
  std::memcpy(bytes.data(), &mask, sizeof mask);
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, bytes.data(), static_cast<int>(bytes.size()), MPI_UNSIGNED_CHAR, MPI_BOR,
                          node.get()),
            "MPI_Allreduce");
  std::memcpy(&mask, bytes.data(), sizeof mask);
  int counts[2] = {node.size(), known ? CPU_COUNT(&mask) : 0};
  int size = 1, rank = 0;
  check_mpi(MPI_Comm_size(world, &size), "MPI_Comm_size");
  check_mpi(MPI_Comm_rank(world, &rank), "MPI_Comm_rank");
  std::vector<int> all(rank == 0 ? 2 * static_cast<std::size_t>(size) : 0);
  check_mpi(MPI_Gather(counts, 2, MPI_INT, all.data(), 2, MPI_INT, 0, world), "MPI_Gather");
  std::pair<int, int> busiest{counts[0], counts[1]};
  for (std::size_t r = 0; r < all.size(); r += 2) {
    const double load = all[r + 1] > 0 ? static_cast<double>(all[r]) / all[r + 1] : 0.0;
    if (load > (busiest.second > 0 ? static_cast<double>(busiest.first) / busiest.second : 0.0)) {
      busiest = {all[r], all[r + 1]};
    }
  }
  return busiest;
}

// Seconds since this process started (Linux /proc; 0 where it cannot be read).
double process_age_seconds() {
  std::ifstream stat("/proc/self/stat"), uptime("/proc/uptime");
  std::string text;
  double up = 0.0;
  if (!std::getline(stat, text) || !(uptime >> up)) return 0.0;
  // Field 22, start time in clock ticks after boot, counted after the command name's ')'.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int k = 3; k < 22 && fields >> field; ++k) {
  }
  double ticks = 0.0;
  if (!(fields >> ticks)) return 0.0;
  return std::max(0.0, up - ticks / static_cast<double>(sysconf(_SC_CLK_TCK)));
}

// The other ranks wait for rank 0's calibration without spinning, so that it measures a rank
// on a core of its own even when ranks outnumber the cores.
void wait_idle_for_rank_0(MPI_Comm world) {
  MPI_Request done = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(world, &done), "MPI_Ibarrier");
  for (int finished = 0;;) {
    check_mpi(MPI_Test(&done, &finished, MPI_STATUS_IGNORE), "MPI_Test");
    if (finished) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// A configuration whose memory set and features alone exceed what a rank of its group can
// hold can only fail: refuse the sweep before any work, naming the point and what to change.
void refuse_what_cannot_fit(const SweepConfig& config, const Plan& plan, std::int64_t group_size, double available) {
  if (available <= 0.0) return;  // the system does not say
  for (const Configuration& c : plan.work) {
    const double per_rank = memory_set_bytes(config, c, group_size);
    if (per_rank > 0.9 * available) {
      std::ostringstream s;
      s << std::setprecision(3) << "sweep.M x sweep.d: the memories" << (has_feature_map(c.kind) ? " and features" : "")
        << " of M = " << (config.capacity ? config.capacity_m_max : c.m) << ", d = " << c.d << " need "
        << per_rank / 1073741824.0
        << " GiB per rank in groups of " << group_size << ", but a rank has " << available / 1073741824.0
        << " GiB (the node's memory shared by its ranks): use more ranks per group (run.group_size) or smaller M";
      throw ConfigError(s.str());
    }
  }
}

std::string describe(const Configuration& c) {
  std::ostringstream s;
  s << "configuration " << c.id << " (d=" << c.d << ", M=" << c.m << ", Dphi=" << c.dphi << ", beta=" << c.beta
    << ", sep=" << c.sep << ", query=" << c.query << ", model=" << c.model << ", memories=" << c.memories
    << ", replica=" << c.replica << ")";
  return s.str();
}

}  // namespace

int run_sweep(const RunRequest& request, MPI_Comm world, std::ostream& out) {
  const auto start = Clock::now();
  const std::string started = utc_now();
  int rank = 0, size = 1;
  check_mpi(MPI_Comm_rank(world, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(world, &size), "MPI_Comm_size");
  const SweepConfig& config = request.config;
  const Plan plan = make_plan(config);
  const FaultInjection faults = FaultInjection::from_environment();

  // Ranks that compute: all of them, or all but rank 0 when rank 0 only coordinates.
  const bool threaded = coordinator_thread(size);
  const int first_worker = threaded ? 0 : 1;
  const int workers = size - first_worker;

  // Group size: as asked, or large enough that one rank holds at most ~2 GiB of memories.
  std::int64_t largest = 0;
  for (const Configuration& c : plan.work) {
    largest = std::max(largest, (config.capacity ? config.capacity_m_max : c.m) * c.d);
  }
  std::int64_t group_size = config.group_size > 0
                                ? config.group_size
                                : static_cast<std::int64_t>(std::ceil(8.0 * static_cast<double>(largest) / kMemoryPerRankBytes));
  group_size = std::clamp<std::int64_t>(group_size, 1, workers);
  const int groups = static_cast<int>((workers + group_size - 1) / group_size);
  const double rank_memory = memory_per_rank_bytes(world);
  // A dry run plans a job, perhaps for a larger machine: it warns (print_dry_run) instead.
  if (!request.dry_run) refuse_what_cannot_fit(config, plan, group_size, rank_memory);

  if (request.dry_run) {
    const auto [ranks_per_node, cores_per_node] = busiest_node(world);
    if (rank == 0) {
      DryRunFacts facts;
      facts.ranks = size;
      facts.threads_per_rank = omp_get_max_threads();
      facts.group_size = group_size;
      facts.groups = groups;
      facts.ranks_per_node = ranks_per_node;
      facts.cores_per_node = cores_per_node;
      facts.memory_per_rank_bytes = rank_memory;
      // What the run does before its file exists: MPI start-up and planning (this process's
      // age so far), and fingerprinting the inputs.
      const auto fingerprinting = Clock::now();
      (void)input_fingerprints(config);
      facts.seconds_start_up = process_age_seconds() + std::chrono::duration<double>(Clock::now() - fingerprinting).count();
      facts.engine = calibrate_engine(config, plan);
      print_dry_run(out, config, plan, facts);
    }
    wait_idle_for_rank_0(world);
    return 0;
  }

  // ---- rank 0 prepares the file and the list of configurations still to run
  std::vector<std::int64_t> todo;  // indices into plan.work
  std::optional<io::ResultsFile> prepared;
  const std::string config_text = to_toml(config);
  std::string inputs;
  const std::string hosts = processor_names(world, rank, size);
  std::string error;
  bool config_error = false;
  if (rank == 0) {
    try {
      inputs = input_fingerprints(config);
      // A batch job killed before the file existed resumes into a fresh run.
      std::error_code missing;
      const bool resume = request.resume && std::filesystem::symlink_status(config.output, missing).type() !=
                                                std::filesystem::file_type::not_found;
      if (request.resume && !resume) {
        out << "hopcap run: --resume: " << config.output << " does not exist yet; starting the run" << std::endl;
      }
      io::ResultsFile file = [&] {
        if (resume) {
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
          const std::string before = f.attribute("inputs");
          if (before != inputs) {
            const std::string changed = changed_lines(before, inputs);
            if (!request.allow_changed_inputs) {
              throw ConfigError("--resume: the program or the input data changed since " + config.output +
                                " was started (now: " + changed +
                                "); resuming would mix them in one file: use --allow-changed-inputs to resume anyway");
            }
            out << "hopcap run: warning: resuming with changed inputs (" << changed << "), as --allow-changed-inputs asks"
                << std::endl;
            f.set_final_attribute("inputs_changed_on_resume", utc_now() + ": " + changed);
          }
          // CF history: one line per processing step.
          f.set_final_attribute("history", f.attribute("history") + "\n" + utc_now() + ": " + request.command_line);
          return f;
        }
        char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
        int length = 0;
        check_mpi(MPI_Get_library_version(mpi_version, &length), "MPI_Get_library_version");
        // Conventions, source, references and the build's commit come from the io layer.
        std::map<std::string, io::AttributeValue> attributes = {
            {"title", config.capacity ? "hopcap capacity search results" : "hopcap sweep results"},
            {"summary", config.capacity ? "Largest number of memories a modern or kernelized Hopfield model retrieves "
                                          "with success >= 1 - delta, per point of the sweep (hopcap run)"
                                        : "Retrieval, separation and U-Hop+ results of modern and kernelized Hopfield "
                                          "models over a grid of settings (hopcap run)"},
            {"mode", config.capacity ? "capacity" : "grid"},
            {"history", started + ": " + request.command_line},
            {"date_created", started},
            {"config", config_text},
            {"retrieval_precision", std::string(kPrecisionNames.name(config.precision))},
            // Absent from files written before U-Hop+ had a precision: those trained in float64.
            {"uhop_precision", std::string(kPrecisionNames.name(kPrecisionNames.parse(config.uhop.precision)))},
            {"command_line", request.command_line},
            {"mpi_ranks", std::int64_t{size}},
            {"group_size", group_size},
            {"coordinator", threaded ? "thread of rank 0" : "rank 0"},
            {"omp_threads_per_rank", std::int64_t{omp_get_max_threads()}},
            {"omp_threads_chosen_by", request.threading},
            {"blas", blas::config_string()},
            {"blas_threading", blas::threading_mode()},
            {"mpi_library", std::string(mpi_version, static_cast<std::size_t>(std::max(0, length)))},
            {"hdf5_library", io::hdf5_version()},
            {"hosts", hosts},
            {"start_time", started},
            {"inputs", inputs},
            {"seeds", "base seed " + std::to_string(config.seed) + "; per point derived from (seed, replica, memories, d, query, model, Dphi)"},
        };
        io::ResultsFile f = io::ResultsFile::create(config.output, sweep_layout(config, attributes), request.overwrite);
        const auto skip = [&](const std::vector<std::int64_t>& ids, const char* reason) {
          for (std::int64_t id : ids) {
            f.write_point(file_point(config, grid_index(plan.shape, id)), {}, io::PointStatus::skipped, reason);
          }
        };
        skip(plan.filtered, "excluded by sweep.filter");
        skip(plan.inapplicable, kInapplicableMessage);
        f.flush();
        return f;
      }();
      // A configuration runs again unless every point it fills (its own and those sharing its
      // result) is written: a kill between those writes leaves no hole.
      const std::vector<io::PointStatus> status = file.read_status();
      for (std::size_t k = 0; k < plan.work.size(); ++k) {
        const Configuration& c = plan.work[k];
        bool done = status[static_cast<std::size_t>(c.id)] != io::PointStatus::not_run;
        for (std::int64_t id : c.shares) done = done && status[static_cast<std::size_t>(id)] != io::PointStatus::not_run;
        if (!done) todo.push_back(static_cast<std::int64_t>(k));
      }
      if (resume) {
        out << "hopcap run: resuming " << config.output << ", " << plan.work.size() - todo.size()
            << " configurations already done" << std::endl;
      }
      prepared.emplace(std::move(file));
    } catch (const ConfigError& e) {
      error = e.what();
      config_error = true;
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "cannot prepare the output file";
    }
  }
  agree_on_error(world, rank, config_error, error);

  // ---- the coordinator on rank 0, the groups of computing ranks
  const int worker = rank - first_worker;  // < 0: rank 0 as a coordinator only
  const parallel::Communicator group_comm =
      parallel::Communicator::split(world, worker < 0 ? MPI_UNDEFINED : static_cast<int>(worker / group_size), rank);
  std::optional<Coordinator> coordinator;
  if (rank == 0) {
    coordinator.emplace(std::move(*prepared), config, plan, std::move(todo), world,
                        threaded ? groups - 1 : groups, threaded, faults, out);
    prepared.reset();
    if (threaded) coordinator->start_thread();
  }

  double compute_seconds = 0.0;
  // Per-phase seconds this rank spent (U-Hop+, metrics, retrieval), from the configurations.
  std::array<double, 3> phase_seconds{};
  if (worker < 0) {
    coordinator->serve();
  } else {
    const parallel::Group group(group_comm.get());
    DatasetCache cache;
    std::vector<char> request_message{0};  // flags byte, then the packed last result
    const Configuration* current = nullptr;
    std::int64_t started_here = 0;
    try {
      while (true) {
        std::int64_t next = -1;
        if (group.is_root()) {
          if (rank == 0) {
            next = coordinator->next_local();
          } else {
            if (interrupt_signal() != 0) request_message[0] = static_cast<char>(request_message[0] | kRequestInterrupted);
            check_mpi(MPI_Send(request_message.data(), static_cast<int>(request_message.size()), MPI_BYTE, 0,
                               kRequestTag, world),
                      "MPI_Send");
            check_mpi(MPI_Recv(&next, 1, MPI_INT64_T, 0, kAssignTag, world, MPI_STATUS_IGNORE), "MPI_Recv");
          }
        }
        check_mpi(MPI_Bcast(&next, 1, MPI_INT64_T, 0, group.comm()), "MPI_Bcast");
        if (next < 0) break;
        current = &plan.work[static_cast<std::size_t>(next)];
        faults.on_compute(rank, ++started_here);
        const auto t0 = Clock::now();
        ConfigResult result = config.capacity ? execute_capacity(config, *current, group, cache)
                                              : execute_configuration(config, *current, group, cache);
        add_lambda_values(config, *current, result);
        compute_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        for (std::size_t p = 0; p < phase_seconds.size(); ++p) phase_seconds[p] += result.phase_seconds[p];
        if (group.is_root()) {
          if (rank == 0) {
            coordinator->submit_local(std::move(result));
          } else {
            request_message = pack(result);
            request_message.insert(request_message.begin(), static_cast<char>(kRequestHasResult));
          }
        }
        current = nullptr;
      }
    } catch (const std::exception& e) {
      // A configuration's own failures are recorded as data inside execute_*; what reaches
      // here (MPI, memory, a broken invariant) would leave other ranks blocked: end the job.
      parallel::abort_job(1, "hopcap: error: rank " + std::to_string(rank) +
                                 (current ? ", " + describe(*current) : std::string()) + ": " + e.what());
    }
    if (rank == 0) coordinator->local_done();
  }
  if (coordinator) coordinator->join();

  // ---- per-phase timings over the ranks, final provenance, summary
  constexpr int kTimings = 5;
  const char* timing_names[kTimings] = {"compute_seconds", "wall_seconds", "uhop_seconds", "metrics_seconds",
                                        "retrieval_seconds"};
  double timing[kTimings] = {compute_seconds, std::chrono::duration<double>(Clock::now() - start).count(),
                             phase_seconds[0], phase_seconds[1], phase_seconds[2]};
  double tmax[kTimings], tmin[kTimings], tsum[kTimings];
  check_mpi(MPI_Reduce(timing, tmax, kTimings, MPI_DOUBLE, MPI_MAX, 0, world), "MPI_Reduce");
  check_mpi(MPI_Reduce(timing, tmin, kTimings, MPI_DOUBLE, MPI_MIN, 0, world), "MPI_Reduce");
  check_mpi(MPI_Reduce(timing, tsum, kTimings, MPI_DOUBLE, MPI_SUM, 0, world), "MPI_Reduce");
  int code = 0;
  if (rank == 0) {
    std::ostringstream timings;
    for (int k = 0; k < kTimings; ++k) {
      timings << (k ? "; " : "") << timing_names[k] << " min " << tmin[k] << " mean " << tsum[k] / size << " max "
              << tmax[k];
    }
    try {
      code = coordinator->finish(timings.str(), size, omp_get_max_threads(), groups, group_size);
    } catch (const std::exception& e) {
      parallel::abort_job(1, std::string("hopcap: error: rank 0 (results writer): ") + e.what());
    }
  }
  check_mpi(MPI_Bcast(&code, 1, MPI_INT, 0, world), "MPI_Bcast");
  return code;
}

}  // namespace hopcap::sweep
