#pragma once
// Feature maps on disk: a small HDF5 file with the dataset "W" (D_Φ × d, float64) and, for an
// affine map, "b" (D_Φ). `hopcap retrieve --feature-map FILE.h5` reads it; training writes it.

#include <filesystem>

#include "hopcap/feature_map.hpp"

namespace hopcap::io {

/// Reads W (and b when present). Throws H5Error/InputError naming the file and the problem.
FeatureMap load_feature_map(const std::filesystem::path& path);

/// Writes W (and b when the map has one) to a new file, replacing an existing one.
void save_feature_map(const std::filesystem::path& path, const FeatureMap& map);

}  // namespace hopcap::io
