#!/usr/bin/python3
"""Checks that docs/output-format.md describes a results file of `hopcap run` exactly.

Usage: check_output_doc.py OUTPUT-FORMAT.md FILE.h5 [FILE.h5 ...]

A FILE is a results file of `hopcap run`, a feature-map file of `hopcap train` (it has `W`) or
a landscape file of `hopcap landscape` (it has `energy`).

For each file, by its global attribute `mode` ("grid" or "capacity"), the doc's section
"Grid files" or "Capacity files" gives the grid axes (the line "Grid axes...: `a` (type), ...",
in order), the extra dimensions (named in the section's text) and a variable table
(name | dimensions | units | description). Checked against the file read with h5py:
- the grid axes are the dimensions of `status`, in that order, each a coordinate variable;
- the data variables of the file (every dataset except coordinates, `status` and `message`)
  are exactly the table's names;
- each variable's dimensions are the table's ("grid", or "grid × `extra`"), and its `units`
  attribute equals the table's units column;
- every coordinate of a numeric dimension has `units`, no label (string) coordinate has any;
- the types the axis line names ("int64", "float64", "labels") are the coordinates' types;
- the tables of "Global attributes of a run" list every global attribute of the file (with the
  attributes of every file named before them) with its type (text, int64, float64).
For a feature-map or landscape file, the table of its section lists every variable of the root
group with its dimensions, type and units.

An axis the section names as optional ("the axis `replica` (int64) follows `memories`") is
expected, at that place, in the files that have it.

A file of a `sweep.lambda` sweep (its grid has the axis `lambda`) is checked against the same
section with the axis `lambda` in place of `beta` (as the doc's sentence "`lambda` (TYPE)
replaces `beta`" says) and with the variables of the section "Files of a `sweep.lambda` sweep"
added to the section's table.

Exit status 0 when all agree, 1 otherwise (every difference printed), 77 without h5py.
"""

import re
import sys

try:
    import h5py
except ImportError as error:
    print(f"missing Python module: {error}", file=sys.stderr)
    sys.exit(77)

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def section(doc, heading, level="###"):
    """Lines of the markdown section whose heading starts with `heading`."""
    lines = doc.splitlines()
    start = next((k for k, line in enumerate(lines) if line.startswith(f"{level} {heading}")), None)
    if start is None:
        FAILURES.append(f"doc: no section '{level} {heading}'")
        return []
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("#")), len(lines))
    return lines[start + 1:end]


def tables(lines):
    """The markdown tables in `lines`: lists of rows (lists of cells), header and rule dropped."""
    found, rows = [], []
    for line in lines + [""]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            found.append(rows[2:])
            rows = []
    return found


def table(lines):
    """Rows of the first markdown table in `lines`."""
    found = tables(lines)
    return found[0] if found else []


def names_in(cell):
    return re.findall(r"`([^`]+)`", cell)


KINDS = {"text": "S", "int64": "i8", "int32": "i4", "int8": "i1", "float64": "f8"}


def attribute_kind(f, name):
    """The stored type of a global attribute as the doc names it."""
    dtype = f.attrs.get_id(name).dtype
    if dtype.kind in "SUO":
        return "text"
    return {"i8": "int64", "i4": "int32", "i1": "int8", "f8": "float64"}.get(f"{dtype.kind}{dtype.itemsize}",
                                                                               str(dtype))


def check_attributes(doc, f, where):
    lines = section(doc, "Global attributes of a run")
    found = tables(lines)
    if len(found) < 2:
        FAILURES.append("doc: 'Global attributes of a run' needs a creation and a final table")
        return
    common = names_in(" ".join(lines).split("written at")[0])
    creation = {n: row[1] for row in found[0] for n in names_in(row[0])}
    final = {n: row[1] for row in found[1] for n in names_in(row[0])}
    for name, kind in creation.items():
        check(name in f.attrs, f"{where}: documented attribute {name} missing")
        if name in f.attrs:
            check(attribute_kind(f, name) == kind,
                  f"{where}: attribute {name} is {attribute_kind(f, name)}, documented {kind}")
    for name, kind in final.items():
        if name in f.attrs:
            check(attribute_kind(f, name) == kind,
                  f"{where}: attribute {name} is {attribute_kind(f, name)}, documented {kind}")
    undocumented = sorted(set(f.attrs) - set(common) - set(creation) - set(final))
    check(not undocumented, f"{where}: undocumented global attributes {undocumented}")
    check(f.attrs.get("run_state") is not None, f"{where}: the run did not finish (no run_state)")


def check_other_file(doc, f, path):
    heading = "The feature-map file" if "W" in f else "The landscape file"
    where = f"{path} ({heading.lower()})"
    documented = {}
    for row in table(section(doc, heading, level="##")):
        if len(row) < 4:
            FAILURES.append(f"{where}: doc row {row} has fewer than 4 cells")
            continue
        for name in names_in(row[0]):
            documented[name] = (row[1], row[2], row[3])
    datasets = {name for name, obj in f.items() if isinstance(obj, h5py.Dataset)}
    check(set(documented) == datasets,
          f"{where}: documented but not in the file: {sorted(set(documented) - datasets)}; "
          f"in the file but not documented: {sorted(datasets - set(documented))}")
    for name in sorted(set(documented) & datasets):
        dims_cell, kind, units = documented[name]
        ds = f[name]
        if ds.attrs.get("CLASS") == b"DIMENSION_SCALE":
            dims = [text(ds.attrs.get("NAME"))]  # a coordinate variable is its own dimension
        else:
            dims = [text(ds.dims[k][0].name).lstrip("/") if len(ds.dims[k]) else None for k in range(ds.ndim)]
        want = [name] if dims_cell == "themselves" else names_in(dims_cell)
        check(dims == want, f"{where}: {name}: dims {dims} != doc {want}")
        is_string = h5py.check_string_dtype(ds.dtype) is not None
        check(("string" if is_string else ds.dtype.name) == kind, f"{where}: {name}: type {ds.dtype} != doc {kind}")
        check(text(ds.attrs.get("units", "")) == units.strip("`"),
              f"{where}: {name}: units {ds.attrs.get('units')!r} != doc {units!r}")
        check("long_name" in ds.attrs, f"{where}: {name}: no long_name")


def unquote(cell):
    return cell.strip().strip("`")


def doc_axes(lines):
    """[(name, type)] from the section's "Grid axes" line(s)."""
    joined = " ".join(lines)
    match = re.search(r"Grid axes[^:]*:(.*?)(?:—|\.\s)", joined)
    if not match:
        FAILURES.append("doc: no 'Grid axes' line")
        return []
    return re.findall(r"`([A-Za-z_][\w]*)`\s*(?:\(([^)]*)\))?", match.group(1))


def check_file(doc, path):
    with h5py.File(path, "r") as f:
        if "status" not in f:
            check_other_file(doc, f, path)
            return
        mode = text(f.attrs.get("mode", "grid"))
        lines = section(doc, "Grid files" if mode == "grid" else "Capacity files")
        where = f"{path} ({mode})"
        rows = table(lines)
        check(rows, f"{where}: no variable table in the doc")
        status = f["status"]
        axes = [text(status.dims[k][0].name).lstrip("/") for k in range(status.ndim)]

        # Grid axes: names, order and types.
        documented = doc_axes(lines)
        if "lambda" in axes:
            lambda_lines = section(doc, "Files of a `sweep.lambda` sweep")
            replaced = re.search(r"`(\w+)` \(([^)]*)\) replaces `(\w+)`", " ".join(lambda_lines))
            check(replaced, f"{where}: the doc does not say which axis replaces which in a sweep.lambda file")
            if replaced:
                new_name, new_kind, old_name = replaced.groups()
                # The replacement keeps the place's typing: an untyped name would otherwise close a
                # run of untyped names with its own type.
                documented = [(new_name, new_kind if kind else "") if name == old_name else (name, kind)
                              for name, kind in documented]
            rows = rows + table(lambda_lines)
        # An optional axis: "the axis `replica` (int64) follows `memories`" (capacity files of
        # capacity.per_replica), inserted where the sentence puts it when the file has it.
        optional = re.search(r"the axis `(\w+)` \(([^)]*)\) follows `(\w+)`", " ".join(lines))
        if optional and optional.group(1) in axes:
            added, added_kind, after = optional.groups()
            at = [name for name, _ in documented].index(after) + 1 if after in [n for n, _ in documented] else None
            check(at is not None, f"{where}: the doc puts axis {added} after {after}, which it does not list")
            if at is not None:
                # As for lambda below: in an untyped list a typed name would type the names before it.
                typed = any(kind for _, kind in documented)
                documented = documented[:at] + [(added, added_kind if typed else "")] + documented[at:]
        names = [name for name, _ in documented]
        # A name followed by "(labels)" closes a run of label axes: "`sep`, `query` (labels)".
        types, pending = {}, []
        for name, kind in documented:
            pending.append(name)
            if kind:
                for n in pending:
                    types[n] = kind
                pending = []
        check(names == axes, f"{where}: doc grid axes {names} != file {axes}")
        for name in axes:
            coord = f[name]
            kind = types.get(name, "")
            is_string = h5py.check_string_dtype(coord.dtype) is not None
            if "label" in kind:
                check(is_string, f"{where}: axis {name} is documented as labels, stored as {coord.dtype}")
            elif kind:
                check(not is_string and coord.dtype.name in kind,
                      f"{where}: axis {name} is documented as {kind}, stored as {coord.dtype}")
            if is_string:
                check("units" not in coord.attrs, f"{where}: label coordinate {name} has units")
            else:
                check("units" in coord.attrs, f"{where}: coordinate {name} has no units")

        # Data variables: names, dimensions, units.
        coordinates = {name for name, obj in f.items()
                       if isinstance(obj, h5py.Dataset) and obj.attrs.get("CLASS") == b"DIMENSION_SCALE"}
        in_file = {name: obj for name, obj in f.items()
                   if isinstance(obj, h5py.Dataset) and name not in coordinates
                   and name not in ("status", "message")}
        in_doc = {}
        for row in rows:
            if len(row) < 3:
                FAILURES.append(f"{where}: doc row {row} has fewer than 3 cells")
                continue
            for name in names_in(row[0]):  # a row may name several variables alike
                in_doc[name] = (row[1], row[2])
        check(set(in_doc) == set(in_file),
              f"{where}: documented but not in the file: {sorted(set(in_doc) - set(in_file))}; "
              f"in the file but not documented: {sorted(set(in_file) - set(in_doc))}")
        for name in sorted(set(in_doc) & set(in_file)):
            dims_cell, units_cell = in_doc[name]
            extra = re.findall(r"`([^`]+)`", dims_cell)
            check(dims_cell.startswith("grid"), f"{where}: {name}: dimensions cell {dims_cell!r}")
            ds = in_file[name]
            dims = [text(ds.dims[k][0].name).lstrip("/") for k in range(ds.ndim)]
            check(dims == axes + extra, f"{where}: {name}: file dims {dims} != doc grid + {extra}")
            for extra_dim in extra:
                if extra_dim in f:
                    check("units" in f[extra_dim].attrs, f"{where}: extra coordinate {extra_dim} has no units")
            units = text(ds.attrs.get("units", ""))
            check(units == unquote(units_cell), f"{where}: {name}: file units {units!r} != doc {units_cell!r}")
            if "flag_values" in ds.attrs:
                check("flag_meanings" in ds.attrs, f"{where}: {name}: flag_values without flag_meanings")
        check_attributes(doc, f, where)


def main(doc_path, paths):
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    for path in paths:
        check_file(doc, path)
    if FAILURES:
        for failure in FAILURES:
            print("FAIL:", failure)
        return 1
    print(f"{doc_path} describes {', '.join(paths)} exactly")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
