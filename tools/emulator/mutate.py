#!/usr/bin/env python3
"""Mutation check of the emulator: each mutant is a copy of kernels/ with ONE
deliberate bug (a textual edit); it is translated, built and run, and must
fail some case (wrong result, emulator failure, deadlock). A mutant that
passes is MISSED, unless it is listed as an expected survivor with the reason
its bug is benign.

Each mutant runs the first `models` execution models of its kernel (the
models file), on its `cases` (default: all), until the first failure. The
copies and binaries live in build/emulator/mutants/<kernel>/<name>/.

Usage: mutate.py [--kernel gemm_sm90|attention_sm90|moe_sm90] [--jobs N] [NAME ...]
Exits non-zero when a mutant is missed or cannot be applied or built.
"""
import argparse
import concurrent.futures
import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMU = ROOT / "tools" / "emulator"
BUILD = ROOT / "build" / "emulator"
TIMEOUT_S = 600  # per harness run; the emulator reports deadlocks itself


@dataclasses.dataclass
class Mutant:
    name: str
    file: str  # relative to kernels/
    old: "str | list[str]"  # text replaced (each must occur exactly once, or `occurrence` picks one)
    new: "str | list[str]"
    what: str
    cases: "list[int] | None" = None
    occurrence: "int | None" = None
    survives: "str | None" = None  # expected survivor: why the bug cannot change what the emulator checks

    def edits(self):
        olds = [self.old] if isinstance(self.old, str) else self.old
        news = [self.new] if isinstance(self.new, str) else self.new
        return list(zip(olds, news))


GEMM_LOOP = "gemm/sm90_mainloop.cuh"
GEMM = "gemm/sm90_gemm.cu"
ATTN = "attention/prefill_sm90.cu"
WGMMA = "common/wgmma.cuh"

GEMM_MUTANTS = [
    Mutant("mn_lbo", GEMM_LOOP,
           "make_smem_desc_mnmajor_sw128(b_tile + ks * kMNMajorKStepBytes, kBBoxBytes)",
           "make_smem_desc_mnmajor_sw128(b_tile + ks * kMNMajorKStepBytes, 1024)",
           "MN-major B descriptor LBO = 1024 instead of the B box stride", cases=[19, 20, 21]),
    Mutant("mn_kstep", GEMM_LOOP,
           "constexpr uint32_t kMNMajorKStepBytes = WGMMA_K * kSwizzleRowBytes;",
           "constexpr uint32_t kMNMajorKStepBytes = 8 * kSwizzleRowBytes;",
           "MN-major B advanced by 8 swizzle rows per k16 step instead of 16", cases=[19, 20]),
    Mutant("kstep", GEMM_LOOP,
           "constexpr uint32_t kKStepBytes = WGMMA_K * kElementBytes;",
           "constexpr uint32_t kKStepBytes = 16;",
           "K-major operands advanced by 16 bytes per k16 step instead of 32", cases=[0, 1]),
    Mutant("kmajor_sbo", WGMMA, "constexpr uint64_t kStrideByteOffset = 1024;",
           "constexpr uint64_t kStrideByteOffset = 512;",
           "K-major descriptor SBO 512 instead of 1024", cases=[0, 1], occurrence=0),
    Mutant("stmatrix_lane", GEMM,
           "const int row_in_slab = warp * 16 + 8 * ((lane >> 3) & 1) + (lane & 7);",
           "const int row_in_slab = warp * 16 + 8 * (lane >> 4) + (lane & 7);",
           "stmatrix row addresses given by the wrong lanes", cases=[0, 1]),
    Mutant("stmatrix_noswizzle", GEMM, "(uint32_t(block ^ (row_in_slab & 7)) << 4)", "(uint32_t(block) << 4)",
           "epilogue staging written without the 128B swizzle the store map expects", cases=[0, 1]),
    Mutant("no_wait_read", GEMM, "ptx::tma_store_wait_read<1>();", "(void)0;",
           "staging buffer reused before its TMA store read it (no wait_group.read)", cases=[1, 2]),
    Mutant("no_proxy_fence", GEMM, "        ptx::fence_proxy_async_shared_cta();\n", "\n",
           "staged D stored by TMA without fence.proxy.async after the generic writes", cases=[0]),
    Mutant("expect_tx_short", GEMM_LOOP, "ptx::mbarrier_arrive_expect_tx(full, Cfg::kStageBytes);",
           "ptx::mbarrier_arrive_expect_tx(full, Cfg::kStageBytes - 8192);",
           "stage expect_tx 8192 bytes short", cases=[0, 2]),
    Mutant("release_before_wait", GEMM_LOOP,
           ["release it.\n                if (kb > 0) release(reading);\n", "                ptx::wgmma_wait_group<1>();\n"],
           ["release it.\n", "                if (kb > 0) release(reading);\n                ptx::wgmma_wait_group<1>();\n"],
           "stage released to the producer before the wgmma reading it completed", cases=[2, 3, 4]),
    Mutant("no_peer_arrive", GEMM_LOOP,
           "ptx::mbarrier_arrive_cluster(ptx::map_shared_to_cta(empty_bar + 8 * st, peer));", "(void)peer;",
           "cluster consumer never frees the peer CTA's multicast stage", cases=[2]),
    Mutant("store_row_swap", GEMM, "const int64_t row = row0 + 8 * h;", "const int64_t row = row0 + 8 * (1 - h);",
           "register epilogue stores the two 8-row halves swapped", cases=[12, 13], occurrence=0),
]

ATTN_MUTANTS = [
    Mutant("v_lbo_1024", ATTN, "make_smem_desc_mnmajor_sw128(sm.v, Cfg::kKVBoxBytes)",
           "make_smem_desc_mnmajor_sw128(sm.v, 1024u)", "V descriptor LBO = 1024 instead of the V box stride"),
    Mutant("v_lbo_sbo_swapped", WGMMA,
           "desc |= static_cast<uint64_t>((leading_byte_offset & 0x3FFFFu) >> 4) << 16;\n"
           "    desc |= (kStrideByteOffset >> 4) << 32;",
           "desc |= static_cast<uint64_t>((leading_byte_offset & 0x3FFFFu) >> 4) << 32;\n"
           "    desc |= (kStrideByteOffset >> 4) << 16;",
           "MN-major descriptor with LBO and SBO fields swapped"),
    Mutant("p_pair_swapped", ATTN,
           "ptx::cvt_rn_bf16x2_f32(s[2 * j], s[2 * j + 1]) : ptx::cvt_rn_f16x2_f32(s[2 * j], s[2 * j + 1])",
           "ptx::cvt_rn_bf16x2_f32(s[2 * j + 1], s[2 * j]) : ptx::cvt_rn_f16x2_f32(s[2 * j + 1], s[2 * j])",
           "P fragment: the two halves of each packed register swapped"),
    Mutant("p_regs_1_2_swapped", ATTN, "a1 = pf[4 * kk + 1], a2 = pf[4 * kk + 2]",
           "a1 = pf[4 * kk + 2], a2 = pf[4 * kk + 1]",
           "P fragment: A registers a1/a2 exchanged (rows +8 vs columns +8)"),
    Mutant("p_step_stride", ATTN,
           "const uint32_t a0 = pf[4 * kk], a1 = pf[4 * kk + 1], a2 = pf[4 * kk + 2], a3 = pf[4 * kk + 3];",
           "const uint32_t a0 = pf[(4 * kk) % Cfg::kPRegs], a1 = pf[(4 * kk + 1) % Cfg::kPRegs], "
           "a2 = pf[(4 * kk + 4) % Cfg::kPRegs], a3 = pf[(4 * kk + 5) % Cfg::kPRegs];",
           "P fragment: registers of the next k16 step used for the column +8 half"),
    Mutant("no_wait_turn_steady", ATTN,
           "            for (j = kb.hi - 2; j >= kb.lo; --j) {\n                wait_turn(wg);",
           "            for (j = kb.hi - 2; j >= kb.lo; --j) {",
           "missing named-barrier wait (bar.sync) in the steady-state turn",
           survives="the turn only staggers the two consumers' MMA issue (overlap, a performance matter): every "
                    "data dependency goes through the mbarriers, so results and every checked rule are unchanged"),
    Mutant("no_initial_handover", ATTN, "    if (wg == 1) pass_turn(1);\n", "\n",
           "consumer 1 never hands consumer 0 the first turn"),
    Mutant("pass_turn_wrong_id", ATTN,
           "        ptx::named_barrier_arrive<kTurnBarrier + 1, kTurnThreads>();\n    } else {\n"
           "        ptx::named_barrier_arrive<kTurnBarrier, kTurnThreads>();",
           "        ptx::named_barrier_arrive<kTurnBarrier, kTurnThreads>();\n    } else {\n"
           "        ptx::named_barrier_arrive<kTurnBarrier + 1, kTurnThreads>();",
           "pass_turn arrives on its own barrier instead of the other consumer's"),
    Mutant("wait_group_2", ATTN, "ptx::wgmma_wait_group<1>();  // S done", "ptx::wgmma_wait_group<2>();  // S done",
           "S read after wgmma.wait_group 2 (S still in flight)"),
    Mutant("release_k_before_wait", ATTN,
           "                ptx::wgmma_wait_group<1>();  // S done; P V may still run\n"
           "                fence_operands(sacc);\n                release(sm.k_empty + 8 * k_ring.stage, lane);",
           "                release(sm.k_empty + 8 * k_ring.stage, lane);\n"
           "                ptx::wgmma_wait_group<1>();  // S done; P V may still run\n"
           "                fence_operands(sacc);",
           "K stage released before the wgmma that reads it completed"),
    Mutant("release_v_early", ATTN,
           "                ptx::wgmma_wait_group<0>();  // P V done: O may be read, P overwritten\n"
           "                fence_operands(o);\n                fence_operands(sacc);\n"
           "                release(sm.v_empty + 8 * v_ring.stage, lane);",
           "                release(sm.v_empty + 8 * v_ring.stage, lane);\n"
           "                ptx::wgmma_wait_group<0>();  // P V done: O may be read, P overwritten\n"
           "                fence_operands(o);\n                fence_operands(sacc);",
           "V stage released before P V completed"),
    Mutant("expect_tx_short", ATTN, "ptx::mbarrier_arrive_expect_tx(bar, Cfg::kKVBytes);",
           "ptx::mbarrier_arrive_expect_tx(bar, Cfg::kKVBytes - 128);", "K/V expect_tx 128 bytes short"),
    Mutant("no_q_release", ATTN,
           "            if (static_cast<uint32_t>(j) == last_block) release(sm.q_empty, lane);\n            {\n"
           "                const int32_t n0 = j * BN;\n"
           "                const bool masked = n0 + BN > mask_above || n0 < mask_below;\n"
           "                softmax_block<BN>(sacc, st, masked, n0, rescale);  // O is still 0",
           "            {\n                const int32_t n0 = j * BN;\n"
           "                const bool masked = n0 + BN > mask_above || n0 < mask_below;\n"
           "                softmax_block<BN>(sacc, st, masked, n0, rescale);  // O is still 0",
           "Q not released when the first block is also the last"),
    Mutant("mask_off_by_one", ATTN, "if (col < lo || col > hi) s[i] = kNegInf;",
           "if (col < lo || col >= hi) s[i] = kNegInf;", "per-element mask drops the last visible key"),
    Mutant("key_range_hi_short", ATTN, "hi = min(hi, last_row + shift + p.window_right + 1);",
           "hi = min(hi, last_row + shift + p.window_right);", "key-block range one key short on the right"),
    Mutant("mask_above_first_row_off", ATTN,
           "full_above = min(full_above, int64_t(m0) + shift + p.window_right + 1);",
           "full_above = min(full_above, int64_t(m0) + shift + p.window_right + 2);",
           "block mask decision one key too optimistic"),
    Mutant("mask_below_last_row_off", ATTN,
           "full_below = int64_t(min(m0 + kBlockM, s.q_len) - 1) + shift - p.window_left;",
           "full_below = int64_t(min(m0 + kBlockM, s.q_len) - 1) + shift - p.window_left - 1;",
           "block mask decision (left window) one key too optimistic"),
    Mutant("no_pass_turn_steady", ATTN,
           "                issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage * Cfg::kKVBytes) >> 4));\n"
           "                ptx::wgmma_commit_group();\n                pass_turn(wg);",
           "                issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage * Cfg::kKVBytes) >> 4));\n"
           "                ptx::wgmma_commit_group();",
           "missing named-barrier arrive (bar.arrive) in the steady-state turn"),
    Mutant("no_rescale", ATTN, "                rescale_o<D>(o, rescale);\n", "\n", "O not rescaled after a new row max"),
    Mutant("rescale_wrong_row", ATTN, "o[i] *= rescale[((i / 2) % 2)];", "o[i] *= rescale[(i % 2)];",
           "O rescaled with the wrong row's factor"),
    Mutant("lse_no_ln2", ATTN, "(st.row_max[h] + ptx::lg2_approx_ftz(sum)) * kLn2",
           "(st.row_max[h] + ptx::lg2_approx_ftz(sum))", "LSE left in log2 units"),
    Mutant("q_slab_not_offset", ATTN, "make_smem_desc_kmajor_sw128(sm.q + wg * (kConsumerRows * kRowBytes))",
           "make_smem_desc_kmajor_sw128(sm.q)", "consumer 1 reads consumer 0's Q rows"),
    Mutant("k_box_stride", ATTN, "const uint64_t dk = desc_k + ((box * Cfg::kKVBoxBytes + within) >> 4);",
           "const uint64_t dk = desc_k + ((box * Cfg::kQBoxBytes + within) >> 4);", "K column box stride of the Q tile"),
    Mutant("gqa_head_map", ATTN, "const int32_t kv_head = t.head / group;",
           "const int32_t kv_head = t.head % p.heads_kv;", "GQA: query head -> KV head by modulo"),
    Mutant("kv_stage_stride", ATTN,
           "issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage * Cfg::kKVBytes) >> 4));\n"
           "                ptx::wgmma_commit_group();\n                pass_turn(wg);",
           "issue_pv<D, kBf16>(o, pf, desc_v + ((k_ring.stage * Cfg::kKVBytes) >> 4));\n"
           "                ptx::wgmma_commit_group();\n                pass_turn(wg);",
           "steady-state P V reads the V stage of the K ring index"),
    Mutant("no_fence_before_pv", ATTN,
           "                ptx::wgmma_fence();\n                issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage",
           "                issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage",
           "second wgmma.fence (before the register-A P V) removed",
           survives="the iteration's first wgmma.fence already orders the register writes (no wait_group between "
                    "it and the P V); the second only keeps ptxas from inserting one itself (warning C7519)"),
]

MOE = "moe/grouped_gemm_sm90.cu"

MOE_MUTANTS = [
    Mutant("b_expert_coord", MOE,
           "} else {\n            ptx::tma_load_3d(b_dst, &tma_b, full, k, w.tile.n0, w.tile.expert);",
           "} else {\n            ptx::tma_load_3d(b_dst, &tma_b, full, k, w.tile.n0, w.tile.batch);",
           "plain epilogue: B loaded at the tile's batch (0 when contiguous) instead of its expert"),
    Mutant("swiglu_up_off_by_one", MOE,
           "static_cast<int32_t>(p.n_out) + w.tile.n0, w.tile.expert);",
           "static_cast<int32_t>(p.n_out) + w.tile.n0 + 1, w.tile.expert);",
           "SwiGLU: the up box starts one row late, pairing gate column j with up column j + 1"),
    Mutant("row_end_inclusive", MOE,
           "if (row < w.tile.row_end) {\n                        mg::store_columns",
           "if (row <= w.tile.row_end) {\n                        mg::store_columns",
           "plain epilogue stores the row at row_end too (one row past the segment / count)"),
    Mutant("masked_tiles_floor", "moe/grouped_gemm.cuh",
           "(valid_rows(p.counts[e], p.rows) + kBlockM - 1) / kBlockM",
           "valid_rows(p.counts[e], p.rows) / kBlockM",
           "masked prefix table: an expert's tile rows rounded down (a partial last tile is dropped)"),
    Mutant("no_sync_after_prefix", MOE,
           "    __syncthreads();\n    const bool swiglu",
           "    const bool swiglu",
           "masked prefix table read by every thread without the __syncthreads after warp 0 writes it"),
]

# models: how many of the kernel's execution models (from the top of its models file) each mutant runs.
KERNELS = {
    "gemm_sm90": {"models": 2, "mutants": GEMM_MUTANTS},
    "attention_sm90": {"models": 1, "mutants": ATTN_MUTANTS},
    "moe_sm90": {"models": 2, "mutants": MOE_MUTANTS},
}


def models(kernel):
    """[(name, {env}, [options])] from tools/emulator/<kernel>/models."""
    out = []
    for line in (EMU / kernel / "models").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, env, opts = (x.strip() for x in line.split("|"))
        out.append((name, dict(v.split("=", 1) for v in env.split()), opts.split()))
    return out


def make(kernel, jobs, **overrides):
    cmd = ["make", "-f", str(EMU / "Makefile"), "KERNEL=" + kernel, "-j%d" % jobs]
    cmd += ["%s=%s" % kv for kv in overrides.items()]
    return subprocess.run(cmd, capture_output=True, text=True)


def apply(mutant, kernels_dir):
    """Edits the copy; returns an error text when a pattern does not match."""
    path = kernels_dir / mutant.file
    text = path.read_text()
    for old, new in mutant.edits():
        n = text.count(old)
        if mutant.occurrence is None:
            if n != 1:
                return "pattern found %d times, not once: %r" % (n, old[:80])
            text = text.replace(old, new)
        else:
            if n <= mutant.occurrence:
                return "pattern found %d times, occurrence %d wanted: %r" % (n, mutant.occurrence, old[:80])
            at = -1
            for _ in range(mutant.occurrence + 1):
                at = text.index(old, at + 1)
            text = text[:at] + new + text[at + len(old):]
    path.write_text(text)
    return None


def evidence(output):
    """The most telling line of a failing run."""
    lines = output.splitlines()
    for pick in (lambda l: l.startswith("EMU FAILURE"), lambda l: "wrong elements" in l, lambda l: l.startswith("FAIL")):
        hits = [l for l in lines if pick(l)]
        if hits:
            return " ".join(hits[0].split())
    return "no summary line (harness crashed?)"


def check(kernel, mutant, run_models):
    """(verdict, detail): verdict CAUGHT, SURVIVED or ERROR."""
    out = BUILD / "mutants" / kernel / mutant.name
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ROOT / "kernels", out / "kernels")
    error = apply(mutant, out / "kernels")
    if error:
        return "ERROR", "cannot apply: " + error
    b = make(kernel, 1, KERNEL_ROOT=out / "kernels", OUT=out)
    if b.returncode != 0:
        return "ERROR", "build failed: " + (b.stdout + b.stderr)[-600:]
    binary = out / ("emu_" + kernel)
    runs = [["--case", str(c)] for c in mutant.cases] if mutant.cases else [["--stop-on-failure"]]
    for name, env, opts in run_models:
        for sel in runs:
            try:
                r = subprocess.run([str(binary)] + opts + sel, env=dict(os.environ, **env), capture_output=True,
                                   text=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return "CAUGHT", "%s, %s: no end within %d s (a hang)" % (name, " ".join(sel), TIMEOUT_S)
            if r.returncode != 0:
                return "CAUGHT", "%s, %s: %s" % (name, " ".join(sel), evidence(r.stdout + r.stderr)[:200])
    return "SURVIVED", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", choices=sorted(KERNELS), action="append", help="default: all")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants built and run at once")
    ap.add_argument("names", nargs="*", help="only these mutants")
    args = ap.parse_args()
    bad = 0
    for kernel in args.kernel or sorted(KERNELS):
        spec = KERNELS[kernel]
        chosen = [m for m in spec["mutants"] if not args.names or m.name in args.names]
        if not chosen:
            continue
        b = make(kernel, args.jobs)  # the shared objects, before mutants build in parallel
        if b.returncode != 0:
            print("%s: build failed\n%s" % (kernel, (b.stdout + b.stderr)[-2000:]))
            bad += 1
            continue
        run_models = models(kernel)[:spec["models"]]
        counts = {"caught": 0, "expected": 0, "missed": 0, "error": 0}
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [(m, pool.submit(check, kernel, m, run_models)) for m in chosen]
            for m, fut in futures:  # in list order, each as soon as it is known
                verdict, detail = fut.result()
                if verdict == "CAUGHT":
                    counts["caught"] += 1
                    note = "  [listed as an expected survivor: update mutate.py]" if m.survives else ""
                    line = "CAUGHT   %-26s %s%s\n         %s" % (m.name, m.what, note, detail)
                elif verdict == "SURVIVED" and m.survives:
                    counts["expected"] += 1
                    line = "SURVIVED %-26s %s\n         expected: %s" % (m.name, m.what, m.survives)
                elif verdict == "SURVIVED":
                    counts["missed"] += 1
                    line = "MISSED   %-26s %s: passes every run" % (m.name, m.what)
                else:
                    counts["error"] += 1
                    line = "ERROR    %-26s %s" % (m.name, detail)
                print("%s mutant %s" % (kernel, line), flush=True)
        print("%s mutants: %d caught, %d expected survivors, %d missed, %d errors" % (
            kernel, counts["caught"], counts["expected"], counts["missed"], counts["error"]), flush=True)
        bad += counts["missed"] + counts["error"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
