#include "hopcap/io/file_fingerprint.hpp"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "hopcap/error.hpp"

namespace hopcap::io {

std::string file_fingerprint(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError("cannot fingerprint '" + path.string() + "': not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read '" + path.string() + "'");
  std::vector<char> buffer(1 << 20);
  uLong crc = crc32(0L, Z_NULL, 0);
  std::uintmax_t size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(got));
    size += static_cast<std::uintmax_t>(got);
  }
  if (in.bad()) throw InputError("error reading '" + path.string() + "'");
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return "size " + std::to_string(size) + " bytes, crc32 " + hex;
}

}  // namespace hopcap::io
