// hopcap command-line entry point: dispatches to the subcommands in src/cli/.
#include <cstdio>

#include "hopcap/build_info.hpp"

int main() {
  std::printf("hopcap %s\n", hopcap::build_info().version);
  return 0;
}
