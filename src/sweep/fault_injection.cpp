#include "sweep/fault_injection.hpp"

#include <cstdlib>
#include <sstream>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap::sweep {

FaultInjection FaultInjection::from_environment() {
  FaultInjection f;
  const char* text = std::getenv("HOPCAP_FAULT");
  if (text == nullptr || *text == '\0') return f;
  std::istringstream in(text);
  std::string kind;
  std::getline(in, kind, ':');
  char colon = 0;
  bool ok = false;
  if (kind == "compute") {
    ok = static_cast<bool>(in >> f.compute_rank >> colon >> f.compute_at) && colon == ':' && f.compute_rank >= 0 &&
         f.compute_at >= 1;
  } else if (kind == "writer") {
    ok = static_cast<bool>(in >> f.writer_at) && f.writer_at >= 1;
  }
  if (!ok || !(in >> std::ws).eof()) {
    throw ConfigError("HOPCAP_FAULT: expected compute:RANK:N or writer:N (N >= 1), got '" + std::string(text) + "'");
  }
  return f;
}

void FaultInjection::on_compute(int rank, std::int64_t count) const {
  if (rank == compute_rank && count == compute_at) {
    throw Error("injected fault (HOPCAP_FAULT) at configuration " + std::to_string(count) + " of this rank");
  }
}

void FaultInjection::on_write(std::int64_t count) const {
  if (count == writer_at) throw Error("injected fault (HOPCAP_FAULT) at result " + std::to_string(count));
}

}  // namespace hopcap::sweep
