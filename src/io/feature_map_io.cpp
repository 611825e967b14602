#include "hopcap/io/feature_map_io.hpp"

#include <hdf5.h>

#include <algorithm>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "io/hdf5_handle.hpp"

namespace hopcap::io {
namespace {

using hdf5::Handle;
using QuietHdf5 = hdf5::QuietErrors;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw H5Error("feature map '" + path.string() + "': " + what);
}

std::vector<double> read_dataset(hid_t file, const char* name, const std::filesystem::path& path,
                                 std::vector<hsize_t>& dims) {
  Handle dset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!dset.valid()) fail(path, std::string("cannot open dataset '") + name + "'");
  Handle space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2) fail(path, std::string("dataset '") + name + "' must be 1-D or 2-D");
  dims.assign(static_cast<std::size_t>(rank), 0);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Handle type(H5Dget_type(dset.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    fail(path, std::string("dataset '") + name + "' is not numeric");
  }
  hsize_t count = 1;
  for (hsize_t v : dims) count *= v;
  std::vector<double> data(static_cast<std::size_t>(count));
  if (count > 0 &&
      H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    fail(path, std::string("cannot read dataset '") + name + "'");
  }
  return data;
}

void write_dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                   const double* data, const std::filesystem::path& path) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dset(H5Dcreate2(file, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT),
              H5Dclose);
  if (!dset.valid()) fail(path, std::string("cannot create dataset '") + name + "'");
  if (H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(path, std::string("cannot write dataset '") + name + "'");
  }
}

void write_string_attribute(hid_t object, const char* name, const std::string& text,
                            const std::filesystem::path& path) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<std::size_t>(text.size(), 1));
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), text.c_str()) < 0) {
    fail(path, std::string("cannot write attribute '") + name + "'");
  }
}

}  // namespace

FeatureMap load_feature_map(const std::filesystem::path& path) {
  QuietHdf5 quiet;
  if (!std::filesystem::exists(path)) throw InputError("feature map '" + path.string() + "': no such file");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail(path, "not a readable HDF5 file");
  std::vector<hsize_t> dims;
  FeatureMap map;
  map.weight.data = read_dataset(file.get(), "W", path, dims);
  if (dims.size() != 2) fail(path, "dataset 'W' must be 2-D (D_Phi x d)");
  map.weight.rows = static_cast<std::int64_t>(dims[0]);
  map.weight.cols = static_cast<std::int64_t>(dims[1]);
  if (H5Lexists(file.get(), "b", H5P_DEFAULT) > 0) {
    map.bias = read_dataset(file.get(), "b", path, dims);
  }
  try {
    map.validate();
  } catch (const ConfigError& e) {
    fail(path, e.what());
  }
  return map;
}

void save_feature_map(const std::filesystem::path& path, const FeatureMap& map,
                      const std::vector<UhopTracePoint>* trace, const std::string& description) {
  map.validate();
  QuietHdf5 quiet;
  // Written under a temporary name and renamed: a killed run never leaves a half-written map.
  std::filesystem::path partial = path;
  partial += ".partial";
  {
    Handle file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) fail(path, "cannot create the file");
    write_dataset(file.get(), "W",
                  {static_cast<hsize_t>(map.weight.rows), static_cast<hsize_t>(map.weight.cols)},
                  map.weight.data.data(), path);
    if (map.has_bias()) {
      write_dataset(file.get(), "b", {static_cast<hsize_t>(map.bias.size())}, map.bias.data(), path);
    }
    if (!description.empty()) write_string_attribute(file.get(), "hopcap_settings", description, path);
    if (trace != nullptr) {
      Handle group(H5Gcreate2(file.get(), "trace", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      if (!group.valid()) fail(path, "cannot create group 'trace'");
      const std::vector<hsize_t> dims{static_cast<hsize_t>(trace->size())};
      auto column = [&](const char* name, double UhopTracePoint::*field) {
        std::vector<double> v;
        for (const UhopTracePoint& p : *trace) v.push_back(p.*field);
        write_dataset(group.get(), name, dims, v.data(), path);
      };
      std::vector<double> iteration;
      for (const UhopTracePoint& p : *trace) iteration.push_back(static_cast<double>(p.iteration));
      write_dataset(group.get(), "iteration", dims, iteration.data(), path);
      column("loss", &UhopTracePoint::loss);
      column("s_max", &UhopTracePoint::s_max);
      column("delta_min", &UhopTracePoint::delta_min);
      column("min_angle_deg", &UhopTracePoint::min_angle_deg);
      column("grad_norm", &UhopTracePoint::grad_norm);
      column("tau", &UhopTracePoint::tau);
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) fail(path, "cannot move the finished file into place: " + ec.message());
}

}  // namespace hopcap::io
