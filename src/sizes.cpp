#include "hopcap/sizes.hpp"

namespace hopcap {
namespace {

// "N (2^45)" for the large powers of two (and one less) that the limits are, N otherwise.
std::string limit_text(std::int64_t limit) {
  std::string text = std::to_string(limit);
  for (int k = 8; k < 63; ++k) {
    if (limit == (std::int64_t{1} << k)) return text + " (2^" + std::to_string(k) + ")";
    if (limit == (std::int64_t{1} << k) - 1) return text + " (2^" + std::to_string(k) + " - 1)";
  }
  return text;
}

[[noreturn]] void throw_too_large(std::string_view what, std::span<const std::int64_t> factors, std::int64_t limit) {
  std::string product;
  bool negative = false;
  for (std::size_t i = 0; i < factors.size(); ++i) {
    product += (i ? " x " : "") + std::to_string(factors[i]);
    negative = negative || factors[i] < 0;
  }
  if (negative) throw SizeError(std::string(what) + ": " + product + " has a negative size");
  throw SizeError(std::string(what) + ": " + product + " exceeds the limit of " + limit_text(limit));
}

}  // namespace

std::optional<std::int64_t> product_within(std::int64_t a, std::int64_t b, std::int64_t limit) {
  if (a < 0 || b < 0 || limit < 0) return std::nullopt;
  if (a == 0 || b == 0) return 0;
  // a·b <= limit exactly when a <= limit / b (integer division rounds down), without forming a·b.
  if (a > limit / b) return std::nullopt;
  return a * b;
}

std::int64_t checked_product(std::int64_t a, std::int64_t b, std::string_view what, std::int64_t limit) {
  if (const auto product = product_within(a, b, limit)) return *product;
  const std::int64_t factors[] = {a, b};
  throw_too_large(what, factors, limit);
}

std::int64_t checked_product(std::span<const std::int64_t> factors, std::string_view what, std::int64_t limit) {
  std::int64_t product = 1;
  for (const std::int64_t f : factors) {
    const auto next = product_within(product, f, limit);
    if (!next) throw_too_large(what, factors, limit);
    product = *next;
  }
  if (product > limit) throw_too_large(what, factors, limit);  // no factors and limit < 1
  return product;
}

void throw_out_of_range(std::string_view what, std::int64_t value, std::int64_t min, std::int64_t max) {
  throw SizeError(std::string(what) + ": " + std::to_string(value) + " is outside [" + std::to_string(min) + ", " +
                  limit_text(max) + "]");
}

}  // namespace hopcap
