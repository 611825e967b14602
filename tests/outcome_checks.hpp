#pragma once
// Bitwise comparison of retrieval outcomes, shared by the tests that check that partitions,
// threads and group sizes give the same bits.

#include <gtest/gtest.h>

#include <span>
#include <string>

#include "hopcap/kernels/retrieval.hpp"

namespace hopcap::test {

inline void expect_bitwise_equal_outcomes(std::span<const QueryOutcome> got, std::span<const QueryOutcome> want,
                                          const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const QueryOutcome& a = got[i];
    const QueryOutcome& b = want[i];
    EXPECT_EQ(a.iterations, b.iterations) << what << " query " << i;
    EXPECT_EQ(a.converged, b.converged) << what << " query " << i;
    EXPECT_EQ(a.argmax, b.argmax) << what << " query " << i;
    EXPECT_EQ(a.retrieved, b.retrieved) << what << " query " << i;
    EXPECT_EQ(a.metastable_size, b.metastable_size) << what << " query " << i;
    EXPECT_EQ(a.distance, b.distance) << what << " query " << i;
    EXPECT_EQ(a.energy, b.energy) << what << " query " << i;
  }
}

}  // namespace hopcap::test
