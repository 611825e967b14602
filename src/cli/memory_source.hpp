#pragma once
// The --memories family of options shared by subcommands: a synthetic distribution (sphere,
// binary, gaussian with --d, --M, --seed) or a file (idx:, text:, sloane:, h5:FILE:DATASET)
// with optional pixel scaling, sphere projection and a seeded subset of --M items.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "hopcap/matrix.hpp"

namespace hopcap::cli {

struct MemoryOptions {
  std::string source = "sphere";
  std::int64_t d = 16;
  std::int64_t m = 64;
  std::uint64_t seed = 1;
  bool scale_pixels = false;
  bool project_to_sphere = false;
  CLI::Option* d_option = nullptr;
  CLI::Option* m_option = nullptr;
};

void add_memory_options(CLI::App& app, MemoryOptions& options);

/// Builds the memory set and records where it came from in `description`.
Matrix load_memories(const MemoryOptions& options, nlohmann::ordered_json& description);

}  // namespace hopcap::cli
