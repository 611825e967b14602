#pragma once
// A U-Hop+ loss evaluation and its bitwise comparison, shared by the tests that check that
// threads and partitions give the same bits in float64 and in float32.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::test {

struct LossAndGradient {
  UhopLossValue value;
  Matrix grad_w;
  std::vector<double> grad_b;
};

inline void expect_bitwise_equal(const LossAndGradient& a, const LossAndGradient& b, const std::string& what) {
  EXPECT_EQ(a.value.loss, b.value.loss) << what;
  EXPECT_EQ(a.value.s_max, b.value.s_max) << what;
  EXPECT_EQ(a.value.closest[0], b.value.closest[0]) << what;
  EXPECT_EQ(a.value.closest[1], b.value.closest[1]) << what;
  EXPECT_EQ(a.grad_w.data, b.grad_w.data) << what;
  EXPECT_EQ(a.grad_b, b.grad_b) << what;
}

}  // namespace hopcap::test
