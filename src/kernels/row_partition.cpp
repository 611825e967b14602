#include "hopcap/kernels/row_partition.hpp"

#include <algorithm>

namespace hopcap::kernels {

RowPartition RowPartition::whole(std::int64_t rows) {
  RowPartition p;
  p.first = 0;
  p.total = rows;
  p.part = 0;
  p.part_first = {0, rows};
  p.sum = [](std::span<double>) {};
  p.max = [](std::span<double>) {};
  p.gather_rows = [](std::span<const double> local, std::span<double> all, std::int64_t) {
    std::copy(local.begin(), local.end(), all.begin());
  };
  p.broadcast = [](std::span<double>, int) {};
  p.sum_integers = [](std::span<std::int64_t>) {};
  return p;
}

std::vector<std::int64_t> RowPartition::block_aligned_firsts(std::int64_t total, std::int64_t block, int parts) {
  const std::int64_t blocks = (total + block - 1) / block;
  std::vector<std::int64_t> firsts(static_cast<std::size_t>(parts) + 1);
  for (int p = 0; p <= parts; ++p) {
    const std::int64_t first_block = p * (blocks / parts) + std::min<std::int64_t>(p, blocks % parts);
    firsts[static_cast<std::size_t>(p)] = std::min(total, first_block * block);
  }
  return firsts;
}

}  // namespace hopcap::kernels
