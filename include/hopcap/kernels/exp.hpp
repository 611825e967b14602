#pragma once
// Vectorised exponential for the softmax hot loop. glibc's scalar exp dominated the retrieval
// step once the GEMMs ran on all cores; this kernel is a branch-free Cody–Waite reduction plus
// a degree-13 polynomial that the compiler vectorises (AVX2/FMA clone chosen at run time where
// the CPU has it, SSE2 otherwise).

#include <cstdint>

namespace hopcap::kernels {

/// Arguments below this give results under the smallest normal double; they are flushed to 0.
inline constexpr double kExpFlushBelow = -708.3964185322641;

/// out[i] = exp(fl(x[i] − shift)) for n entries with x[i] − shift ≤ 0 (the softmax case: shift is
/// the maximum); returns Σ out[i]. Relative error ≤ 2 ulp against the correctly rounded value
/// for arguments ≥ kExpFlushBelow; smaller arguments give exactly 0 (a weight < 2.3e-308 next
/// to the maximum's weight 1 cannot change a sum in double). out may alias x.
double exp_shifted_sum(const double* x, double shift, std::int64_t n, double* out);

}  // namespace hopcap::kernels
