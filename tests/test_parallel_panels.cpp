// The one OpenMP pattern of the blocked kernels: every panel runs exactly once, a thread team
// only where the work pays for one, every BLAS call on the calling thread either way (an
// OpenMP-built BLAS opens no team of its own inside an active region or under a thread limit
// of one), and a throw from a panel or a scratch comes out as one KernelError.

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "hopcap/error.hpp"
#include "kernels/parallel_panels.hpp"

namespace {

using hopcap::KernelError;
using hopcap::kernels::kTeamWork;
using hopcap::kernels::parallel_panels;

// Runs panels [begin, end) with the given work at two threads; returns how often each ran and
// whether every panel saw a BLAS that would stay on its thread.
struct Seen {
  std::vector<int> runs;
  bool blas_on_its_thread = true;
  bool any_team = false;
};

Seen run_panels(std::int64_t begin, std::int64_t end, double work) {
  omp_set_num_threads(2);
  Seen seen;
  seen.runs.assign(static_cast<std::size_t>(end), 0);
  std::vector<std::atomic<int>> runs(static_cast<std::size_t>(end));
  std::atomic<bool> own_thread{true}, team{false};
  parallel_panels(begin, end, work, [] { return 0; }, [&](std::int64_t panel, int&) {
    ++runs[static_cast<std::size_t>(panel)];
    if (!(omp_in_parallel() || omp_get_max_threads() == 1)) own_thread = false;
    if (omp_get_num_threads() > 1) team = true;
  });
  for (std::size_t k = 0; k < runs.size(); ++k) seen.runs[k] = runs[k];
  seen.blas_on_its_thread = own_thread;
  seen.any_team = team;
  return seen;
}

TEST(ParallelPanels, SmallWorkRunsEveryPanelOnceOnTheCallingThread) {
  const Seen seen = run_panels(3, 40, kTeamWork / 2);
  for (std::size_t k = 0; k < seen.runs.size(); ++k) EXPECT_EQ(seen.runs[k], k < 3 ? 0 : 1) << k;
  EXPECT_TRUE(seen.blas_on_its_thread);
  EXPECT_FALSE(seen.any_team);
  EXPECT_EQ(omp_get_max_threads(), 2) << "the limit of one must end with the panels";
}

TEST(ParallelPanels, OnePanelOfLargeWorkStaysOnTheCallingThread) {
  const Seen seen = run_panels(0, 1, 1e12);
  EXPECT_EQ(seen.runs[0], 1);
  EXPECT_TRUE(seen.blas_on_its_thread);
  EXPECT_FALSE(seen.any_team);
}

TEST(ParallelPanels, LargeWorkRunsEveryPanelOnceInAnActiveRegion) {
  if (omp_get_num_procs() < 2) GTEST_SKIP() << "one processor: OpenMP may give a team of one";
  const Seen seen = run_panels(0, 64, 1e12);
  for (std::size_t k = 0; k < seen.runs.size(); ++k) EXPECT_EQ(seen.runs[k], 1) << k;
  EXPECT_TRUE(seen.blas_on_its_thread);
  EXPECT_TRUE(seen.any_team);
}

TEST(ParallelPanels, EmptyRangeRunsNothing) {
  const Seen seen = run_panels(5, 5, 1e12);
  for (int r : seen.runs) EXPECT_EQ(r, 0);
}

TEST(ParallelPanels, ThrowsFromPanelsAndScratchComeOutAsOneKernelError) {
  omp_set_num_threads(2);
  for (const double work : {1.0, 1e12}) {
    try {
      parallel_panels(0, 16, work, [] { return 0; }, [](std::int64_t panel, int&) {
        if (panel == 7) throw std::runtime_error("panel 7 failed");
      });
      ADD_FAILURE() << "no throw at work " << work;
    } catch (const KernelError& e) {
      EXPECT_STREQ(e.what(), "panel 7 failed") << work;
    }
    EXPECT_THROW(parallel_panels(
                     0, 16, work, []() -> int { throw std::runtime_error("no scratch"); },
                     [](std::int64_t, int&) {}),
                 KernelError)
        << work;
  }
}

TEST(ParallelPanels, TeamThresholdIsTheDocumentedWork) {
  EXPECT_FALSE(hopcap::kernels::worth_a_team(kTeamWork - 1.0));
  EXPECT_TRUE(hopcap::kernels::worth_a_team(kTeamWork));
}

}  // namespace
