// Google Benchmark under MPI: the retrieval update `hopcap run` applies per iteration in a
// group of every rank of MPI_COMM_WORLD (memory set split into whole blocks over the ranks,
// exact reductions between them). One rank gives the group-of-one step, the fused panel path.
//   mpirun -n 2 --bind-to none build/tests/bench/bench_group_step
// Rank 0 reports; every rank runs the same fixed number of iterations, so the collectives of
// the step pair up.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "retrieval_step_case.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;

// Args: M, d, B (queries), separation (0 softmax, 1 entmax15, 2 sparsemax), precision
// (0 float64, 1 float32).
void BM_GroupStep(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const auto b = state.range(2);
  const hopcap::RetrievalSettings settings = hopcap::bench::step_settings(state.range(3), state.range(4));
  const hopcap::parallel::Group group(MPI_COMM_WORLD);
  const hopcap::kernels::RowPartition partition =
      group.row_partition(m, hopcap::Retriever::memory_block(settings, m));
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  Matrix local(partition.rows_of(partition.part), d);
  std::copy_n(memories.row(partition.first), local.data.size(), local.data.begin());
  const Matrix queries = hopcap::generate_memories(Distribution::sphere, d, b, 2, 0);
  const hopcap::Retriever retriever(local, partition, settings);
  hopcap::bench::time_steps(state, retriever, queries, m, settings, state.range(3));
  state.counters["ranks"] = group.size();
}
BENCHMARK(BM_GroupStep)
    ->Args({4096, 64, 1024, 0, 0})
    ->Args({4096, 64, 1024, 1, 0})
    ->Args({16384, 64, 256, 0, 0})
    ->Args({4096, 64, 1024, 0, 1})
    ->Args({4096, 64, 1024, 1, 1})
    ->Args({16384, 64, 256, 0, 1})
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  benchmark::Initialize(&argc, argv);
  if (rank == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  MPI_Finalize();
  return 0;
}
