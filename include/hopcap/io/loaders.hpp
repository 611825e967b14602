#pragma once
// Readers for memory sets stored in files. Each returns the vectors as the rows of a Matrix and
// throws InputError (or H5Error) naming the file and the problem when it cannot.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "hopcap/matrix.hpp"

namespace hopcap::io {

enum class TextFormat {
  automatic,  ///< Sloane's format when the file name is pack.D.N.txt or the header says so
  vectors,    ///< one vector per line, whitespace- or comma-separated
  sloane,     ///< Sloane's packings: one number per line (or D per line), trailer lines ignored,
              ///< integer files with a "D N 1" header scaled by 2^30 (rows normalised)
};

/// Text files larger than this are refused: the tokenised file takes several times its size in
/// memory, and large sets belong in IDX or HDF5 files.
inline constexpr std::uint64_t kMaxTextFileBytes = std::uint64_t{256} << 20;

/// Reads a text file of vectors (a regular file of at most kMaxTextFileBytes). `dim` is needed for Sloane's one-number-per-line files when
/// the file name does not carry it (pack.D.N.txt); 0 means "infer".
Matrix load_text(const std::filesystem::path& path, TextFormat format = TextFormat::automatic,
                 std::int64_t dim = 0);

/// Reads an IDX file (MNIST/Fashion-MNIST layout, unsigned-byte images or any IDX numeric
/// type), gzipped or not. Items become rows; raw values as doubles (pixels 0..255).
Matrix load_idx(const std::filesystem::path& path);

/// Reads a 1-D or 2-D numeric HDF5 dataset (rows are vectors) from `path` at `dataset`.
Matrix load_h5(const std::filesystem::path& path, const std::string& dataset);

/// Everything load_h5 checks before reading the values (file, dataset, numeric type, rank,
/// extents), without reading them; returns (rows, columns). Throws as load_h5 does.
std::pair<std::int64_t, std::int64_t> check_h5(const std::filesystem::path& path,
                                               const std::string& dataset);

/// Preprocessing applied after loading, in this order: seeded subset, pixel scaling, sphere.
struct Preprocess {
  std::int64_t subset = 0;           ///< keep this many rows chosen by a seeded shuffle (0: all)
  std::uint64_t subset_seed = 0;     ///< seed of that choice
  bool scale_pixels = false;         ///< x ↦ x/127.5 − 1 (pixels 0..255 → [−1, 1], as the paper)
  bool project_to_sphere = false;    ///< scale every row to unit norm
};
Matrix preprocess(Matrix data, const Preprocess& options);

/// A source spec split into its parts: "idx:PATH", "text:PATH", "sloane:PATH",
/// "h5:PATH:DATASET", or a bare PATH whose format is guessed from its name (.idx*/-ubyte[.gz]
/// is idx, .h5/.hdf5 needs h5:PATH:DATASET, anything else is text). Throws ConfigError for a
/// malformed spec; does not touch the file.
struct SourceSpec {
  enum class Kind { idx, text, sloane, h5, text_auto } kind = Kind::text_auto;
  std::string path;
  std::string dataset;  ///< h5 only
};
SourceSpec parse_source_spec(std::string_view spec);

/// Opens and checks a source once, as load_source would, so a sweep can refuse a bad source
/// before running: text and IDX files are read and parsed in full (values discarded), HDF5
/// datasets checked up to their extents (check_h5). Throws what load_source would. A source
/// that passed is not read again while its file is unchanged (same inode, size and mtime).
void check_source(std::string_view spec);

/// Loads from a source spec (see parse_source_spec). Refuses (InputError) a row whose squared
/// norm overflows a double: no retrieval on it could give a finite result.
Matrix load_source(std::string_view spec);

}  // namespace hopcap::io
