#include "cli/memory_source.hpp"

#include "cli/integer_option.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::cli {

void add_memory_options(CLI::App& app, MemoryOptions& options) {
  app.add_option("--memories", options.source,
                 "sphere | binary | gaussian, or a file: idx:PATH, text:PATH, sloane:PATH, "
                 "h5:PATH:DATASET")
      ->capture_default_str();
  options.d_option = app.add_option("--d", options.d, "dimension of synthetic memories")
                         ->capture_default_str()
                         ->transform(checked_integer<std::int64_t>(1, kMaxDimension));
  options.m_option = app.add_option("--M", options.m,
                                    "number of memories (for a file: a seeded subset of this size)")
                         ->capture_default_str()
                         ->transform(checked_integer<std::int64_t>(1, kMaxDimension));
  app.add_option("--seed", options.seed, "base seed of memories and queries")
      ->capture_default_str()
      ->transform(checked_integer<std::uint64_t>());
  app.add_flag("--scale-pixels", options.scale_pixels, "map file values 0..255 to [-1, 1]");
  app.add_flag("--normalize", options.project_to_sphere, "project every memory onto the unit sphere");
}

Matrix load_memories(const MemoryOptions& options, nlohmann::ordered_json& description) {
  const bool synthetic = is_distribution_name(options.source);
  Matrix memories;
  if (synthetic) {
    require(options.d >= 1, "--d must be >= 1");
    require(options.m >= 1, "--M must be >= 1");
    (void)checked_product(options.m, options.d, "--M x --d (values of the memory set)");
    memories = generate_memories(parse_distribution(options.source), options.d, options.m,
                                 options.seed, 0);
    if (options.scale_pixels) throw ConfigError("--scale-pixels applies to file memories only");
    if (options.project_to_sphere) normalize_rows(memories);
  } else {
    io::Preprocess pre;
    if (options.m_option != nullptr && options.m_option->count() > 0) {
      require(options.m >= 1, "--M must be >= 1");
      pre.subset = options.m;
    }
    pre.subset_seed = options.seed;
    pre.scale_pixels = options.scale_pixels;
    pre.project_to_sphere = options.project_to_sphere;
    memories = io::preprocess(io::load_source(options.source), pre);
    if (options.d_option != nullptr && options.d_option->count() > 0 && options.d != memories.cols) {
      throw ConfigError("--d " + std::to_string(options.d) + " does not match the file's dimension " +
                        std::to_string(memories.cols));
    }
  }
  description["source"] = options.source;
  description["M"] = memories.rows;
  description["d"] = memories.cols;
  description["seed"] = options.seed;
  description["scale_pixels"] = options.scale_pixels;
  description["normalized"] = options.project_to_sphere || options.source == "sphere" ||
                              options.source == "binary";
  return memories;
}

}  // namespace hopcap::cli
