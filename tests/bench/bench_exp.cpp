// Google Benchmark: hopcap's vector exponential (exp_shifted_sum) against the vector
// exponentials of glibc's libmvec and of SLEEF, in double and float, at the lengths of a
// retrieval softmax row and of U-Hop+ tiles. Every variant does the same work: subtract the
// shift, exponentiate, store, sum. Arguments lie in [−40, 0], where softmax weights that
// matter lie. The library variants run only where the CPU has their instruction set (else
// they are skipped with a message) and are compiled only where the library was found.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "hopcap/kernels/exp.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HOPCAP_BENCH_X86 1
#endif

namespace {

template <class Real>
std::vector<Real> arguments(std::int64_t n) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<Real> u(Real(-40), Real(0));
  std::vector<Real> x(static_cast<std::size_t>(n));
  for (Real& v : x) v = u(gen);
  return x;
}

// The shape every variant shares: kernel(x, shift, n, out) returns the sum.
template <class Real, class Kernel>
void run(benchmark::State& state, Kernel kernel) {
  const std::int64_t n = state.range(0);
  const std::vector<Real> x = arguments<Real>(n);
  std::vector<Real> out(x.size());
  for (auto _ : state) {
    Real sum = kernel(x.data(), Real(0), n, out.data());
    benchmark::DoNotOptimize(sum);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void exp_lengths(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {256, 4096, 65536}) b->Arg(n);
}

void BM_ExpHopcapDouble(benchmark::State& state) {
  run<double>(state, [](const double* x, double s, std::int64_t n, double* out) {
    return hopcap::kernels::exp_shifted_sum(x, s, n, out);
  });
}
BENCHMARK(BM_ExpHopcapDouble)->Apply(exp_lengths);

void BM_ExpHopcapFloat(benchmark::State& state) {
  run<float>(state, [](const float* x, float s, std::int64_t n, float* out) {
    return hopcap::kernels::exp_shifted_sum(x, s, n, out);
  });
}
BENCHMARK(BM_ExpHopcapFloat)->Apply(exp_lengths);

#ifdef HOPCAP_BENCH_X86

bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool has_avx512() { return __builtin_cpu_supports("avx512f"); }

// A vector exponential (Vec holds the lanes, GCC's vector types allow arithmetic on them)
// applied over the array with a vector sum; the tail, shorter than a vector, goes through the
// same function on a zero-padded vector. Inlined into callers compiled for Vec's instruction set.
template <class Real, class Vec, class Exp>
[[gnu::always_inline]] inline Real vector_loop(Exp exp_fn, const Real* x, Real s, std::int64_t n, Real* out) {
  constexpr std::int64_t width = sizeof(Vec) / sizeof(Real);
  Vec acc = {};
  Vec shift = {};
  shift += s;
  std::int64_t i = 0;
  for (; i + width <= n; i += width) {
    Vec v;
    std::memcpy(&v, x + i, sizeof v);
    const Vec y = exp_fn(v - shift);
    std::memcpy(out + i, &y, sizeof y);
    acc += y;
  }
  Real sum = 0;
  for (std::int64_t l = 0; l < width; ++l) sum += acc[l];
  if (i < n) {
    Vec v = {};
    for (std::int64_t j = i; j < n; ++j) v[j - i] = x[j] - s;
    const Vec y = exp_fn(v);
    for (std::int64_t j = i; j < n; ++j) {
      out[j] = y[j - i];
      sum += out[j];
    }
  }
  return sum;
}

#ifdef HOPCAP_BENCH_LIBMVEC
// glibc's libmvec entry points, by their vector-function ABI names (d: AVX2, e: AVX-512).
extern "C" __m256d _ZGVdN4v_exp(__m256d);
extern "C" __m256 _ZGVdN8v_expf(__m256);
extern "C" __m512d _ZGVeN8v_exp(__m512d);
extern "C" __m512 _ZGVeN16v_expf(__m512);

__attribute__((target("avx2,fma"))) double libmvec_avx2(const double* x, double s, std::int64_t n, double* out) {
  return vector_loop<double, __m256d>(_ZGVdN4v_exp, x, s, n, out);
}
__attribute__((target("avx2,fma"))) float libmvec_avx2f(const float* x, float s, std::int64_t n, float* out) {
  return vector_loop<float, __m256>(_ZGVdN8v_expf, x, s, n, out);
}
__attribute__((target("avx512f"))) double libmvec_avx512(const double* x, double s, std::int64_t n, double* out) {
  return vector_loop<double, __m512d>(_ZGVeN8v_exp, x, s, n, out);
}
__attribute__((target("avx512f"))) float libmvec_avx512f(const float* x, float s, std::int64_t n, float* out) {
  return vector_loop<float, __m512>(_ZGVeN16v_expf, x, s, n, out);
}

void BM_ExpLibmvecAvx2Double(benchmark::State& state) {
  if (!has_avx2()) return state.SkipWithError("CPU lacks AVX2/FMA");
  run<double>(state, libmvec_avx2);
}
void BM_ExpLibmvecAvx2Float(benchmark::State& state) {
  if (!has_avx2()) return state.SkipWithError("CPU lacks AVX2/FMA");
  run<float>(state, libmvec_avx2f);
}
void BM_ExpLibmvecAvx512Double(benchmark::State& state) {
  if (!has_avx512()) return state.SkipWithError("CPU lacks AVX-512");
  run<double>(state, libmvec_avx512);
}
void BM_ExpLibmvecAvx512Float(benchmark::State& state) {
  if (!has_avx512()) return state.SkipWithError("CPU lacks AVX-512");
  run<float>(state, libmvec_avx512f);
}
BENCHMARK(BM_ExpLibmvecAvx2Double)->Apply(exp_lengths);
BENCHMARK(BM_ExpLibmvecAvx2Float)->Apply(exp_lengths);
BENCHMARK(BM_ExpLibmvecAvx512Double)->Apply(exp_lengths);
BENCHMARK(BM_ExpLibmvecAvx512Float)->Apply(exp_lengths);
#endif  // HOPCAP_BENCH_LIBMVEC

#ifdef HOPCAP_BENCH_SLEEF
// SLEEF's 1.0-ulp exponentials, declared here: sleef.h declares each only where the translation
// unit's own target has its instruction set, and this one is built for the baseline.
extern "C" __m256d Sleef_expd4_u10avx2(__m256d);
extern "C" __m256 Sleef_expf8_u10avx2(__m256);
extern "C" __m512d Sleef_expd8_u10avx512f(__m512d);
extern "C" __m512 Sleef_expf16_u10avx512f(__m512);

__attribute__((target("avx2,fma"))) double sleef_avx2(const double* x, double s, std::int64_t n, double* out) {
  return vector_loop<double, __m256d>(Sleef_expd4_u10avx2, x, s, n, out);
}
__attribute__((target("avx2,fma"))) float sleef_avx2f(const float* x, float s, std::int64_t n, float* out) {
  return vector_loop<float, __m256>(Sleef_expf8_u10avx2, x, s, n, out);
}
__attribute__((target("avx512f"))) double sleef_avx512(const double* x, double s, std::int64_t n, double* out) {
  return vector_loop<double, __m512d>(Sleef_expd8_u10avx512f, x, s, n, out);
}
__attribute__((target("avx512f"))) float sleef_avx512f(const float* x, float s, std::int64_t n, float* out) {
  return vector_loop<float, __m512>(Sleef_expf16_u10avx512f, x, s, n, out);
}

void BM_ExpSleefAvx2Double(benchmark::State& state) {
  if (!has_avx2()) return state.SkipWithError("CPU lacks AVX2/FMA");
  run<double>(state, sleef_avx2);
}
void BM_ExpSleefAvx2Float(benchmark::State& state) {
  if (!has_avx2()) return state.SkipWithError("CPU lacks AVX2/FMA");
  run<float>(state, sleef_avx2f);
}
void BM_ExpSleefAvx512Double(benchmark::State& state) {
  if (!has_avx512()) return state.SkipWithError("CPU lacks AVX-512");
  run<double>(state, sleef_avx512);
}
void BM_ExpSleefAvx512Float(benchmark::State& state) {
  if (!has_avx512()) return state.SkipWithError("CPU lacks AVX-512");
  run<float>(state, sleef_avx512f);
}
BENCHMARK(BM_ExpSleefAvx2Double)->Apply(exp_lengths);
BENCHMARK(BM_ExpSleefAvx2Float)->Apply(exp_lengths);
BENCHMARK(BM_ExpSleefAvx512Double)->Apply(exp_lengths);
BENCHMARK(BM_ExpSleefAvx512Float)->Apply(exp_lengths);
#endif  // HOPCAP_BENCH_SLEEF

#endif  // HOPCAP_BENCH_X86

}  // namespace
