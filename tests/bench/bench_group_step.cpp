// Google Benchmark under MPI: the retrieval update `hopcap run` applies per iteration in a
// group of every rank of MPI_COMM_WORLD (memory set split into whole blocks over the ranks,
// exact reductions between them). One rank gives the group-of-one step, the fused panel path.
//   mpirun -n 2 --bind-to none build/tests/bench/bench_group_step
// Rank 0 reports; every rank runs the same fixed number of iterations, so the collectives of
// the step pair up.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;

// Args: M, d, B (queries), separation (0 softmax, 1 entmax15, 2 sparsemax).
void BM_GroupStep(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const auto b = state.range(2);
  const char* seps[] = {"softmax", "entmax15", "sparsemax"};
  hopcap::RetrievalSettings settings;
  settings.beta = 8.0;
  settings.separation = hopcap::Separation::parse(seps[state.range(3)]);
  const hopcap::parallel::Group group(MPI_COMM_WORLD);
  const hopcap::kernels::RowPartition partition =
      group.row_partition(m, hopcap::Retriever::memory_block(settings, m));
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  Matrix local(partition.rows_of(partition.part), d);
  std::copy_n(memories.row(partition.first), local.data.size(), local.data.begin());
  const Matrix queries = hopcap::generate_memories(Distribution::sphere, d, b, 2, 0);
  const hopcap::Retriever retriever(local, partition, settings);
  const auto workspace = retriever.workspace(b);
  Matrix next(b, d);
  for (auto _ : state) {
    retriever.advance(queries, next, *workspace);
    benchmark::DoNotOptimize(next.data.data());
    benchmark::ClobberMemory();
  }
  const double flops = 4.0 * static_cast<double>(b) * static_cast<double>(m) * static_cast<double>(d);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["ranks"] = group.size();
  state.SetLabel(seps[state.range(3)]);
}
BENCHMARK(BM_GroupStep)
    ->Args({4096, 64, 1024, 0})
    ->Args({4096, 64, 1024, 1})
    ->Args({16384, 64, 256, 0})
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
