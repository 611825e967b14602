// Preprocessing of loaded memory sets and the source-spec front end of the loaders.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/rng.hpp"

namespace hopcap::io {
namespace {

// Stream id reserved for subset shuffles, so they never share numbers with memory sets.
constexpr std::uint64_t subset_stream_id = 0x5375627365744964ULL;

Matrix seeded_subset(const Matrix& data, std::int64_t subset, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(data.rows);
  const auto k = static_cast<std::size_t>(subset);
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), std::int64_t{0});
  // Partial Fisher–Yates: the first k entries are a uniform k-subset of the rows.
  rng::Stream stream(seed, subset_stream_id, 0);
  for (std::size_t i = 0; i < k; ++i) {
    const auto j = i + static_cast<std::size_t>(stream.below(n - i));
    std::swap(order[i], order[j]);
  }
  order.resize(k);
  std::sort(order.begin(), order.end());  // keep the file's order among the chosen rows
  Matrix out(subset, data.cols);
  for (std::int64_t i = 0; i < subset; ++i) {
    const double* src = data.row(order[static_cast<std::size_t>(i)]);
    std::copy(src, src + data.cols, out.row(i));
  }
  return out;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(),
                                                suffix) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Retrieval forms inner products ξᵀx of memories and queries of the same scale, so a row whose
// squared norm overflows a double can only produce inf or nan: refuse it where it is loaded.
// (The loaders already refuse non-finite values.)
void require_representable_norms(std::string_view spec, const Matrix& data) {
  for (std::int64_t i = 0; i < data.rows; ++i) {
    const double* r = data.row(i);
    double norm2 = 0.0;
    for (std::int64_t j = 0; j < data.cols; ++j) norm2 += r[j] * r[j];
    if (!std::isfinite(norm2)) {
      throw InputError("source '" + std::string(spec) + "': row " + std::to_string(i) +
                       " is too large: its squared norm overflows a double (entries must stay "
                       "well below 1e154); rescale the data");
    }
  }
}

}  // namespace

Matrix preprocess(Matrix data, const Preprocess& options) {
  require(options.subset >= 0, "subset must be >= 0 (0 keeps every row), got " +
                                   std::to_string(options.subset));
  if (options.subset > 0) {
    require(options.subset <= data.rows,
            "subset of " + std::to_string(options.subset) + " rows requested but the data has " +
                "only " + std::to_string(data.rows));
    data = seeded_subset(data, options.subset, options.subset_seed);
  }
  if (options.scale_pixels) {
    for (double& x : data.data) x = x / 127.5 - 1.0;
  }
  if (options.project_to_sphere) {
    const std::vector<double> norms = row_norms(data);
    for (std::int64_t i = 0; i < data.rows; ++i) {
      const double norm = norms[static_cast<std::size_t>(i)];
      if (!(norm > 0.0) || !std::isfinite(norm)) {
        throw InputError("cannot project row " + std::to_string(i) +
                         " onto the unit sphere: its norm is " + std::to_string(norm));
      }
      double* r = data.row(i);
      for (std::int64_t j = 0; j < data.cols; ++j) r[j] /= norm;
    }
  }
  return data;
}

SourceSpec parse_source_spec(std::string_view spec) {
  const std::string quoted = "source '" + std::string(spec) + "'";
  const auto colon = spec.find(':');
  const bool has_colon = colon != std::string_view::npos;
  const std::string kind = has_colon ? std::string(spec.substr(0, colon)) : std::string();
  const std::string rest = has_colon ? std::string(spec.substr(colon + 1)) : std::string();
  const auto with_path = [&](SourceSpec::Kind k, const std::string& path) {
    if (path.empty()) throw ConfigError(quoted + ": no file path given");
    return SourceSpec{k, path, {}};
  };

  if (kind == "idx") return with_path(SourceSpec::Kind::idx, rest);
  if (kind == "text") return with_path(SourceSpec::Kind::text, rest);
  if (kind == "sloane") return with_path(SourceSpec::Kind::sloane, rest);
  if (kind == "h5") {
    // The dataset follows the last ':' (dataset paths never contain one; file paths may).
    const auto split = rest.rfind(':');
    if (split == std::string::npos || split == 0 || split + 1 == rest.size()) {
      throw ConfigError(quoted + ": expected h5:PATH:DATASET");
    }
    return SourceSpec{SourceSpec::Kind::h5, rest.substr(0, split), rest.substr(split + 1)};
  }

  // Anything else is a bare path whose format follows from its name.
  const std::string path(spec);
  const std::string name = lower(std::filesystem::path(path).filename().string());
  if (ends_with(name, ".h5") || ends_with(name, ".hdf5")) {
    throw ConfigError(quoted + ": HDF5 files need a dataset: use h5:" + path + ":DATASET");
  }
  if (name.find(".idx") != std::string::npos || ends_with(name, "-ubyte") ||
      ends_with(name, "-ubyte.gz")) {
    return with_path(SourceSpec::Kind::idx, path);
  }
  return with_path(SourceSpec::Kind::text_auto, path);
}

namespace {

Matrix load_by_kind(const SourceSpec& source) {
  switch (source.kind) {
    case SourceSpec::Kind::idx: return load_idx(source.path);
    case SourceSpec::Kind::text: return load_text(source.path, TextFormat::vectors);
    case SourceSpec::Kind::sloane: return load_text(source.path, TextFormat::sloane);
    case SourceSpec::Kind::h5: return load_h5(source.path, source.dataset);
    case SourceSpec::Kind::text_auto: break;
  }
  return load_text(source.path, TextFormat::automatic);
}

}  // namespace

Matrix load_source(std::string_view spec) {
  Matrix data = load_by_kind(parse_source_spec(spec));
  require_representable_norms(spec, data);
  return data;
}

void check_source(std::string_view spec) {
  const SourceSpec source = parse_source_spec(spec);
  // A sweep config is validated several times per command (parsing, each --set, planning):
  // a source that passed, from a file unchanged since, is not read again.
  static std::mutex mutex;
  static std::set<std::string> passed;
  const std::string identity = regular_file_identity(source.path);
  const std::string key = std::string(spec) + '\n' + identity;
  if (!identity.empty()) {
    const std::lock_guard lock(mutex);
    if (passed.count(key) != 0) return;
  }
  // HDF5 data sets can be far larger than any text or IDX file: their header says enough.
  if (source.kind == SourceSpec::Kind::h5) {
    (void)check_h5(source.path, source.dataset);
  } else {
    (void)load_source(spec);
  }
  if (!identity.empty()) {
    const std::lock_guard lock(mutex);
    passed.insert(key);
  }
}

}  // namespace hopcap::io
