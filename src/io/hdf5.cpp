#include "io/hdf5.hpp"

#include <fcntl.h>
#include <hdf5_hl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "hopcap/error.hpp"
#include "hopcap/io/output_target.hpp"

namespace hopcap::io::hdf5 {

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

std::string error_stack() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        auto& list = *static_cast<std::vector<std::string>*>(out);
        if (err != nullptr && err->desc != nullptr && list.size() < 4) list.emplace_back(err->desc);
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  std::string joined;
  for (const std::string& m : messages) joined += (joined.empty() ? "" : "; ") + m;
  return joined.empty() ? std::string() : " (HDF5: " + joined + ")";
}

void fail(const std::string& where, const std::string& what) {
  throw H5Error(where + ": " + what + error_stack());
}

hid_t check_id(hid_t id, const std::string& where, const std::string& what) {
  if (id < 0) fail(where, what);
  return id;
}

void check_ok(herr_t status, const std::string& where, const std::string& what) {
  if (status < 0) fail(where, what);
}

Handle owned(hid_t id, Handle::Closer closer, const std::string& where, const std::string& what) {
  return Handle(check_id(id, where, what), closer);
}

Handle fixed_string_type(std::size_t size, const std::string& where) {
  Handle type = owned(H5Tcopy(H5T_C_S1), H5Tclose, where, "cannot create a string type");
  check_ok(H5Tset_size(type.get(), std::max<std::size_t>(size, 1)), where, "cannot size a string type");
  check_ok(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), where, "cannot set string padding");
  check_ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, "cannot set string encoding");
  return type;
}

Handle vlen_string_type(const std::string& where) {
  Handle type = owned(H5Tcopy(H5T_C_S1), H5Tclose, where, "cannot create a string type");
  check_ok(H5Tset_size(type.get(), H5T_VARIABLE), where, "cannot make a variable-length string");
  check_ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, "cannot set string encoding");
  return type;
}

namespace {

// Deletes the attribute `name` of `object` when it exists, so that it can be written anew.
void remove_attribute(hid_t object, const std::string& name, const std::string& where) {
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists < 0) fail(where, "cannot look up attribute '" + name + "'");
  if (exists > 0) check_ok(H5Adelete(object, name.c_str()), where, "cannot replace attribute '" + name + "'");
}

}  // namespace

void write_attribute(hid_t object, const std::string& name, std::string_view value, const std::string& where) {
  const std::string what = "attribute '" + name + "'";
  remove_attribute(object, name, where);
  const Handle type = fixed_string_type(value.size(), where);
  const Handle space = dataspace({}, where);
  const Handle attr = owned(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                            H5Aclose, where, "cannot create " + what);
  std::string padded(value);
  padded.resize(std::max<std::size_t>(value.size(), 1), '\0');
  check_ok(H5Awrite(attr.get(), type.get(), padded.data()), where, "cannot write " + what);
}

void write_numeric_attribute(hid_t object, const std::string& name, hid_t stored_type, hid_t mem_type,
                             const void* data, hsize_t count, const std::string& where) {
  const std::string what = "attribute '" + name + "'";
  remove_attribute(object, name, where);
  const Handle space = count == 0 ? dataspace({}, where) : dataspace({count}, where);
  const Handle attr = owned(H5Acreate2(object, name.c_str(), stored_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                            H5Aclose, where, "cannot create " + what);
  check_ok(H5Awrite(attr.get(), mem_type, data), where, "cannot write " + what);
}

std::string read_text_attribute(hid_t object, const std::string& name, const std::string& where) {
  const std::string what = "attribute '" + name + "'";
  const Handle attr = owned(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, where, "cannot open " + what);
  const Handle type = owned(H5Aget_type(attr.get()), H5Tclose, where, "cannot read the type of " + what);
  const Handle space = owned(H5Aget_space(attr.get()), H5Sclose, where, "cannot read the shape of " + what);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) throw InputError(where + ": " + what + " is not a single value");
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_INTEGER) {
    long long value = 0;
    check_ok(H5Aread(attr.get(), H5T_NATIVE_LLONG, &value), where, "cannot read " + what);
    return std::to_string(value);
  }
  if (cls == H5T_FLOAT) {
    double value = 0;
    check_ok(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), where, "cannot read " + what);
    std::ostringstream text;
    text.precision(17);
    text << value;
    return text.str();
  }
  if (cls != H5T_STRING) throw InputError(where + ": " + what + " is not a string or a number");
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) fail(where, "cannot inspect the type of " + what);
  if (variable > 0) {
    const Handle mem = vlen_string_type(where);
    char* text = nullptr;
    check_ok(H5Aread(attr.get(), mem.get(), &text), where, "cannot read " + what);
    std::string out = text != nullptr ? std::string(text) : std::string();
    if (text != nullptr) H5free_memory(text);
    return out;
  }
  std::string buffer(H5Tget_size(type.get()), '\0');
  check_ok(H5Aread(attr.get(), type.get(), buffer.data()), where, "cannot read " + what);
  const std::size_t end = buffer.find('\0');
  if (end != std::string::npos) buffer.resize(end);
  return buffer;
}

void describe(hid_t dataset, const std::string& long_name, const std::string& units, const std::string& where) {
  write_attribute(dataset, "long_name", long_name, where);
  if (!units.empty()) write_attribute(dataset, "units", units, where);
}

Handle ordered_file_creation(const std::string& where) {
  Handle fcpl = owned(H5Pcreate(H5P_FILE_CREATE), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
           "cannot track link order");
  check_ok(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
           "cannot track attribute order");
  return fcpl;
}

Handle ordered_dataset_creation(const std::string& where) {
  Handle dcpl = owned(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
           "cannot track attribute order");
  return dcpl;
}

Handle create_group(hid_t parent, const std::string& name, const std::string& where) {
  const Handle gcpl = owned(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
           "cannot track link order");
  check_ok(H5Pset_attr_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), where,
           "cannot track attribute order");
  return owned(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose, where,
               "cannot create group '" + name + "'");
}

Handle dataspace(const std::vector<hsize_t>& dims, const std::string& where) {
  return owned(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose, where, "cannot create a dataspace");
}

Handle write_dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims, hid_t stored_type,
                     hid_t mem_type, const void* data, const std::string& where) {
  const std::string what = "dataset '" + name + "'";
  const Handle space = dataspace(dims, where);
  const Handle dcpl = ordered_dataset_creation(where);
  Handle dset = owned(H5Dcreate2(parent, name.c_str(), stored_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                      H5Dclose, where, "cannot create " + what);
  check_ok(H5Dwrite(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where, "cannot write " + what);
  return dset;
}

Handle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                     const std::string& where) {
  const Handle type = vlen_string_type(where);
  std::vector<const char*> text;
  for (const std::string& v : values) text.push_back(v.c_str());
  return write_dataset(parent, name, {static_cast<hsize_t>(values.size())}, type.get(), type.get(), text.data(),
                       where);
}

void make_dimension_scale(hid_t dataset, const std::string& name, const std::string& where) {
  check_ok(H5DSset_scale(dataset, name.c_str()), where, "cannot make '" + name + "' a dimension scale");
}

void attach_dimensions(hid_t dataset, const std::vector<hid_t>& scales, const std::string& where) {
  for (std::size_t k = 0; k < scales.size(); ++k) {
    check_ok(H5DSattach_scale(dataset, scales[k], static_cast<unsigned>(k)), where,
             "cannot attach dimension " + std::to_string(k) + " of a variable");
  }
}

Handle index_coordinate(hid_t parent, const std::string& name, hsize_t size, const std::string& long_name,
                        const std::string& units, const std::string& where) {
  std::vector<std::int64_t> values(static_cast<std::size_t>(size));
  for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<std::int64_t>(k);
  Handle coordinate = write_dataset(parent, name, {size}, values, where);
  describe(coordinate.get(), long_name, units, where);
  make_dimension_scale(coordinate.get(), name, where);
  return coordinate;
}

namespace {

namespace fs = std::filesystem;

Handle memory_access(const std::string& where) {
  Handle fapl = owned(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_fapl_core(fapl.get(), 1 << 20, false), where, "cannot select the in-memory driver");
  // Reading a file into memory needs no lock: hopcap's writers exclude each other through the
  // sidecar lock, and a reader holding the file must not make the copy fail.
  check_ok(H5Pset_file_locking(fapl.get(), false, true), where, "cannot set file locking");
  return fapl;
}

[[noreturn]] void system_fail(const std::string& where, const std::string& what, int err) {
  throw H5Error(where + ": " + what + ": " + std::strerror(err));
}

// fsync, where "not supported here" (EINVAL, EROFS) is no failure.
bool synced(int fd, int& err) {
  if (::fsync(fd) == 0 || errno == EINVAL || errno == EROFS) return true;
  err = errno;
  return false;
}

// Writes all of `bytes` to a new file `name` (never an existing one) and syncs it.
void write_and_sync(const std::string& name, std::span<const char> bytes, const std::string& where) {
  const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    const fs::path parent = fs::path(name).parent_path();
    std::error_code ec;
    if (err == ENOENT && !parent.empty() && !fs::is_directory(parent, ec)) {
      throw H5Error(where + ": cannot create the file: directory '" + parent.string() + "' does not exist");
    }
    system_fail(where, "cannot create the temporary file '" + name + "'", err);
  }
  std::size_t done = 0;
  int err = 0;
  while (done < bytes.size() && err == 0) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      err = errno;
    } else if (n == 0) {
      err = EIO;
    }
  }
  if (err != 0) {
    ::close(fd);
    system_fail(where, "cannot write the file", err);
  }
  if (!synced(fd, err)) {
    ::close(fd);
    system_fail(where, "cannot sync the file", err);
  }
  if (::close(fd) != 0) {
    err = errno;
    system_fail(where, "cannot close the file", err);
  }
}

// Renames `from` to `to`; with `overwrite` false an existing `to` (however it appeared) stays.
void rename_into_place(const std::string& from, const fs::path& to, bool overwrite, const std::string& where,
                       const std::string& existing_hint) {
  if (overwrite) {
    // Checked again just before the rename: the target may have changed while the file was written.
    check_output_target(to, true, where, existing_hint);
    if (std::rename(from.c_str(), to.c_str()) != 0) {
      const int err = errno;
      system_fail(where, "cannot move the finished file into place", err);
    }
    return;
  }
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
  const int err = errno;
  if (err == EEXIST) check_output_target(to, false, where, existing_hint);
  if (err != EINVAL && err != ENOSYS) system_fail(where, "cannot move the finished file into place", err);
  // No RENAME_NOREPLACE on this file system: a hard link is just as exclusive.
  if (::link(from.c_str(), to.c_str()) != 0) {
    const int link_err = errno;
    if (link_err == EEXIST) check_output_target(to, false, where, existing_hint);
    system_fail(where, "cannot move the finished file into place", link_err);
  }
  ::unlink(from.c_str());
}

// Makes a rename in `dir` durable (best effort: not every file system syncs directories).
void sync_directory(const fs::path& path) {
  const fs::path parent = path.parent_path();
  const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

MemoryFile MemoryFile::create(hid_t fcpl, const std::string& where) {
  const auto fapl = memory_access(where);
  // The name only identifies the file inside HDF5: without a backing store nothing is written.
  static int serial = 0;
  const std::string name = "hopcap-in-memory-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  return MemoryFile(owned(H5Fcreate(name.c_str(), H5F_ACC_EXCL, fcpl, fapl.get()), H5Fclose, where,
                          "cannot create the file in memory"));
}

MemoryFile MemoryFile::open(const std::filesystem::path& path, const std::string& where) {
  const auto fapl = memory_access(where);
  return MemoryFile(
      owned(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, where, "cannot read the file into memory"));
}

std::vector<char> MemoryFile::image(const std::string& where) const {
  // H5Fget_file_image copies the driver's memory as it is: the metadata cache must be in it.
  check_ok(H5Fflush(get(), H5F_SCOPE_GLOBAL), where, "cannot flush the file in memory");
  const ssize_t size = H5Fget_file_image(get(), nullptr, 0);
  if (size < 0) fail(where, "cannot get the file image");
  std::vector<char> bytes(static_cast<std::size_t>(size));
  if (H5Fget_file_image(get(), bytes.data(), bytes.size()) != size) fail(where, "cannot copy the file image");
  return bytes;
}

void write_new_file(const std::filesystem::path& path, std::span<const char> bytes, bool overwrite,
                    const std::string& where, const std::string& existing_hint) {
  check_output_target(path, overwrite, where, existing_hint);
  // The pid keeps two processes writing the same output apart until the rename decides.
  const std::string temp = path.string() + ".partial-" + std::to_string(::getpid());
  std::error_code ec;
  if (fs::is_regular_file(fs::symlink_status(temp, ec))) fs::remove(temp, ec);  // left by a killed run
  try {
    write_and_sync(temp, bytes, where);
    rename_into_place(temp, path, overwrite, where, existing_hint);
  } catch (...) {
    fs::remove(temp, ec);
    throw;
  }
  sync_directory(path);
}

void write_file(const std::filesystem::path& path, const std::function<void(hid_t)>& build, bool overwrite,
                const std::string& where, const std::string& existing_hint) {
  check_output_target(path, overwrite, where, existing_hint);
  std::vector<char> image;
  {
    const Handle fcpl = ordered_file_creation(where);
    const MemoryFile file = MemoryFile::create(fcpl.get(), where);
    build(file.get());
    image = file.image(where);
  }
  write_new_file(path, image, overwrite, where, existing_hint);
}

void rewrite_file(const std::filesystem::path& path, const std::function<void(hid_t)>& change,
                  const std::string& where) {
  std::error_code ec;
  const fs::path target = fs::is_symlink(path, ec) ? fs::canonical(path, ec) : path;
  if (ec) throw H5Error(where + ": cannot resolve the symbolic link: " + ec.message());
  std::vector<char> image;
  {
    const MemoryFile file = MemoryFile::open(target, where);
    change(file.get());
    image = file.image(where);
  }
  write_new_file(target, image, /*overwrite=*/true, where, "");
}

void close_written_file(hid_t file, const std::string& where) {
  std::string failure;
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) failure = "flushing the file failed" + error_stack();
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle != nullptr) {
    const int fd = *static_cast<int*>(handle);
    int err = 0;
    if (failure.empty() && !synced(fd, err)) failure = std::string("fsync failed: ") + std::strerror(err);
    // Whatever HDF5 still writes while closing goes to an anonymous in-memory file instead.
    const int scratch = ::memfd_create("hopcap-closing", MFD_CLOEXEC);
    if (scratch >= 0) {
      ::dup2(scratch, fd);
      ::close(scratch);
    }
  }
  H5Eclear2(H5E_DEFAULT);
  if (H5Fclose(file) < 0 && failure.empty()) failure = "closing the file failed" + error_stack();
  if (!failure.empty()) throw H5Error(where + ": " + failure);
}

}  // namespace hopcap::io::hdf5

namespace hopcap::io {

void check_output_target(const std::filesystem::path& path, bool overwrite, const std::string& where,
                         const std::string& existing_hint) {
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(path, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return;
  if (status.type() != std::filesystem::file_type::regular) {
    throw ConfigError(where + ": exists and is not a regular file (a directory, device, FIFO or symbolic link); " +
                      "refusing to replace it");
  }
  if (!overwrite) throw ConfigError(where + ": already exists; " + existing_hint);
}

}  // namespace hopcap::io
