#include "sweep/wire.hpp"

#include <cstdint>
#include <cstring>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap::sweep {

std::vector<char> pack(const ConfigResult& r) {
  std::vector<char> out;
  auto put = [&out](const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    out.insert(out.end(), c, c + n);
  };
  auto put_string = [&](const std::string& s) {
    const std::uint64_t n = s.size();
    put(&n, sizeof n);
    put(s.data(), s.size());
  };
  put(&r.id, sizeof r.id);
  put(&r.status, sizeof r.status);
  put(&r.flops, sizeof r.flops);
  put_string(r.message);
  const std::uint64_t count = r.values.size();
  put(&count, sizeof count);
  for (const auto& [name, values] : r.values) {
    put_string(name);
    const std::uint64_t n = values.size();
    put(&n, sizeof n);
    put(values.data(), n * sizeof(double));
  }
  return out;
}

ConfigResult unpack(const char* data, std::size_t size) {
  std::size_t at = 0;
  auto get = [&](void* p, std::size_t n) {
    if (n > size - at) throw MpiError("truncated result message");
    std::memcpy(p, data + at, n);
    at += n;
  };
  // A length is checked against what is left before anything of that length is allocated.
  auto get_length = [&](std::size_t element) {
    std::uint64_t n = 0;
    get(&n, sizeof n);
    if (n > (size - at) / element) throw MpiError("truncated result message");
    return static_cast<std::size_t>(n);
  };
  auto get_string = [&] {
    const std::size_t n = get_length(1);
    std::string s(n, '\0');
    get(s.data(), n);
    return s;
  };
  ConfigResult r;
  get(&r.id, sizeof r.id);
  get(&r.status, sizeof r.status);
  get(&r.flops, sizeof r.flops);
  r.message = get_string();
  std::uint64_t count = 0;
  get(&count, sizeof count);
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::string name = get_string();
    const std::size_t n = get_length(sizeof(double));
    std::vector<double> values(n);
    get(values.data(), n * sizeof(double));
    r.values[name] = std::move(values);
  }
  return r;
}

}  // namespace hopcap::sweep
