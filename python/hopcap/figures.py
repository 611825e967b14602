"""The standard figures of a results file. Each function takes the Dataset of `open_run` and
returns a matplotlib Figure (caption in `fig.hopcap_caption`), or raises FigureSkipped when the
file lacks the data for it.

    capacity_vs_dphi  capacity M* against D_Phi, censored points marked, the Prop 3.1 capacity,
                      and the spherical-code bounds at the measured angle of each learned code
    delta_min_uhop    feature Delta_min before and after U-Hop+ against M, in the Prop 3.1 band
    success_vs_m      retrieval success against M
    metastable_sizes  distribution of metastable-state sizes per model
    uhop_traces       U-Hop+ loss and feature Delta_min per training step
"""
from __future__ import annotations


import numpy as np

from . import bounds as code_bounds
from .capacity import capacity, keep_one_mhm_dphi, over_replicas, pooled_success
from .errors import BinaryNotFound, BoundsUnavailable
from .plotting import (BOUND_LABELS, BOUND_MARKERS, CONTEXT_AXES, MAX_PANELS, MAX_SERIES, PALETTE, SharedLegend,
                       combinations, describe, differing, draw_once, finish, format_value, integer_ticks, limit,
                       log2_integer_axis, panel_grid, require, require_variables)
from .run import default_delta, file_mode, grid_dims, ok, run_config


def _require_ok_points(ds, name):
    require(np.isfinite(ds[name].where(ok(ds)).values).any(), f"no point with status ok has a value of {name}")


# ---- capacity against the feature dimension ---------------------------------------------------


def _reference_bounds(dims, angles, binary, notes):
    """log2 of the CSW lower and of the best finite upper bound on the size of a code with the
    given minimal angles, one per (D_Phi, angle); NaN where unknown. None if the bounds command
    cannot be used (the reason goes to notes)."""
    lower, upper = [], []
    try:
        for dim, angle in zip(dims, angles):
            if not (np.isfinite(angle) and angle > 0):
                lower.append(np.nan)
                upper.append(np.nan)
                continue
            answer = code_bounds.angle_bounds(int(dim), float(angle), binary)
            csw = answer["log2_count"].get("csw_lower")
            best = code_bounds.best_log2_count_upper(answer)
            lower.append(np.nan if csw is None else float(csw))
            upper.append(np.nan if best is None else float(best))
    except (BoundsUnavailable, BinaryNotFound) as error:
        note = f"reference bounds not drawn: {error}"
        if note not in notes:
            notes.append(note)
        return None
    return np.array(lower), np.array(upper)


def capacity_vs_dphi(ds, delta=None, theta_deg=None, binary=None, notes=None):
    """Capacity M* against the feature dimension, one panel per sep (and per d, query, memories
    where they vary), one curve per model and beta.

    Reference bounds, from `hopcap bounds --dim D_Phi --angle THETA`: the Chabauty-Shannon-Wyner
    lower bound and the smallest finite upper bound (Levenshtein, Rankin) on the number of points
    with minimal angle THETA, evaluated at each KHM point's own measured feature angle at M = M*
    (`min_angle_at_capacity_deg` in capacity files, the smallest over the replicas), so that a
    learned code can never appear to beat its bound; `theta_deg` instead evaluates them at one
    angle for all points. Older capacity files record no angle: there the bounds are drawn only
    with `theta_deg`. Files searched per replica (capacity.per_replica) show the mean M* with
    bars from the least to the largest replica."""
    notes = [] if notes is None else notes
    require("Dphi" in ds.dims, "the file has no Dphi axis")
    require("model" in ds.dims, "the file has no model axis")
    if delta is None:
        delta = default_delta(ds)
    mode = file_mode(ds)
    if mode == "capacity":
        require_variables(ds, ["capacity", "capacity_bound"])
        _require_ok_points(ds, "capacity")
    else:
        require_variables(ds, ["success_rate", "queries"])
        require("M" in ds.dims, "the file has no M axis")
        _require_ok_points(ds, "success_rate")
    # Files searched per replica: the mean M* of each point, bars from its least to its largest.
    result = over_replicas(capacity(ds, delta))
    cap, bound = result["capacity"], result["bound"]
    cap_low, cap_high, replicas = result["capacity_low"], result["capacity_high"], result["replicas"]
    theory = result.get("theory")
    angle = result.get("angle_deg")
    khm = cap.where(cap["model"] != "mhm")
    dphi_with_data = int(khm.notnull().any([d for d in khm.dims if d != "Dphi"]).sum())
    require(dphi_with_data >= 2, "needs KHM capacities at two D_Phi values or more "
                                 f"(found {dphi_with_data}; the MHM ignores D_Phi)")

    series_dims = ["model", "beta"]
    panel_dims = [d for d in cap.dims if d not in series_dims + ["Dphi"]]
    panels = limit(combinations(cap, panel_dims), MAX_PANELS, "panels", notes)
    shown_panel_dims = differing([p for p, _ in panels], panel_dims)
    all_series = [s for _, panel in panels for s, _ in combinations(panel, series_dims)]
    shown_series_dims = differing(all_series, series_dims) or ["model"]
    legend = SharedLegend()
    markers_used, above_upper, bounds_drawn, theory_shared = set(), 0, False, False
    replica_counts = set()
    use_measured = theta_deg is None and angle is not None
    fig, axes = panel_grid(len(panels))
    for ax, (panel_selection, panel) in zip(axes, panels):
        series = limit(combinations(panel, series_dims), MAX_SERIES, "series in a panel", notes)
        theory_curves = []
        data_max = []
        for selection, values in series:
            dphi = values["Dphi"].values.astype(float)
            y = values.values.astype(float)
            b = bound.sel({**panel_selection, **selection}).values
            mhm = selection.get("model") == "mhm"
            label = describe({d: selection[d] for d in shown_series_dims if d in selection})
            if mhm:
                label += r" (dimension d: flat in $D_\Phi$)"
            color, _, line = legend.style(label)
            finite = np.isfinite(y) & (y > 0)
            data_max.append(np.nanmax(y[finite]) if finite.any() else np.nan)
            legend.add(ax.plot(dphi[finite], y[finite], linestyle=line, color=color, linewidth=1.6,
                               zorder=3), label)
            point = {**panel_selection, **selection}
            n_rep = replicas.sel(point).values.astype(float)
            spread = finite & (n_rep > 1)
            if spread.any():
                lo = cap_low.sel(point).values.astype(float)
                hi = cap_high.sel(point).values.astype(float)
                replica_counts.update(int(n) for n in n_rep[spread])
                ax.errorbar(dphi[spread], y[spread], yerr=[y[spread] - lo[spread], hi[spread] - y[spread]],
                            fmt="none", ecolor=color, elinewidth=1.1, capsize=3, zorder=3)
            for code, marker, filled in BOUND_MARKERS:
                chosen = finite & (b == code)
                if chosen.any():
                    markers_used.add(code)
                    ax.plot(dphi[chosen], y[chosen], marker, color=color, linestyle="none", markersize=6,
                            markerfacecolor=color if filled else "white", markeredgewidth=1.3, zorder=4)
            if theory is not None and not mhm:
                t = theory.sel({**panel_selection, **selection}).values.astype(float)
                shown = np.isfinite(t) & (t > 0)
                if shown.any():
                    theory_curves.append((dphi[shown], t[shown], color))
            if not mhm and (use_measured or theta_deg is not None):
                at = angle.sel({**panel_selection, **selection}).values.astype(float) if use_measured \
                    else np.full(dphi.shape, float(theta_deg))
                keep = finite & np.isfinite(at)
                if keep.any():
                    reference = _reference_bounds(dphi[keep], at[keep], binary, notes)
                    if reference is not None:
                        lower, upper = reference
                        bounds_drawn = True
                        have = np.isfinite(upper)
                        # Drawn over the data: an optimal code attains its upper bound.
                        ax.plot(dphi[keep][have], 2.0 ** upper[have], linestyle=(0, (6, 2)), marker="_",
                                markersize=9, color=color, linewidth=1.0, alpha=0.9, zorder=6)
                        above_upper += int(np.sum(np.log2(y[keep][have]) > upper[have] + 1e-9))
                        have = np.isfinite(lower)
                        ax.plot(dphi[keep][have], 2.0 ** lower[have], linestyle=(0, (1, 2)), marker=".",
                                markersize=4, color=color, linewidth=1.0, alpha=0.9, zorder=6)
        # Series with the same theoretical capacity share one curve, drawn once.
        theory_shared |= draw_once(ax, theory_curves, linestyle=":", marker="x", markersize=5, linewidth=1.3, zorder=5)
        log2_integer_axis(ax, "y")
        top = np.nanmax(data_max) if np.isfinite(data_max).any() else None
        if top is not None:
            low, high = ax.get_ylim()
            ax.set_ylim(max(low, 0.7), min(high, top * 2.0 ** 8))
        integer_ticks(ax, "x", panel["Dphi"].values)
        ax.set_xlabel(r"feature dimension $D_\Phi$")
        ax.set_ylabel("capacity M* (memories)")
        title = describe({d: panel_selection[d] for d in shown_panel_dims})
        if title:
            ax.set_title(title, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    for code, marker, filled in BOUND_MARKERS:
        if code in markers_used:
            legend.proxy(BOUND_LABELS[code], marker=marker, color="0.25", linestyle="none",
                         markerfacecolor="0.25" if filled else "white")
    if theory is not None:
        legend.proxy("Prop 3.1 theoretical capacity" + (" (grey: shared by several series)" if theory_shared else ""),
                     color="0.25", linestyle=":", marker="x")
    if bounds_drawn:
        legend.proxy("upper bound on M at the code's angle (Levenshtein/Rankin)", color="0.25",
                     linestyle=(0, (6, 2)), marker="_")
        legend.proxy("CSW lower bound on M at the code's angle", color="0.25", linestyle=(0, (1, 2)), marker=".")

    pooled = "per replica" if "replica" in ds.dims else "replicas pooled"
    source = (f"the result of hopcap's capacity search ({pooled})" if mode == "capacity"
              else "the largest grid M with replica-pooled success rate ≥ 1 − δ")
    caption = (f"Memory capacity M* against the feature dimension D_Φ (log₂ axis). M* is {source}, δ = {delta:g}; "
               "filled circles: bracketed, open triangles: censored (▲ M* is a lower bound, ▼ an upper bound). ")
    if replica_counts:
        counts = ", ".join(str(n) for n in sorted(replica_counts))
        caption += (f"Series searched per replica ({counts} replicas): the mean M* over the replicas, bars from the "
                    "least to the largest; a point counts as bracketed only when every replica is. ")
    if theory is not None:
        caption += ("Dotted with crosses: the capacity the well-separation condition allows at the Proposition 3.1 "
                    "optimal separation. ")
    if bounds_drawn:
        where = (f"at θ = {theta_deg:g}° (chosen)" if theta_deg is not None else
                 "at the measured smallest feature angle of the learned code at M = M* (each point its own angle"
                 + ("; the smallest over its replicas, where the bound holds for each)" if replica_counts else ")"))
        caption += (f"Thin lines, series colour: spherical-code bounds on the number of points with that minimal "
                    f"angle in dimension D_Φ, {where}, evaluated by hopcap bounds: dashed, the smallest of the "
                    f"Levenshtein and Rankin upper bounds; dotted, the Chabauty–Shannon–Wyner lower bound. "
                    f"{above_upper} capacity point(s) lie above their upper bound.")
    elif any(n.startswith("reference bounds not drawn") for n in notes):
        reason = next(n for n in notes if n.startswith("reference bounds not drawn"))
        caption += "Spherical-code " + reason.replace("reference bounds not drawn", "bounds not drawn", 1) + "."
    elif theta_deg is None and angle is None:
        caption += ("No spherical-code bounds: the file records no feature angle at the capacity, and a bound at any "
                    "other angle would not apply to these codes (give one with --theta).")
    fig.hopcap_above_upper = above_upper
    return finish(fig, legend, "Memory capacity against feature dimension", caption)


# ---- Delta_min before and after U-Hop+ --------------------------------------------------------


def delta_min_uhop(ds, notes=None):
    """Feature Delta_min of the initial and the learned U-Hop+ map against M, inside the band the
    file's Proposition 3.1 bounds (prop31_lower, prop31_upper) give, one panel per D_Phi."""
    notes = [] if notes is None else notes
    require(file_mode(ds) == "grid", "capacity files hold no U-Hop+ separation data")
    require_variables(ds, ["uhop_delta_min_before", "uhop_delta_min_after", "prop31_lower", "prop31_upper"])
    require("M" in ds.dims, "the file has no M axis")
    is_ok = ok(ds)
    before = ds["uhop_delta_min_before"].where(is_ok)
    after = ds["uhop_delta_min_after"].where(is_ok)
    require(np.isfinite(after.values).any(), "no point with status ok ran U-Hop+ (model khm_uhop)")
    trained = after.notnull()
    lower = ds["prop31_lower"].where(is_ok & trained)
    upper = ds["prop31_upper"].where(is_ok & trained)
    # U-Hop+ never sees beta or sep: those, and the replicas, are pooled (mean, min-max bars).
    panel_dims = [d for d in ("model", "Dphi", "d", "memories") if d in after.dims]
    pooled_dims = [d for d in after.dims if d not in panel_dims + ["M"]]
    panels = limit(combinations(after, panel_dims), MAX_PANELS, "panels", notes)
    shown = differing([p for p, _ in panels], panel_dims) or ["Dphi"]
    legend = SharedLegend()
    fig, axes = panel_grid(len(panels))
    for ax, (selection, _) in zip(axes, panels):
        m = after["M"].values.astype(float)
        lo = lower.sel(selection).mean(pooled_dims).values
        hi = upper.sel(selection).mean(pooled_dims).values
        band = np.isfinite(lo) & np.isfinite(hi)
        legend.add(ax.fill_between(m[band], lo[band], np.minimum(hi[band], 2.0), color="#009E73", alpha=0.15,
                                   linewidth=0), "Prop 3.1 band of the optimal code (upper end clipped at Δ = 2)")
        legend.add(ax.plot(m[band], lo[band], color="#009E73", linewidth=1.2, linestyle="--")[0],
                   "Prop 3.1 lower bound")
        legend.add(ax.plot(m[band], np.minimum(hi[band], 2.0), color="#009E73", linewidth=1.2, linestyle="-.")[0],
                   "Prop 3.1 upper bound")
        for values, label, marker, style, color in (
                (before, "before U-Hop+ (initial map)", "o", ":", PALETTE[1]),
                (after, "after U-Hop+ (learned map)", "s", "-", PALETTE[0])):
            sub = values.sel(selection)
            mean = sub.mean(pooled_dims).values
            low, high = sub.min(pooled_dims).values, sub.max(pooled_dims).values
            have = np.isfinite(mean)
            legend.add(ax.errorbar(m[have], mean[have], yerr=[mean[have] - low[have], high[have] - mean[have]],
                                   marker=marker, linestyle=style, capsize=3, color=color,
                                   markerfacecolor="white" if marker == "o" else color), label)
        log2_integer_axis(ax, "x")
        ax.set_yscale("log")
        ax.set_xlabel("number of memories M")
        ax.set_ylabel(r"feature $\Delta^\Phi_{\min}$")
        ax.set_title(describe({d: selection[d] for d in shown if d in selection}), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    caption = ("Smallest separation Δ^Φ_min (1 − largest cosine between two normalised features) of the initial "
               "(random) map and of the map learned by U-Hop+, against the number of memories M. Markers: mean over "
               f"{', '.join(pooled_dims) or 'nothing'}; bars: minimum to maximum. Shaded: the Proposition 3.1 bounds "
               "on Δ_min of the optimal M-point spherical code in dimension D_Φ (Δ ≤ 2 always, so the upper bound is "
               "clipped there).")
    return finish(fig, legend, "Feature separation before and after U-Hop+", caption)


# ---- success rate against M -------------------------------------------------------------------


def _success_panels(ds, notes):
    status_dims = grid_dims(ds)
    mode = file_mode(ds)
    is_ok = ok(ds)
    if mode == "capacity":
        require_variables(ds, ["probe_M", "probe_success"])
        probe_m = keep_one_mhm_dphi(ds["probe_M"].where(is_ok), status_dims)
        require(np.isfinite(probe_m.values).any(), "no point with status ok has probes")
        probe_success = ds["probe_success"].where(is_ok).where(probe_m.notnull())
        point_dims = [d for d in probe_m.dims if d != "capacity_probe"]
        reference = probe_m
    else:
        require_variables(ds, ["success_rate", "queries"])
        require("M" in ds.dims and ds.sizes["M"] >= 2, "needs at least two M values")
        _require_ok_points(ds, "success_rate")
        reference = keep_one_mhm_dphi(pooled_success(ds), status_dims)
        point_dims = [d for d in reference.dims if d != "M"]
    panel_dims = ["sep", "model"] + [d for d in CONTEXT_AXES if d in point_dims]
    # Files searched per replica: the replicas of a series are drawn alike, as one legend entry.
    replica_dims = ["replica"] if mode == "capacity" and "replica" in point_dims else []
    series_dims = [d for d in point_dims if d not in panel_dims + replica_dims]
    panels = []
    for panel_selection, panel in limit(combinations(reference, panel_dims), MAX_PANELS, "panels", notes):
        curves = []
        for selection, values in limit(combinations(panel, series_dims), MAX_SERIES, "series in a panel", notes):
            if mode == "capacity":
                for replica, one in (combinations(values, replica_dims) if replica_dims else [({}, values)]):
                    m = one.values.astype(float)
                    s = probe_success.sel({**panel_selection, **selection, **replica}).values.astype(float)
                    keep = np.isfinite(m) & np.isfinite(s)
                    order = np.argsort(m[keep])
                    if keep.any():
                        curves.append((selection, m[keep][order], s[keep][order]))
                continue
            m = values["M"].values.astype(float)
            s = values.values.astype(float)
            keep = np.isfinite(s)
            if keep.any():
                curves.append((selection, m[keep], s[keep]))
        if curves:
            panels.append((panel_selection, curves))
    require(panels, "no success rates of points with status ok")
    return panels, panel_dims, series_dims


def success_vs_m(ds, delta=None, notes=None):
    """Retrieval success against M, one panel per sep x model, one curve per value of the other
    axes that vary (beta, D_Phi, ...), each with its own colour, marker and line style."""
    notes = [] if notes is None else notes
    if delta is None:
        delta = default_delta(ds)
    panels, panel_dims, series_dims = _success_panels(ds, notes)
    shown_panel_dims = [d for d in panel_dims if d in ("sep", "model")] + differing(
        [p for p, _ in panels], [d for d in panel_dims if d not in ("sep", "model")])
    shown = differing([c[0] for _, curves in panels for c in curves], series_dims)
    legend = SharedLegend()
    fig, axes = panel_grid(len(panels))
    for ax, (panel_selection, curves) in zip(axes, panels):
        mhm = panel_selection.get("model") == "mhm"
        for selection, m, s in curves:
            label = describe({d: selection[d] for d in shown if d in selection and not (mhm and d == "Dphi")})
            label = label or "success rate"
            color, marker, line = legend.style(label)
            legend.add(ax.plot(m, s, marker=marker, linestyle=line, markersize=4.5, color=color, linewidth=1.4),
                       label)
        legend.add(ax.axhline(1.0 - delta, color="0.35", linestyle=(0, (1, 3)), linewidth=1.2),
                   f"capacity threshold 1 − δ = {1 - delta:g}")
        log2_integer_axis(ax, "x")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("number of memories M")
        ax.set_ylabel("retrieval success rate")
        ax.set_title(describe({d: panel_selection[d] for d in shown_panel_dims if d in panel_selection}), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    if file_mode(ds) == "capacity":
        pooled = ("one curve per replica, in its series' style" if "replica" in ds.dims else "replicas pooled")
        source = (f"The probes of each capacity search ({pooled}), sorted by M; the search doubles M, then "
                  "bisects, so the M values differ between curves.")
    else:
        source = "Success rate at each grid M, pooled over the replicas that completed (weighted by their queries)."
    caption = (f"Retrieval success against the number of memories M. {source} Success: the final state's largest "
               "score is on the target memory and its distance to the target is at most ε. Dotted: the capacity "
               "threshold 1 − δ. The MHM ignores D_Φ and appears once.")
    return finish(fig, legend, "Retrieval success against the number of memories", caption)


# ---- metastable-state sizes -------------------------------------------------------------------


def metastable_sizes(ds, notes=None):
    """Share of queries per metastable-state size, bars per model, one panel per sep x beta (x query)."""
    notes = [] if notes is None else notes
    require(file_mode(ds) == "grid", "capacity files hold no metastable-state histograms")
    require_variables(ds, ["metastable_histogram"])
    status_dims = grid_dims(ds)
    histogram = keep_one_mhm_dphi(ds["metastable_histogram"].where(ok(ds)), status_dims)
    require(np.nansum(histogram.values) > 0, "no point with status ok has metastable-state counts")
    size_dim = [d for d in histogram.dims if d not in status_dims][0]
    # Query models change the picture (random queries are the paper's setting): never pooled.
    panel_dims = [d for d in ("sep", "beta") if d in histogram.dims]
    if "query" in histogram.dims and histogram.sizes["query"] > 1:
        panel_dims.append("query")
    pooled_dims = [d for d in status_dims if d not in panel_dims + ["model"]]
    counts = histogram.sum(pooled_dims, min_count=1)
    panels = limit(combinations(counts, panel_dims), MAX_PANELS, "panels", notes)
    sizes = ds[size_dim].values.astype(int)
    last = int(sizes[-1])
    seen = np.nan_to_num(counts.values).sum(axis=tuple(range(counts.ndim - 1)))
    largest_seen = int(np.max(np.nonzero(seen)[0]))
    shown_sizes = sizes[: largest_seen + 1]
    legend = SharedLegend()
    fig, axes = panel_grid(len(panels))
    hatches = ("", "//", "..", "xx", "\\\\", "oo")
    panel_totals = []
    for ax, (panel_selection, panel) in zip(axes, panels):
        models = list(combinations(panel, ["model"])) if "model" in panel.dims else [({}, panel)]
        width = 0.8 / max(len(models), 1)
        totals = []
        for k, (selection, values) in enumerate(models):
            label = describe(selection) or "all"
            color = legend.color(label)
            c = np.nan_to_num(values.values[: largest_seen + 1])
            total = np.nansum(values.values)
            totals.append(f"{format_value(selection.get('model', 'all'))}: {int(total)}")
            legend.add(ax.bar(shown_sizes + (k - (len(models) - 1) / 2) * width, 100.0 * c / total, width=width,
                              color=color, edgecolor="black", linewidth=0.4,
                              hatch=hatches[list(legend.styles).index(label) % len(hatches)]), label)
        panel_totals.append(", ".join(totals))
        ax.set_xlabel("metastable-state size (memories)")
        ax.set_ylabel("share of queries (%)")
        integer_ticks(ax, "x", shown_sizes if len(shown_sizes) <= 12 else None)
        if largest_seen == len(sizes) - 1:
            ax.set_xticks(list(ax.get_xticks()))
            ax.set_xticklabels([f"≥{int(s)}" if int(s) == last else str(int(s)) for s in ax.get_xticks()])
        ax.set_xlim(shown_sizes[0] - 0.6, shown_sizes[-1] + 0.6)
        ax.set_title(describe(panel_selection), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    caption = (f"Distribution of the size of the final state's support, pooled over {', '.join(pooled_dims)}. Size: "
               "the number of memories whose separation weight exceeds 0.01 (softmax) or 0 (sparse maps); size 1 is "
               f"a clean retrieval, larger sizes are metastable mixtures. The last bin counts sizes ≥ {last}. ")
    if len(set(panel_totals)) == 1:
        caption += f"Queries per panel: {panel_totals[0]}."
    else:
        caption += "Queries: " + "; ".join(f"{describe(p)}: {t}" for (p, _), t in zip(panels, panel_totals)) + "."
    return finish(fig, legend, "Metastable-state sizes", caption)


# ---- U-Hop+ training curves -------------------------------------------------------------------


def uhop_traces(ds, notes=None):
    """U-Hop+ loss and feature Delta_min per step, one row per D_Phi (and d), one curve per M."""
    notes = [] if notes is None else notes
    require(file_mode(ds) == "grid", "capacity files hold no U-Hop+ traces")
    require_variables(ds, ["uhop_loss_trace", "uhop_delta_min_trace"])
    is_ok = ok(ds)
    loss = ds["uhop_loss_trace"].where(is_ok)
    delta = ds["uhop_delta_min_trace"].where(is_ok)
    require(np.isfinite(loss.values).any(), "no point with status ok has a U-Hop+ trace (model khm_uhop)")
    status_dims = grid_dims(ds)
    step_dim = [d for d in loss.dims if d not in status_dims][0]
    # The map depends on the memories, D_Phi and the seeds, not on beta or sep.
    row_dims = [d for d in ("model", "Dphi", "d", "memories") if d in loss.dims]
    series_dims = ["M"] if "M" in loss.dims else []
    pooled_dims = [d for d in status_dims if d not in row_dims + series_dims]
    mean_loss = loss.mean(pooled_dims)
    mean_delta = delta.mean(pooled_dims)
    rows = limit(combinations(mean_loss, row_dims), MAX_PANELS // 2, "rows of U-Hop+ curves", notes)
    shown_row_dims = differing([r for r, _ in rows], row_dims) or ["Dphi"]
    uhop = run_config(ds).get("uhop", {})
    legend = SharedLegend()
    fig, axes = panel_grid(2 * len(rows), width=4.8, height=2.9, columns=2)
    for row, (row_selection, row_loss) in enumerate(rows):
        ax_loss, ax_delta = axes[2 * row], axes[2 * row + 1]
        row_delta = mean_delta.sel(row_selection)
        for selection, values in limit(combinations(row_loss, series_dims), MAX_SERIES, "U-Hop+ curves in a row",
                                       notes):
            label = describe(selection) or "U-Hop+"
            color, marker, line = legend.style(label)
            steps = values[step_dim].values
            every = max(1, len(steps) // 8)
            legend.add(ax_loss.plot(steps, values.values, color=color, linestyle=line, marker=marker, markevery=every,
                                    markersize=4), label)
            ax_delta.plot(steps, row_delta.sel(selection).values, color=color, linestyle=line, marker=marker,
                          markevery=every, markersize=4)
        where = describe({d: row_selection[d] for d in shown_row_dims if d in row_selection})
        ax_loss.set_title(f"separation loss, {where}", fontsize=10)
        ax_delta.set_title(f"smallest feature separation, {where}", fontsize=10)
        ax_loss.set_ylabel("U-Hop+ loss")
        ax_delta.set_ylabel(r"feature $\Delta^\Phi_{\min}$")
        for ax in (ax_loss, ax_delta):
            ax.set_xlabel("U-Hop+ step")
            integer_ticks(ax, "x")
            ax.grid(True, alpha=0.3)
    settings = ", ".join(f"{k} = {uhop[k]}" for k in ("loss", "optimizer", "lr", "tau", "tau_min", "iters")
                         if k in uhop)
    caption = (f"U-Hop+ training of the kept restart, recorded before each step: the loss and the smallest "
               f"separation of the normalised features (1 − largest cosine between two features). Mean over "
               f"{', '.join(pooled_dims) or 'nothing'}{'; ' + settings if settings else ''}.")
    return finish(fig, legend, "U-Hop+ training curves", caption)


STANDARD = (
    ("capacity_vs_dphi", capacity_vs_dphi),
    ("delta_min_uhop", delta_min_uhop),
    ("success_vs_M", success_vs_m),
    ("metastable_sizes", metastable_sizes),
    ("uhop_traces", uhop_traces),
)
STANDARD_NAMES = tuple(name for name, _ in STANDARD)
__all__ = ["capacity_vs_dphi", "delta_min_uhop", "success_vs_m", "metastable_sizes", "uhop_traces", "STANDARD"]
