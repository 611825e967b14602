#include "hopcap/kernels/exp.hpp"

#include <bit>
#include <cstdint>

namespace hopcap::kernels {
namespace {

constexpr double kLog2e = 1.4426950408889634;
// ln 2 split so that n·kLn2Hi is exact for |n| ≤ 2^11.
constexpr double kLn2Hi = 0.6931471803691238;
constexpr double kLn2Lo = 1.9082149292705877e-10;
// Adding 1.5·2^52 rounds to an integer and leaves it in the low mantissa bits.
constexpr double kRoundShift = 6755399441055744.0;
constexpr std::uint64_t kRoundShiftBits = 0x4338000000000000ULL;

// Taylor coefficients 1/k! for k = 0..13: on |r| ≤ ln2/2 the truncation error is < 5e-18.
constexpr double kC[14] = {1.0,
                           1.0,
                           0.5,
                           1.6666666666666666e-01,
                           4.1666666666666664e-02,
                           8.3333333333333332e-03,
                           1.3888888888888889e-03,
                           1.9841269841269841e-04,
                           2.4801587301587302e-05,
                           2.7557319223985893e-06,
                           2.7557319223985888e-07,
                           2.5052108385441720e-08,
                           2.0876756987868100e-09,
                           1.6059043836821613e-10};

// The float kernel: ln 2 split so that n·kLn2HiFloat is exact for |n| ≤ 2^7 (9 bits times 7),
// and 1.5·2^23 to round to an integer in the low mantissa bits of a float.
constexpr float kLog2eFloat = 0x1.715476p+0f;
constexpr float kLn2HiFloat = 0x1.63p-1f;       // 0.693359375
constexpr float kLn2LoFloat = -0x1.bd0106p-13f;  // ln 2 − kLn2HiFloat
constexpr float kRoundShiftFloat = 12582912.0f;
constexpr std::uint32_t kRoundShiftFloatBits = 0x4b400000u;
// 1/k! for k = 0..7: on |r| ≤ ln2/2 the truncation error r^8/8! is < 5.2e-9, a tenth of an
// ulp of float; degree 6 would leave 1.2e-7, about two.
constexpr float kCFloat[8] = {1.0f, 1.0f, 0.5f, 0x1.555556p-3f, 0x1.555556p-5f, 0x1.111112p-7f, 0x1.6c16c2p-10f,
                              0x1.a01a02p-13f};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOPCAP_EXP_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
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
    double p = kC[13];
    p = p * r + kC[12];
    p = p * r + kC[11];
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
    // 2^k from the integer k held in t's low bits: k ≥ −1022 here, so the exponent is normal.
    const std::uint64_t bits = (std::bit_cast<std::uint64_t>(t) - kRoundShiftBits + 1023) << 52;
    const double y = a >= kExpFlushBelow ? p * std::bit_cast<double>(bits) : 0.0;
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
    float p = kCFloat[7];
    p = p * r + kCFloat[6];
    p = p * r + kCFloat[5];
    p = p * r + kCFloat[4];
    p = p * r + kCFloat[3];
    p = p * r + kCFloat[2];
    p = p * r + kCFloat[1];
    p = p * r + kCFloat[0];
    // 2^k from the integer k held in t's low bits: k ≥ −126 here, so the exponent is normal.
    const std::uint32_t bits = (std::bit_cast<std::uint32_t>(t) - kRoundShiftFloatBits + 127u) << 23;
    const float y = a >= kExpFlushBelowFloat ? p * std::bit_cast<float>(bits) : 0.0f;
    out[i] = y;
    sum += y;
  }
  return sum;
}

}  // namespace hopcap::kernels
