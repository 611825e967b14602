"""Drawing the standard figures of a run into a folder, with a record of what they show.

Next to the figures, `hopcap_figures.json` records the run they were drawn from (a fingerprint
of its statuses and provenance), the options, and each figure's caption. A report that links
figures it did not draw itself (`report.py --no-plot`) links them only when that record matches
the run it describes, so it never shows a figure of another run or of an earlier state of the
same run.
"""
from __future__ import annotations

import hashlib
import json
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import numpy as np

from . import figures
from .errors import FigureSkipped
from .plotting import caption_of, save, title_of
from .run import STATUS_OK, default_delta, open_runs

MANIFEST = "hopcap_figures.json"
# The attributes that identify a run and how far it got.
IDENTITY_ATTRIBUTES = ("title", "mode", "hopcap_version", "git_sha", "command_line", "config", "start_time",
                       "end_time", "run_state", "configurations_run", "configurations_failed")


@dataclass
class FigureResult:
    name: str
    paths: List[Path] = field(default_factory=list)  # PDF first, then PNG
    title: str = ""
    caption: str = ""
    skipped: str = ""  # why the figure was not made
    error: str = ""  # an unexpected failure while drawing it
    notes: list = field(default_factory=list)

    @property
    def png(self) -> Optional[Path]:
        return next((p for p in self.paths if p.suffix == ".png"), None)

    @property
    def pdf(self) -> Optional[Path]:
        return next((p for p in self.paths if p.suffix == ".pdf"), None)


def fingerprint(ds) -> str:
    """SHA-256 of the run's statuses and identifying attributes: it changes when a resumed run
    finishes more points, and differs between runs."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(ds["status"].values).tobytes())
    digest.update(json.dumps({k: str(ds.attrs.get(k, "")) for k in IDENTITY_ATTRIBUTES}, sort_keys=True).encode())
    return digest.hexdigest()


def _source_text(source) -> str:
    paths = [source] if isinstance(source, (str, Path)) else list(source)
    return " + ".join(str(Path(p).resolve()) for p in paths)


def _options(delta, theta_deg):
    return {"delta": delta, "theta_deg": theta_deg}


def _read_manifest(folder: Path):
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _draw(name, ds, delta, theta_deg, binary, notes):
    draw = dict(figures.STANDARD)[name]
    if name == "capacity_vs_dphi":
        return draw(ds, delta=delta, theta_deg=theta_deg, binary=binary, notes=notes)
    if name == "success_vs_M":
        return draw(ds, delta=delta, notes=notes)
    return draw(ds, notes=notes)


def make_figures(source, out_dir, delta=None, theta_deg=None, binary=None, names=None):
    """Draws every standard figure the file has data for into out_dir (PDF and PNG); returns one
    FigureResult per figure. Figures a previous call drew there that this run cannot draw are
    removed, so the folder holds only figures of this run. `source`: one file, or a list of
    files of one experiment that differ in their models (run.open_runs)."""
    ds = open_runs(source)
    if delta is None:
        delta = default_delta(ds)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest(out_dir) or {}
    any_ok = bool((ds["status"] == STATUS_OK).any())
    results = []
    for name in names or figures.STANDARD_NAMES:
        result = FigureResult(name)
        try:
            if not any_ok:
                raise FigureSkipped("no point has status ok")
            fig = _draw(name, ds, delta, theta_deg, binary, result.notes)
            result.paths = save(fig, out_dir, name)
            result.title, result.caption = title_of(fig), caption_of(fig)
        except FigureSkipped as skipped:
            result.skipped = str(skipped)
        except Exception as error:  # one broken figure must not cost the others
            result.error = f"{type(error).__name__}: {error}"
            traceback.print_exc(file=sys.stderr)
        results.append(result)
    made = {p.name for r in results for p in r.paths}
    for entry in previous.get("figures", []):
        for stale in entry.get("files", []):
            if stale not in made and Path(stale).name == stale:
                (out_dir / stale).unlink(missing_ok=True)
    manifest = {
        "source": _source_text(source),
        "fingerprint": fingerprint(ds),
        "options": _options(delta, theta_deg),
        "figures": [{"name": r.name, "files": [p.name for p in r.paths], "title": r.title, "caption": r.caption,
                     "notes": r.notes, "skipped": r.skipped, "error": r.error} for r in results],
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def drawn_figures(source, figures_dir, delta=None, theta_deg=None):
    """The figures already in figures_dir, as FigureResults, when its record says they were drawn
    from this very run (same fingerprint) with the same options; otherwise every figure is
    reported as not drawn, with the reason."""
    ds = open_runs(source)
    if delta is None:
        delta = default_delta(ds)
    figures_dir = Path(figures_dir)
    manifest = _read_manifest(figures_dir)

    def none_linked(reason):
        return [FigureResult(name, skipped=reason) for name in figures.STANDARD_NAMES]

    if manifest is None:
        return none_linked(f"no figures drawn by hopcap in {figures_dir} (no {MANIFEST}); draw them with tools/plot.py")
    if manifest.get("fingerprint") != fingerprint(ds):
        return none_linked(f"the figures in {figures_dir} were drawn from another run or an earlier state of this one "
                           f"({manifest.get('source', 'unknown file')}); redraw them (omit --no-plot)")
    if manifest.get("options") != _options(delta, theta_deg):
        return none_linked(f"the figures in {figures_dir} were drawn with other options ({manifest.get('options')}); "
                           "redraw them (omit --no-plot)")
    results = []
    for entry in manifest.get("figures", []):
        paths = [figures_dir / f for f in entry.get("files", [])]
        result = FigureResult(entry.get("name", "?"), title=entry.get("title", ""), caption=entry.get("caption", ""),
                              skipped=entry.get("skipped", ""), error=entry.get("error", ""),
                              notes=list(entry.get("notes", [])))
        if paths and all(p.is_file() for p in paths):
            result.paths = paths
        elif paths:
            result.skipped = f"{', '.join(p.name for p in paths if not p.is_file())} missing from {figures_dir}"
        results.append(result)
    return results
