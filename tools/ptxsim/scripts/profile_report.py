#!/usr/bin/env python3
"""What a profiler would tell, from the simulated suite (PTXSIM_PROFILE lines).

Each line of the input is one launch: kernel, grid, block, warp-instructions,
shared-memory requests and wavefronts, global requests and 32-byte sectors.
Per kernel: shared wavefronts per request (1.0 = conflict-free; n = n-way bank
conflicts on average) and global sectors per request (4 = a warp's 32 x 4-byte
coalesced access; 16 = 32 x 16 bytes), summed over every launch the suite made.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("profile", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--header", default="", help="text placed above the table (device, commit, date, timings)")
    args = ap.parse_args()
    agg: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    conflicts: dict[str, dict[int, list]] = defaultdict(dict)
    for line in args.profile.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        a = agg[r["kernel"]]
        a["launches"] += 1
        for k in ("instructions", "shared_requests", "shared_wavefronts", "global_requests", "global_sectors"):
            a[k] += int(r[k])
        # [PTX line, source line, requests, wavefronts] of the instructions that conflicted
        for line, src, req, wf in r.get("shared_conflicts", []):
            c = conflicts[r["kernel"]].setdefault(line, [src, 0, 0])
            c[1] += req
            c[2] += wf
    rows = ["| kernel | launches | warp-instructions | shared requests | wavefronts / request | "
            "instructions with bank conflicts (source line: wavefronts / request) | "
            "global requests | sectors / request |", "|---|---:|---:|---:|---:|---|---:|---:|"]
    for k in sorted(agg):
        a = agg[k]
        wf = a["shared_wavefronts"] / a["shared_requests"] if a["shared_requests"] else 0.0
        sc = a["global_sectors"] / a["global_requests"] if a["global_requests"] else 0.0
        worst = sorted(conflicts[k].values(), key=lambda c: c[1] - c[2])[:3]
        cells = ", ".join(f"{src}: {wfs / req:.1f}" for src, req, wfs in worst)
        more = len(conflicts[k]) - len(worst)
        conflict_cell = (f"{len(conflicts[k])} ({cells}{', ...' if more > 0 else ''})" if conflicts[k] else "0")
        rows.append(f"| {k} | {a['launches']} | {a['instructions']} | {a['shared_requests']} | "
                    f"{wf:.2f} | {conflict_cell} | {a['global_requests']} | {sc:.2f} |")
    text = (args.header + "\n\n" if args.header else "") + "\n".join(rows) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
