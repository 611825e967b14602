#include "hopcap/io/landscape_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/output_target.hpp"
#include "io/file_conventions.hpp"
#include "io/hdf5.hpp"

namespace hopcap::io {
namespace {

using hdf5::Handle;

// A variable over the dimension scales `dims`, with long_name, units and, for the grid
// variables, the CF auxiliary coordinates x and y.
template <class T>
void variable(hid_t file, const char* name, const std::vector<hsize_t>& extent, const std::vector<T>& data,
              const std::vector<hid_t>& dims, const char* long_name, const char* units, bool on_grid,
              const std::string& where) {
  const Handle dset = hdf5::write_dataset(file, name, extent, data, where);
  hdf5::describe(dset.get(), long_name, units, where);
  if (on_grid) hdf5::write_attribute(dset.get(), "coordinates", "x y", where);
  hdf5::attach_dimensions(dset.get(), dims, where);
}

}  // namespace

void save_landscapes(const std::filesystem::path& path, const std::vector<LandscapeSnapshot>& snapshots,
                     const std::vector<std::string>& map_names, const LandscapeSettings& settings,
                     const std::string& settings_json, bool overwrite) {
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
  const hdf5::QuietErrors quiet;
  const std::string where = "landscape file '" + path.string() + "'";
  hdf5::write_file(
      path,
      [&](hid_t f) {
        const Handle root = hdf5::owned(H5Gopen2(f, "/", H5P_DEFAULT), H5Gclose, where, "cannot open the root group");
        write_file_conventions(root.get(), "hopcap energy landscapes",
                               "Energy landscapes and basins of attraction of 2-D memories in modern Hopfield "
                               "models before and after U-Hop+ steps (hopcap landscape)",
                               where);
        const Handle step_dim = hdf5::write_dataset(f, "step", {s}, step, where);
        hdf5::describe(step_dim.get(), "U-Hop+ steps taken (0: the raw memories)", "1", where);
        hdf5::make_dimension_scale(step_dim.get(), "step", where);
        const Handle sep_dim = hdf5::write_strings(f, "sep", map_names, where);
        hdf5::describe(sep_dim.get(), "separation map", "", where);
        hdf5::make_dimension_scale(sep_dim.get(), "sep", where);
        const Handle memory_dim = hdf5::index_coordinate(f, "memory", m, "memory index", "1", where);
        const Handle component_dim =
            hdf5::index_coordinate(f, "component", 2, "component of a point in the plane", "1", where);
        const Handle grid_x = hdf5::index_coordinate(f, "grid_x", g, "grid column (index of x)", "1", where);
        const Handle grid_y = hdf5::index_coordinate(f, "grid_y", g, "grid row (index of y)", "1", where);
        const hid_t t = step_dim.get(), sp = sep_dim.get(), gx = grid_x.get(), gy = grid_y.get();
        variable(f, "x", {s, g}, x, {t, gx}, "first component of the grid points", "1", false, where);
        variable(f, "y", {s, g}, y, {t, gy}, "second component of the grid points", "1", false, where);
        variable(f, "memories", {s, m, 2}, memories, {t, memory_dim.get(), component_dim.get()},
                 "memories of the landscape (normalised features after U-Hop+)", "1", false, where);
        variable(f, "min_angle_deg", {s}, angle, {t}, "smallest angle between two memories", "degree", false, where);
        variable(f, "energy", {s, k, g, g}, energy, {t, sp, gy, gx},
                 "energy 1/2 |x|^2 - Psi*(beta Xi x)/beta at the grid point", "1", true, where);
        variable(f, "basin", {s, k, g, g}, basin, {t, sp, gy, gx},
                 "memory the grid point is retrieved to after the updates (-1: none)", "1", true, where);
        variable(f, "captured_fraction", {s, k}, fraction, {t, sp}, "share of grid points retrieved to some memory",
                 "1", false, where);
        std::string names;
        for (const std::string& n : map_names) names += (names.empty() ? "" : " ") + n;
        hdf5::write_attribute(root.get(), "separation_maps", names, where);
        hdf5::write_attribute(root.get(), "beta", settings.beta, where);
        hdf5::write_attribute(root.get(), "grid", settings.grid, where);
        hdf5::write_attribute(root.get(), "margin", settings.margin, where);
        hdf5::write_attribute(root.get(), "updates", std::int64_t{settings.updates}, where);
        hdf5::write_attribute(root.get(), "capture_radius", settings.capture_radius, where);
        hdf5::write_attribute(root.get(), "settings", settings_json, where);
      },
      overwrite, where, kOverwriteHint);
}

}  // namespace hopcap::io
