#pragma once
// The HDF5 file of `hopcap landscape`: energy landscapes and basins of attraction of one 2-D
// memory set before and after U-Hop+ steps. Layout (every dataset has `long_name`, `units` and
// `dimensions`, the names of its axes):
//   step[snapshot]                     U-Hop+ steps taken (0 = the raw memories)
//   memories[snapshot, memory, 2]      the points the landscape is computed for
//   min_angle_deg[snapshot]            their smallest pairwise angle
//   x[snapshot, grid], y[snapshot, grid]          grid coordinates
//   energy[snapshot, sep, grid_y, grid_x]         MHM energy of each separation map
//   basin[snapshot, sep, grid_y, grid_x]          memory index after the updates, or −1
//   captured_fraction[snapshot, sep]             share of grid points with a basin ≥ 0
// Root attributes: separation_maps (space-separated, in `sep` order), beta, grid, margin,
// updates, capture_radius, settings (JSON of the command's settings), hopcap_version, git_sha.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hopcap/landscape.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::io {

struct LandscapeSnapshot {
  std::int64_t step = 0;  ///< U-Hop+ steps taken
  Matrix memories;        ///< M×2
  double min_angle_deg = 0.0;
  Landscape landscape;
};

/// Writes the snapshots (same M, grid size and maps): built in memory, written under a temporary
/// name, then renamed, so the file appears complete or not at all. An existing file is
/// replaced only with `overwrite`, a path that is not a regular file never (ConfigError).
/// Throws H5Error when the file cannot be written.
void save_landscapes(const std::filesystem::path& path, const std::vector<LandscapeSnapshot>& snapshots,
                     const std::vector<std::string>& map_names, const LandscapeSettings& settings,
                     const std::string& settings_json, bool overwrite = false);

}  // namespace hopcap::io
