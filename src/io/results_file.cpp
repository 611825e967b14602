// The HDF5 results file of a sweep (layout and crash-safety design in results_file.hpp and
// docs/output-format.md).
//
// create() builds the complete file in memory: coordinate variables as dimension scales, every
// data variable contiguous, allocated early and filled with its fill value, all attributes, and
// a `hopcap_layout` JSON attribute from which open() recovers the structure. The bytes are
// written under a temporary name, synced and renamed into place (hdf5::write_new_file), then
// the file is reopened for writing. From then on write_point() only overwrites preallocated raw
// data (the sieve buffer is off, so every H5Dwrite goes straight to the file), which never
// touches metadata: a process killed at any moment, or a write that fails, leaves the metadata
// exactly as create() wrote it, and HDF5 never has dirty metadata to flush on a failing disk.
#include "hopcap/io/results_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/output_target.hpp"
#include "hopcap/sizes.hpp"
#include "io/file_conventions.hpp"
#include "io/hdf5.hpp"
#include "io/output_lock.hpp"

namespace hopcap::io {
namespace {

namespace fs = std::filesystem;
using hdf5::Handle;
using hdf5::QuietErrors;
using json = nlohmann::json;

constexpr const char* kVersionAttribute = "hopcap_format_version";
constexpr const char* kLayoutAttribute = "hopcap_layout";
constexpr const char* kStatusName = "status";
constexpr const char* kMessageName = "message";

constexpr double kFillF64 = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kFillI64 = -1;
constexpr std::int8_t kFillI8 = -127;
constexpr std::int8_t kFillStatus = 0;  // PointStatus::not_run
// Fill values are handed to HDF5 in the file's little-endian types.
static_assert(std::endian::native == std::endian::little);

using hdf5::check_id;
using hdf5::check_ok;
using hdf5::fail;
using hdf5::owned;
using hdf5::read_text_attribute;
using hdf5::write_attribute;
using hdf5::write_numeric_attribute;

const char* type_name(ValueType type) {
  switch (type) {
    case ValueType::f64:
      return "f64";
    case ValueType::i64:
      return "i64";
    case ValueType::i8:
      return "i8";
  }
  return "?";
}

ValueType parse_type(const std::string& name) {
  if (name == "f64") return ValueType::f64;
  if (name == "i64") return ValueType::i64;
  if (name == "i8") return ValueType::i8;
  throw InputError("unknown value type '" + name + "'");
}

hid_t file_type(ValueType type) {
  switch (type) {
    case ValueType::f64:
      return H5T_IEEE_F64LE;
    case ValueType::i64:
      return H5T_STD_I64LE;
    case ValueType::i8:
      return H5T_STD_I8LE;
  }
  return H5T_IEEE_F64LE;
}

hid_t memory_type(ValueType type) {
  switch (type) {
    case ValueType::f64:
      return H5T_NATIVE_DOUBLE;
    case ValueType::i64:
      return H5T_NATIVE_INT64;
    case ValueType::i8:
      return H5T_NATIVE_INT8;
  }
  return H5T_NATIVE_DOUBLE;
}

// A dataset creation property list for preallocated raw data: contiguous, allocated and filled
// at creation, no filters, attribute order tracked (as netCDF-4 does). A null `fill` keeps
// HDF5's default fill (zero bytes).
Handle preallocated_dcpl(hid_t type, const void* fill, const std::string& where) {
  Handle dcpl =
      owned(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS), where, "cannot set contiguous layout");
  check_ok(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), where,
           "cannot set early allocation");
  check_ok(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_ALLOC), where, "cannot set fill time");
  if (fill != nullptr) {
    check_ok(H5Pset_fill_value(dcpl.get(), type, fill), where, "cannot set the fill value");
  }
  check_ok(H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           where, "cannot track attribute order");
  return dcpl;
}

// The file access properties of every open: serial sec2 driver, no sieve buffer (raw data
// goes straight to the file), and no HDF5 file lock. Writers exclude each other through the
// sidecar lock (OutputLock); an HDF5 lock would only refuse readers, and a reader that opened
// the file between a rewrite's rename and the reopen would make the reopen fail.
Handle file_access(const std::string& where) {
  Handle fapl = owned(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_fapl_sec2(fapl.get()), where, "cannot select the sec2 driver");
  check_ok(H5Pset_sieve_buf_size(fapl.get(), 0), where, "cannot disable the sieve buffer");
  check_ok(H5Pset_file_locking(fapl.get(), false, true), where, "cannot set file locking");
  return fapl;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 256) return false;
  const auto c0 = static_cast<unsigned char>(name[0]);
  if (!(std::isalpha(c0) || c0 == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == '+';
  });
}

std::string join(std::span<const std::int64_t> values) {
  std::string out = "(";
  for (std::size_t k = 0; k < values.size(); ++k) {
    out += (k == 0 ? "" : ", ") + std::to_string(values[k]);
  }
  return out + ")";
}

// The structure of a file: what open() needs, recoverable from the `hopcap_layout` attribute.
struct Structure {
  struct Dim {
    std::string name;
    std::int64_t size = 0;
  };
  struct Var {
    std::string name;
    std::vector<std::string> dims;
    ValueType type = ValueType::f64;
  };
  std::vector<Dim> axes;
  std::vector<Dim> extra_dims;
  std::vector<Var> variables;
  std::int64_t message_length = 0;
};

json to_json(const Structure& s) {
  json out;
  out["axes"] = json::array();
  for (const auto& a : s.axes) out["axes"].push_back({{"name", a.name}, {"size", a.size}});
  out["extra_dims"] = json::array();
  for (const auto& e : s.extra_dims) {
    out["extra_dims"].push_back({{"name", e.name}, {"size", e.size}});
  }
  out["variables"] = json::array();
  for (const auto& v : s.variables) {
    out["variables"].push_back({{"name", v.name}, {"dims", v.dims}, {"type", type_name(v.type)}});
  }
  out["message_length"] = s.message_length;
  return out;
}

Structure from_json(const std::string& text, const std::string& where) {
  try {
    const json in = json::parse(text);
    Structure s;
    for (const auto& a : in.at("axes")) {
      s.axes.push_back({a.at("name").get<std::string>(), a.at("size").get<std::int64_t>()});
    }
    for (const auto& e : in.at("extra_dims")) {
      s.extra_dims.push_back({e.at("name").get<std::string>(), e.at("size").get<std::int64_t>()});
    }
    for (const auto& v : in.at("variables")) {
      s.variables.push_back({v.at("name").get<std::string>(),
                             v.at("dims").get<std::vector<std::string>>(),
                             parse_type(v.at("type").get<std::string>())});
    }
    s.message_length = in.at("message_length").get<std::int64_t>();
    return s;
  } catch (const json::exception& e) {
    throw InputError(where + ": attribute '" + kLayoutAttribute + "' is not a valid layout (" +
                     e.what() + ")");
  } catch (const InputError& e) {
    throw InputError(where + ": attribute '" + kLayoutAttribute + "': " + e.what());
  }
}

// Checks a layout for create() and returns its structure; throws ConfigError.
Structure validate(const ResultsLayout& layout) {
  Structure s;
  std::set<std::string> names{kStatusName, kMessageName};
  const auto claim = [&](const std::string& name, const std::string& kind) {
    require(valid_name(name), "results layout: invalid " + kind + " name '" + name +
                                  "' (use letters, digits, '_', '-', '.', '+'; start with a "
                                  "letter or '_')");
    require(names.insert(name).second,
            "results layout: " + kind + " name '" + name + "' is used twice or reserved");
  };
  require(!layout.axes.empty(), "results layout: at least one axis is needed");
  for (const AxisSpec& axis : layout.axes) {
    claim(axis.name, "axis");
    require(
        axis.numbers.empty() != axis.labels.empty(),
        "results layout: axis '" + axis.name + "' needs either numbers or labels (exactly one)");
    require(!axis.integer || axis.labels.empty(),
            "results layout: axis '" + axis.name + "' has labels but is marked integer");
    require(axis.labels.empty() || axis.units.empty(),
            "results layout: label axis '" + axis.name + "' cannot have units (CF: strings have none)");
    for (double x : axis.numbers) {
      require(std::isfinite(x), "results layout: axis '" + axis.name + "' has a non-finite value");
      if (axis.integer) {
        require(x == std::trunc(x) && std::fabs(x) < 9.2e18,
                "results layout: integer axis '" + axis.name + "' has the non-integer value " +
                    std::to_string(x));
      }
    }
    s.axes.push_back({axis.name, static_cast<std::int64_t>(axis.size())});
  }
  for (const ExtraDimSpec& dim : layout.extra_dims) {
    claim(dim.name, "dimension");
    require(dim.size >= 1, "results layout: dimension '" + dim.name + "' must have size >= 1");
    s.extra_dims.push_back({dim.name, dim.size});
  }
  for (const VariableSpec& var : layout.variables) {
    claim(var.name, "variable");
    std::set<std::string> seen;
    std::size_t axes_seen = 0;
    for (const std::string& d : var.dims) {
      require(seen.insert(d).second,
              "results layout: variable '" + var.name + "' lists dimension '" + d + "' twice");
      const bool is_axis = std::any_of(layout.axes.begin(), layout.axes.end(),
                                       [&](const AxisSpec& a) { return a.name == d; });
      const bool is_extra = std::any_of(layout.extra_dims.begin(), layout.extra_dims.end(),
                                        [&](const ExtraDimSpec& e) { return e.name == d; });
      require(is_axis || is_extra,
              "results layout: variable '" + var.name + "' has unknown dimension '" + d + "'");
      if (is_axis) ++axes_seen;
    }
    require(axes_seen == layout.axes.size(),
            "results layout: variable '" + var.name + "' must span every grid axis");
    std::size_t meanings = 0;
    for (std::size_t k = 0; k < var.flag_meanings.size(); ++k) {
      const bool word_start = var.flag_meanings[k] != ' ' && (k == 0 || var.flag_meanings[k - 1] == ' ');
      meanings += word_start ? 1 : 0;
    }
    require(meanings == var.flag_values.size(),
            "results layout: variable '" + var.name + "' has " + std::to_string(var.flag_values.size()) +
                " flag values but " + std::to_string(meanings) + " flag meanings");
    s.variables.push_back({var.name, var.dims, var.type});
  }
  require(layout.message_length >= 1 && layout.message_length <= 65536,
          "results layout: message_length must be between 1 and 65536 bytes");
  s.message_length = layout.message_length;
  for (const auto& [name, value] : layout.attributes) {
    require(!name.empty() && name.find('/') == std::string::npos,
            "results layout: invalid attribute name '" + name + "'");
    require(name != kVersionAttribute && name != kLayoutAttribute,
            "results layout: attribute name '" + name + "' is reserved");
  }
  return s;
}

// Writes a global attribute of any AttributeValue kind.
void write_global(hid_t object, const std::string& name, const AttributeValue& value, const std::string& where) {
  std::visit([&](const auto& v) { write_attribute(object, name, v, where); }, value);
}

// Builds the complete file in memory and returns its bytes.
std::vector<char> build_skeleton(const ResultsLayout& layout, const Structure& s, const std::string& where) {
  const Handle fcpl = hdf5::ordered_file_creation(where);
  const hdf5::MemoryFile memory = hdf5::MemoryFile::create(fcpl.get(), where);
  {
    const hid_t file = memory.get();
    const Handle root = owned(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose, where, "cannot open the root group");

    std::map<std::string, Handle> scales;  // dimension name -> coordinate variable (a scale)
    const auto coordinate = [&](const std::string& name, hid_t type, hid_t mem_type, const void* data, hsize_t n,
                                const std::string& long_name, const std::string& units) {
      Handle ds = hdf5::write_dataset(file, name, {n}, type, mem_type, data, where);
      hdf5::describe(ds.get(), long_name, units, where);
      hdf5::make_dimension_scale(ds.get(), name, where);
      scales[name] = std::move(ds);
    };
    for (const AxisSpec& axis : layout.axes) {
      const auto n = static_cast<hsize_t>(axis.size());
      if (!axis.labels.empty()) {
        const Handle type = hdf5::vlen_string_type(where);
        std::vector<const char*> text;
        for (const std::string& label : axis.labels) text.push_back(label.c_str());
        coordinate(axis.name, type.get(), type.get(), text.data(), n, axis.long_name, axis.units);
      } else if (axis.integer) {
        std::vector<std::int64_t> values;
        for (double x : axis.numbers) values.push_back(static_cast<std::int64_t>(x));
        coordinate(axis.name, H5T_STD_I64LE, H5T_NATIVE_INT64, values.data(), n, axis.long_name, axis.units);
      } else {
        coordinate(axis.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, axis.numbers.data(), n, axis.long_name,
                   axis.units);
      }
    }
    for (const ExtraDimSpec& dim : layout.extra_dims) {
      scales[dim.name] =
          hdf5::index_coordinate(file, dim.name, static_cast<hsize_t>(dim.size), dim.long_name, dim.units, where);
    }
    const auto size_of = [&](const std::string& dim) -> hsize_t {
      for (const auto& a : s.axes) {
        if (a.name == dim) return static_cast<hsize_t>(a.size);
      }
      for (const auto& e : s.extra_dims) {
        if (e.name == dim) return static_cast<hsize_t>(e.size);
      }
      return 0;
    };

    // A preallocated data variable over `dims`, with its dimension scales attached.
    const auto make_variable = [&](const std::string& name, const std::vector<std::string>& dims, hid_t type,
                                   const void* fill, const std::string& long_name, const std::string& units,
                                   bool fill_attribute) -> Handle {
      std::vector<hsize_t> extent;
      for (const std::string& d : dims) extent.push_back(size_of(d));
      const Handle space = hdf5::dataspace(extent, where);
      const Handle dcpl = preallocated_dcpl(type, fill, where);
      Handle ds = owned(H5Dcreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                        H5Dclose, where, "cannot create variable '" + name + "'");
      if (fill_attribute) write_numeric_attribute(ds.get(), "_FillValue", type, type, fill, 0, where);
      hdf5::describe(ds.get(), long_name, units, where);
      std::vector<hid_t> attached;
      for (const std::string& d : dims) attached.push_back(scales.at(d).get());
      hdf5::attach_dimensions(ds.get(), attached, where);
      return ds;
    };

    std::vector<std::string> grid;
    for (const auto& a : s.axes) grid.push_back(a.name);
    for (const VariableSpec& var : layout.variables) {
      const void* fill = &kFillF64;
      if (var.type == ValueType::i64) fill = &kFillI64;
      if (var.type == ValueType::i8) fill = &kFillI8;
      const Handle ds = make_variable(var.name, var.dims, file_type(var.type), fill, var.long_name, var.units, true);
      if (!var.flag_values.empty()) {
        // CF: flag_values has the type of the variable.
        if (var.type == ValueType::f64) {
          const std::vector<double> flags(var.flag_values.begin(), var.flag_values.end());
          write_attribute(ds.get(), "flag_values", std::span<const double>(flags), where);
        } else if (var.type == ValueType::i64) {
          write_attribute(ds.get(), "flag_values", std::span<const std::int64_t>(var.flag_values), where);
        } else {
          const std::vector<std::int8_t> flags(var.flag_values.begin(), var.flag_values.end());
          write_attribute(ds.get(), "flag_values", std::span<const std::int8_t>(flags), where);
        }
        write_attribute(ds.get(), "flag_meanings", var.flag_meanings, where);
      }
    }
    {
      // No _FillValue attribute: 0 is a meaningful flag (not_run), and netCDF readers would
      // otherwise mask it as missing. No units: a flag is not a quantity.
      const Handle status =
          make_variable(kStatusName, grid, H5T_STD_I8LE, &kFillStatus, "status of the grid point", "", false);
      const std::int8_t flags[4] = {0, 1, 2, 3};
      write_attribute(status.get(), "flag_values", std::span<const std::int8_t>(flags), where);
      write_attribute(status.get(), "flag_meanings", "not_run ok failed skipped", where);
    }
    {
      // Variable-length strings (netCDF NC_STRING), preallocated with HDF5's default fill: no
      // string (netCDF's NIL, an empty string to xarray and h5py).
      const Handle type = hdf5::vlen_string_type(where);
      make_variable(kMessageName, grid, type.get(), nullptr, "failure message", "", false);
    }

    write_build_provenance(root.get(), where);
    for (const auto& [name, value] : layout.attributes) write_global(root.get(), name, value, where);
    write_attribute(root.get(), kVersionAttribute, std::int32_t{kResultsFormatVersion}, where);
    write_attribute(root.get(), kLayoutAttribute, to_json(s).dump(), where);
    scales.clear();
  }
  return memory.image(where);
}

}  // namespace

struct ResultsFile::Impl {
  struct Var {
    std::string name;
    ValueType type = ValueType::f64;
    std::vector<int> axis_of_dim;  // per dimension: its grid-axis index, or -1 (extra dim)
    std::vector<hsize_t> count;    // hyperslab count per dimension: 1 on axes, size on extras
    hsize_t values = 1;            // values per grid point
    Handle dataset, file_space, mem_space;
    // Scratch buffers, converted before any write so that a rejected call writes nothing.
    std::vector<double> f64;
    std::vector<std::int64_t> i64;
    std::vector<std::int8_t> i8;
  };
  // A point whose message and status wait for the next rewrite of the file.
  struct Pending {
    std::vector<std::int64_t> point;
    std::int8_t status = 0;
    std::string message;
  };

  fs::path path;
  std::string where;
  hid_t file = -1;
  Structure structure;
  std::vector<std::string> axis_names;
  std::vector<std::int64_t> shape;
  std::vector<Var> variables;
  std::map<std::string, std::size_t> index;
  Var status;
  Var message;
  std::size_t message_length = 0;
  std::vector<hsize_t> start;  // scratch
  std::optional<OutputLock> lock;  // held from before the file is created or opened until close
  std::map<std::string, AttributeValue> final_attributes;  // set_final_attribute(), written by close()
  std::vector<Pending> pending;                            // write_point() with a message

  ~Impl() {
    // Not a finished run: the final attributes are dropped; the points written so far stay.
    final_attributes.clear();
    try {
      close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): destructors must not throw
    }
  }

  // Opens the file at `path` for writing and every variable the structure lists.
  void open_file() {
    const auto fapl = file_access(where);
    file = H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get());
    if (file < 0) fail(where, "cannot open as an HDF5 file for writing");
    std::map<std::string, std::int64_t> extra;
    for (const auto& e : structure.extra_dims) extra[e.name] = e.size;
    variables.clear();
    for (const auto& v : structure.variables) variables.push_back(open_variable(v.name, v.dims, v.type, extra));
    status = open_variable(kStatusName, axis_names, ValueType::i8, extra);
    message = open_variable(kMessageName, axis_names, ValueType::i8, extra);
    // Opening for writing marks the superblock ("file open for write"); write that mark now, so
    // that from here on only raw data changes. With the version-0 superblock of libver
    // "earliest" the mark left by a killed writer is ignored by every HDF5 reader (only
    // version-3 superblocks refuse to open while it is set).
    check_ok(H5Fflush(file, H5F_SCOPE_GLOBAL), where, "flushing the opened file failed");
  }

  // Closes the open file, making everything written durable.
  void close_file() {
    const auto release = [](Var& v) {
      v.mem_space.reset();
      v.file_space.reset();
      v.dataset.reset();
    };
    for (Var& v : variables) release(v);
    release(status);
    release(message);
    hdf5::close_written_file(std::exchange(file, -1), where);
  }

  void close() {
    if (file < 0) return;
    const QuietErrors quiet;
    try {
      close_file();
      rewrite(/*with_final_attributes=*/true);
    } catch (...) {
      lock.reset();
      throw;
    }
    lock.reset();
  }

  // Puts the pending points (and, at the end of a run, the final attributes) into the closed
  // file. Strings and attributes change HDF5 metadata, which a failing disk could leave
  // half-written over committed results (and HDF5 1.10 cannot close a file whose metadata flush
  // failed). So they are not written into the file in place: the closed file is read into
  // memory, changed there, and the whole new file replaces the old one (rewrite_file). Until
  // that rename succeeds the old file, with every committed point, stays as it was and can be
  // resumed.
  void rewrite(bool with_final_attributes) {
    if (pending.empty() && (!with_final_attributes || final_attributes.empty())) return;
    hdf5::rewrite_file(
        path,
        [&](hid_t memory) {
          if (!pending.empty()) {
            const Handle text_type = hdf5::vlen_string_type(where);
            const Handle messages = owned(H5Dopen2(memory, kMessageName, H5P_DEFAULT), H5Dclose, where,
                                          "cannot open variable 'message'");
            const Handle statuses = owned(H5Dopen2(memory, kStatusName, H5P_DEFAULT), H5Dclose, where,
                                          "cannot open variable 'status'");
            const Handle message_space = owned(H5Dget_space(messages.get()), H5Sclose, where,
                                               "cannot read the shape of 'message'");
            const Handle status_space = owned(H5Dget_space(statuses.get()), H5Sclose, where,
                                              "cannot read the shape of 'status'");
            const Handle one = hdf5::dataspace({1}, where);
            for (const Pending& p : pending) {
              start.assign(p.point.begin(), p.point.end());
              const std::vector<hsize_t> count(start.size(), 1);
              const char* text = p.message.c_str();
              for (const auto& [dataset, space] : {std::pair{messages.get(), message_space.get()},
                                                   std::pair{statuses.get(), status_space.get()}}) {
                check_ok(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
                         where, "cannot select grid point " + join(p.point));
                const bool is_message = dataset == messages.get();
                check_ok(H5Dwrite(dataset, is_message ? text_type.get() : H5T_NATIVE_INT8, one.get(), space,
                                  H5P_DEFAULT, is_message ? static_cast<const void*>(&text) : &p.status),
                         where,
                         std::string("cannot write '") + (is_message ? kMessageName : kStatusName) +
                             "' at grid point " + join(p.point));
              }
            }
          }
          if (with_final_attributes && !final_attributes.empty()) {
            const Handle root =
                owned(H5Gopen2(memory, "/", H5P_DEFAULT), H5Gclose, where, "cannot open the root group");
            for (const auto& [name, value] : final_attributes) write_global(root.get(), name, value, where);
          }
        },
        where);
    pending.clear();
    if (with_final_attributes) final_attributes.clear();
  }

  // flush() with pending points: close, rewrite, reopen.
  void commit_pending() {
    close_file();
    rewrite(/*with_final_attributes=*/false);
    open_file();
  }

  void require_open() const {
    if (file < 0) throw ConfigError(where + ": the results file is closed");
  }

  Var open_variable(const std::string& name, const std::vector<std::string>& dims, ValueType type,
                    const std::map<std::string, std::int64_t>& extra) {
    Var v;
    v.name = name;
    v.type = type;
    v.dataset = owned(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, where,
                      "cannot open variable '" + name + "'");
    v.file_space = owned(H5Dget_space(v.dataset.get()), H5Sclose, where,
                         "cannot read the shape of '" + name + "'");
    std::vector<hsize_t> expected;
    for (const std::string& d : dims) {
      const auto axis = std::find(axis_names.begin(), axis_names.end(), d);
      if (axis != axis_names.end()) {
        const auto a = static_cast<std::size_t>(axis - axis_names.begin());
        v.axis_of_dim.push_back(static_cast<int>(a));
        v.count.push_back(1);
        expected.push_back(static_cast<hsize_t>(shape[a]));
      } else if (const auto e = extra.find(d); e != extra.end()) {
        v.axis_of_dim.push_back(-1);
        v.count.push_back(static_cast<hsize_t>(e->second));
        expected.push_back(static_cast<hsize_t>(e->second));
        v.values *= static_cast<hsize_t>(e->second);
      } else {
        throw InputError(where + ": variable '" + name + "' has unknown dimension '" + d + "'");
      }
    }
    {
      const Handle stored = owned(H5Dget_type(v.dataset.get()), H5Tclose, where, "cannot read the type of '" + name + "'");
      const H5T_class_t cls = H5Tget_class(stored.get());
      const std::size_t size = H5Tget_size(stored.get());
      const bool matches = name == kMessageName ? cls == H5T_STRING && H5Tis_variable_str(stored.get()) > 0
                           : type == ValueType::f64
                               ? cls == H5T_FLOAT && size == 8
                               : cls == H5T_INTEGER && size == (type == ValueType::i64 ? 8U : 1U);
      if (!matches) {
        throw InputError(where + ": variable '" + name + "' is not of type " +
                         (name == kMessageName ? "variable-length string" : type_name(type)) + " as its layout says");
      }
    }
    const int rank = H5Sget_simple_extent_ndims(v.file_space.get());
    std::vector<hsize_t> actual(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank < 0 || H5Sget_simple_extent_dims(v.file_space.get(), actual.data(), nullptr) < 0) {
      fail(where, "cannot read the shape of '" + name + "'");
    }
    if (actual != expected) {
      throw InputError(where + ": variable '" + name + "' does not have the shape its layout says");
    }
    // Writes must never allocate or change metadata: the storage must be contiguous and fully
    // allocated by create().
    const Handle dcpl = owned(H5Dget_create_plist(v.dataset.get()), H5Pclose, where,
                              "cannot read the properties of '" + name + "'");
    H5D_space_status_t allocated = H5D_SPACE_STATUS_ERROR;
    check_ok(H5Dget_space_status(v.dataset.get(), &allocated), where,
             "cannot read the allocation of '" + name + "'");
    if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || allocated != H5D_SPACE_STATUS_ALLOCATED ||
        H5Pget_nfilters(dcpl.get()) != 0) {
      throw InputError(where + ": variable '" + name +
                       "' is not preallocated contiguous storage (not written by hopcap?)");
    }
    const hsize_t n = v.values;
    v.mem_space = hdf5::dataspace({n}, where);
    return v;
  }

  // Selects one grid point of `v` in its file dataspace.
  void select(Var& v, std::span<const std::int64_t> point) {
    start.assign(v.count.size(), 0);
    for (std::size_t k = 0; k < v.count.size(); ++k) {
      if (v.axis_of_dim[k] >= 0) {
        start[k] = static_cast<hsize_t>(point[static_cast<std::size_t>(v.axis_of_dim[k])]);
      }
    }
    if (H5Sselect_hyperslab(v.file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                            v.count.data(), nullptr) < 0) {
      fail(where, "cannot select a grid point of '" + v.name + "'");
    }
  }

  void check_point(std::span<const std::int64_t> point) const {
    if (point.size() != shape.size()) {
      throw ConfigError(where + ": grid point " + join(point) + " has " +
                        std::to_string(point.size()) + " indices; the grid has " +
                        std::to_string(shape.size()) + " axes");
    }
    for (std::size_t a = 0; a < shape.size(); ++a) {
      if (point[a] < 0 || point[a] >= shape[a]) {
        throw ConfigError(where + ": grid point " + join(point) + ": index " +
                          std::to_string(point[a]) + " on axis '" + axis_names[a] +
                          "' is outside 0.." + std::to_string(shape[a] - 1));
      }
    }
  }

  // The flat row-major index of a grid point.
  std::size_t flat(std::span<const std::int64_t> point) const {
    std::size_t k = 0;
    for (std::size_t a = 0; a < shape.size(); ++a) {
      k = k * static_cast<std::size_t>(shape[a]) + static_cast<std::size_t>(point[a]);
    }
    return k;
  }

  Var& find(const std::string& name) {
    if (name == kStatusName) return status;
    const auto it = index.find(name);
    if (it == index.end()) {
      throw ConfigError(where + ": unknown variable '" + name + "'");
    }
    return variables[it->second];
  }
};

ResultsFile::ResultsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultsFile::ResultsFile(ResultsFile&&) noexcept = default;
ResultsFile& ResultsFile::operator=(ResultsFile&&) noexcept = default;
ResultsFile::~ResultsFile() = default;

ResultsFile ResultsFile::create(const std::filesystem::path& path, const ResultsLayout& layout,
                                bool overwrite) {
  const std::string where = "results file '" + path.string() + "'";
  const Structure structure = validate(layout);
  const fs::path parent = path.parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    throw H5Error(where + ": cannot create the file: directory '" + parent.string() + "' does not exist");
  }
  OutputLock lock(path, where);
  const std::string hint = "use --resume to continue it or --overwrite to replace it";
  check_output_target(path, overwrite, where, hint);
  {
    const QuietErrors quiet;
    hdf5::write_new_file(path, build_skeleton(layout, structure, where), overwrite, where, hint);
  }
  return open_locked(path, std::move(lock));
}

ResultsFile ResultsFile::open(const std::filesystem::path& path) {
  const std::string where = "results file '" + path.string() + "'";
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(where + ": file not found");
  if (fs::is_directory(path, ec)) throw InputError(where + ": is a directory, not a file");
  OutputLock lock(path, where);
  return open_locked(path, std::move(lock));
}

ResultsFile ResultsFile::open_locked(const std::filesystem::path& path, OutputLock lock) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->where = "results file '" + path.string() + "'";
  impl->lock.emplace(std::move(lock));
  const std::string& where = impl->where;
  const QuietErrors quiet;
  Structure s;
  {
    // Read the layout first: open_file() needs it.
    const auto fapl = file_access(where);
    const Handle file = owned(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, where,
                              "cannot open as an HDF5 file");
    const htri_t has_version = H5Aexists(file.get(), kVersionAttribute);
    if (has_version < 0) fail(where, "cannot read the root attributes");
    if (has_version == 0) {
      throw InputError(where + ": not a hopcap results file (no '" + kVersionAttribute + "' attribute)");
    }
    const std::string version = read_text_attribute(file.get(), kVersionAttribute, where);
    if (version != std::to_string(kResultsFormatVersion)) {
      throw InputError(where + ": results format version " + version + " is not supported (this " +
                       "hopcap reads version " + std::to_string(kResultsFormatVersion) + ")");
    }
    const htri_t has_layout = H5Aexists(file.get(), kLayoutAttribute);
    if (has_layout <= 0) throw InputError(where + ": no '" + kLayoutAttribute + "' attribute");
    s = from_json(read_text_attribute(file.get(), kLayoutAttribute, where), where);
  }
  if (s.axes.empty() || s.message_length < 1) {
    throw InputError(where + ": attribute '" + kLayoutAttribute + "' describes no grid");
  }
  std::set<std::string> extra;
  for (const auto& a : s.axes) {
    if (a.size < 1) throw InputError(where + ": axis '" + a.name + "' is empty");
    impl->axis_names.push_back(a.name);
    impl->shape.push_back(a.size);
  }
  for (const auto& e : s.extra_dims) {
    if (e.size < 1) throw InputError(where + ": dimension '" + e.name + "' is empty");
  }
  for (const auto& v : s.variables) {
    if (v.name == kStatusName || v.name == kMessageName || impl->index.count(v.name) != 0) {
      throw InputError(where + ": variable '" + v.name + "' is listed twice or reserved");
    }
    const std::size_t k = impl->index.size();
    impl->index[v.name] = k;
  }
  impl->message_length = static_cast<std::size_t>(s.message_length);
  impl->structure = std::move(s);
  impl->open_file();
  return ResultsFile(std::move(impl));
}

std::vector<std::int64_t> ResultsFile::grid_shape() const {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  return impl_->shape;
}

std::string ResultsFile::attribute(const std::string& name) const {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  const QuietErrors quiet;
  const htri_t exists = H5Aexists(impl_->file, name.c_str());
  if (exists < 0) fail(impl_->where, "cannot look up attribute '" + name + "'");
  if (exists == 0) return {};
  return read_text_attribute(impl_->file, name, impl_->where);
}

std::vector<PointStatus> ResultsFile::read_status() const {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  const QuietErrors quiet;
  const auto total = static_cast<std::size_t>(checked_product(impl_->shape, "results file: grid size", kMaxGridSize));
  std::vector<std::int8_t> raw(total);
  check_ok(H5Dread(impl_->status.dataset.get(), H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
           impl_->where, "cannot read 'status'");
  for (const Impl::Pending& p : impl_->pending) raw[impl_->flat(p.point)] = p.status;
  std::vector<PointStatus> out(total);
  for (std::size_t k = 0; k < total; ++k) {
    if (raw[k] < 0 || raw[k] > 3) {
      throw InputError(impl_->where + ": 'status' holds the invalid flag " +
                       std::to_string(raw[k]) + " at flat index " + std::to_string(k));
    }
    out[k] = static_cast<PointStatus>(raw[k]);
  }
  return out;
}

void ResultsFile::write_point(std::span<const std::int64_t> point,
                              const std::map<std::string, std::vector<double>>& values,
                              PointStatus status, const std::string& message) {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  Impl& m = *impl_;
  m.require_open();
  m.check_point(point);
  const auto flag = static_cast<std::int8_t>(status);
  if (flag < 0 || flag > 3) {
    throw ConfigError(m.where + ": invalid point status " + std::to_string(flag));
  }
  for (const auto& [name, data] : values) {
    if (name == kStatusName || name == kMessageName) {
      throw ConfigError(m.where + ": '" + name +
                        "' is written through write_point's own argument, not as a value");
    }
    const Impl::Var& v = m.find(name);
    if (data.size() > v.values) {
      throw ConfigError(m.where + ": " + std::to_string(data.size()) + " values for variable '" +
                        name + "', which holds at most " + std::to_string(v.values) +
                        " per grid point");
    }
  }

  // Convert everything first: a rejected value must leave the point untouched.
  for (Impl::Var& v : m.variables) {
    const auto it = values.find(v.name);
    const std::size_t given = it == values.end() ? 0 : it->second.size();
    const auto n = static_cast<std::size_t>(v.values);
    const auto integer = [&](double x, double lo, double hi) -> std::int64_t {
      if (!(x == std::trunc(x) && x >= lo && x <= hi)) {
        throw KernelError(m.where + ": variable '" + v.name + "' at grid point " + join(point) +
                          " takes integers in [" + std::to_string(static_cast<long long>(lo)) +
                          ", " + std::to_string(static_cast<long long>(hi)) + "] or NaN, not " +
                          std::to_string(x));
      }
      return static_cast<std::int64_t>(x);
    };
    switch (v.type) {
      case ValueType::f64:
        v.f64.assign(n, kFillF64);
        if (given > 0) std::copy_n(it->second.begin(), given, v.f64.begin());
        break;
      case ValueType::i64:
        v.i64.assign(n, kFillI64);
        for (std::size_t k = 0; k < given; ++k) {
          const double x = it->second[k];
          if (!std::isnan(x)) v.i64[k] = integer(x, -9.223372036854775e18, 9.223372036854775e18);
        }
        break;
      case ValueType::i8:
        v.i8.assign(n, kFillI8);
        for (std::size_t k = 0; k < given; ++k) {
          const double x = it->second[k];
          if (!std::isnan(x)) v.i8[k] = static_cast<std::int8_t>(integer(x, -128, 127));
        }
        break;
    }
  }
  // The message, cut to message_length bytes at a UTF-8 character boundary (and at a NUL).
  std::string text = message.substr(0, message.find('\0'));
  if (text.size() > m.message_length) {
    std::size_t cut = m.message_length;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
  }

  const QuietErrors quiet;
  for (Impl::Var& v : m.variables) {
    m.select(v, point);
    const void* buffer = v.type == ValueType::f64   ? static_cast<const void*>(v.f64.data())
                         : v.type == ValueType::i64 ? static_cast<const void*>(v.i64.data())
                                                    : static_cast<const void*>(v.i8.data());
    if (H5Dwrite(v.dataset.get(), memory_type(v.type), v.mem_space.get(), v.file_space.get(), H5P_DEFAULT,
                 buffer) < 0) {
      fail(m.where, "cannot write variable '" + v.name + "' at grid point " + join(point));
    }
  }
  // A later write of the same point replaces an earlier one that still waits.
  const std::vector<std::int64_t> key(point.begin(), point.end());
  std::erase_if(m.pending, [&](const Impl::Pending& p) { return p.point == key; });
  if (!text.empty()) {
    // The message changes metadata (see the top of results_file.hpp): it and the status that
    // makes the point count go in with the next rewrite of the file.
    m.pending.push_back({key, flag, std::move(text)});
    return;
  }
  m.select(m.status, point);
  if (H5Dwrite(m.status.dataset.get(), H5T_NATIVE_INT8, m.status.mem_space.get(), m.status.file_space.get(),
               H5P_DEFAULT, &flag) < 0) {
    fail(m.where, "cannot write 'status' at grid point " + join(point));
  }
}

std::vector<double> ResultsFile::read_point(const std::string& variable,
                                            std::span<const std::int64_t> point) const {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  Impl& m = *impl_;
  m.require_open();
  m.check_point(point);
  if (variable == kMessageName) {
    throw ConfigError(m.where + ": 'message' holds text, not numbers");
  }
  Impl::Var& v = m.find(variable);
  const bool is_status = variable == kStatusName;
  const QuietErrors quiet;
  m.select(v, point);
  const auto n = static_cast<std::size_t>(v.values);
  std::vector<double> out(n);
  const std::string what = "cannot read variable '" + v.name + "' at grid point " + join(point);
  switch (v.type) {
    case ValueType::f64:
      check_ok(H5Dread(v.dataset.get(), H5T_NATIVE_DOUBLE, v.mem_space.get(), v.file_space.get(),
                       H5P_DEFAULT, out.data()),
               m.where, what);
      break;
    case ValueType::i64: {
      std::vector<std::int64_t> raw(n);
      check_ok(H5Dread(v.dataset.get(), H5T_NATIVE_INT64, v.mem_space.get(), v.file_space.get(),
                       H5P_DEFAULT, raw.data()),
               m.where, what);
      for (std::size_t k = 0; k < n; ++k) {
        out[k] = raw[k] == kFillI64 ? kFillF64 : static_cast<double>(raw[k]);
      }
      break;
    }
    case ValueType::i8: {
      std::vector<std::int8_t> raw(n);
      check_ok(H5Dread(v.dataset.get(), H5T_NATIVE_INT8, v.mem_space.get(), v.file_space.get(),
                       H5P_DEFAULT, raw.data()),
               m.where, what);
      for (std::size_t k = 0; k < n; ++k) {
        out[k] = !is_status && raw[k] == kFillI8 ? kFillF64 : static_cast<double>(raw[k]);
      }
      if (is_status) {
        const std::vector<std::int64_t> key(point.begin(), point.end());
        for (const Impl::Pending& p : m.pending) {
          if (p.point == key) out[0] = p.status;
        }
      }
      break;
    }
  }
  return out;
}

void ResultsFile::flush() {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  const QuietErrors quiet;
  if (!impl_->pending.empty()) {
    // Closing makes everything durable, the rewrite adds the messages, and the file reopens.
    impl_->commit_pending();
    return;
  }
  check_ok(H5Fflush(impl_->file, H5F_SCOPE_GLOBAL), impl_->where, "flushing failed");
  void* handle = nullptr;
  check_ok(H5Fget_vfd_handle(impl_->file, H5P_DEFAULT, &handle), impl_->where,
           "cannot get the file descriptor");
  if (handle == nullptr) throw H5Error(impl_->where + ": no file descriptor to sync");
  const int fd = *static_cast<int*>(handle);
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    throw H5Error(impl_->where + ": fsync failed: " + std::strerror(errno));
  }
}

void ResultsFile::set_final_attribute(const std::string& name, AttributeValue value) {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  if (name.empty() || name.find('/') != std::string::npos) {
    throw ConfigError(impl_->where + ": invalid attribute name '" + name + "'");
  }
  if (name == kVersionAttribute || name == kLayoutAttribute) {
    throw ConfigError(impl_->where + ": attribute '" + name + "' is reserved");
  }
  impl_->final_attributes[name] = std::move(value);
}

void ResultsFile::close() {
  if (impl_) impl_->close();
}

}  // namespace hopcap::io
