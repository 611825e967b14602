#include "hopcap/io/landscape_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/build_info.hpp"
#include "io/hdf5_handle.hpp"

namespace hopcap::io {
namespace {

using hdf5::Handle;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw H5Error("landscape file '" + path.string() + "': " + what + hdf5::error_stack());
}

void string_attribute(hid_t object, const char* name, const std::string& text, const std::filesystem::path& path) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<std::size_t>(text.size(), 1));
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), text.c_str()) < 0) {
    fail(path, std::string("cannot write attribute '") + name + "'");
  }
}

void number_attribute(hid_t object, const char* name, double value, const std::filesystem::path& path) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &value) < 0) {
    fail(path, std::string("cannot write attribute '") + name + "'");
  }
}

template <class T>
void dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims, const std::vector<T>& data,
             const char* dimensions, const char* long_name, const char* units, const std::filesystem::path& path) {
  const bool integer = std::is_integral_v<T>;
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dset(H5Dcreate2(file, name, integer ? H5T_STD_I64LE : H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose);
  if (!dset.valid() ||
      H5Dwrite(dset.get(), integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    fail(path, std::string("cannot write dataset '") + name + "'");
  }
  string_attribute(dset.get(), "dimensions", dimensions, path);
  string_attribute(dset.get(), "long_name", long_name, path);
  string_attribute(dset.get(), "units", units, path);
}

}  // namespace

void save_landscapes(const std::filesystem::path& path, const std::vector<LandscapeSnapshot>& snapshots,
                     const std::vector<std::string>& map_names, const LandscapeSettings& settings,
                     const std::string& settings_json) {
  require(!snapshots.empty() && !map_names.empty(), "landscape file: nothing to write");
  const auto s = static_cast<hsize_t>(snapshots.size());
  const auto k = static_cast<hsize_t>(map_names.size());
  const auto g = static_cast<hsize_t>(settings.grid);
  const auto m = static_cast<hsize_t>(snapshots.front().memories.rows);
  std::vector<std::int64_t> step;
  std::vector<double> memories, angle, x, y, energy, fraction;
  std::vector<std::int64_t> basin;
  for (const LandscapeSnapshot& snap : snapshots) {
    require(static_cast<hsize_t>(snap.memories.rows) == m && snap.landscape.energy.size() == k &&
                snap.landscape.x.size() == g,
            "landscape file: snapshots differ in shape");
    step.push_back(snap.step);
    memories.insert(memories.end(), snap.memories.data.begin(), snap.memories.data.end());
    angle.push_back(snap.min_angle_deg);
    x.insert(x.end(), snap.landscape.x.begin(), snap.landscape.x.end());
    y.insert(y.end(), snap.landscape.y.begin(), snap.landscape.y.end());
    for (hsize_t j = 0; j < k; ++j) {
      energy.insert(energy.end(), snap.landscape.energy[j].begin(), snap.landscape.energy[j].end());
      basin.insert(basin.end(), snap.landscape.basin[j].begin(), snap.landscape.basin[j].end());
      fraction.push_back(snap.landscape.captured_fraction[j]);
    }
  }
  hdf5::QuietErrors quiet;
  std::filesystem::path partial = path;
  partial += ".partial";
  {
    Handle file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) fail(path, "cannot create the file");
    const hid_t f = file.get();
    dataset(f, "step", {s}, step, "snapshot", "U-Hop+ steps taken (0: the raw memories)", "1", path);
    dataset(f, "memories", {s, m, 2}, memories, "snapshot memory component",
            "memories of the landscape (normalised features after U-Hop+)", "1", path);
    dataset(f, "min_angle_deg", {s}, angle, "snapshot", "smallest angle between two memories", "degree", path);
    dataset(f, "x", {s, g}, x, "snapshot grid_x", "grid coordinate, first component", "1", path);
    dataset(f, "y", {s, g}, y, "snapshot grid_y", "grid coordinate, second component", "1", path);
    dataset(f, "energy", {s, k, g, g}, energy, "snapshot sep grid_y grid_x",
            "energy 1/2 |x|^2 - Psi*(beta Xi x)/beta at the grid point", "1", path);
    dataset(f, "basin", {s, k, g, g}, basin, "snapshot sep grid_y grid_x",
            "memory the grid point is retrieved to after the updates (-1: none)", "1", path);
    dataset(f, "captured_fraction", {s, k}, fraction, "snapshot sep",
            "share of grid points retrieved to some memory", "1", path);
    std::string names;
    for (const std::string& n : map_names) names += (names.empty() ? "" : " ") + n;
    string_attribute(f, "separation_maps", names, path);
    number_attribute(f, "beta", settings.beta, path);
    number_attribute(f, "grid", static_cast<double>(settings.grid), path);
    number_attribute(f, "margin", settings.margin, path);
    number_attribute(f, "updates", settings.updates, path);
    number_attribute(f, "capture_radius", settings.capture_radius, path);
    string_attribute(f, "settings", settings_json, path);
    string_attribute(f, "hopcap_version", build_info().version, path);
    string_attribute(f, "git_sha", build_info().git_sha, path);
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) fail(path, "cannot rename the finished file: " + ec.message());
}

}  // namespace hopcap::io
