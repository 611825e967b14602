#pragma once
// The HDF5 results file of a sweep: self-describing and netCDF-4 compatible, so that
// xarray (engine="h5netcdf"), h5py and netCDF tools open it with named dimensions.
//
// Layout (documented for users in docs/output-format.md):
// - one dimension per sweep axis, each with a coordinate variable of the same name that is an
//   HDF5 dimension scale (numbers as float64/int64, labels as strings), with `long_name` and
//   `units`;
// - extra dimensions for curves (e.g. `uhop_iteration`, `metastable_size`), each with an
//   integer coordinate variable 0..n-1 that is a dimension scale;
// - data variables over a list of those dimensions, float64 / int64 / int8, with `long_name`,
//   `units` and `_FillValue`; the int8 variable `status` carries CF `flag_values` and
//   `flag_meanings`; `message` is a fixed-length string per point (failure messages);
// - global string attributes (provenance, the config text, the layout version).
//
// Crash safety: create() writes all metadata and allocates every dataset up front (contiguous,
// early allocation, filled with the fill values) and closes the file. Afterwards, results are
// written only into the preallocated raw data, which never changes metadata, so a process
// killed at any moment leaves a readable file; the data of a point counts once its status is
// written, and write_point() writes the status last.
//
// Serial HDF5 on one process (the writer rank): it does not use MPI-IO.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hopcap::io {

inline constexpr int kResultsFormatVersion = 1;

/// Status of a grid point.
enum class PointStatus : std::int8_t { not_run = 0, ok = 1, failed = 2, skipped = 3 };

struct AxisSpec {
  std::string name;       ///< dimension and coordinate variable name, e.g. "M"
  std::string long_name;  ///< e.g. "number of memories"
  std::string units;      ///< e.g. "1"
  std::vector<double> numbers;      ///< numeric coordinates (exactly one of numbers/labels)
  std::vector<std::string> labels;  ///< string coordinates (e.g. separation names)
  bool integer = false;   ///< store numbers as int64
  std::size_t size() const { return labels.empty() ? numbers.size() : labels.size(); }
};

struct ExtraDimSpec {
  std::string name;  ///< e.g. "uhop_iteration"
  std::string long_name;
  std::int64_t size = 0;
};

enum class ValueType { f64, i64, i8 };

struct VariableSpec {
  std::string name;
  std::string long_name;
  std::string units;
  std::vector<std::string> dims;  ///< axis names and/or extra dimension names, in order
  ValueType type = ValueType::f64;
};

struct ResultsLayout {
  std::vector<AxisSpec> axes;          ///< the grid dimensions, in order
  std::vector<ExtraDimSpec> extra_dims;
  std::vector<VariableSpec> variables;  ///< besides `status` and `message`, which are implied
  std::int64_t message_length = 160;    ///< bytes per failure message
  std::map<std::string, std::string> attributes;  ///< global string attributes
};

class ResultsFile {
 public:
  /// Creates (replacing) the file with every dataset preallocated; `status` and `message`
  /// are added over all grid axes. Throws H5Error naming the file.
  static ResultsFile create(const std::filesystem::path& path, const ResultsLayout& layout);
  /// Reopens an existing file for writing (resume). Throws H5Error/InputError if it is missing
  /// or was not written by hopcap (no `hopcap_format_version` attribute).
  static ResultsFile open(const std::filesystem::path& path);

  ResultsFile(ResultsFile&&) noexcept;
  ResultsFile& operator=(ResultsFile&&) noexcept;
  ~ResultsFile();

  /// Grid shape (axis sizes in order) as stored in the file.
  std::vector<std::int64_t> grid_shape() const;
  /// Global string attribute, or "" if absent.
  std::string attribute(const std::string& name) const;
  /// Status of every grid point, row-major over the axes.
  std::vector<PointStatus> read_status() const;

  /// Writes the values of one grid point: `values` maps variable name → data. A variable over
  /// exactly the grid axes takes one value; one with extra dimensions takes the product of
  /// their sizes (row-major); shorter curves are padded with the fill value. Then writes the
  /// message (truncated to message_length) and, last, the status. `point` is the multi-index
  /// over the grid axes.
  void write_point(std::span<const std::int64_t> point,
                   const std::map<std::string, std::vector<double>>& values, PointStatus status,
                   const std::string& message = "");
  /// Reads one variable at one grid point (all extra-dimension values, row-major).
  std::vector<double> read_point(const std::string& variable, std::span<const std::int64_t> point) const;

  /// Makes everything written so far durable (H5Fflush + fsync of the file).
  void flush();
  /// Sets a global string attribute. This changes metadata: call it only at the end of a run,
  /// immediately followed by close().
  void set_final_attribute(const std::string& name, const std::string& value);
  void close();

 private:
  struct Impl;
  explicit ResultsFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hopcap::io
