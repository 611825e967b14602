#include "hopcap/blas.hpp"

#include HOPCAP_CBLAS_HEADER
#if defined(HOPCAP_BLAS_BLIS)
#include <blis.h>
#endif

#include <omp.h>

#include "hopcap/error.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::blas {
namespace {
void check_dims(std::int64_t m, std::int64_t n, std::int64_t k) {
  if (m < 0 || n < 0 || k < 0) throw KernelError("blas: negative dimension");
}

// The integer type of the linked CBLAS (int, OpenBLAS's blasint, MKL_INT, BLIS's f77_int),
// read off cblas_dgemm's declaration so that every header works unchanged.
template <class Function>
struct DimensionType;
template <class R, class Order, class TransA, class TransB, class Int, class... Rest>
struct DimensionType<R(Order, TransA, TransB, Int, Rest...)> {
  using type = Int;
};
template <class R, class Order, class TransA, class TransB, class Int, class... Rest>
struct DimensionType<R(Order, TransA, TransB, Int, Rest...) noexcept> {
  using type = Int;
};
using blas_int = typename DimensionType<decltype(cblas_dgemm)>::type;

// A 32-bit CBLAS takes 32-bit dimensions: a larger one must fail here, not wrap into a smaller GEMM.
blas_int dim(std::int64_t value) { return checked_narrow<blas_int>(value, "blas: matrix dimension"); }
}  // namespace

void gemm_nt(std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
             std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
             std::int64_t ldc) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
              dim(ldb), beta, c, dim(ldc));
}

void gemm_nn(std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
             std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
             std::int64_t ldc) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
              dim(ldb), beta, c, dim(ldc));
}

void gemm_tn(std::int64_t m, std::int64_t n, std::int64_t k, double alpha, const double* a,
             std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
             std::int64_t ldc) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
              dim(ldb), beta, c, dim(ldc));
}

void gemm_nt(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
              dim(ldb), beta, c, dim(ldc));
}

void gemm_nn(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
              dim(ldb), beta, c, dim(ldc));
}

void gemm_tn(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
             const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  check_dims(m, n, k);
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dim(m), dim(n), dim(k), alpha, a, dim(lda), b,
              dim(ldb), beta, c, dim(ldc));
}

// Library-specific queries where CMake found them (cmake/HopcapBlas.cmake); otherwise (MKL,
// LibSci, reference CBLAS) the library's name and OpenMP's thread count, which an
// OpenMP-threaded BLAS follows.
#if defined(HOPCAP_BLAS_OPENBLAS)
int num_threads() { return openblas_get_num_threads(); }
const char* config_string() { return openblas_get_config(); }
const char* threading_mode() {
  switch (openblas_get_parallel()) {
    case 0: return "sequential";
    case 1: return "pthreads";
    case 2: return "openmp";
    default: return "unknown";
  }
}
#elif defined(HOPCAP_BLAS_BLIS)
int num_threads() { return static_cast<int>(bli_thread_get_num_threads()); }
const char* config_string() { return "BLIS " HOPCAP_BLAS_LIBRARY_NAME; }
const char* threading_mode() {
  if (bli_info_get_enable_openmp()) return "openmp";
  if (bli_info_get_enable_pthreads()) return "pthreads";
  return "sequential";
}
#else
int num_threads() { return omp_get_max_threads(); }
const char* config_string() { return HOPCAP_BLAS_LIBRARY_NAME; }
const char* threading_mode() { return "unknown"; }
#endif

}  // namespace hopcap::blas
