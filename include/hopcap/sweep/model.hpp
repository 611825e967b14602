#pragma once
// The models a sweep compares, parsed once from their names: the plain MHM and the KHM with a
// U-Hop+ trained, a random or the identity feature map. One name table for the vocabulary.

#include <array>
#include <string>
#include <string_view>

#include "hopcap/name_table.hpp"

namespace hopcap::sweep {

enum class Model { mhm, khm_uhop, khm_random, khm_identity };

inline constexpr NameTable kModelNames{"model", std::array<Named<Model>, 4>{{{Model::mhm, "mhm"},
                                                                              {Model::khm_uhop, "khm_uhop"},
                                                                              {Model::khm_random, "khm_random"},
                                                                              {Model::khm_identity, "khm_identity"}}}};

/// The model named `name`; throws ConfigError listing the names for any other text.
Model parse_model(std::string_view name);
const char* model_name(Model model);
/// Every KHM has a feature map of dimension D_Phi; the MHM has none.
inline bool has_feature_map(Model model) { return model != Model::mhm; }

}  // namespace hopcap::sweep
