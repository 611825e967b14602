#pragma once
// The HDF5 results file of a sweep: self-describing and netCDF-4 compatible, so that
// xarray (engine="h5netcdf"), h5py and netCDF tools open it with named dimensions.
//
// Layout (documented for users in docs/output-format.md, netCDF-4 and CF-1.8):
// - one dimension per sweep axis, each with a coordinate variable of the same name that is an
//   HDF5 dimension scale (numbers as float64/int64 with `long_name` and `units`, labels as
//   variable-length strings with `long_name` only);
// - extra dimensions for curves (e.g. `uhop_iteration`, `metastable_size`), each with an
//   integer coordinate variable 0..n-1 that is a dimension scale, with `long_name` and `units`;
// - data variables over a list of those dimensions, float64 / int64 / int8, with `long_name`,
//   `units` and `_FillValue` (and CF flag attributes where the layout gives them); the int8
//   variable `status` carries CF `flag_values` and `flag_meanings`; `message` is a
//   variable-length UTF-8 string per point (netCDF NC_STRING), empty or the failure message;
// - global attributes (strings or numbers: provenance, the config text, the layout version).
//
// Crash safety: create() writes all metadata and allocates every numeric dataset up front
// (contiguous, early allocation, filled with the fill values), in memory, and puts the complete
// file in place by a rename. Afterwards, numbers are written only into the preallocated raw
// data, which never changes metadata, so a process killed at any moment, or a failed write,
// leaves a readable file; the data of a point counts once its status is written, and
// write_point() writes the status last. A variable-length string lives in HDF5's global heap,
// metadata that changes whenever one is written: so a point with a message gets its message
// and its status by a rename of a complete copy of the file at the next flush() or close(),
// like the final attributes.
//
// Serial HDF5 on one process (the writer rank): it does not use MPI-IO.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace hopcap::io {

inline constexpr int kResultsFormatVersion = 2;

/// A global attribute: text, an integer (int64) or a real number (float64).
using AttributeValue = std::variant<std::string, std::int64_t, double>;

/// Status of a grid point.
enum class PointStatus : std::int8_t { not_run = 0, ok = 1, failed = 2, skipped = 3 };

struct AxisSpec {
  std::string name;       ///< dimension and coordinate variable name, e.g. "M"
  std::string long_name;  ///< e.g. "number of memories"
  std::string units;      ///< e.g. "1"; empty for labels (CF: strings have no units)
  std::vector<double> numbers;      ///< numeric coordinates (exactly one of numbers/labels)
  std::vector<std::string> labels;  ///< string coordinates (e.g. separation names)
  bool integer = false;   ///< store numbers as int64
  std::size_t size() const { return labels.empty() ? numbers.size() : labels.size(); }
};

struct ExtraDimSpec {
  std::string name;  ///< e.g. "uhop_iteration"
  std::string long_name;
  std::int64_t size = 0;
  std::string units = "1";
};

enum class ValueType { f64, i64, i8 };

struct VariableSpec {
  std::string name;
  std::string long_name;
  std::string units;
  std::vector<std::string> dims;  ///< axis names and/or extra dimension names, in order
  ValueType type = ValueType::f64;
  /// CF flags: the values this variable takes and their names (space-separated), or none.
  std::vector<std::int64_t> flag_values = {};
  std::string flag_meanings = {};
};

struct ResultsLayout {
  std::vector<AxisSpec> axes;          ///< the grid dimensions, in order
  std::vector<ExtraDimSpec> extra_dims;
  std::vector<VariableSpec> variables;  ///< besides `status` and `message`, which are implied
  std::int64_t message_length = 160;    ///< bytes per failure message
  std::map<std::string, AttributeValue> attributes;  ///< global attributes
};

class OutputLock;  // src/io/output_lock.hpp

class ResultsFile {
 public:
  /// Creates the file with every dataset preallocated; `status` and `message` are added over
  /// all grid axes. An existing file is replaced only with `overwrite`, a path that is not a
  /// regular file never (ConfigError, saying to use --resume or --overwrite). Throws H5Error
  /// naming the file when it cannot be written.
  static ResultsFile create(const std::filesystem::path& path, const ResultsLayout& layout,
                            bool overwrite = false);
  /// Reopens an existing file for writing (resume). Throws H5Error/InputError if it is missing
  /// or was not written by hopcap (no `hopcap_format_version` attribute).
  ///
  /// Both hold an exclusive lock on the path (the sidecar "<path>.lock", see OutputLock) until
  /// close(): while one ResultsFile has the path, create() and open() elsewhere throw
  /// InputError "... is in use by another hopcap run (pid N ...)".
  static ResultsFile open(const std::filesystem::path& path);

  ResultsFile(ResultsFile&&) noexcept;
  ResultsFile& operator=(ResultsFile&&) noexcept;
  ~ResultsFile();

  /// Grid shape (axis sizes in order) as stored in the file.
  std::vector<std::int64_t> grid_shape() const;
  /// Global attribute as text (numbers in decimal), or "" if absent.
  std::string attribute(const std::string& name) const;
  /// Status of every grid point, row-major over the axes.
  std::vector<PointStatus> read_status() const;

  /// Writes the values of one grid point: `values` maps variable name → data. A variable over
  /// exactly the grid axes takes one value; one with extra dimensions takes the product of
  /// their sizes (row-major); shorter curves are padded with the fill value. Then, last, the
  /// status. A non-empty message (truncated to message_length bytes) and the status with it
  /// reach the file at the next flush() or close(); read_status() sees them at once.
  /// `point` is the multi-index over the grid axes.
  void write_point(std::span<const std::int64_t> point,
                   const std::map<std::string, std::vector<double>>& values, PointStatus status,
                   const std::string& message = "");
  /// Reads one variable at one grid point (all extra-dimension values, row-major).
  std::vector<double> read_point(const std::string& variable, std::span<const std::int64_t> point) const;

  /// Makes everything written so far durable (H5Fflush + fsync of the file); points with
  /// messages are put in by rewriting the file (see the top of this header).
  void flush();
  /// Sets a global attribute when the file is closed: call it only at the end of a run,
  /// followed by close(). close() writes the attributes into a complete copy of the file and
  /// renames it over the file, so a failure leaves the file as it was (see results_file.cpp).
  void set_final_attribute(const std::string& name, AttributeValue value);
  /// Makes everything durable, closes the file, writes the final attributes and releases the
  /// lock. Throws H5Error when any of it failed; the file is closed and unlocked anyway. A
  /// ResultsFile destroyed without close() keeps its points and drops its final attributes.
  void close();

 private:
  struct Impl;
  explicit ResultsFile(std::unique_ptr<Impl> impl);
  static ResultsFile open_locked(const std::filesystem::path& path, OutputLock lock);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hopcap::io
