// A source of the kernels layer, compiled with only that layer's dependencies. The tests
// layers_* build it three ways: as it is (must compile), and with <mpi.h> or <hdf5.h> (must
// not: kernels are pure functions over spans, testable without MPI or files).
#if defined(HOPCAP_LAYER_INCLUDE_MPI)
#include <mpi.h>
#elif defined(HOPCAP_LAYER_INCLUDE_HDF5)
#include <hdf5.h>
#endif

#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/kernels/separation.hpp"

int main() { return 0; }
