#pragma once
// Feature maps on disk: a small HDF5 file with the dataset "W" (D_Φ × d, float64) and, for an
// affine map, "b" (D_Φ). `hopcap retrieve --feature-map FILE.h5` reads it; training writes it.

#include <filesystem>
#include <string>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/uhop.hpp"

namespace hopcap::io {

/// Reads W (and b when present). Throws H5Error/InputError naming the file and the problem.
FeatureMap load_feature_map(const std::filesystem::path& path);

/// Writes W (and b when the map has one) to a new file; an existing file is replaced only with
/// `overwrite`, and a path that is not a regular file never (ConfigError). With a trace, a group "trace" holds one 1-D dataset per field of UhopTracePoint (iteration, loss,
/// s_max, delta_min, min_angle_deg, grad_norm, tau); a non-empty description is stored as the
/// string attribute "hopcap_settings" (JSON) of the root group. The file appears complete or
/// not at all (built in memory, written under a temporary name, then renamed); throws H5Error
/// when it cannot be written.
void save_feature_map(const std::filesystem::path& path, const FeatureMap& map,
                      const std::vector<UhopTracePoint>* trace = nullptr,
                      const std::string& description = "", bool overwrite = false);

}  // namespace hopcap::io
