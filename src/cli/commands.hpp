#pragma once
// Subcommands of the hopcap executable. Each registers its options on the app and runs from
// the CLI11 callback; results go to stdout as one JSON object (or a readable summary for demo),
// errors propagate as hopcap::Error to main, which prints one line and exits non-zero.

#include <CLI/CLI.hpp>

namespace hopcap::cli {

void register_codes(CLI::App& app);
void register_bounds(CLI::App& app);
void register_retrieve(CLI::App& app);
void register_demo(CLI::App& app);
void register_train(CLI::App& app);
void register_landscape(CLI::App& app);
/// `hopcap run`; argv is recorded as the run's command line.
void register_run(CLI::App& app, int argc, char** argv);

/// An error already reported on stderr (by rank 0 of an MPI run): main only returns its code.
struct ReportedError {
  int exit_code;
};

}  // namespace hopcap::cli
