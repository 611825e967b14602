#include "hopcap/sweep/model.hpp"

#include "hopcap/error.hpp"

namespace hopcap::sweep {

Model parse_model(std::string_view name) { return kModelNames.parse(name); }

const char* model_name(Model model) {
  const std::string_view name = kModelNames.name(model);
  return name.empty() ? "unknown" : name.data();
}

}  // namespace hopcap::sweep
