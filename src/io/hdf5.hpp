#pragma once
// The HDF5 layer of hopcap's files (results, feature maps, landscapes, HDF5 inputs), inside
// src/io only (kernels never see HDF5):
// - Handle: one owned hid_t, movable, closed with its matching H5*close;
// - fail()/check_id()/check_ok()/owned(): every failure throws H5Error
//   "<where>: <what> (HDF5: ...)" with HDF5's own error stack;
// - one attribute convention: text attributes are scalar fixed-length UTF-8 strings (netCDF
//   NC_CHAR), numbers are scalars or 1-D arrays of the file type matching their C++ type;
// - netCDF-4 structure: coordinate variables that are dimension scales, attached to every
//   dimension of every variable, creation order tracked;
// - MemoryFile / write_new_file / rewrite_file: every file is built in memory and put in place
//   by one write to a temporary name and a rename.

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace hopcap::io::hdf5 {

/// An owned HDF5 identifier, closed by `closer` when the handle dies (moved-from handles own
/// nothing).
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      closer_ = other.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes the identifier now (a failed close is HDF5's to report on its error stack).
  void reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = -1;
  }
  /// Gives up ownership: the caller closes the identifier.
  hid_t release() { return std::exchange(id_, -1); }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Silences HDF5's own error printing while hopcap reports failures itself.
class QuietErrors {
 public:
  QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;
  ~QuietErrors();

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The descriptions on HDF5's current error stack, outermost first (at most four), as
/// " (HDF5: a; b)" or "" when empty; clears the stack.
std::string error_stack();

/// Throws H5Error "<where>: <what>" followed by HDF5's error stack.
[[noreturn]] void fail(const std::string& where, const std::string& what);
hid_t check_id(hid_t id, const std::string& where, const std::string& what);
void check_ok(herr_t status, const std::string& where, const std::string& what);
/// `id` as a Handle closed by `closer`; throws (fail) when `id` is invalid.
Handle owned(hid_t id, Handle::Closer closer, const std::string& where, const std::string& what);

// ---- types --------------------------------------------------------------------------------

/// A fixed-length, null-padded UTF-8 string type of `size` bytes (at least 1).
Handle fixed_string_type(std::size_t size, const std::string& where);
/// A variable-length UTF-8 string type (netCDF NC_STRING).
Handle vlen_string_type(const std::string& where);

/// The little-endian file type and the native memory type of a C++ number type.
template <class T>
struct NumberType;
template <>
struct NumberType<double> {
  static hid_t file() { return H5T_IEEE_F64LE; }
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
};
template <>
struct NumberType<std::int64_t> {
  static hid_t file() { return H5T_STD_I64LE; }
  static hid_t memory() { return H5T_NATIVE_INT64; }
};
template <>
struct NumberType<std::int32_t> {
  static hid_t file() { return H5T_STD_I32LE; }
  static hid_t memory() { return H5T_NATIVE_INT32; }
};
template <>
struct NumberType<std::int8_t> {
  static hid_t file() { return H5T_STD_I8LE; }
  static hid_t memory() { return H5T_NATIVE_INT8; }
};

// ---- attributes ---------------------------------------------------------------------------

/// Writes (replacing) a scalar text attribute: a fixed-length UTF-8 string (netCDF NC_CHAR).
void write_attribute(hid_t object, const std::string& name, std::string_view value, const std::string& where);
inline void write_attribute(hid_t object, const std::string& name, const char* value, const std::string& where) {
  write_attribute(object, name, std::string_view(value), where);
}
inline void write_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& where) {
  write_attribute(object, name, std::string_view(value), where);
}

/// Writes (replacing) a numeric attribute stored as `stored_type`: a scalar when `count` is 0,
/// else a 1-D array of `count` values.
void write_numeric_attribute(hid_t object, const std::string& name, hid_t stored_type, hid_t mem_type,
                             const void* data, hsize_t count, const std::string& where);

/// Writes (replacing) a scalar number attribute of the file type matching T.
template <class T>
  requires std::is_arithmetic_v<T>
void write_attribute(hid_t object, const std::string& name, T value, const std::string& where) {
  write_numeric_attribute(object, name, NumberType<T>::file(), NumberType<T>::memory(), &value, 0, where);
}

/// Writes (replacing) a 1-D number attribute (e.g. CF flag_values).
template <class T>
void write_attribute(hid_t object, const std::string& name, std::span<const T> values, const std::string& where) {
  write_numeric_attribute(object, name, NumberType<T>::file(), NumberType<T>::memory(), values.data(),
                          static_cast<hsize_t>(values.size()), where);
}

/// A scalar attribute (any string, integer or float) as text: integers in decimal, floats with
/// every digit. Throws InputError when it is absent or not a single value.
std::string read_text_attribute(hid_t object, const std::string& name, const std::string& where);

/// The attributes every netCDF variable of hopcap carries: `long_name`, and `units` unless
/// empty (string coordinates and flags have none).
void describe(hid_t dataset, const std::string& long_name, const std::string& units, const std::string& where);

// ---- structure ----------------------------------------------------------------------------

/// File creation properties with link and attribute creation order tracked, as netCDF-4 needs
/// to list variables and attributes in the order they were written.
Handle ordered_file_creation(const std::string& where);
/// Dataset creation properties with attribute creation order tracked.
Handle ordered_dataset_creation(const std::string& where);
/// A new group with link and attribute creation order tracked.
Handle create_group(hid_t parent, const std::string& name, const std::string& where);

/// A dataspace of `dims` (a scalar when empty).
Handle dataspace(const std::vector<hsize_t>& dims, const std::string& where);

/// Creates a contiguous dataset of shape `dims` (attribute order tracked), writes `data`
/// (mem_type) and returns it open.
Handle write_dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims, hid_t stored_type,
                     hid_t mem_type, const void* data, const std::string& where);
template <class T>
Handle write_dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims,
                     const std::vector<T>& data, const std::string& where) {
  return write_dataset(parent, name, dims, NumberType<T>::file(), NumberType<T>::memory(), data.data(), where);
}
/// A 1-D dataset of variable-length UTF-8 strings.
Handle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                     const std::string& where);

/// Makes `dataset` the dimension scale (netCDF dimension) of its own name: a coordinate variable.
void make_dimension_scale(hid_t dataset, const std::string& name, const std::string& where);
/// Attaches `scales[k]` to dimension k of `dataset`.
void attach_dimensions(hid_t dataset, const std::vector<hid_t>& scales, const std::string& where);

/// A 1-D integer coordinate variable 0, 1, ..., size-1 that is the dimension scale `name`, with
/// `long_name` and `units`.
Handle index_coordinate(hid_t parent, const std::string& name, hsize_t size, const std::string& long_name,
                        const std::string& units, const std::string& where);

// ---- files --------------------------------------------------------------------------------

/// An HDF5 file held in memory (the core driver without a backing store). HDF5 1.10 cannot
/// survive a failed H5Fclose: it frees the file's state but keeps its id, and the library's
/// exit handler (or MPI_Finalize) then crashes on that id. A file in memory does no I/O when it
/// is flushed or closed, so those cannot fail; its bytes reach the disk through
/// write_new_file(), where every failure is an ordinary, checked system call.
class MemoryFile {
 public:
  /// A new, empty file; `fcpl` may be H5P_DEFAULT.
  static MemoryFile create(hid_t fcpl, const std::string& where);
  /// An existing file, read whole into memory for changes (the file itself is never written).
  static MemoryFile open(const std::filesystem::path& path, const std::string& where);

  hid_t get() const { return file_.get(); }
  /// The complete file as it would be on disk (every object of it must be closed).
  std::vector<char> image(const std::string& where) const;

 private:
  explicit MemoryFile(Handle file) : file_(std::move(file)) {}
  Handle file_;
};

/// The one way hopcap puts a finished file at `path`: writes `bytes` to a temporary file in the
/// same directory (`<path>.partial-<pid>`), syncs it, renames it into place and syncs the
/// directory, so that `path` holds the old file or the complete new one, never a part. The
/// rename replaces an existing file only when `overwrite` is set, and never anything that is
/// not a regular file (see check_output_target(); `existing_hint` ends the refusal of an
/// existing file). On failure the temporary file is removed. Throws ConfigError (refused
/// target) or H5Error naming the failed step and the system's reason.
void write_new_file(const std::filesystem::path& path, std::span<const char> bytes, bool overwrite,
                    const std::string& where, const std::string& existing_hint);

/// Builds a new file in memory with `build(file)` (creation order tracked) and puts it at `path`
/// through write_new_file().
void write_file(const std::filesystem::path& path, const std::function<void(hid_t)>& build, bool overwrite,
                const std::string& where, const std::string& existing_hint);

/// Changes a closed file as a whole: reads it into memory, applies `change(file)`, and replaces
/// it through write_new_file(), so that a failure leaves it exactly as it was. A path that is a
/// symbolic link is replaced where it points.
void rewrite_file(const std::filesystem::path& path, const std::function<void(hid_t)>& change,
                  const std::string& where);

/// Closes a file opened for writing with the sec2 driver, whose metadata hopcap keeps clean
/// (only preallocated raw data is written): flushes and syncs it, then lets HDF5 close it on a
/// scratch descriptor, so that the close cannot fail on a failing disk and leave a dangling id
/// (see MemoryFile). Throws H5Error when the flush or the sync failed; the id is closed anyway.
void close_written_file(hid_t file, const std::string& where);

}  // namespace hopcap::io::hdf5
