#pragma once
// Vectorised exponential for the softmax hot loop. glibc's scalar exp dominated the retrieval
// step once the GEMMs ran on all cores; this kernel is a branch-free Cody–Waite reduction plus
// a degree-11 minimax polynomial (degree 6 in float) that the compiler vectorises, with clones
// for AVX-512 (x86-64-v4) and AVX2/FMA (x86-64-v3) chosen at load time where the CPU has them,
// SSE2 otherwise. Speed against glibc's libmvec and SLEEF: docs/performance.md.

#include <cstdint>

namespace hopcap::kernels {

/// Arguments below this give results under the smallest normal double; they are flushed to 0.
inline constexpr double kExpFlushBelow = -708.3964185322641;

/// out[i] = exp(fl(x[i] − shift)) for n entries with x[i] − shift ≤ 0 (the softmax case: shift is
/// the maximum); returns Σ out[i]. Relative error ≤ 2 ulp against the correctly rounded value
/// for arguments ≥ kExpFlushBelow; smaller arguments give exactly 0 (a weight < 2.3e-308 next
/// to the maximum's weight 1 cannot change a sum in double). out may alias x.
double exp_shifted_sum(const double* x, double shift, std::int64_t n, double* out);

/// The float32 retrieval's twin: arguments below this (the float nearest above ln 2^−126) give
/// results under the smallest normal float; they are flushed to 0.
inline constexpr float kExpFlushBelowFloat = -0x1.5d589ep+6f;  // −87.33654

/// out[i] = exp(fl(x[i] − shift)) in float for n entries with x[i] − shift ≤ 0; returns Σ out[i]
/// summed in float (order unspecified). Its own reduction and a degree-6 polynomial: relative
/// error ≤ 2 ulp (of float) against the exact value for arguments ≥ kExpFlushBelowFloat, every
/// one of them checked in tests/test_exp.cpp; smaller arguments give exactly 0 (a weight
/// < 1.2e-38 next to the maximum's weight 1 cannot change a float sum). out may alias x.
float exp_shifted_sum(const float* x, float shift, std::int64_t n, float* out);

}  // namespace hopcap::kernels
