#pragma once
// Thin, dimension-checked wrappers over the CBLAS calls hopcap uses. All matrices are row-major.

#include <cstdint>

namespace hopcap::blas {

/// C (m×n, ldc) := alpha · A (m×k, lda) · B(n×k, ldb)ᵀ + beta · C.
void gemm_nt(std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
             std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
             std::int64_t ldc);

/// C (m×n, ldc) := alpha · A (m×k, lda) · B (k×n, ldb) + beta · C.
void gemm_nn(std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
             std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
             std::int64_t ldc);

/// C (m×n, ldc) := alpha · A (k×m, lda)ᵀ · B (k×n, ldb) + beta · C.
void gemm_tn(std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
             std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
             std::int64_t ldc);

/// The same three products in single precision (cblas_sgemm): float32 retrieval and the
/// separation metrics' screening tiles.
void gemm_nt(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
void gemm_nn(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
void gemm_tn(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

/// Number of threads the BLAS library uses, and a one-line description of its build.
int num_threads();
const char* config_string();
/// How the linked BLAS runs its threads: "openmp" (shares hopcap's OpenMP pool; the build's
/// default with OpenBLAS and BLIS), "pthreads" (its own pool), "sequential", or "unknown" for a
/// library without such a query.
const char* threading_mode();

}  // namespace hopcap::blas
