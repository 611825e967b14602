// hopcap command-line entry point: dispatches to the subcommands in src/cli/ and turns every
// error into one line on stderr and a non-zero exit code.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "cli/commands.hpp"
#include "hopcap/build_info.hpp"
#include "hopcap/error.hpp"

namespace {

// Exit codes: 1 runtime failure (bad file, numerics), 2 bad command line or configuration.
constexpr int kRuntimeError = 1;
constexpr int kUsageError = 2;

std::string version_line() {
  const auto& info = hopcap::build_info();
  return std::string("hopcap ") + info.version + " (git " + info.git_sha +
         (info.git_dirty ? ", modified" : "") + ", " + info.compiler + ", " + info.build_type + ")";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hopcap: memory capacity of modern and kernelized Hopfield models", "hopcap"};
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("hopcap: error: ") + e.what() + " (see --help)\n";
  });
  hopcap::cli::register_codes(app);
  hopcap::cli::register_retrieve(app);
  hopcap::cli::register_train(app);
  hopcap::cli::register_landscape(app);
  hopcap::cli::register_demo(app);
  hopcap::cli::register_run(app, argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const hopcap::cli::ReportedError& e) {
    return e.exit_code;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kUsageError;
  } catch (const hopcap::ConfigError& e) {
    std::cerr << "hopcap: error: " << e.what() << "\n";
    return kUsageError;
  } catch (const hopcap::Error& e) {
    std::cerr << "hopcap: error: " << e.what() << "\n";
    return kRuntimeError;
  } catch (const std::bad_alloc&) {
    std::cerr << "hopcap: error: out of memory (reduce M, the block size or the number of queries)\n";
    return kRuntimeError;
  } catch (const std::exception& e) {
    std::cerr << "hopcap: error: " << e.what() << "\n";
    return kRuntimeError;
  }
  return 0;
}
