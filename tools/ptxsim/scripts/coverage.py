#!/usr/bin/env python3
"""Kernel coverage of the simulated GPU suite.

Reads every module's PTX that the sim build embedded (build/sim/kernels/*.ptx
and ptx/**/*.ptx), lists each module's .entry kernels, and compares them with
the kernels the simulated suite launched (the PTXSIM_COVERAGE file: one
kernel name per line). Writes a Markdown table and exits 1 when a kernel was
never launched (unless --no-fail).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ENTRY_RE = re.compile(r"^\s*\.(?:visible\s+|weak\s+)?\.entry\s+([A-Za-z_$][\w$]*)", re.M)


def module_kernels(kernels_dir: Path, source_dir: Path) -> dict[str, set[str]]:
    modules: dict[str, set[str]] = {}
    for ptx in sorted(kernels_dir.glob("*.ptx")):
        # <module symbol>.<compute_XX>.ptx
        name = ptx.name.split(".")[0]
        modules.setdefault(name, set()).update(ENTRY_RE.findall(ptx.read_text(errors="replace")))
    for ptx in sorted((source_dir / "ptx").rglob("*.ptx")):
        rel = ptx.relative_to(source_dir / "ptx").with_suffix("")
        modules.setdefault(str(rel).replace("/", "_"), set()).update(ENTRY_RE.findall(ptx.read_text()))
    return modules


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build/sim", type=Path)
    ap.add_argument("--source", default=".", type=Path)
    ap.add_argument("--launched", required=True, type=Path, help="the PTXSIM_COVERAGE file")
    ap.add_argument("--out", type=Path, help="Markdown report to write")
    ap.add_argument("--no-fail", action="store_true")
    args = ap.parse_args()

    modules = module_kernels(args.build / "kernels", args.source)
    launched = set(args.launched.read_text().split()) if args.launched.exists() else set()
    lines = ["| module | kernels | launched | never launched |", "|---|---:|---:|---|"]
    total = hit = 0
    missing_all: list[str] = []
    for mod in sorted(modules):
        ks = modules[mod]
        miss = sorted(ks - launched)
        total += len(ks)
        hit += len(ks) - len(miss)
        missing_all += [f"{mod}/{k}" for k in miss]
        lines.append(f"| {mod} | {len(ks)} | {len(ks) - len(miss)} | {', '.join(miss) if miss else '-'} |")
    summary = f"{hit} of {total} kernels launched by the simulated suite"
    text = "\n".join([summary, "", *lines, ""])
    if args.out:
        args.out.write_text(text)
    print(text)
    if missing_all and not args.no_fail:
        print("never launched:\n  " + "\n  ".join(missing_all), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
