"""Tests for tools/report/report.py.

Run with:  python3 -m unittest discover -s tools/report -p 'test_*.py'

The fixture testdata/bench_gemm_sample.json mimics Google Benchmark 1.7 JSON
output of a manual-time bench binary: suites "square" (ptxkit, cublasLt,
cublasGemmEx; 3 repetitions with aggregates on the 4096 case; one failed
ptxkit case), "llama3_8b_prefill" (ptxkit rows carry a vs_cublas counter) and
"copy" (GBps; ptxkit vs cuMemcpy; times in ns). AttentionAreaTest builds
bench_attention-shaped rows in the test itself.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import report  # noqa: E402

FIXTURE = os.path.join(HERE, "testdata", "bench_gemm_sample.json")
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Times (µs) recorded in the fixture; 4096 uses the median of 3 repetitions.
SQUARE_PTXKIT = {"1024x1024x1024": 5.20, "2048x2048x2048": 27.8,
                 "4096x4096x4096": 196.4, "8192x8192x8192": 1480.3}
SQUARE_CUBLASLT = {"1024x1024x1024": 5.05, "2048x2048x2048": 28.9,
                   "4096x4096x4096": 201.2, "8192x8192x8192": 1502.7}


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """Run report.main, capturing (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = report.main(argv)
        except SystemExit as e:  # argparse errors
            code = e.code
    return code, out.getvalue(), err.getvalue()


def parse_table(markdown: str, section: str) -> dict[str, dict[str, str]]:
    """The first pipe table under '## section' as {first cell: {header: cell}}."""
    lines = markdown.splitlines()
    start = lines.index(f"## {section}")
    table = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    split = lambda line: [c.strip() for c in line.strip().strip("|").split(" | ")]
    header = split(table[0])
    return {cells[0]: dict(zip(header, cells)) for cells in map(split, table[2:])}


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def gbench_row(name, real_time, run_type="iteration", **extra):
    """A minimal Google Benchmark 1.7 style row."""
    row = {"name": name, "family_index": 0, "per_family_instance_index": 0,
           "run_name": name, "run_type": run_type, "repetitions": 1,
           "repetition_index": 0, "threads": 1, "iterations": 1000,
           "real_time": real_time, "cpu_time": real_time, "time_unit": "us"}
    row.update(extra)
    return row


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write_json(self, name: str, data) -> str:
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path


class FixtureReportTest(TempDirTest):
    """End-to-end: fixture -> markdown with --no-plots."""

    def setUp(self):
        super().setUp()
        self.out_dir = os.path.join(self.tmp, "results")
        code, stdout, stderr = run_main(
            ["--area", "gemm", "--out-dir", self.out_dir, "--no-plots", FIXTURE])
        self.assertEqual(code, 0, stderr)
        self.assertIn("gemm.md", stdout)
        with open(os.path.join(self.out_dir, "gemm.md"), encoding="utf-8") as f:
            self.md = f.read()

    def test_no_png_with_no_plots(self):
        self.assertEqual(sorted(os.listdir(self.out_dir)), ["gemm.md"])
        self.assertNotIn("![", self.md)

    def test_header_names_sources_and_tool(self):
        head = "\n".join(self.md.splitlines()[:6])
        self.assertIn("tools/report/report.py", head)
        self.assertIn("bench_gemm_sample.json", head)

    def test_context_printed(self):
        for expected in ("| Device | NVIDIA H100 80GB HBM3 (sm_90, 132 SMs) |",
                         "| Driver | 550.90.07 (CUDA 12.4) |",
                         "| Commit | 3f9c2ab1d7e0 |",
                         "| Clocks | locked: sm 1980 MHz, mem 2619 MHz |",
                         "| Date | 2024-11-23T18:02:11+00:00 |",
                         "| Host | h100-node-03 |"):
            self.assertIn(expected, self.md)

    def test_suites_in_order(self):
        headings = [l for l in self.md.splitlines() if l.startswith("## ")]
        self.assertEqual(headings, ["## square", "## llama3_8b_prefill",
                                    "## copy", "## Failed cases"])

    def test_square_table_values(self):
        table = parse_table(self.md, "square")
        self.assertEqual(list(table), ["1024x1024x1024", "2048x2048x2048",
                                       "4096x4096x4096", "4096x4096x4100",
                                       "8192x8192x8192"])
        row = table["2048x2048x2048"]
        self.assertEqual(row["ptxkit time (µs)"], "27.8")
        self.assertEqual(row["ptxkit TFLOP/s"], "618")
        self.assertEqual(row["ptxkit % peak"], "62.5%")
        self.assertEqual(row["cublasLt time (µs)"], "28.9")
        # 28.9 / 27.8 = 1.0396 ; 29.4 / 27.8 = 1.0576
        self.assertEqual(row["ptxkit vs cublasLt"], "1.04×")
        self.assertEqual(row["ptxkit vs cublasGemmEx"], "1.06×")
        # vs cuBLAS = against the fastest cuBLAS flavour (cublasLt here)
        self.assertEqual(row["ptxkit vs cuBLAS"], "1.04×")
        self.assertEqual(table["1024x1024x1024"]["ptxkit vs cublasLt"], "0.971×")
        self.assertNotIn("GB/s", " ".join(row))

    def test_median_aggregate_selected(self):
        row = parse_table(self.md, "square")["4096x4096x4096"]
        # repetitions 196.4, 195.1, 231.7: median 196.4, mean 207.7
        self.assertEqual(row["ptxkit time (µs)"], "196")
        self.assertEqual(row["cublasLt time (µs)"], "201")
        self.assertEqual(row["ptxkit TFLOP/s"], "700")
        self.assertEqual(row["ptxkit vs cublasLt"], "1.02×")

    def test_summary_geomean_and_min(self):
        expected = geomean([SQUARE_CUBLASLT[c] / SQUARE_PTXKIT[c] for c in SQUARE_PTXKIT])
        self.assertIn(f"- **ptxkit vs cublasLt**: geomean "
                      f"{report.format_sig(expected)}×, min 0.971× (1024x1024x1024), "
                      f"over 4 case(s)", self.md)

    def test_vs_cublas_counter_preferred(self):
        row = parse_table(self.md, "llama3_8b_prefill")["qkv_proj_m4096"]
        self.assertEqual(row["ptxkit vs cublasLt"], "1.04×")  # 301.5 / 290.1
        self.assertEqual(row["ptxkit vs cuBLAS"], "1.05×")    # vs_cublas counter 1.052

    def test_gbps_suite(self):
        table = parse_table(self.md, "copy")
        row = table["bytes:268435456"]
        self.assertNotIn("ptxkit TFLOP/s", row)
        self.assertEqual(row["ptxkit time (µs)"], "183")  # median 183310.2 ns
        self.assertEqual(row["ptxkit GB/s"], "2930")
        self.assertEqual(row["ptxkit % peak"], "87.4%")
        self.assertEqual(table["bytes:1048576"]["ptxkit time (µs)"], "1.91")
        self.assertEqual(table["bytes:1048576"]["ptxkit vs cuMemcpy"], "1.27×")
        self.assertNotIn("ptxkit vs cuBLAS", row)

    def test_failed_cases_listed(self):
        failed = parse_table(self.md, "Failed cases")
        self.assertEqual(
            failed["square/ptxkit/4096x4096x4100"]["error"],
            "ptxkit gemm: K=4100 is not a multiple of the 64-element K tile")
        row = parse_table(self.md, "square")["4096x4096x4100"]
        self.assertEqual(row["ptxkit time (µs)"], "—")
        self.assertEqual(row["ptxkit vs cublasLt"], "—")
        self.assertEqual(row["cublasLt time (µs)"], "204")


class AttentionAreaTest(TempDirTest):
    """--area attention on rows shaped like bench_attention's: a TFLOP/s
    prefill suite, a GB/s decode suite, the cublasUnfused baseline, a case
    with a baseline row only, and ptxkit rows that carry a label."""

    PREFILL = "fa3.d128:b4.s4096.h16.causal"
    DEEPSEEK = "deepseek-v3:t4096"
    DECODE = "gqa32-8.d128:b64.kv4096.p16"

    def setUp(self):
        super().setUp()
        rows = [
            gbench_row(f"prefill/cublasUnfused/{self.PREFILL}/iterations:1/manual_time", 2000.0,
                       TFLOPs=68.7, GBps=134.2, pct_peak=9.8),
            gbench_row(f"prefill/ptxkit/{self.PREFILL}/iterations:1/manual_time", 250.0,
                       TFLOPs=549.8, GBps=1073.7, pct_peak=78.5, vs_cublas=8.0,
                       label="ptxkit plan: path sm90 kernel prefill_sm90_d128 splits 1"),
            gbench_row(f"prefill/cublasUnfused/{self.DEEPSEEK}/iterations:1/manual_time", 4000.0,
                       TFLOPs=40.1, GBps=30.0, pct_peak=5.7),
            gbench_row(f"decode/cublasUnfused/{self.DECODE}/iterations:1/manual_time", 400.0,
                       GBps=1342.0, pct_peak=44.7),
            gbench_row(f"decode/ptxkit/{self.DECODE}/iterations:1/manual_time", 200.0,
                       GBps=2684.0, pct_peak=89.5, vs_cublas=2.0,
                       label="ptxkit plan: kernel decode_d128 splits 4"),
        ]
        context = {"ptxkit_device": "NVIDIA H100 80GB HBM3", "ptxkit_peak_tflops": "700.0",
                   "ptxkit_peak_gbps": "3000"}
        path = self.write_json("attention.json", {"context": context, "benchmarks": rows})
        self.out_dir = os.path.join(self.tmp, "results")
        code, stdout, stderr = run_main(
            ["--area", "attention", "--out-dir", self.out_dir, "--no-plots", path])
        self.assertEqual(code, 0, stderr)
        self.assertIn("attention.md", stdout)
        with open(os.path.join(self.out_dir, "attention.md"), encoding="utf-8") as f:
            self.md = f.read()

    def test_suites(self):
        headings = [l for l in self.md.splitlines() if l.startswith("## ")]
        self.assertEqual(headings, ["## prefill", "## decode"])
        self.assertIn("# Benchmark results: attention", self.md)

    def test_prefill_reports_tflops_against_the_baseline(self):
        table = parse_table(self.md, "prefill")
        row = table[self.PREFILL]
        self.assertEqual(row["ptxkit TFLOP/s"], "550")
        self.assertEqual(row["cublasUnfused TFLOP/s"], "68.7")
        self.assertEqual(row["ptxkit % peak"], "78.5%")
        self.assertEqual(row["ptxkit vs cublasUnfused"], "8.00×")
        self.assertEqual(row["ptxkit vs cuBLAS"], "8.00×")
        self.assertNotIn("ptxkit GB/s", row)

    def test_baseline_only_case_has_no_ratio(self):
        row = parse_table(self.md, "prefill")[self.DEEPSEEK]
        self.assertEqual(row["cublasUnfused time (µs)"], "4000")
        self.assertEqual(row["ptxkit time (µs)"], "—")
        self.assertEqual(row["ptxkit vs cublasUnfused"], "—")

    def test_decode_reports_gbps(self):
        row = parse_table(self.md, "decode")[self.DECODE]
        self.assertEqual(row["ptxkit GB/s"], "2680")
        self.assertEqual(row["cublasUnfused GB/s"], "1340")
        self.assertEqual(row["ptxkit % peak"], "89.5%")
        self.assertEqual(row["ptxkit vs cuBLAS"], "2.00×")
        self.assertNotIn("ptxkit TFLOP/s", row)

    def test_notes_and_labels(self):
        self.assertIn("counted as half for causal cases", self.md)
        self.assertIn("dense contiguous copy of the KV cache", self.md)
        self.assertIn(f"- `{self.PREFILL}` (ptxkit): ptxkit plan: path sm90 kernel prefill_sm90_d128 "
                      "splits 1", self.md)
        self.assertIn(f"- `{self.DECODE}` (ptxkit): ptxkit plan: kernel decode_d128 splits 4", self.md)

    def test_other_areas_have_no_attention_note(self):
        path = self.write_json("copy.json", {"benchmarks": [
            gbench_row("copy/ptxkit/bytes:1024/manual_time", 1.0, GBps=2.048)]})
        code, _, stderr = run_main(["--area", "memory", "--out-dir", self.out_dir, "--no-plots", path])
        self.assertEqual(code, 0, stderr)
        with open(os.path.join(self.out_dir, "memory.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertNotIn("counted as half", md)
        self.assertNotIn("Labels:", md)


class ModelTest(unittest.TestCase):
    """The numbers behind the tables, checked to a tolerance."""

    @classmethod
    def setUpClass(cls):
        cls.bench = report.load_inputs([FIXTURE])
        results, cls.failures = report.select_results(cls.bench.rows)
        cls.suites = {s.name: s for s in report.group_suites(results)}

    def columns(self, suite):
        return {c.label: c for c in report.ratio_columns(self.suites[suite])}

    def test_computed_ratio(self):
        column = self.columns("square")["ptxkit vs cublasLt"]
        self.assertAlmostEqual(column.ratios["2048x2048x2048"], 28.9 / 27.8, places=9)
        self.assertAlmostEqual(column.ratios["4096x4096x4096"], 201.2 / 196.4, places=9)
        self.assertNotIn("4096x4096x4100", column.ratios)

    def test_geomean_and_min(self):
        column = self.columns("square")["ptxkit vs cublasLt"]
        expected = geomean([SQUARE_CUBLASLT[c] / SQUARE_PTXKIT[c] for c in SQUARE_PTXKIT])
        self.assertAlmostEqual(column.geomean(), expected, places=9)
        case, minimum = column.minimum()
        self.assertEqual(case, "1024x1024x1024")
        self.assertAlmostEqual(minimum, 5.05 / 5.20, places=9)

    def test_cublas_column(self):
        square = self.columns("square")["ptxkit vs cuBLAS"]
        self.assertAlmostEqual(square.ratios["1024x1024x1024"], 5.05 / 5.20, places=9)
        llama = self.columns("llama3_8b_prefill")["ptxkit vs cuBLAS"]
        self.assertAlmostEqual(llama.ratios["gate_up_m4096"], 0.984, places=9)
        self.assertAlmostEqual(llama.geomean(), geomean([1.052, 1.020, 0.984, 1.019]),
                               places=9)
        self.assertNotIn("ptxkit vs cuBLAS", self.columns("copy"))

    def test_median_aggregate_and_units(self):
        square = self.suites["square"]
        self.assertAlmostEqual(square.get("ptxkit", "4096x4096x4096").time_us, 196.4)
        copy = self.suites["copy"]
        self.assertAlmostEqual(copy.get("ptxkit", "bytes:268435456").time_us, 183.3102)
        self.assertEqual(copy.throughput[0], "GBps")
        self.assertEqual(square.throughput[0], "TFLOPs")
        self.assertEqual(copy.impls, ["ptxkit", "cuMemcpy"])

    def test_failures(self):
        self.assertEqual(len(self.failures), 1)
        self.assertEqual(self.failures[0].name, "square/ptxkit/4096x4096x4100")


class SelectionTest(unittest.TestCase):
    """Aggregate handling and name parsing on hand-made rows."""

    def test_iteration_repeats_without_aggregates_use_median(self):
        name = "square/ptxkit/64x64x64/repeats:3/manual_time"
        rows = [gbench_row(name, t, repetitions=3, repetition_index=i, TFLOPs=f)
                for i, (t, f) in enumerate([(10.0, 3.0), (30.0, 1.0), (12.0, 2.5)])]
        results, failures = report.select_results(rows)
        self.assertEqual(failures, [])
        self.assertEqual(len(results), 1)
        self.assertEqual(results[0].case, "64x64x64")
        self.assertAlmostEqual(results[0].time_us, 12.0)
        self.assertAlmostEqual(results[0].values["TFLOPs"], 2.5)

    def test_median_aggregate_wins(self):
        name = "square/ptxkit/64x64x64/repeats:2/manual_time"
        rows = [gbench_row(name, 10.0), gbench_row(name, 20.0)]
        for agg, t in (("mean", 15.0), ("median", 14.0), ("stddev", 7.0), ("cv", 0.4)):
            rows.append(gbench_row(f"{name}_{agg}", t, run_type="aggregate",
                                   run_name=name, aggregate_name=agg))
        results, _ = report.select_results(rows)
        self.assertAlmostEqual(results[0].time_us, 14.0)

    def test_split_name(self):
        row = {"name": "copy/ptxkit/bytes:268435456/manual_time"}
        self.assertEqual(report.split_name(row), ("copy", "ptxkit", "bytes:268435456"))
        row = {"name": "square/ptxkit/1x2x3/repeats:3/manual_time_median",
               "run_type": "aggregate", "aggregate_name": "median"}
        self.assertEqual(report.split_name(row), ("square", "ptxkit", "1x2x3"))
        self.assertIsNone(report.split_name({"name": "BM_memcpy/1024"}))

    def test_time_units(self):
        for unit, expected in (("ns", 0.002), ("us", 2.0), ("ms", 2000.0), ("s", 2e6)):
            self.assertAlmostEqual(report.row_time_us({"real_time": 2.0, "time_unit": unit}),
                                   expected)

    def test_format_sig(self):
        self.assertEqual(report.format_sig(0.0123456), "0.0123")
        self.assertEqual(report.format_sig(5.2), "5.20")
        self.assertEqual(report.format_sig(196.4), "196")
        self.assertEqual(report.format_sig(1480.3), "1480")
        self.assertEqual(report.format_sig(999.7), "1000")


class CliErrorTest(TempDirTest):
    def assert_fails(self, argv, message):
        code, _, stderr = run_main(argv)
        self.assertNotEqual(code, 0)
        self.assertIn(message, stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out", "x.md")))

    def args(self, *paths):
        return ["--area", "x", "--out-dir", os.path.join(self.tmp, "out"),
                "--no-plots", *paths]

    def test_missing_file(self):
        missing = os.path.join(self.tmp, "nope.json")
        self.assert_fails(self.args(FIXTURE, missing), f"{missing}: no such file")

    def test_empty_benchmarks(self):
        path = self.write_json("empty.json", {"context": {}, "benchmarks": []})
        self.assert_fails(self.args(path), "no benchmarks")

    def test_no_benchmarks_key(self):
        path = self.write_json("ctx.json", {"context": {"date": "today"}})
        self.assert_fails(self.args(path), "no benchmarks")

    def test_invalid_json(self):
        path = self.write_json("bad.json", '{"benchmarks": [')
        self.assert_fails(self.args(path), "invalid JSON")

    def test_missing_context_prints_unknown(self):
        path = self.write_json("bare.json", {"benchmarks": [
            gbench_row("copy/ptxkit/bytes:1024/manual_time", 1.0, GBps=2.048)]})
        code, _, stderr = run_main(self.args(path))
        self.assertEqual(code, 0, stderr)
        with open(os.path.join(self.tmp, "out", "x.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("| Device | unknown |", md)
        self.assertIn("| Host | unknown |", md)
        self.assertIn("No ptxkit-vs-baseline ratios", md)

    def test_no_plots_does_not_import_matplotlib(self):
        script = ("import sys; sys.modules['matplotlib'] = None; import report; "
                  "sys.exit(report.main(sys.argv[1:]))")
        proc = subprocess.run([sys.executable, "-c", script, *self.args(FIXTURE)],
                              cwd=HERE, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "out", "x.md")))


@unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib is not installed")
class PlotTest(TempDirTest):
    def test_png_written(self):
        out_dir = os.path.join(self.tmp, "results")
        code, _, stderr = run_main(["--area", "gemm", "--out-dir", out_dir, FIXTURE])
        self.assertEqual(code, 0, stderr)
        for suite in ("square", "llama3_8b_prefill", "copy"):
            path = os.path.join(out_dir, f"gemm_{suite}.png")
            with open(path, "rb") as f:
                self.assertEqual(f.read(len(PNG_SIGNATURE)), PNG_SIGNATURE, path)
        with open(os.path.join(out_dir, "gemm.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("![square](gemm_square.png)", md)
        self.assertIn("![copy](gemm_copy.png)", md)


if __name__ == "__main__":
    unittest.main()
