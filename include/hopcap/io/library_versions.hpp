#pragma once
// Versions of the I/O libraries hopcap was linked with, for run provenance.

#include <string>

namespace hopcap::io {

/// "1.10.8" (the HDF5 library in use).
std::string hdf5_version();

}  // namespace hopcap::io
