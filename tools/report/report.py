#!/usr/bin/env python3
"""Turn Google Benchmark JSON output into a markdown results page and plots.

Usage:
    report.py --area AREA --out-dir DIR [--no-plots] JSON [JSON...]

Reads one or more files written by a ptxkit bench binary run with
``--benchmark_out=FILE --benchmark_out_format=json`` and writes
``DIR/AREA.md`` plus, unless ``--no-plots`` is given, one
``DIR/AREA_<suite>.png`` per suite that reports a throughput counter.

Benchmark names follow ``<suite>/<impl>/<case>`` (Google Benchmark may append
attributes such as ``/repeats:3`` or ``/manual_time``; they are ignored).
``ptxkit`` is our implementation; every other impl is a baseline.  For each
benchmark the ``median`` aggregate row is used when Google Benchmark emitted
aggregates, otherwise the median over its iteration rows.

Counters read from each row (all optional): ``TFLOPs``, ``GBps``,
``pct_peak`` (percent of the device peak, 0-100) and ``vs_cublas`` (ratio
cuBLAS time / ptxkit time, measured by the harness).  Ratios in the report are
always baseline time / ptxkit time, so a ratio above 1 means ptxkit is faster.
A row's Google Benchmark ``label`` (e.g. the kernel plan that served a ptxkit
row), when it has one, is listed under its suite's table.  Areas with counting
conventions of their own (``attention``) get a short note under the header.

matplotlib is imported only when plots are requested.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
from dataclasses import dataclass, field

TOOL_PATH = "tools/report/report.py"
OURS = "ptxkit"
CUBLAS_IMPLS = ("cublas", "cublasLt", "cublasGemmEx", "cublasGroupedBatched", "cublasLtLoop", "cublasUnfused")
CUBLAS_LABEL = "cuBLAS"

# What the counters of an area mean where that is not the obvious reading
# (bench/README.md has the full description).
AREA_NOTES = {
    "attention": (
        "Counters: `prefill`, `varlen` and `model_prefill` report TFLOP/s of "
        "4·S_q·S_k·H·D per sequence (2·S_q·S_k·H·(D_qk + D_v) where the head dimensions "
        "differ), counted as half for causal cases (FlashAttention's convention), and % of the measured matmul peak (or of the copy peak where the "
        "bytes bound); `decode` and `model_decode` report GB/s of K and V read once plus q "
        "read and o written, and % of the measured copy bandwidth.",
        "Baseline: `cublasUnfused` is QK^T and PV as cublasGemmStridedBatchedEx calls "
        "around a masked softmax kernel (S in bf16); in decode it reads a dense contiguous "
        "copy of the KV cache, while `ptxkit` reads the paged cache.",
    ),
}

# (label in the report, key in the benchmark JSON "context")
CONTEXT_FIELDS = (
    ("Device", "ptxkit_device"),
    ("Driver", "ptxkit_driver"),
    ("Commit", "ptxkit_commit"),
    ("Clocks", "ptxkit_clocks"),
    ("Date", "date"),
    ("Host", "host_name"),
)
UNKNOWN = "unknown"
MISSING_CELL = "—"

# Throughput counters, in order of preference:
# (counter key, unit label, context key holding the device peak)
THROUGHPUT_METRICS = (
    ("TFLOPs", "TFLOP/s", "ptxkit_peak_tflops"),
    ("GBps", "GB/s", "ptxkit_peak_gbps"),
)
# Numeric row fields reduced (median) across repetitions.
VALUE_FIELDS = ("TFLOPs", "GBps", "pct_peak", "vs_cublas")

TIME_UNIT_TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

# Name components Google Benchmark appends after the user-given name.
GBENCH_NAME_ATTR = re.compile(
    r"^(?:manual_time|real_time|process_time"
    r"|(?:repeats|threads|iterations|min_time|min_warmup_time):[^/]*)$"
)

PLOT_DPI = 120


class ReportError(Exception):
    """A user-facing error: bad input file or missing dependency."""


@dataclass(frozen=True)
class Failure:
    """A benchmark row that reported error_occurred."""

    name: str
    message: str


@dataclass
class Result:
    """The representative (median) measurement of one suite/impl/case."""

    suite: str
    impl: str
    case: str
    time_us: float
    values: dict[str, float] = field(default_factory=dict)
    label: str = ""


@dataclass
class Suite:
    """All results that share a suite name, in order of first appearance."""

    name: str
    cases: list[str] = field(default_factory=list)
    impls: list[str] = field(default_factory=list)
    results: dict[tuple[str, str], Result] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        if result.case not in self.cases:
            self.cases.append(result.case)
        if result.impl not in self.impls:
            self.impls.append(result.impl)
        self.results[(result.impl, result.case)] = result

    def get(self, impl: str, case: str) -> Result | None:
        return self.results.get((impl, case))

    @property
    def ordered_impls(self) -> list[str]:
        """ptxkit first, then baselines in order of appearance."""
        return sorted(self.impls, key=lambda impl: impl != OURS)

    @property
    def baselines(self) -> list[str]:
        return [impl for impl in self.impls if impl != OURS]

    @property
    def throughput(self) -> tuple[str, str, str] | None:
        """The (counter, label, peak key) this suite reports, if any."""
        for metric in THROUGHPUT_METRICS:
            if any(metric[0] in r.values for r in self.results.values()):
                return metric
        return None


@dataclass
class RatioColumn:
    """ptxkit-vs-baseline ratios of one suite, keyed by case."""

    label: str
    ratios: dict[str, float]

    def geomean(self) -> float:
        logs = [math.log(r) for r in self.ratios.values()]
        return math.exp(sum(logs) / len(logs))

    def minimum(self) -> tuple[str, float]:
        case = min(self.ratios, key=self.ratios.__getitem__)
        return case, self.ratios[case]


@dataclass
class BenchInput:
    """The merged content of all input files."""

    sources: list[str]
    contexts: list[dict]
    rows: list[dict]


# --------------------------------------------------------------------------
# Loading


def load_json_file(path: str) -> dict:
    """Read one Google Benchmark JSON file, raising ReportError on problems."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except OSError as e:
        raise ReportError(f"{path}: cannot read: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ReportError(f"{path}: invalid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object with 'benchmarks'")
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list) or not benchmarks:
        raise ReportError(f"{path}: no benchmarks in file")
    return data


def load_inputs(paths: list[str]) -> BenchInput:
    """Load and merge several benchmark files."""
    bench = BenchInput(sources=[], contexts=[], rows=[])
    for path in paths:
        data = load_json_file(path)
        bench.sources.append(os.path.basename(path))
        context = data.get("context")
        bench.contexts.append(context if isinstance(context, dict) else {})
        bench.rows.extend(r for r in data["benchmarks"] if isinstance(r, dict))
    return bench


# --------------------------------------------------------------------------
# Selecting one result per benchmark


def split_name(row: dict) -> tuple[str, str, str] | None:
    """Return (suite, impl, case) for a row, or None if the name is foreign."""
    name = row.get("run_name") or row.get("name", "")
    aggregate = row.get("aggregate_name")
    if not row.get("run_name") and aggregate and name.endswith("_" + aggregate):
        name = name[: -len(aggregate) - 1]
    parts = name.split("/")
    while parts and GBENCH_NAME_ATTR.match(parts[-1]):
        parts.pop()
    if len(parts) < 3 or not all(parts[:2]):
        return None
    return parts[0], parts[1], "/".join(parts[2:])


def as_number(value) -> float | None:
    """A finite float from a JSON value (numbers or numeric strings)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def row_time_us(row: dict) -> float | None:
    """real_time of a row converted to microseconds."""
    time = as_number(row.get("real_time"))
    scale = TIME_UNIT_TO_US.get(row.get("time_unit", "ns"))
    if time is None or scale is None:
        return None
    return time * scale


def median_result(key: tuple[str, str, str], rows: list[dict]) -> Result | None:
    """Reduce the chosen rows of one benchmark to their per-field median."""
    times = [t for t in map(row_time_us, rows) if t is not None]
    if not times:
        return None
    values = {}
    for name in VALUE_FIELDS:
        samples = [v for v in (as_number(r.get(name)) for r in rows) if v is not None]
        if samples:
            values[name] = statistics.median(samples)
    label = next((str(r["label"]) for r in rows if r.get("label")), "")
    return Result(*key, time_us=statistics.median(times), values=values, label=label)


def select_results(rows: list[dict]) -> tuple[list[Result], list[Failure]]:
    """Pick one Result per suite/impl/case and collect the failed rows.

    Per benchmark, "median" aggregate rows win; without aggregates the
    median over the (non-failed) iteration rows is used.
    """
    groups: dict[tuple[str, str, str], dict[str, list[dict]]] = {}
    failures: list[Failure] = []
    for row in rows:
        key = split_name(row)
        if row.get("error_occurred"):
            name = "/".join(key) if key else str(row.get("name", "?"))
            failure = Failure(name, str(row.get("error_message") or "(no message)"))
            if failure not in failures:
                failures.append(failure)
            continue
        if key is None:
            print(f"report.py: warning: skipping '{row.get('name')}': "
                  "not a <suite>/<impl>/<case> name", file=sys.stderr)
            continue
        group = groups.setdefault(key, {"median": [], "iteration": []})
        if row.get("run_type") == "aggregate":
            if row.get("aggregate_name") == "median":
                group["median"].append(row)
        else:
            group["iteration"].append(row)
    results = []
    for key, group in groups.items():
        result = median_result(key, group["median"] or group["iteration"])
        if result is not None:
            results.append(result)
    return results, failures


def group_suites(results: list[Result]) -> list[Suite]:
    suites: dict[str, Suite] = {}
    for result in results:
        suites.setdefault(result.suite, Suite(result.suite)).add(result)
    return list(suites.values())


# --------------------------------------------------------------------------
# Derived numbers


def context_value(contexts: list[dict], key: str) -> str:
    """The distinct values of a context key over all inputs, or 'unknown'."""
    values = []
    for context in contexts:
        value = context.get(key)
        if value not in (None, "") and str(value) not in values:
            values.append(str(value))
    return ", ".join(values) if values else UNKNOWN


def context_peak(contexts: list[dict], key: str) -> float | None:
    """The first positive numeric peak found under key."""
    for context in contexts:
        peak = as_number(context.get(key))
        if peak is not None and peak > 0:
            return peak
    return None


def pct_of_peak(result: Result, suite: Suite, contexts: list[dict]) -> float | None:
    """pct_peak counter, or throughput / context peak when the counter is absent."""
    if "pct_peak" in result.values:
        return result.values["pct_peak"]
    metric = suite.throughput
    if metric is None or metric[0] not in result.values:
        return None
    peak = context_peak(contexts, metric[2])
    return 100.0 * result.values[metric[0]] / peak if peak else None


def time_ratio(baseline: Result | None, ours: Result | None) -> float | None:
    if baseline is None or ours is None or ours.time_us <= 0 or baseline.time_us <= 0:
        return None
    return baseline.time_us / ours.time_us


def cublas_ratio(suite: Suite, case: str) -> float | None:
    """ptxkit vs cuBLAS: the harness' vs_cublas counter, else the fastest
    cuBLAS-family row of the same case (baseline time / ptxkit time)."""
    ours = suite.get(OURS, case)
    if ours is None:
        return None
    counter = ours.values.get("vs_cublas")
    if counter is not None and counter > 0:
        return counter
    candidates = [suite.get(impl, case) for impl in CUBLAS_IMPLS]
    candidates = [r for r in candidates if r is not None and r.time_us > 0]
    if not candidates:
        return None
    return time_ratio(min(candidates, key=lambda r: r.time_us), ours)


def ratio_columns(suite: Suite) -> list[RatioColumn]:
    """One column per baseline, plus a 'vs cuBLAS' column when available."""
    if OURS not in suite.impls:
        return []
    columns = []
    for baseline in suite.baselines:
        ratios = {}
        for case in suite.cases:
            ratio = time_ratio(suite.get(baseline, case), suite.get(OURS, case))
            if ratio is not None:
                ratios[case] = ratio
        if ratios:
            columns.append(RatioColumn(f"{OURS} vs {baseline}", ratios))
    cublas = {case: r for case in suite.cases
              if (r := cublas_ratio(suite, case)) is not None}
    if cublas:
        columns.append(RatioColumn(f"{OURS} vs {CUBLAS_LABEL}", cublas))
    return columns


# --------------------------------------------------------------------------
# Markdown


def format_sig(value: float, digits: int = 3) -> str:
    """Format with `digits` significant digits and no exponent."""
    if value == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    decimals = digits - 1 - math.floor(math.log10(abs(rounded)))
    if decimals <= 0:
        return str(int(round(rounded, decimals)))
    return f"{rounded:.{decimals}f}"


def format_cell(value: float | None, suffix: str = "") -> str:
    return MISSING_CELL if value is None else format_sig(value) + suffix


def escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list[str]],
                   numeric: bool = False) -> list[str]:
    """A pipe table; with numeric=True all but the first column align right."""
    align = ["---"] + ["--:" if numeric else "---"] * (len(header) - 1)
    lines = ["| " + " | ".join(map(escape_cell, header)) + " |",
             "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(map(escape_cell, row)) + " |" for row in rows]
    return lines


def render_header(area: str, bench: BenchInput) -> list[str]:
    sources = ", ".join(f"`{s}`" for s in bench.sources)
    lines = [
        f"<!-- Generated by {TOOL_PATH}; do not edit by hand. -->",
        f"# Benchmark results: {area}",
        "",
        f"Generated by `{TOOL_PATH}` from {sources}.",
        "",
    ]
    lines += markdown_table(
        ["Field", "Value"],
        [[label, context_value(bench.contexts, key)] for label, key in CONTEXT_FIELDS])
    lines += [
        "",
        "Times are the median `real_time` in µs. Ratios are baseline time / "
        f"{OURS} time: above 1 means {OURS} is faster.",
        "",
    ]
    for note in AREA_NOTES.get(area, ()):
        lines += [note, ""]
    return lines


def suite_table(suite: Suite, columns: list[RatioColumn],
                contexts: list[dict]) -> list[str]:
    metric = suite.throughput
    header = ["case"]
    for impl in suite.ordered_impls:
        header.append(f"{impl} time (µs)")
        if metric:
            header.append(f"{impl} {metric[1]}")
        header.append(f"{impl} % peak")
    header += [column.label for column in columns]

    rows = []
    for case in suite.cases:
        row = [case]
        for impl in suite.ordered_impls:
            result = suite.get(impl, case)
            row.append(format_cell(result.time_us if result else None))
            if metric:
                row.append(format_cell(result.values.get(metric[0]) if result else None))
            pct = pct_of_peak(result, suite, contexts) if result else None
            row.append(MISSING_CELL if pct is None else f"{pct:.1f}%")
        row += [format_cell(column.ratios.get(case), "×") for column in columns]
        rows.append(row)
    return markdown_table(header, rows, numeric=True)


def suite_summary(columns: list[RatioColumn]) -> list[str]:
    if not columns:
        return [f"No {OURS}-vs-baseline ratios for this suite."]
    lines = []
    for column in columns:
        case, minimum = column.minimum()
        lines.append(f"- **{column.label}**: geomean {format_sig(column.geomean())}×, "
                     f"min {format_sig(minimum)}× ({case}), "
                     f"over {len(column.ratios)} case(s)")
    return lines


def suite_labels(suite: Suite) -> list[str]:
    """The rows' Google Benchmark labels, case by case, ptxkit first."""
    lines = []
    for case in suite.cases:
        for impl in suite.ordered_impls:
            result = suite.get(impl, case)
            if result is not None and result.label:
                lines.append(f"- `{case}` ({impl}): {escape_cell(result.label)}")
    return ["Labels:", ""] + lines + [""] if lines else []


def render_suite(suite: Suite, contexts: list[dict], plot_file: str | None) -> list[str]:
    columns = ratio_columns(suite)
    lines = [f"## {suite.name}", ""]
    lines += suite_table(suite, columns, contexts)
    lines += [""] + suite_summary(columns) + [""]
    lines += suite_labels(suite)
    if plot_file:
        lines += [f"![{suite.name}]({plot_file})", ""]
    return lines


def render_failures(failures: list[Failure]) -> list[str]:
    if not failures:
        return []
    lines = ["## Failed cases", ""]
    lines += markdown_table(["benchmark", "error"],
                            [[f.name, f.message] for f in failures])
    return lines + [""]


def render_markdown(area: str, bench: BenchInput, suites: list[Suite],
                    failures: list[Failure], plot_files: dict[str, str]) -> str:
    lines = render_header(area, bench)
    for suite in suites:
        lines += render_suite(suite, bench.contexts, plot_files.get(suite.name))
    lines += render_failures(failures)
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------
# Plots


def plot_filename(area: str, suite: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", suite)
    return f"{area}_{safe}.png"


def import_pyplot():
    """Import matplotlib lazily with the non-interactive Agg backend."""
    try:
        import matplotlib
    except ImportError:
        raise ReportError("matplotlib is not installed; install it "
                          "(e.g. apt-get install python3-matplotlib) "
                          "or pass --no-plots") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_suite(plt, suite: Suite, contexts: list[dict], path: str) -> None:
    """Throughput per case, one series per impl, dashed line at the peak."""
    counter, unit, peak_key = suite.throughput
    xs = range(len(suite.cases))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(suite.cases) + 3.0), 4.5))
    try:
        for impl in suite.ordered_impls:
            results = [suite.get(impl, case) for case in suite.cases]
            ys = [r.values.get(counter, math.nan) if r else math.nan for r in results]
            ax.plot(xs, ys, marker="o", label=impl)
        peak = context_peak(contexts, peak_key)
        if peak:
            ax.axhline(peak, linestyle="--", color="gray",
                       label=f"peak {format_sig(peak)} {unit}")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(suite.cases, rotation=30, ha="right")
        ax.set_xlabel("case")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.set_title(f"{suite.name} — {context_value(contexts, 'ptxkit_device')}")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=PLOT_DPI)
    finally:
        plt.close(fig)


def write_plots(area: str, out_dir: str, suites: list[Suite],
                contexts: list[dict]) -> dict[str, str]:
    """Write one PNG per suite with a throughput counter; map suite -> file name."""
    plottable = [s for s in suites if s.throughput is not None]
    if not plottable:
        return {}
    plt = import_pyplot()
    files = {}
    for suite in plottable:
        name = plot_filename(area, suite.name)
        plot_suite(plt, suite, contexts, os.path.join(out_dir, name))
        files[suite.name] = name
    return files


# --------------------------------------------------------------------------
# CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="report.py",
        description="Render Google Benchmark JSON into docs/results/<area>.md and plots.")
    parser.add_argument("--area", required=True,
                        help="report name, e.g. gemm; writes <out-dir>/<area>.md")
    parser.add_argument("--out-dir", required=True, help="output directory")
    parser.add_argument("--no-plots", action="store_true",
                        help="skip the PNG plots (matplotlib not needed)")
    parser.add_argument("inputs", nargs="+", metavar="JSON",
                        help="Google Benchmark --benchmark_out JSON file(s)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.area):
        parser.error(f"--area must be a plain name, got '{args.area}'")
    return args


def run(args: argparse.Namespace) -> str:
    """Generate the report; return the path of the markdown file."""
    bench = load_inputs(args.inputs)
    results, failures = select_results(bench.rows)
    if not results and not failures:
        raise ReportError("no benchmark follows the <suite>/<impl>/<case> naming "
                          f"convention in {', '.join(args.inputs)}")
    suites = group_suites(results)
    os.makedirs(args.out_dir, exist_ok=True)
    plot_files = {} if args.no_plots else write_plots(
        args.area, args.out_dir, suites, bench.contexts)
    md_path = os.path.join(args.out_dir, f"{args.area}.md")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(render_markdown(args.area, bench, suites, failures, plot_files))
    return md_path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        md_path = run(args)
    except ReportError as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"report.py: error: cannot write output: {e}", file=sys.stderr)
        return 1
    print(f"wrote {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
