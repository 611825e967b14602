// Retrieval with the memory set partitioned over the ranks of MPI_COMM_WORLD (and over
// sub-groups of it) gives bitwise the single-process kernel's states and outcomes at every
// group size: the engine's sums over memories are exact.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/queries.hpp"

namespace hopcap {
namespace {

using parallel::Group;

struct Problem {
  Matrix memories, queries, target_memories;
  std::vector<std::int64_t> targets;
};

Problem make_problem(std::int64_t d, std::int64_t m, std::int64_t n, const std::string& query) {
  Problem pr;
  pr.memories = generate_memories(Distribution::sphere, d, m, 31, 0);
  const QueryModel model = QueryModel::parse(query);
  pr.targets.assign(static_cast<std::size_t>(n), -1);
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), 0u);
  pr.target_memories = Matrix(n, d);
  for (std::int64_t i = 0; i < n; ++i) {
    if (model.has_target()) pr.targets[static_cast<std::size_t>(i)] = (i * 7) % m;
    if (model.has_target()) {
      std::copy_n(pr.memories.row(pr.targets[static_cast<std::size_t>(i)]), d, pr.target_memories.row(i));
    }
  }
  pr.queries = Matrix(n, d);
  make_queries(model, pr.memories, pr.targets, ids, 5, pr.queries);
  return pr;
}

std::vector<QueryOutcome> run_on_group(const Group& group, const Problem& pr, const RetrievalSettings& s,
                                       const std::optional<FeatureMap>& map, Matrix& final_states) {
  const std::int64_t m = pr.memories.rows;
  const kernels::RowPartition partition = group.row_partition(m, Retriever::memory_block(s, m));
  const std::int64_t count = partition.rows_of(partition.part);
  Matrix local(count, pr.memories.cols);
  std::copy_n(pr.memories.row(partition.first), count * pr.memories.cols, local.data.begin());
  const Retriever retriever(local, partition, s, map);
  final_states = pr.queries;
  std::vector<QueryOutcome> out(static_cast<std::size_t>(pr.queries.rows));
  retriever.run(final_states, pr.targets, out);
  return out;
}

void expect_same_outcomes(const std::vector<QueryOutcome>& a, const std::vector<QueryOutcome>& b,
                          const Matrix& sa, const Matrix& sb, const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].argmax, b[i].argmax) << what << " query " << i;
    EXPECT_EQ(a[i].retrieved, b[i].retrieved) << what << " query " << i;
    EXPECT_EQ(a[i].converged, b[i].converged) << what << " query " << i;
    EXPECT_EQ(a[i].iterations, b[i].iterations) << what << " query " << i;
    EXPECT_EQ(a[i].metastable_size, b[i].metastable_size) << what << " query " << i;
    EXPECT_EQ(a[i].distance, b[i].distance) << what << " query " << i;
    EXPECT_EQ(a[i].energy, b[i].energy) << what << " query " << i;
  }
  for (std::size_t k = 0; k < sa.data.size(); ++k) {
    ASSERT_EQ(sa.data[k], sb.data[k]) << what << " state entry " << k;
  }
}

class GroupRetrievalTest : public ::testing::TestWithParam<std::string> {};

// The world group against the kernel Retriever on the whole set in this process, for the MHM
// and a KHM with a fixed Gaussian map (D_Φ = d − 2), every M of `sizes`, both query kinds.
void expect_world_group_matches_single_process(const Group& world, const std::string& sep, RetrievalSettings s,
                                               std::int64_t d, std::int64_t queries,
                                               std::initializer_list<std::int64_t> sizes, const std::string& label) {
  s.separation = Separation::parse(sep);
  for (const std::string query : {"angle:25", "random"}) {
    for (std::int64_t m : sizes) {
      const Problem pr = make_problem(d, m, queries, query);
      s.memory_block = m == 200 ? 7 : 0;  // awkward blocks: 29 blocks of 7, the last of 4
      for (int model = 0; model < 2; ++model) {
        std::optional<FeatureMap> map;
        if (model == 1) map = FeatureMap{generate_memories(Distribution::gaussian, d, d - 2, 8, 2), {}};
        Matrix group_states;
        const auto got = run_on_group(world, pr, s, map, group_states);
        const Retriever single(pr.memories, s, map);
        Matrix states = pr.queries;
        std::vector<QueryOutcome> expected(static_cast<std::size_t>(pr.queries.rows));
        single.run(states, pr.targets, expected);
        expect_same_outcomes(got, expected, group_states, states,
                             label + sep + " " + query + " M=" + std::to_string(m) + " model " + std::to_string(model));
      }
    }
  }
}

TEST_P(GroupRetrievalTest, WorldGroupMatchesTheSingleProcessKernel) {
  RetrievalSettings s;
  s.beta = 6.0;
  s.max_iterations = 30;
  s.tolerance = 1e-9;
  // m = 3 leaves ranks without memories at np = 4
  expect_world_group_matches_single_process(Group(MPI_COMM_WORLD), GetParam(), s, 6, 23, {3, 17, 200}, "");
}

TEST_P(GroupRetrievalTest, Float32WorldGroupMatchesTheSingleProcessKernel) {
  // float32 scores and updates go into the same exact sums: bitwise the one-process float32
  // kernel at every group size too.
  RetrievalSettings s;
  s.beta = 6.0;
  s.max_iterations = 30;
  s.precision = Precision::float32;
  expect_world_group_matches_single_process(Group(MPI_COMM_WORLD), GetParam(), s, 7, 19, {3, 200}, "float32 ");
}

TEST_P(GroupRetrievalTest, SubGroupsOfAnySizeAgree) {
  // Split the world into groups of 1, 2, ... ranks; every group must produce the same outcome.
  int world_rank = 0, world_size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const Problem pr = make_problem(5, 64, 16, "angle:30");
  RetrievalSettings s;
  s.beta = 4.0;
  s.separation = Separation::parse(GetParam());
  Matrix reference_states;
  const auto reference = run_on_group(Group(MPI_COMM_SELF), pr, s, std::nullopt, reference_states);
  for (int group_size = 1; group_size <= world_size; ++group_size) {
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank / group_size, world_rank, &sub);
    Matrix states;
    const auto got = run_on_group(Group(sub), pr, s, std::nullopt, states);
    expect_same_outcomes(got, reference, states, reference_states, "group size " + std::to_string(group_size));
    MPI_Comm_free(&sub);
  }
}

INSTANTIATE_TEST_SUITE_P(Separations, GroupRetrievalTest,
                         ::testing::Values("softmax", "sparsemax", "entmax15", "entmax:1.3"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == ':' || c == '.') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace hopcap
