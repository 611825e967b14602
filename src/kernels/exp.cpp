#include "hopcap/kernels/exp.hpp"

#include <bit>
#include <cstdint>

// exp(v) = 2^k · e^r with k = round(v / ln 2) and r = v − k ln 2, |r| ≤ ln 2 / 2 (Cody–Waite:
// ln 2 in two parts, so that r is accurate without FMA too), e^r by a minimax polynomial with
// p(0) = 1 exactly, 2^k built in the exponent bits. Branch-free, so that GCC vectorises the loop;
// the clones for x86-64-v4 (AVX-512) and x86-64-v3 (AVX2/FMA) are chosen at load time where the
// CPU has them, SSE2 otherwise. Coefficients: tools/exp_coefficients.py.

namespace hopcap::kernels {
namespace {

constexpr double kLog2e = 1.4426950408889634;
// ln 2 split so that n·kLn2Hi is exact for |n| ≤ 2^11.
constexpr double kLn2Hi = 0.6931471803691238;
constexpr double kLn2Lo = 1.9082149292705877e-10;
// Adding 1.5·2^52 + 1023 rounds to an integer and leaves k + 1023 in the low mantissa bits;
// shifted up by 52, those bits are 2^k's exponent field (the 2^51 bit leaves the word).
constexpr double kRoundShift = 6755399441055744.0 + 1023.0;

// Degree 11 minimax for e^r on |r| ≤ ln 2 / 2, relative error 2.4e-18, 5.3e-18 with the
// coefficients rounded to double (a twentieth of an ulp): two terms fewer than Taylor's 13.
constexpr double kC[12] = {1.0,
                           1.0,
                           0x1.000000000000cp-1,
                           0x1.5555555555520p-3,
                           0x1.555555554fb26p-5,
                           0x1.111111111c796p-7,
                           0x1.6c16c186cf6ddp-10,
                           0x1.a01a016943c9ap-13,
                           0x1.a019936f27190p-16,
                           0x1.71de9859b31a2p-19,
                           0x1.28b323d8e72cfp-22,
                           0x1.ae5d5ec47b677p-26};

// The float kernel: ln 2 split so that n·kLn2HiFloat is exact for |n| ≤ 2^7 (9 bits times 7),
// and 1.5·2^23 + 127 to round to an integer and leave k + 127 in the low mantissa bits.
constexpr float kLog2eFloat = 0x1.715476p+0f;
constexpr float kLn2HiFloat = 0x1.63p-1f;       // 0.693359375
constexpr float kLn2LoFloat = -0x1.bd0106p-13f;  // ln 2 − kLn2HiFloat
constexpr float kRoundShiftFloat = 12582912.0f + 127.0f;
// Degree 6 minimax on |r| ≤ ln 2 / 2: relative error 1.1e-9, 1.1e-8 with the coefficients
// rounded to float (a fifth of an ulp of float); Taylor needs degree 7 for that.
constexpr float kCFloat[7] = {1.0f, 1.0f, 0x1.fffff4p-2f, 0x1.5554a4p-3f, 0x1.556194p-5f, 0x1.12259ep-7f, 0x1.628f2p-10f};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOPCAP_EXP_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOPCAP_EXP_CLONES
#endif

}  // namespace

HOPCAP_EXP_CLONES
double exp_shifted_sum(const double* x, double shift, std::int64_t n, double* out) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) {
    const double a = x[i] - shift;
    const double v = a >= kExpFlushBelow ? a : kExpFlushBelow;
    const double t = v * kLog2e + kRoundShift;
    const double k = t - kRoundShift;  // round(v / ln 2)
    const double r = (v - k * kLn2Hi) - k * kLn2Lo;
    double p = kC[11];
    p = p * r + kC[10];
    p = p * r + kC[9];
    p = p * r + kC[8];
    p = p * r + kC[7];
    p = p * r + kC[6];
    p = p * r + kC[5];
    p = p * r + kC[4];
    p = p * r + kC[3];
    p = p * r + kC[2];
    p = p * r + kC[1];
    p = p * r + kC[0];
    // 2^k: k ≥ −1022 here, so the exponent field k + 1023 is normal.
    const double scale = std::bit_cast<double>(std::bit_cast<std::uint64_t>(t) << 52);
    const double y = a >= kExpFlushBelow ? p * scale : 0.0;
    out[i] = y;
    sum += y;
  }
  return sum;
}

HOPCAP_EXP_CLONES
float exp_shifted_sum(const float* x, float shift, std::int64_t n, float* out) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) {
    const float a = x[i] - shift;
    const float v = a >= kExpFlushBelowFloat ? a : kExpFlushBelowFloat;
    const float t = v * kLog2eFloat + kRoundShiftFloat;
    const float k = t - kRoundShiftFloat;  // round(v / ln 2)
    const float r = (v - k * kLn2HiFloat) - k * kLn2LoFloat;
    float p = kCFloat[6];
    p = p * r + kCFloat[5];
    p = p * r + kCFloat[4];
    p = p * r + kCFloat[3];
    p = p * r + kCFloat[2];
    p = p * r + kCFloat[1];
    p = p * r + kCFloat[0];
    // 2^k: k ≥ −126 here, so the exponent field k + 127 is normal.
    const float scale = std::bit_cast<float>(std::bit_cast<std::uint32_t>(t) << 23);
    const float y = a >= kExpFlushBelowFloat ? p * scale : 0.0f;
    out[i] = y;
    sum += y;
  }
  return sum;
}

}  // namespace hopcap::kernels
