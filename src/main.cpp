// hopcap command-line entry point: dispatches to the subcommands in src/cli/ and turns every
// error into one line on stderr and a non-zero exit code.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
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

// Option names as "-h, --help", the form help2man (and man pages) expect, in every command's help.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* option, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(option, is_positional);
    if (is_positional) return name;
    for (std::size_t at = name.find(','); at != std::string::npos; at = name.find(',', at + 2)) {
      name.replace(at, 1, ", ");
    }
    return name;
  }
};

constexpr const char* kHelpFooter =
    "Run 'hopcap COMMAND --help' for the options of a command. Every command but demo prints one "
    "JSON object on stdout.\n\n"
    "Exit status: 0 success, 1 runtime failure, 2 bad command line or configuration, 3 hopcap run "
    "stopped by SIGTERM or SIGINT (continue it with --resume).\n\n"
    "Environment: OMP_NUM_THREADS sets the OpenMP threads of every command (default: the small "
    "commands choose from the size of the work, hopcap run shares the node's cores among its "
    "ranks).\n\n"
    "Documentation: README.md and docs/ of the source tree (installed under share/doc/hopcap).";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hopcap: memory capacity of modern and kernelized Hopfield models", "hopcap"};
  app.formatter(std::make_shared<HelpFormatter>());
  app.footer(kHelpFooter);
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "hopcap: error: " + hopcap::one_line(e.what()) + " (see --help)\n";
  });
  hopcap::cli::register_codes(app);
  hopcap::cli::register_bounds(app);
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
    std::cerr << "hopcap: error: " << hopcap::one_line(e.what()) << "\n";
    return kUsageError;
  } catch (const hopcap::Error& e) {
    std::cerr << "hopcap: error: " << hopcap::one_line(e.what()) << "\n";
    return kRuntimeError;
  } catch (const std::bad_alloc&) {
    std::cerr << "hopcap: error: out of memory (reduce M, the block size or the number of queries)\n";
    return kRuntimeError;
  } catch (const std::exception& e) {
    std::cerr << "hopcap: error: " << hopcap::one_line(e.what()) << "\n";
    return kRuntimeError;
  }
  return 0;
}
