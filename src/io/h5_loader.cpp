// HDF5 datasets through the C API. HDF5's own error printing is silenced while we work; a
// failure becomes one H5Error naming the file, the dataset, the step and HDF5's messages.
#include <hdf5.h>

#include <cmath>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/sizes.hpp"
#include "io/hdf5.hpp"

namespace hopcap::io {
namespace {

using hdf5::Handle;
using hdf5::QuietErrors;

// Opens the dataset and checks it: numeric, rank 1 or 2, not empty, not absurdly large. Reads
// the values only when read_values is set; otherwise returns the extents with no data.
Matrix read_h5(const std::filesystem::path& path, const std::string& dataset, bool read_values) {
  const std::string where = path.string() + ", dataset '" + dataset + "'";
  // HDF5 opens the path itself, and a FIFO would block that open: check the type first.
  if (const auto problem = non_regular_file_problem(path)) throw InputError(where + ": " + *problem);
  if (dataset.empty()) throw InputError(where + ": no dataset name given");

  const QuietErrors quiet;
  const auto fail = [&](const std::string& what) { hdf5::fail(where, what); };

  const Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail("cannot open as an HDF5 file");
  const Handle data(H5Dopen2(file.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!data.valid()) fail("dataset not found or not a dataset");

  const Handle type(H5Dget_type(data.get()), H5Tclose);
  if (!type.valid()) fail("cannot read the datatype");
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) {
    fail("dataset is not numeric (HDF5 type class " + std::to_string(static_cast<int>(type_class)) +
         "); expected integers or floats");
  }

  const Handle space(H5Dget_space(data.get()), H5Sclose);
  if (!space.valid()) fail("cannot read the dataspace");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail("cannot read the dataspace rank");
  if (rank != 1 && rank != 2) {
    fail("dataset has rank " + std::to_string(rank) + "; expected 1 (one value per row) or 2");
  }
  hsize_t dims[2] = {0, 1};
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) fail("cannot read the extents");
  // A 1-D dataset is a column: one scalar per row, like an IDX label file.
  if (dims[0] == 0 || dims[1] == 0) fail("dataset is empty");
  if (!std::in_range<std::int64_t>(dims[0]) || !std::in_range<std::int64_t>(dims[1]) ||
      !product_within(static_cast<std::int64_t>(dims[0]), static_cast<std::int64_t>(dims[1]))) {
    fail("dataset of " + std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " values is too large");
  }
  if (!read_values) {
    Matrix extents;
    extents.rows = static_cast<std::int64_t>(dims[0]);
    extents.cols = static_cast<std::int64_t>(dims[1]);
    return extents;
  }
  Matrix out;
  try {
    out = Matrix(static_cast<std::int64_t>(dims[0]), static_cast<std::int64_t>(dims[1]));
  } catch (const std::bad_alloc&) {
    fail("dataset of " + std::to_string(dims[0]) + " x " + std::to_string(dims[1]) +
         " values does not fit in memory");
  }

  if (H5Dread(data.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()) < 0) {
    fail("reading the values as doubles failed");
  }
  for (std::size_t k = 0; k < out.data.size(); ++k) {
    if (!std::isfinite(out.data[k])) {
      const auto cols = static_cast<std::size_t>(out.cols);
      fail("non-finite value at row " + std::to_string(k / cols) + ", column " +
           std::to_string(k % cols));
    }
  }
  return out;
}

}  // namespace

Matrix load_h5(const std::filesystem::path& path, const std::string& dataset) {
  return read_h5(path, dataset, true);
}

std::pair<std::int64_t, std::int64_t> check_h5(const std::filesystem::path& path,
                                               const std::string& dataset) {
  const Matrix extents = read_h5(path, dataset, false);
  return {extents.rows, extents.cols};
}

}  // namespace hopcap::io
