#include "cli/uhop_options.hpp"

#include <iostream>

#include "cli/integer_option.hpp"
#include "hopcap/error.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::cli {

void add_uhop_options(CLI::App& app, UhopOptions& o, bool dphi_required, const std::string& precision_flag) {
  auto* dphi = app.add_option("--Dphi", o.feature_dim, "feature dimension D_Phi >= 1")
                   ->transform(checked_integer<std::int64_t>(1, kMaxDimension));
  if (dphi_required) dphi->required();
  app.add_option("--method", o.method,
                 "paper (Algorithm 1 as published) | refine (then the max-min code of its basin) | search "
                 "(then seeded starts and basin hopping)")
      ->capture_default_str();
  app.add_option("--hops", o.hops, "basin-hopping perturbations of --method search")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(0, kMaxIterations));
  app.add_flag("--bias", o.bias, "affine map W x + b (the official code's nn.Linear)");
  app.add_option("--loss", o.loss, "pairwise | per_memory | as_coded")->capture_default_str();
  app.add_option("--tau", o.tau, "temperature tau > 0 (initial value when annealing)")
      ->capture_default_str();
  app.add_option("--tau-min", o.tau_min, "anneal tau geometrically down to this floor (0 = constant)")
      ->capture_default_str();
  app.add_option("--anneal", o.anneal, "factor in (0, 1] applied to tau after every step")
      ->capture_default_str();
  app.add_option("--optimizer", o.optimizer, "gd | sgd | adam")->capture_default_str();
  app.add_option("--lr", o.lr, "learning rate > 0")->capture_default_str();
  app.add_flag("--lr-follows-tau", o.lr_follows_tau,
               "scale the learning rate by tau_t / tau while annealing (needed to settle on an optimal code)");
  app.add_option("--momentum", o.momentum, "SGD momentum in [0, 1)")->capture_default_str();
  app.add_option("--projection", o.projection, "none | unit_rows | frobenius (after every step)")
      ->capture_default_str();
  app.add_option("--init", o.init, "gaussian | identity | orthogonal")->capture_default_str();
  app.add_option("--iters", o.iterations, "maximum optimiser steps per restart")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(0, kMaxIterations));
  app.add_option("--batch", o.batch, "memories per step (0 = all)")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(0, kMaxDimension));
  app.add_option("--plateau-window", o.plateau_window,
                 "stop when loss and Delta_min moved <= --plateau-tol over this many steps (0 = off)")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(0, kMaxIterations));
  app.add_option("--plateau-tol", o.plateau_tol, "tolerance of the plateau stop")->capture_default_str();
  app.add_option("--restarts", o.restarts, "seeded restarts; the best Delta_min is kept")
      ->capture_default_str()
      ->transform(checked_integer<std::int64_t>(1, kMaxDimension));
  app.add_option(precision_flag, o.precision,
                 "float64 | float32: arithmetic of Algorithm 1's steps (refine and search stay float64)")
      ->capture_default_str();
  app.add_flag("--progress", o.progress, "print training progress on stderr");
}

nlohmann::ordered_json settings_json(const UhopSettings& s) {
  nlohmann::ordered_json j;
  j["D_phi"] = s.feature_dim;
  j["method"] = to_string(s.method);
  if (s.method == UhopMethod::search) j["hops"] = s.hops;
  j["bias"] = s.bias;
  j["loss"] = to_string(s.loss);
  j["tau"] = s.tau;
  j["tau_min"] = s.tau_min;
  j["anneal"] = s.anneal;
  j["optimizer"] = to_string(s.optimizer);
  j["lr"] = s.lr;
  j["lr_follows_tau"] = s.lr_follows_tau;
  if (s.optimizer == UhopOptimizer::sgd) j["momentum"] = s.momentum;
  j["projection"] = to_string(s.projection);
  j["init"] = to_string(s.init);
  j["iters"] = s.iterations;
  j["batch"] = s.batch;
  j["plateau_window"] = s.plateau_window;
  j["plateau_tol"] = s.plateau_tol;
  j["restarts"] = s.restarts;
  j["seed"] = s.seed;
  j["precision"] = std::string(kPrecisionNames.name(s.precision));
  return j;
}

UhopResult train_with_progress(const Matrix& memories, const UhopSettings& settings, bool progress) {
  UhopProgress report;
  if (progress) {
    const std::int64_t every = std::max<std::int64_t>(1, settings.iterations / 10);
    report = [every, &settings](std::int64_t restart, const UhopTracePoint& p) {
      if ((p.iteration + 1) % every != 0 && p.iteration + 1 != settings.iterations) return;
      std::cerr << "hopcap train: restart " << restart + 1 << "/" << settings.restarts << " step "
                << p.iteration + 1 << "/" << settings.iterations << " loss " << p.loss
                << " min angle " << p.min_angle_deg << " deg tau " << p.tau << std::endl;
    };
  }
  return train_uhop(memories, settings, report);
}

nlohmann::ordered_json result_json(const UhopResult& r) {
  nlohmann::ordered_json j;
  j["iterations"] = r.iterations;
  j["stop_reason"] = r.stop_reason;
  j["best_restart"] = r.best_restart;
  j["loss_final"] = r.loss_final;
  j["tau_final"] = r.tau_final;
  j["delta_min_before"] = r.delta_min_before;
  j["delta_min_after"] = r.delta_min_after;
  j["min_angle_deg_before"] = r.min_angle_deg_before;
  j["min_angle_deg_after"] = r.min_angle_deg_after;
  j["restart_delta_min"] = r.restart_delta_min;
  j["method"] = to_string(r.method);
  j["min_angle_deg_paper"] = r.min_angle_deg_paper;
  j["search_evaluations"] = r.search_evaluations;
  return j;
}

}  // namespace hopcap::cli
