#include "hopcap/io/hdf5_lock.hpp"

namespace hopcap::io {

std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace hopcap::io
