// The HDF5 results file of a sweep (layout and crash-safety design in results_file.hpp and
// docs/output-format.md).
//
// create() builds the complete file under a temporary name: coordinate variables as dimension
// scales, every data variable contiguous, allocated early and filled with its fill value, all
// attributes, and a `hopcap_layout` JSON attribute from which open() recovers the structure.
// The temporary file is closed, synced and renamed over the target, then reopened for writing.
// From then on write_point() only overwrites preallocated raw data (the sieve buffer is off, so
// every H5Dwrite goes straight to the file), which never touches metadata: a process killed at
// any moment leaves the metadata exactly as create() wrote it.
#include "hopcap/io/results_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/error.hpp"
#include "io/hdf5_handle.hpp"

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

using hdf5::error_stack;

// Throws H5Error "<where>: <what> (HDF5: ...)".
[[noreturn]] void h5_fail(const std::string& where, const std::string& what) {
  throw H5Error(where + ": " + what + error_stack());
}

hid_t check_id(hid_t id, const std::string& where, const std::string& what) {
  if (id < 0) h5_fail(where, what);
  return id;
}

void check_ok(herr_t status, const std::string& where, const std::string& what) {
  if (status < 0) h5_fail(where, what);
}

std::unique_ptr<Handle> owned(hid_t id, Handle::Closer closer, const std::string& where,
                              const std::string& what) {
  return std::make_unique<Handle>(check_id(id, where, what), closer);
}

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

// A fixed-length, null-padded UTF-8 string type of `size` bytes (at least 1).
std::unique_ptr<Handle> fixed_string_type(std::size_t size, const std::string& where) {
  auto type = owned(H5Tcopy(H5T_C_S1), H5Tclose, where, "cannot create a string type");
  check_ok(H5Tset_size(type->get(), std::max<std::size_t>(size, 1)), where,
           "cannot size a string type");
  check_ok(H5Tset_strpad(type->get(), H5T_STR_NULLPAD), where, "cannot set string padding");
  check_ok(H5Tset_cset(type->get(), H5T_CSET_UTF8), where, "cannot set string encoding");
  return type;
}

std::unique_ptr<Handle> vlen_string_type(const std::string& where) {
  auto type = owned(H5Tcopy(H5T_C_S1), H5Tclose, where, "cannot create a string type");
  check_ok(H5Tset_size(type->get(), H5T_VARIABLE), where, "cannot make a variable-length string");
  check_ok(H5Tset_cset(type->get(), H5T_CSET_UTF8), where, "cannot set string encoding");
  return type;
}

// Writes (replacing) a scalar fixed-length string attribute, netCDF-style (NC_CHAR).
void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& where) {
  const std::string what = "attribute '" + name + "'";
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists < 0) h5_fail(where, "cannot look up " + what);
  if (exists > 0) check_ok(H5Adelete(object, name.c_str()), where, "cannot replace " + what);
  const auto type = fixed_string_type(value.size(), where);
  const Handle space(check_id(H5Screate(H5S_SCALAR), where, "cannot create a dataspace"), H5Sclose);
  const Handle attr(
      check_id(H5Acreate2(object, name.c_str(), type->get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               where, "cannot create " + what),
      H5Aclose);
  std::string padded = value;
  padded.resize(std::max<std::size_t>(value.size(), 1), '\0');
  check_ok(H5Awrite(attr.get(), type->get(), padded.data()), where, "cannot write " + what);
}

// Writes a numeric attribute: a scalar when `count` is 0, else a 1-D array of `count`.
void write_numeric_attribute(hid_t object, const std::string& name, hid_t stored_type,
                             hid_t mem_type, const void* data, hsize_t count,
                             const std::string& where) {
  const std::string what = "attribute '" + name + "'";
  const Handle space(
      check_id(count == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), where,
               "cannot create a dataspace"),
      H5Sclose);
  const Handle attr(
      check_id(H5Acreate2(object, name.c_str(), stored_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               where, "cannot create " + what),
      H5Aclose);
  check_ok(H5Awrite(attr.get(), mem_type, data), where, "cannot write " + what);
}

// Reads a scalar string (fixed or variable length) or integer attribute as text.
std::string read_text_attribute(hid_t object, const std::string& name, const std::string& where) {
  const std::string what = "attribute '" + name + "'";
  const Handle attr(
      check_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), where, "cannot open " + what), H5Aclose);
  const Handle type(check_id(H5Aget_type(attr.get()), where, "cannot read the type of " + what),
                    H5Tclose);
  const Handle space(check_id(H5Aget_space(attr.get()), where, "cannot read the shape of " + what),
                     H5Sclose);
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points != 1) throw InputError(where + ": " + what + " is not a single value");
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_INTEGER) {
    long long value = 0;
    check_ok(H5Aread(attr.get(), H5T_NATIVE_LLONG, &value), where, "cannot read " + what);
    return std::to_string(value);
  }
  if (cls != H5T_STRING) throw InputError(where + ": " + what + " is not a string");
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) h5_fail(where, "cannot inspect the type of " + what);
  if (variable > 0) {
    const auto mem = vlen_string_type(where);
    char* text = nullptr;
    check_ok(H5Aread(attr.get(), mem->get(), &text), where, "cannot read " + what);
    std::string out = text != nullptr ? std::string(text) : std::string();
    if (text != nullptr) H5free_memory(text);
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::string buffer(size, '\0');
  check_ok(H5Aread(attr.get(), type.get(), buffer.data()), where, "cannot read " + what);
  const std::size_t end = buffer.find('\0');
  if (end != std::string::npos) buffer.resize(end);
  return buffer;
}

// A dataset creation property list for preallocated raw data: contiguous, allocated and filled
// at creation, no filters, attribute order tracked (as netCDF-4 does). A null `fill` keeps
// HDF5's default fill (zero bytes).
std::unique_ptr<Handle> preallocated_dcpl(hid_t type, const void* fill, const std::string& where) {
  auto dcpl =
      owned(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_layout(dcpl->get(), H5D_CONTIGUOUS), where, "cannot set contiguous layout");
  check_ok(H5Pset_alloc_time(dcpl->get(), H5D_ALLOC_TIME_EARLY), where,
           "cannot set early allocation");
  check_ok(H5Pset_fill_time(dcpl->get(), H5D_FILL_TIME_ALLOC), where, "cannot set fill time");
  if (fill != nullptr) {
    check_ok(H5Pset_fill_value(dcpl->get(), type, fill), where, "cannot set the fill value");
  }
  check_ok(H5Pset_attr_creation_order(dcpl->get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           where, "cannot track attribute order");
  return dcpl;
}

// The file access properties of every open: serial sec2 driver, no sieve buffer (raw data
// goes straight to the file), file locking where the file system supports it.
std::unique_ptr<Handle> file_access(const std::string& where) {
  auto fapl = owned(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_fapl_sec2(fapl->get()), where, "cannot select the sec2 driver");
  check_ok(H5Pset_sieve_buf_size(fapl->get(), 0), where, "cannot disable the sieve buffer");
  check_ok(H5Pset_file_locking(fapl->get(), true, true), where, "cannot set file locking");
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

void write_skeleton(const std::string& temp, const ResultsLayout& layout, const Structure& s,
                    const std::string& where) {
  const auto fcpl =
      owned(H5Pcreate(H5P_FILE_CREATE), H5Pclose, where, "cannot create a property list");
  check_ok(H5Pset_link_creation_order(fcpl->get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           where, "cannot track link order");
  check_ok(H5Pset_attr_creation_order(fcpl->get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           where, "cannot track attribute order");
  const auto fapl = file_access(where);
  hid_t file_id = H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, fcpl->get(), fapl->get());
  if (file_id < 0) {
    const fs::path parent = fs::path(temp).parent_path();
    std::error_code ec;
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      H5Eclear2(H5E_DEFAULT);
      throw H5Error(where + ": cannot create the file: directory '" + parent.string() +
                    "' does not exist");
    }
    h5_fail(where, "cannot create the file");
  }
  // Closed explicitly at the end, where a failure means the metadata may not be on disk.
  struct FileGuard {
    hid_t id;
    ~FileGuard() {
      if (id >= 0) H5Fclose(id);
    }
  } guard{file_id};
  {
    const hid_t file = file_id;
    const Handle root(
        check_id(H5Gopen2(file, "/", H5P_DEFAULT), where, "cannot open the root group"), H5Gclose);

    std::map<std::string, std::unique_ptr<Handle>> scales;  // dimension name -> scale dataset
    const auto make_scale = [&](const std::string& name, hid_t type, const std::string& long_name,
                                const std::string* units, hsize_t n) -> hid_t {
      const Handle space(
          check_id(H5Screate_simple(1, &n, nullptr), where, "cannot create a dataspace"), H5Sclose);
      const auto dcpl =
          owned(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, where, "cannot create a property list");
      check_ok(
          H5Pset_attr_creation_order(dcpl->get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          where, "cannot track attribute order");
      auto ds = owned(
          H5Dcreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl->get(), H5P_DEFAULT),
          H5Dclose, where, "cannot create coordinate variable '" + name + "'");
      const hid_t id = ds->get();
      scales[name] = std::move(ds);
      write_string_attribute(id, "long_name", long_name, where);
      if (units != nullptr) write_string_attribute(id, "units", *units, where);
      return id;
    };

    for (const AxisSpec& axis : layout.axes) {
      const auto n = static_cast<hsize_t>(axis.size());
      const std::string what = "cannot write coordinate variable '" + axis.name + "'";
      if (!axis.labels.empty()) {
        const auto type = vlen_string_type(where);
        const hid_t ds = make_scale(axis.name, type->get(), axis.long_name, &axis.units, n);
        std::vector<const char*> text;
        for (const std::string& label : axis.labels) text.push_back(label.c_str());
        check_ok(H5Dwrite(ds, type->get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()), where,
                 what);
      } else if (axis.integer) {
        const hid_t ds = make_scale(axis.name, H5T_STD_I64LE, axis.long_name, &axis.units, n);
        std::vector<std::int64_t> values;
        for (double x : axis.numbers) values.push_back(static_cast<std::int64_t>(x));
        check_ok(H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                 where, what);
      } else {
        const hid_t ds = make_scale(axis.name, H5T_IEEE_F64LE, axis.long_name, &axis.units, n);
        check_ok(
            H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, axis.numbers.data()),
            where, what);
      }
    }
    for (const ExtraDimSpec& dim : layout.extra_dims) {
      const hid_t ds = make_scale(dim.name, H5T_STD_I64LE, dim.long_name, nullptr,
                                  static_cast<hsize_t>(dim.size));
      std::vector<std::int64_t> values(static_cast<std::size_t>(dim.size));
      for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<std::int64_t>(k);
      check_ok(H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), where,
               "cannot write coordinate variable '" + dim.name + "'");
    }
    for (auto& [name, scale] : scales) {
      check_ok(H5DSset_scale(scale->get(), name.c_str()), where,
               "cannot make '" + name + "' a dimension scale");
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
    const auto make_variable = [&](const std::string& name, const std::vector<std::string>& dims,
                                   hid_t type, const void* fill, const std::string& long_name,
                                   const std::string* units,
                                   bool fill_attribute) -> std::unique_ptr<Handle> {
      std::vector<hsize_t> extent;
      for (const std::string& d : dims) extent.push_back(size_of(d));
      const Handle space(
          check_id(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), where,
                   "cannot create a dataspace"),
          H5Sclose);
      const auto dcpl = preallocated_dcpl(type, fill, where);
      auto ds = owned(
          H5Dcreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl->get(), H5P_DEFAULT),
          H5Dclose, where, "cannot create variable '" + name + "'");
      if (fill_attribute) {
        write_numeric_attribute(ds->get(), "_FillValue", type, type, fill, 0, where);
      }
      write_string_attribute(ds->get(), "long_name", long_name, where);
      if (units != nullptr) write_string_attribute(ds->get(), "units", *units, where);
      for (std::size_t k = 0; k < dims.size(); ++k) {
        check_ok(H5DSattach_scale(ds->get(), scales.at(dims[k])->get(), static_cast<unsigned>(k)),
                 where, "cannot attach dimension '" + dims[k] + "' to '" + name + "'");
      }
      return ds;
    };

    std::vector<std::string> grid;
    for (const auto& a : s.axes) grid.push_back(a.name);
    for (const VariableSpec& var : layout.variables) {
      const void* fill = &kFillF64;
      if (var.type == ValueType::i64) fill = &kFillI64;
      if (var.type == ValueType::i8) fill = &kFillI8;
      make_variable(var.name, var.dims, file_type(var.type), fill, var.long_name, &var.units, true);
    }
    {
      // No _FillValue attribute: 0 is a meaningful flag (not_run), and netCDF readers would
      // otherwise mask it as missing.
      const auto status = make_variable(kStatusName, grid, H5T_STD_I8LE, &kFillStatus,
                                        "status of the grid point", nullptr, false);
      const std::int8_t flags[4] = {0, 1, 2, 3};
      write_numeric_attribute(status->get(), "flag_values", H5T_STD_I8LE, H5T_NATIVE_INT8, flags, 4,
                              where);
      write_string_attribute(status->get(), "flag_meanings", "not_run ok failed skipped", where);
    }
    {
      // Filled with zero bytes (empty strings) by HDF5's default fill value. A user-defined
      // fill value on a fixed-length string makes netCDF-C overrun a pointer-sized buffer.
      const auto type = fixed_string_type(static_cast<std::size_t>(s.message_length), where);
      const auto message = make_variable(kMessageName, grid, type->get(), nullptr,
                                         "failure message", nullptr, false);
      // xarray decodes fixed-length byte strings to str when told their encoding.
      write_string_attribute(message->get(), "_Encoding", "utf-8", where);
    }

    for (const auto& [name, value] : layout.attributes) {
      write_string_attribute(root.get(), name, value, where);
    }
    const int version = kResultsFormatVersion;
    write_numeric_attribute(root.get(), kVersionAttribute, H5T_STD_I32LE, H5T_NATIVE_INT, &version,
                            0, where);
    write_string_attribute(root.get(), kLayoutAttribute, to_json(s).dump(), where);
    scales.clear();
  }
  if (H5Fclose(std::exchange(guard.id, -1)) < 0) h5_fail(where, "closing the new file failed");
  const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw H5Error(where + ": cannot reopen the new file: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL && err != EROFS) {
    throw H5Error(where + ": cannot sync the new file: " + std::strerror(err));
  }
}

}  // namespace

struct ResultsFile::Impl {
  struct Var {
    std::string name;
    ValueType type = ValueType::f64;
    std::vector<int> axis_of_dim;  // per dimension: its grid-axis index, or -1 (extra dim)
    std::vector<hsize_t> count;    // hyperslab count per dimension: 1 on axes, size on extras
    hsize_t values = 1;            // values per grid point
    std::unique_ptr<Handle> dataset, file_space, mem_space;
    // Scratch buffers, converted before any write so that a rejected call writes nothing.
    std::vector<double> f64;
    std::vector<std::int64_t> i64;
    std::vector<std::int8_t> i8;
  };

  fs::path path;
  std::string where;
  hid_t file = -1;
  std::vector<std::string> axis_names;
  std::vector<std::int64_t> shape;
  std::vector<Var> variables;
  std::map<std::string, std::size_t> index;
  Var status;
  Var message;
  std::unique_ptr<Handle> message_type;
  std::size_t message_length = 0;
  std::vector<hsize_t> start;  // scratch

  ~Impl() {
    try {
      close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): destructors must not throw
    }
  }

  void close() {
    if (file < 0) return;
    const QuietErrors quiet;
    const auto release = [](Var& v) {
      v.mem_space.reset();
      v.file_space.reset();
      v.dataset.reset();
    };
    for (Var& v : variables) release(v);
    release(status);
    release(message);
    message_type.reset();
    const hid_t id = std::exchange(file, -1);
    if (H5Fclose(id) < 0) h5_fail(where, "closing the file failed");
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
    v.file_space = owned(H5Dget_space(v.dataset->get()), H5Sclose, where,
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
    if (name != kMessageName) {
      const Handle stored(
          check_id(H5Dget_type(v.dataset->get()), where, "cannot read the type of '" + name + "'"),
          H5Tclose);
      const H5T_class_t cls = H5Tget_class(stored.get());
      const std::size_t size = H5Tget_size(stored.get());
      const bool matches = type == ValueType::f64
                               ? cls == H5T_FLOAT && size == 8
                               : cls == H5T_INTEGER && size == (type == ValueType::i64 ? 8U : 1U);
      if (!matches) {
        throw InputError(where + ": variable '" + name + "' is not of type " + type_name(type) +
                         " as its layout says");
      }
    }
    const int rank = H5Sget_simple_extent_ndims(v.file_space->get());
    std::vector<hsize_t> actual(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank < 0 || H5Sget_simple_extent_dims(v.file_space->get(), actual.data(), nullptr) < 0) {
      h5_fail(where, "cannot read the shape of '" + name + "'");
    }
    if (actual != expected) {
      throw InputError(where + ": variable '" + name + "' does not have the shape its layout says");
    }
    // Writes must never allocate or change metadata: the storage must be contiguous and fully
    // allocated by create().
    const Handle dcpl(check_id(H5Dget_create_plist(v.dataset->get()), where,
                               "cannot read the properties of '" + name + "'"),
                      H5Pclose);
    H5D_space_status_t allocated = H5D_SPACE_STATUS_ERROR;
    check_ok(H5Dget_space_status(v.dataset->get(), &allocated), where,
             "cannot read the allocation of '" + name + "'");
    if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || allocated != H5D_SPACE_STATUS_ALLOCATED ||
        H5Pget_nfilters(dcpl.get()) != 0) {
      throw InputError(where + ": variable '" + name +
                       "' is not preallocated contiguous storage (not written by hopcap?)");
    }
    const hsize_t n = v.values;
    v.mem_space =
        owned(H5Screate_simple(1, &n, nullptr), H5Sclose, where, "cannot create a dataspace");
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
    if (H5Sselect_hyperslab(v.file_space->get(), H5S_SELECT_SET, start.data(), nullptr,
                            v.count.data(), nullptr) < 0) {
      h5_fail(where, "cannot select a grid point of '" + v.name + "'");
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

ResultsFile ResultsFile::create(const std::filesystem::path& path, const ResultsLayout& layout) {
  const std::string where = "results file '" + path.string() + "'";
  const Structure structure = validate(layout);
  // Built under a temporary name and renamed when complete: the target path only ever holds a
  // complete file.
  const std::string temp = path.string() + ".creating";
  {
    const QuietErrors quiet;
    try {
      write_skeleton(temp, layout, structure, where);
    } catch (...) {
      std::error_code ec;
      fs::remove(temp, ec);
      throw;
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw H5Error(where + ": cannot move the new file into place: " + ec.message());
  }
  // Make the rename durable too (best effort: not every file system syncs directories).
  const fs::path parent = path.parent_path();
  const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return open(path);
}

ResultsFile ResultsFile::open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->where = "results file '" + path.string() + "'";
  const std::string& where = impl->where;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(where + ": file not found");
  if (fs::is_directory(path, ec)) throw InputError(where + ": is a directory, not a file");

  const QuietErrors quiet;
  const auto fapl = file_access(where);
  impl->file = H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl->get());
  if (impl->file < 0) h5_fail(where, "cannot open as an HDF5 file for writing");
  const htri_t has_version = H5Aexists(impl->file, kVersionAttribute);
  if (has_version < 0) h5_fail(where, "cannot read the root attributes");
  if (has_version == 0) {
    throw InputError(where + ": not a hopcap results file (no '" + kVersionAttribute +
                     "' attribute)");
  }
  const std::string version = read_text_attribute(impl->file, kVersionAttribute, where);
  if (version != std::to_string(kResultsFormatVersion)) {
    throw InputError(where + ": results format version " + version + " is not supported (this " +
                     "hopcap reads version " + std::to_string(kResultsFormatVersion) + ")");
  }
  const htri_t has_layout = H5Aexists(impl->file, kLayoutAttribute);
  if (has_layout <= 0) {
    throw InputError(where + ": no '" + kLayoutAttribute + "' attribute");
  }
  const Structure s = from_json(read_text_attribute(impl->file, kLayoutAttribute, where), where);
  if (s.axes.empty() || s.message_length < 1) {
    throw InputError(where + ": attribute '" + kLayoutAttribute + "' describes no grid");
  }
  std::map<std::string, std::int64_t> extra;
  for (const auto& a : s.axes) {
    if (a.size < 1) throw InputError(where + ": axis '" + a.name + "' is empty");
    impl->axis_names.push_back(a.name);
    impl->shape.push_back(a.size);
  }
  for (const auto& e : s.extra_dims) {
    if (e.size < 1) throw InputError(where + ": dimension '" + e.name + "' is empty");
    extra[e.name] = e.size;
  }
  for (const auto& v : s.variables) {
    if (v.name == kStatusName || v.name == kMessageName || impl->index.count(v.name) != 0) {
      throw InputError(where + ": variable '" + v.name + "' is listed twice or reserved");
    }
    impl->index[v.name] = impl->variables.size();
    impl->variables.push_back(impl->open_variable(v.name, v.dims, v.type, extra));
  }
  impl->status = impl->open_variable(kStatusName, impl->axis_names, ValueType::i8, extra);
  impl->message = impl->open_variable(kMessageName, impl->axis_names, ValueType::i8, extra);
  impl->message_length = static_cast<std::size_t>(s.message_length);
  impl->message_type = fixed_string_type(impl->message_length, where);
  {
    const Handle stored(check_id(H5Dget_type(impl->message.dataset->get()), where,
                                 "cannot read the type of 'message'"),
                        H5Tclose);
    if (H5Tget_class(stored.get()) != H5T_STRING ||
        H5Tget_size(stored.get()) != impl->message_length) {
      throw InputError(where + ": variable 'message' is not a string of " +
                       std::to_string(impl->message_length) + " bytes");
    }
  }
  // Opening for writing marks the superblock ("file open for write"); write that mark now, so
  // that from here on only raw data changes until set_final_attribute()/close(). With the
  // version-0 superblock of libver "earliest" the mark left by a killed writer is ignored by
  // every HDF5 reader (only version-3 superblocks refuse to open while it is set).
  check_ok(H5Fflush(impl->file, H5F_SCOPE_GLOBAL), where, "flushing the opened file failed");
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
  if (exists < 0) h5_fail(impl_->where, "cannot look up attribute '" + name + "'");
  if (exists == 0) return {};
  return read_text_attribute(impl_->file, name, impl_->where);
}

std::vector<PointStatus> ResultsFile::read_status() const {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  const QuietErrors quiet;
  std::size_t total = 1;
  for (std::int64_t n : impl_->shape) total *= static_cast<std::size_t>(n);
  std::vector<std::int8_t> raw(total);
  check_ok(H5Dread(impl_->status.dataset->get(), H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                   raw.data()),
           impl_->where, "cannot read 'status'");
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
  text.resize(m.message_length, '\0');

  const QuietErrors quiet;
  for (Impl::Var& v : m.variables) {
    m.select(v, point);
    const void* buffer = v.type == ValueType::f64   ? static_cast<const void*>(v.f64.data())
                         : v.type == ValueType::i64 ? static_cast<const void*>(v.i64.data())
                                                    : static_cast<const void*>(v.i8.data());
    if (H5Dwrite(v.dataset->get(), memory_type(v.type), v.mem_space->get(), v.file_space->get(),
                 H5P_DEFAULT, buffer) < 0) {
      h5_fail(m.where, "cannot write variable '" + v.name + "' at grid point " + join(point));
    }
  }
  m.select(m.message, point);
  if (H5Dwrite(m.message.dataset->get(), m.message_type->get(), m.message.mem_space->get(),
               m.message.file_space->get(), H5P_DEFAULT, text.data()) < 0) {
    h5_fail(m.where, "cannot write 'message' at grid point " + join(point));
  }
  m.select(m.status, point);
  if (H5Dwrite(m.status.dataset->get(), H5T_NATIVE_INT8, m.status.mem_space->get(),
               m.status.file_space->get(), H5P_DEFAULT, &flag) < 0) {
    h5_fail(m.where, "cannot write 'status' at grid point " + join(point));
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
      check_ok(H5Dread(v.dataset->get(), H5T_NATIVE_DOUBLE, v.mem_space->get(), v.file_space->get(),
                       H5P_DEFAULT, out.data()),
               m.where, what);
      break;
    case ValueType::i64: {
      std::vector<std::int64_t> raw(n);
      check_ok(H5Dread(v.dataset->get(), H5T_NATIVE_INT64, v.mem_space->get(), v.file_space->get(),
                       H5P_DEFAULT, raw.data()),
               m.where, what);
      for (std::size_t k = 0; k < n; ++k) {
        out[k] = raw[k] == kFillI64 ? kFillF64 : static_cast<double>(raw[k]);
      }
      break;
    }
    case ValueType::i8: {
      std::vector<std::int8_t> raw(n);
      check_ok(H5Dread(v.dataset->get(), H5T_NATIVE_INT8, v.mem_space->get(), v.file_space->get(),
                       H5P_DEFAULT, raw.data()),
               m.where, what);
      for (std::size_t k = 0; k < n; ++k) {
        out[k] = !is_status && raw[k] == kFillI8 ? kFillF64 : static_cast<double>(raw[k]);
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

void ResultsFile::set_final_attribute(const std::string& name, const std::string& value) {
  if (!impl_) throw ConfigError("results file: the object was moved from");
  impl_->require_open();
  if (name.empty() || name.find('/') != std::string::npos) {
    throw ConfigError(impl_->where + ": invalid attribute name '" + name + "'");
  }
  if (name == kVersionAttribute || name == kLayoutAttribute) {
    throw ConfigError(impl_->where + ": attribute '" + name + "' is reserved");
  }
  const QuietErrors quiet;
  const Handle root(
      check_id(H5Gopen2(impl_->file, "/", H5P_DEFAULT), impl_->where, "cannot open the root group"),
      H5Gclose);
  write_string_attribute(root.get(), name, value, impl_->where);
}

void ResultsFile::close() {
  if (impl_) impl_->close();
}

}  // namespace hopcap::io
