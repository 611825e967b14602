// The single-precision GEMM wrappers against plain loops in double (their naive twin) at awkward
// sizes, with row strides wider than the rows; the error is held to float's rounding of each
// product's terms.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"

namespace hopcap {
namespace {

enum class Layout { nt, nn, tn };

// A(i, p) and B(p, j) of C = op(A) op(B) as stored for each layout.
float a_at(const std::vector<float>& a, Layout layout, std::int64_t i, std::int64_t p, std::int64_t lda) {
  return layout == Layout::tn ? a[static_cast<std::size_t>(p * lda + i)] : a[static_cast<std::size_t>(i * lda + p)];
}
float b_at(const std::vector<float>& b, Layout layout, std::int64_t p, std::int64_t j, std::int64_t ldb) {
  return layout == Layout::nt ? b[static_cast<std::size_t>(j * ldb + p)] : b[static_cast<std::size_t>(p * ldb + j)];
}

TEST(BlasFloat, ProductsMatchPlainLoopsAtAwkwardSizes) {
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (Layout layout : {Layout::nt, Layout::nn, Layout::tn}) {
    for (auto [m, n, k] : {std::array<std::int64_t, 3>{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {65, 31, 129}}) {
      // Leading dimensions one wider than needed, so the wrappers must honour them.
      const std::int64_t lda = (layout == Layout::tn ? m : k) + 1;
      const std::int64_t ldb = (layout == Layout::nt ? k : n) + 1;
      const std::int64_t ldc = n + 2;
      std::vector<float> a(static_cast<std::size_t>((layout == Layout::tn ? k : m) * lda));
      std::vector<float> b(static_cast<std::size_t>((layout == Layout::nt ? n : k) * ldb));
      std::vector<float> c(static_cast<std::size_t>(m * ldc));
      for (float& v : a) v = u(gen);
      for (float& v : b) v = u(gen);
      for (float& v : c) v = u(gen);
      const std::vector<float> c0 = c;
      const float alpha = 0.75f, beta = -0.5f;
      switch (layout) {
        case Layout::nt: blas::gemm_nt(m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc); break;
        case Layout::nn: blas::gemm_nn(m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc); break;
        case Layout::tn: blas::gemm_tn(m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc); break;
      }
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double exact = 0.0, magnitude = 0.0;
          for (std::int64_t p = 0; p < k; ++p) {
            const double t = static_cast<double>(a_at(a, layout, i, p, lda)) * b_at(b, layout, p, j, ldb);
            exact += t;
            magnitude += std::fabs(t);
          }
          const double c_in = c0[static_cast<std::size_t>(i * ldc + j)];
          const double want = alpha * exact + beta * c_in;
          // k + 2 roundings of float, each at most 2^−24 of the terms' magnitude.
          const double bound = static_cast<double>(k + 2) * 6e-8 * (alpha * magnitude + std::fabs(beta * c_in));
          EXPECT_NEAR(c[static_cast<std::size_t>(i * ldc + j)], want, bound)
              << "layout " << static_cast<int>(layout) << " m=" << m << " n=" << n << " k=" << k;
        }
        // The padding beyond n is left alone.
        for (std::int64_t j = n; j < ldc; ++j) EXPECT_EQ(c[static_cast<std::size_t>(i * ldc + j)], c0[static_cast<std::size_t>(i * ldc + j)]);
      }
    }
  }
}

TEST(BlasFloat, NegativeDimensionsAreRefused) {
  float a = 1.0f, b = 1.0f, c = 0.0f;
  EXPECT_THROW(blas::gemm_nn(-1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1), KernelError);
}

}  // namespace
}  // namespace hopcap
