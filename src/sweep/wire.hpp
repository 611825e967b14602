#pragma once
// A configuration's result as bytes, for the message from a group root to the coordinator:
// id, status, counted flops, message, then every variable as (name, values). Plain memory
// layout: every rank of one job runs the same binary on the same kind of machine.

#include <vector>

#include "hopcap/sweep/execute.hpp"

namespace hopcap::sweep {

std::vector<char> pack(const ConfigResult& result);
/// Throws MpiError on a message that is not a complete packed result.
ConfigResult unpack(const char* data, std::size_t size);

}  // namespace hopcap::sweep
