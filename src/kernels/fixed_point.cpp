#include "kernels/fixed_point.hpp"

#include <bit>
#include <cmath>
#include <cstdint>

namespace hopcap::kernels::fixed {
namespace {

constexpr double kTwo42 = 4398046511104.0;           // 2^42
constexpr double kTwoMinus42 = 1.0 / kTwo42;         // 2^-42
constexpr double kTwoMinus84 = kTwoMinus42 * kTwoMinus42;
constexpr double kTwo84 = kTwo42 * kTwo42;
// An integer 0 ≤ y < 2^52 added to 2^52 sits in the low mantissa bits: the bit patterns'
// difference is y as an int64, with no double-to-int64 conversion (none is vectorised before
// AVX-512).
constexpr double kTwo52 = 4503599627370496.0;
constexpr std::uint64_t kTwo52Bits = 0x4330000000000000ULL;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOPCAP_DIGIT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HOPCAP_DIGIT_CLONES
#endif

inline std::int64_t integer_bits(double y) {
  return static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(y + kTwo52) - kTwo52Bits);
}

// m = trunc(|x|) < 2^126. a = floor(m / 2^84) < 2^42, and r = m − a·2^84 is exact: below 2^84
// it is m itself, above it m's last bit is at least 2^32 and r needs at most 52 bits. The
// same holds for b and c one digit lower, so every digit is an exact integer below 2^42.
template <class Real>
inline void add_digits_of(const Real* v, std::int64_t n, const Scale& s, std::int64_t* high, std::int64_t* middle,
                          std::int64_t* low) {
#pragma omp simd
  for (std::int64_t j = 0; j < n; ++j) {
    const double x = (static_cast<double>(v[j]) * s.hi) * s.lo;  // products with powers of two: exact
    const double m = std::trunc(std::fabs(x));
    const double a = std::floor(m * kTwoMinus84);
    const double r = m - a * kTwo84;
    const double b = std::floor(r * kTwoMinus42);
    const double c = r - b * kTwo42;
    const std::int64_t sign = x < 0.0 ? -1 : 1;
    high[j] += sign * integer_bits(a);
    middle[j] += sign * integer_bits(b);
    low[j] += sign * integer_bits(c);
  }
}

}  // namespace

HOPCAP_DIGIT_CLONES
void add_digits(const double* v, std::int64_t n, const Scale& s, std::int64_t* high, std::int64_t* middle,
                std::int64_t* low) {
  add_digits_of(v, n, s, high, middle, low);
}

HOPCAP_DIGIT_CLONES
void add_digits(const float* v, std::int64_t n, const Scale& s, std::int64_t* high, std::int64_t* middle,
                std::int64_t* low) {
  add_digits_of(v, n, s, high, middle, low);
}

}  // namespace hopcap::kernels::fixed
