#include "hopcap/io/feature_map_io.hpp"

#include <hdf5.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/io/output_target.hpp"
#include "hopcap/sizes.hpp"
#include "io/file_conventions.hpp"
#include "io/hdf5.hpp"

namespace hopcap::io {
namespace {

using hdf5::Handle;

// Reads a numeric dataset of rank 1 or 2 as doubles; `dims` receives its extents.
std::vector<double> read_dataset(hid_t file, const char* name, const std::string& where, std::vector<hsize_t>& dims) {
  const std::string what = std::string("dataset '") + name + "'";
  const Handle dset = hdf5::owned(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, where, "cannot open " + what);
  const Handle space = hdf5::owned(H5Dget_space(dset.get()), H5Sclose, where, "cannot read the shape of " + what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2) throw H5Error(where + ": " + what + " must be 1-D or 2-D");
  dims.assign(static_cast<std::size_t>(rank), 0);
  hdf5::check_ok(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), where,
                 "cannot read the extents of " + what);
  const Handle type = hdf5::owned(H5Dget_type(dset.get()), H5Tclose, where, "cannot read the type of " + what);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw H5Error(where + ": " + what + " is not numeric");
  // The extents come from the file: a product beyond the limits is a damaged or foreign file.
  std::int64_t count = 1;
  for (hsize_t v : dims) {
    const auto product =
        std::in_range<std::int64_t>(v) ? product_within(count, static_cast<std::int64_t>(v)) : std::nullopt;
    if (!product) throw H5Error(where + ": " + what + " is too large");
    count = *product;
  }
  std::vector<double> data(static_cast<std::size_t>(count));
  if (count > 0) {
    hdf5::check_ok(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), where,
                   "cannot read " + what);
  }
  return data;
}

// A float64 variable over `dims` (their scales attached), with long_name and units.
void variable(hid_t parent, const char* name, const std::vector<double>& values, const std::vector<hid_t>& dims,
              const char* long_name, const char* units, const std::string& where) {
  std::vector<hsize_t> extent;
  for (hid_t d : dims) {
    const Handle space = hdf5::owned(H5Dget_space(d), H5Sclose, where, "cannot read a dimension");
    hsize_t n = 0;
    hdf5::check_ok(H5Sget_simple_extent_dims(space.get(), &n, nullptr), where, "cannot read a dimension");
    extent.push_back(n);
  }
  const Handle dset = hdf5::write_dataset(parent, name, extent, values, where);
  hdf5::describe(dset.get(), long_name, units, where);
  hdf5::attach_dimensions(dset.get(), dims, where);
}

}  // namespace

FeatureMap load_feature_map(const std::filesystem::path& path) {
  const hdf5::QuietErrors quiet;
  const std::string where = "feature map '" + path.string() + "'";
  // HDF5 opens the path itself, and a FIFO would block that open: check the type first.
  if (const auto problem = non_regular_file_problem(path)) throw InputError(where + ": " + *problem);
  const Handle file =
      hdf5::owned(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, where, "not a readable HDF5 file");
  std::vector<hsize_t> dims;
  FeatureMap map;
  map.weight.data = read_dataset(file.get(), "W", where, dims);
  if (dims.size() != 2) throw H5Error(where + ": dataset 'W' must be 2-D (D_Phi x d)");
  map.weight.rows = static_cast<std::int64_t>(dims[0]);
  map.weight.cols = static_cast<std::int64_t>(dims[1]);
  if (H5Lexists(file.get(), "b", H5P_DEFAULT) > 0) map.bias = read_dataset(file.get(), "b", where, dims);
  try {
    map.validate();
  } catch (const ConfigError& e) {
    throw H5Error(where + ": " + e.what());
  }
  return map;
}

void save_feature_map(const std::filesystem::path& path, const FeatureMap& map,
                      const std::vector<UhopTracePoint>* trace, const std::string& description,
                      bool overwrite) {
  map.validate();
  const hdf5::QuietErrors quiet;
  const std::string where = "feature map '" + path.string() + "'";
  const auto rows = static_cast<hsize_t>(map.weight.rows), cols = static_cast<hsize_t>(map.weight.cols);
  hdf5::write_file(
      path,
      [&](hid_t file) {
        const Handle root = hdf5::owned(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose, where, "cannot open the root group");
        write_file_conventions(root.get(), "hopcap feature map",
                               "Linear feature map Phi(x) = W x (+ b) of a kernelized Hopfield model, learned by "
                               "U-Hop+ (hopcap train)",
                               where);
        if (!description.empty()) hdf5::write_attribute(root.get(), "hopcap_settings", description, where);
        const Handle feature =
            hdf5::index_coordinate(file, "feature", rows, "feature component (row of W, 0..D_Phi-1)", "1", where);
        const Handle input =
            hdf5::index_coordinate(file, "input", cols, "memory component (column of W, 0..d-1)", "1", where);
        variable(file, "W", map.weight.data, {feature.get(), input.get()}, "weight matrix W of the feature map",
                 "1", where);
        if (map.has_bias()) variable(file, "b", map.bias, {feature.get()}, "bias b of the affine feature map", "1", where);
        if (trace == nullptr) return;
        const Handle group = hdf5::create_group(file, "trace", where);
        std::vector<std::int64_t> steps;
        for (const UhopTracePoint& p : *trace) steps.push_back(p.iteration);
        const Handle iteration =
            hdf5::write_dataset(group.get(), "iteration", {static_cast<hsize_t>(steps.size())}, steps, where);
        hdf5::describe(iteration.get(), "U-Hop+ step of the kept restart", "1", where);
        hdf5::make_dimension_scale(iteration.get(), "iteration", where);
        const auto field = [&](const char* name, auto value_of, const char* long_name, const char* units) {
          std::vector<double> v;
          for (const UhopTracePoint& p : *trace) v.push_back(static_cast<double>(value_of(p)));
          variable(group.get(), name, v, {iteration.get()}, long_name, units, where);
        };
        field("loss", [](const UhopTracePoint& p) { return p.loss; }, "U-Hop+ loss", "1");
        field("s_max", [](const UhopTracePoint& p) { return p.s_max; },
              "largest cosine between two normalised features, before the step", "1");
        field("delta_min", [](const UhopTracePoint& p) { return p.delta_min; },
              "feature separation Delta_min = 1 - s_max", "1");
        field("min_angle_deg", [](const UhopTracePoint& p) { return p.min_angle_deg; },
              "smallest angle between two features", "degree");
        field("grad_norm", [](const UhopTracePoint& p) { return p.grad_norm; },
              "Frobenius norm of the loss gradient", "1");
        field("tau", [](const UhopTracePoint& p) { return p.tau; }, "temperature tau of the step", "1");
      },
      overwrite, where, kOverwriteHint);
}

}  // namespace hopcap::io
