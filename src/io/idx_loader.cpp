// IDX files (the MNIST layout): big-endian header, then the raw array. zlib reads gzipped and
// plain files alike.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::io {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const fs::path& path, const std::string& problem) {
  throw InputError(path.string() + ": " + problem);
}

class GzFile {
 public:
  // The descriptor comes from InputFile, so a FIFO or device is refused before zlib sees it.
  explicit GzFile(const fs::path& path) : path_(path) {
    InputFile input(path);
    file_ = gzdopen(input.descriptor(), "rb");
    if (file_ == nullptr) fail(path, "cannot open file for reading");
    input.release();  // gzclose closes it from here on
    gzbuffer(file_, 1u << 20);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  ~GzFile() { gzclose(file_); }

  // Reads up to size bytes; returns how many were read (fewer only at the end of the data).
  std::size_t read(unsigned char* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      const std::size_t chunk = std::min<std::size_t>(size - done, 1u << 30);
      const int got = gzread(file_, out + done, static_cast<unsigned>(chunk));
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        fail(path_, "read error at byte offset " + std::to_string(offset_ + done) + ": " +
                        (message != nullptr ? message : "unknown zlib error"));
      }
      if (got == 0) {
        require_complete_stream(offset_ + done);
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    offset_ += done;
    return done;
  }

  std::size_t offset() const { return offset_; }

 private:
  // At the end of the data zlib reports a gzip stream that stops before its end (no trailer
  // with the CRC and length, or cut inside the compressed data) only as Z_BUF_ERROR, a
  // "warning" gzread does not return as an error; without this check such a file is accepted.
  void require_complete_stream(std::size_t at) {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (code == Z_BUF_ERROR) {
      fail(path_, "truncated gzip stream: the compressed data ends before the end of the stream "
                  "(uncompressed byte offset " + std::to_string(at) + ", zlib: " +
                      (message != nullptr ? message : "unexpected end of file") + ")");
    }
  }

  fs::path path_;
  gzFile file_ = nullptr;
  std::size_t offset_ = 0;  // bytes of uncompressed data consumed so far
};

std::uint32_t big_endian_u32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

template <typename Raw>
Raw big_endian(const unsigned char* p) {
  using Bits = std::conditional_t<sizeof(Raw) == 2, std::uint16_t,
                                  std::conditional_t<sizeof(Raw) == 4, std::uint32_t,
                                                      std::uint64_t>>;
  Bits bits = 0;
  for (std::size_t i = 0; i < sizeof(Raw); ++i) bits = static_cast<Bits>((bits << 8) | p[i]);
  return std::bit_cast<Raw>(bits);
}

double decode(unsigned char type, const unsigned char* p) {
  switch (type) {
    case 0x08: return static_cast<double>(p[0]);
    case 0x09: return static_cast<double>(static_cast<signed char>(p[0]));
    case 0x0B: return static_cast<double>(big_endian<std::int16_t>(p));
    case 0x0C: return static_cast<double>(big_endian<std::int32_t>(p));
    case 0x0D: return static_cast<double>(big_endian<float>(p));
    default: return big_endian<double>(p);
  }
}

std::size_t type_size(unsigned char type) {
  switch (type) {
    case 0x08:
    case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C:
    case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

}  // namespace

Matrix load_idx(const std::filesystem::path& path) {
  GzFile file(path);

  std::array<unsigned char, 4> magic{};
  const std::size_t got_magic = file.read(magic.data(), magic.size());
  if (got_magic == 0) fail(path, "empty file");
  if (got_magic < magic.size()) fail(path, "truncated IDX header: file ends at byte offset " +
                                               std::to_string(got_magic));
  const unsigned char type = magic[2];
  const unsigned ndims = magic[3];
  const std::size_t width = type_size(type);
  if (magic[0] != 0 || magic[1] != 0 || width == 0 || ndims == 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]);
    fail(path, "bad IDX magic number at byte offset 0 (" + std::string(hex) +
                   "); expected 00 00 <type 08/09/0b/0c/0d/0e> <rank >= 1>");
  }

  std::vector<unsigned char> dims_raw(4 * ndims);
  if (file.read(dims_raw.data(), dims_raw.size()) < dims_raw.size()) {
    fail(path, "truncated IDX header: file ends at byte offset " + std::to_string(file.offset()) +
                   " while reading " + std::to_string(ndims) + " dimensions");
  }
  // Items (first dimension) become rows; the remaining dimensions are flattened into columns.
  const auto rows = static_cast<std::int64_t>(big_endian_u32(dims_raw.data()));
  std::int64_t cols = 1;
  for (unsigned k = 1; k < ndims; ++k) {
    const auto extent = static_cast<std::int64_t>(big_endian_u32(dims_raw.data() + 4 * k));
    const auto product = product_within(cols, extent);
    if (!product) fail(path, "IDX dimensions are too large");
    cols = *product;
  }
  if (rows == 0 || cols == 0) fail(path, "IDX file holds no data (a dimension is 0)");
  if (!product_within(rows, cols)) fail(path, "IDX dimensions are too large");

  const std::size_t count = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const std::size_t header_bytes = file.offset();
  // Grow the result with the data actually read, so a damaged header that claims a huge array
  // fails at the end of the file instead of in the allocator.
  std::vector<double> values;
  std::vector<unsigned char> block(width * std::min<std::size_t>(count, std::size_t{1} << 20));
  const std::size_t per_block = block.size() / width;
  for (std::size_t first = 0; first < count; first += per_block) {
    const std::size_t n = std::min(per_block, count - first);
    const std::size_t got = file.read(block.data(), n * width);
    if (got < n * width) {
      fail(path, "truncated IDX payload: data ends at byte offset " +
                     std::to_string(file.offset()) + ", expected " +
                     std::to_string(header_bytes + count * width) + " bytes for " +
                     std::to_string(rows) + " x " + std::to_string(cols) + " values");
    }
    if (first == 0) values.reserve(std::min(count, std::size_t{1} << 26));
    for (std::size_t i = 0; i < n; ++i) {
      const double value = decode(type, block.data() + i * width);
      if (!std::isfinite(value)) {
        fail(path, "non-finite value at byte offset " +
                       std::to_string(header_bytes + (first + i) * width));
      }
      values.push_back(value);
    }
  }
  unsigned char extra = 0;
  if (file.read(&extra, 1) != 0) {
    fail(path, "unexpected data after the IDX payload at byte offset " +
                   std::to_string(header_bytes + count * width));
  }
  Matrix out;
  out.rows = rows;
  out.cols = cols;
  out.data = std::move(values);
  return out;
}

}  // namespace hopcap::io
