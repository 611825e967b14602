#pragma once
// The HDF5 library hopcap links (Debian's parallel build) is not thread-safe: one thread of a
// process at a time may call it. Where two threads of one process can reach HDF5 (the results
// writer beside rank 0's computation, which may load an h5: data set), both hold this lock.

#include <mutex>

namespace hopcap::io {

std::mutex& hdf5_mutex();

}  // namespace hopcap::io
