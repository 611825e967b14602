#pragma once
// Exact, order-independent sums of doubles in 128-bit fixed point. A value v is held as
// trunc(v · 2^e) for an exponent e chosen from a known bound on every partial and total sum
// (|v · 2^e| < 2^125), so integer addition is exact and the total is the same in any order
// and over any split of the terms. Across processes the values travel as four 32-bit limbs in
// int64, summed with an ordinary integer reduction (exact for up to 2^31 processes).

#include <cmath>
#include <cstdint>
#include <span>

namespace hopcap::kernels::fixed {

__extension__ typedef __int128 Fixed;
__extension__ typedef unsigned __int128 UnsignedFixed;

/// Exponent e such that any sum of at most `count` terms bounded by `bound` stays below 2^124
/// after scaling by 2^e.
inline int exponent_for(double bound, std::int64_t count) {
  int bound_exp = 0;
  if (bound > 0.0 && std::isfinite(bound)) std::frexp(bound, &bound_exp);  // bound < 2^bound_exp
  int count_exp = 0;
  std::frexp(static_cast<double>(count < 1 ? 1 : count), &count_exp);  // count < 2^count_exp
  return 124 - bound_exp - count_exp;
}

/// 2^e as two factors that are both representable for |e| up to ~2000.
struct Scale {
  double hi = 1.0, lo = 1.0;
  Scale() = default;
  explicit Scale(int e) : hi(std::ldexp(1.0, e / 2)), lo(std::ldexp(1.0, e - e / 2)) {}
  Scale inverse() const {
    Scale s;
    s.hi = 1.0 / hi;
    s.lo = 1.0 / lo;
    return s;
  }
};

/// trunc(v · 2^e); |v · 2^e| < 2^126 and v finite.
inline Fixed to_fixed(double v, const Scale& s) {
  const double x = std::fabs((v * s.hi) * s.lo);  // products with powers of two: exact
  constexpr double two64 = 18446744073709551616.0;
  const double high = std::trunc(x * (1.0 / two64));
  const double rest = x - high * two64;  // exact: a multiple of ulp(x) below 2^64
  const Fixed magnitude = (static_cast<Fixed>(static_cast<std::int64_t>(high)) << 64) +
                          static_cast<Fixed>(static_cast<std::uint64_t>(rest));
  return v < 0.0 ? -magnitude : magnitude;
}

/// The fixed-point value as the nearest double, times 2^−e.
inline double to_double(Fixed f, const Scale& inverse) { return (static_cast<double>(f) * inverse.hi) * inverse.lo; }

/// Exact sums of many terms in vector registers: each term trunc(v · 2^e) is split into three
/// signed base-2^42 digits (sign · (a·2^84 + b·2^42 + c), a, b, c in [0, 2^42)), and each digit
/// is added into its own int64 lane. A lane holds up to kDigitTerms terms without overflow;
/// fold_digits turns the lanes into the same Fixed that adding to_fixed of every term gives.
inline constexpr int kDigitBits = 42;
inline constexpr std::int64_t kDigitTerms = std::int64_t{1} << 20;
static_assert(kDigitTerms <= (std::int64_t{1} << (62 - kDigitBits)), "a lane of kDigitTerms digits fits int64");

/// high[j] += digit 2 of trunc(v[j] · 2^e), middle[j] += digit 1, low[j] += digit 0, for
/// j < n; |v[j] · 2^e| < 2^126 and v[j] finite, as for to_fixed.
void add_digits(const double* v, std::int64_t n, const Scale& s, std::int64_t* high, std::int64_t* middle,
                std::int64_t* low);
/// The same for float terms (each converted exactly to double first).
void add_digits(const float* v, std::int64_t n, const Scale& s, std::int64_t* high, std::int64_t* middle,
                std::int64_t* low);

/// out[j] += high[j]·2^84 + middle[j]·2^42 + low[j], then the lanes are zeroed.
inline void fold_digits(std::int64_t n, std::int64_t* high, std::int64_t* middle, std::int64_t* low, Fixed* out) {
  constexpr Fixed kMiddle = Fixed{1} << kDigitBits;
  constexpr Fixed kHigh = Fixed{1} << (2 * kDigitBits);
  for (std::int64_t j = 0; j < n; ++j) {
    out[j] += Fixed{high[j]} * kHigh + Fixed{middle[j]} * kMiddle + Fixed{low[j]};
    high[j] = middle[j] = low[j] = 0;
  }
}

inline constexpr int kLimbs = 4;

/// Splits values into limbs (kLimbs per value): limbs 0..2 unsigned 32-bit, limb 3 signed.
inline void to_limbs(std::span<const Fixed> values, std::span<std::int64_t> limbs) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto u = static_cast<UnsignedFixed>(values[i]);
    for (int k = 0; k < 3; ++k) limbs[kLimbs * i + k] = static_cast<std::int64_t>((u >> (32 * k)) & 0xffffffffu);
    limbs[kLimbs * i + 3] = static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(u >> 96)));
  }
}

/// Reassembles limb sums; the total must itself fit (it does under exponent_for's bound).
inline void from_limbs(std::span<const std::int64_t> limbs, std::span<Fixed> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    UnsignedFixed u = 0;
    for (int k = 0; k < kLimbs; ++k) {
      u += static_cast<UnsignedFixed>(static_cast<Fixed>(limbs[kLimbs * i + k])) << (32 * k);
    }
    values[i] = static_cast<Fixed>(u);
  }
}

}  // namespace hopcap::kernels::fixed
