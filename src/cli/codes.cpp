// hopcap codes: separation metrics of a point set, read or generated, and the bounds on the
// optimal minimal angle at its M and dimension.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/bounds_json.hpp"
#include "cli/commands.hpp"
#include "cli/integer_option.hpp"
#include "cli/report.hpp"
#include "cli/work_threads.hpp"
#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::cli {
namespace {

struct CodesOptions {
  std::string input;
  std::string format = "auto";
  std::string generate;
  std::int64_t dim = 0;
};

Matrix read_input(const CodesOptions& o) {
  if (o.format == "auto") return io::load_text(o.input, io::TextFormat::automatic, o.dim);
  if (o.format == "text") return io::load_text(o.input, io::TextFormat::vectors, o.dim);
  if (o.format == "sloane") return io::load_text(o.input, io::TextFormat::sloane, o.dim);
  if (o.format.rfind("h5:", 0) == 0) {
    const std::string dataset = o.format.substr(3);
    require(!dataset.empty(), "--format h5:DATASET needs a dataset path");
    return io::load_h5(o.input, dataset);
  }
  if (o.format == "idx") return io::load_idx(o.input);
  throw ConfigError("--format must be auto, text, sloane, idx or h5:DATASET, got '" + o.format + "'");
}

void run_codes(const CodesOptions& o) {
  if (o.input.empty() == o.generate.empty()) {
    throw ConfigError("codes needs exactly one of --input FILE or --generate SPEC");
  }
  const Matrix points = o.input.empty() ? codes::generate(o.generate) : read_input(o);
  fit_threads_to_work(gemm_flops(points.rows, points.rows, points.cols));  // all pairs' cosines
  nlohmann::ordered_json out;
  out["command"] = "codes";
  out["source"] = o.input.empty() ? "generate:" + o.generate : o.input;
  const nlohmann::ordered_json metrics = code_json(kernels::separation_report(points));
  for (auto it = metrics.begin(); it != metrics.end(); ++it) out[it.key()] = it.value();
  // The interval each bound gives for the best minimal angle of M points in this dimension.
  out["bounds"] = points.rows >= 2 && points.cols >= 2 ? optimal_angle_json(points.cols, points.rows)
                                                      : nlohmann::ordered_json(nullptr);
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

void register_codes(CLI::App& app) {
  auto options = std::make_shared<CodesOptions>();
  CLI::App* cmd = app.add_subcommand("codes", "separation metrics of a spherical code");
  cmd->add_option("--input", options->input, "file of points (one vector per line, or Sloane's format)");
  cmd->add_option("--format", options->format, "auto | text | sloane | idx | h5:DATASET")
      ->capture_default_str();
  cmd->add_option("--dim", options->dim,
                  "dimension of a one-number-per-line Sloane file whose name does not say it")
      ->transform(checked_integer<std::int64_t>(0, kMaxDimension));
  cmd->add_option("--generate", options->generate,
                  "simplex[:M] | cross[:D] | polygon[:M] | icosahedron | 24cell | e8 | 600cell | "
                  "dn[:N] | e6 | e7 | 120cell | sphere:D,M,SEED");
  cmd->callback([options] { run_codes(*options); });
}

}  // namespace hopcap::cli
