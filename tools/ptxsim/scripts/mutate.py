#!/usr/bin/env python3
"""Mutation check of the ptxsim GPU test suite: each mutant is ONE deliberate,
realistic bug in a kernel source (a textual edit of a copy of kernels/ or
ptx/); the edited module is turned into PTX for the modelled H100 exactly as
the build does (nvcc -ptx, flags of cmake/PtxkitKernels.cmake; a hand-written
.ptx module is its own PTX) and run under ptxsim by the GPU tests that
exercise it, through the stand-in driver's PTXSIM_PTX_OVERRIDE hook
(tools/ptxsim/driver/api_module.cpp): the module with the same .entry names
runs the mutated PTX instead of the one in its fatbin.

CAUGHT: the test binary fails (a wrong result, a ptxsim fault report, a
deadlock, or no end within the timeout). MISSED: it passes, unless the mutant
is listed as an expected survivor (`survives=` says why its bug is benign).
Before its mutants, every module runs its unmutated PTX (compiled the same
way) on the union of their filters as a control, which must pass.

Run by hand (not in CI), after building the sim tree with the hook:
  tools/ptxsim/scripts/mutate.py [--build build/sim-mut] [--jobs N] [--list] [NAME ...]
NAME: a mutant (group/name, or a bare name for every group that has it) or a
group (gemm_sm90, attention_sm90, moe_sm90, decode, routing, align, gemm_sm80,
copy). Work files: build/ptxsim-mutants/. Exits non-zero when a mutant is
missed, cannot be applied or compiled, or a control fails.
"""
import argparse
import concurrent.futures
import dataclasses
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WORK = ROOT / "build" / "ptxsim-mutants"
TIMEOUT_S = 600  # per test run; ptxsim reports deadlocks itself
# cmake/PtxkitKernels.cmake: PTXKIT_NVCC_FLAGS, -arch=compute_90a for the H100 model, -I kernels.
NVCC_FLAGS = ["-O3", "-std=c++20", "-lineinfo", "--expt-relaxed-constexpr", "-arch=compute_90a"]


@dataclasses.dataclass
class Mutant:
    name: str
    file: str  # edited file, relative to the repository
    old: "str | list[str]"  # text replaced (each must occur exactly once, or `occurrence` picks one)
    new: "str | list[str]"
    what: str
    occurrence: "int | None" = None
    survives: "str | None" = None  # expected survivor: why the bug cannot change what the tests check
    filter: "str | None" = None  # gtest filter; default: the group's
    module: "str | None" = None  # the module source compiled; default: the group's, else `file`
    env: "dict | None" = None  # extra environment for the test run
    group: str = ""

    def edits(self):
        olds = [self.old] if isinstance(self.old, str) else self.old
        news = [self.new] if isinstance(self.new, str) else self.new
        return list(zip(olds, news))

    @property
    def id(self):
        return "%s/%s" % (self.group, self.name)


# ---- (a) ported from tools/emulator/mutate.py (sm90 GEMM, attention prefill, MoE grouped GEMM);
# names and `what` kept, emulator cases replaced by gtest filters below. ----
GEMM_LOOP = "kernels/gemm/sm90_mainloop.cuh"
GEMM = "kernels/gemm/sm90_gemm.cu"
ATTN = "kernels/attention/prefill_sm90.cu"
WGMMA = "kernels/common/wgmma.cuh"

GEMM_MUTANTS = [
    Mutant("mn_lbo", GEMM_LOOP,
           "make_smem_desc_mnmajor_sw128(b_tile + ks * kMNMajorKStepBytes, kBBoxBytes)",
           "make_smem_desc_mnmajor_sw128(b_tile + ks * kMNMajorKStepBytes, 1024)",
           "MN-major B descriptor LBO = 1024 instead of the B box stride"),
    Mutant("mn_kstep", GEMM_LOOP,
           "constexpr uint32_t kMNMajorKStepBytes = WGMMA_K * kSwizzleRowBytes;",
           "constexpr uint32_t kMNMajorKStepBytes = 8 * kSwizzleRowBytes;",
           "MN-major B advanced by 8 swizzle rows per k16 step instead of 16"),
    Mutant("kstep", GEMM_LOOP,
           "constexpr uint32_t kKStepBytes = WGMMA_K * kElementBytes;",
           "constexpr uint32_t kKStepBytes = 16;",
           "K-major operands advanced by 16 bytes per k16 step instead of 32"),
    Mutant("kmajor_sbo", WGMMA, "constexpr uint64_t kStrideByteOffset = 1024;",
           "constexpr uint64_t kStrideByteOffset = 512;",
           "K-major descriptor SBO 512 instead of 1024", occurrence=0),
    Mutant("stmatrix_lane", GEMM,
           "const int row_in_slab = warp * 16 + 8 * ((lane >> 3) & 1) + (lane & 7);",
           "const int row_in_slab = warp * 16 + 8 * (lane >> 4) + (lane & 7);",
           "stmatrix row addresses given by the wrong lanes"),
    Mutant("stmatrix_noswizzle", GEMM, "(uint32_t(block ^ (row_in_slab & 7)) << 4)", "(uint32_t(block) << 4)",
           "epilogue staging written without the 128B swizzle the store map expects"),
    # Only the 128x256 tile stores 4 chunks through 2 buffers (chunk 2 reuses
    # chunk 0's): the test of the large-problem tiles, on a 4-SM H100 model.
    Mutant("no_wait_read", GEMM, "ptx::tma_store_wait_read<1>();", "(void)0;",
           "staging buffer reused before its TMA store read it (no wait_group.read)",
           filter="Gemm.LargeProblemTilesScaledToTheSmCount", env={"PTXSIM_SM_COUNT": "4"}),
    Mutant("no_proxy_fence", GEMM, "        ptx::fence_proxy_async_shared_cta();\n", "\n",
           "staged D stored by TMA without fence.proxy.async after the generic writes"),
    Mutant("expect_tx_short", GEMM_LOOP, "ptx::mbarrier_arrive_expect_tx(full, Cfg::kStageBytes);",
           "ptx::mbarrier_arrive_expect_tx(full, Cfg::kStageBytes - 8192);",
           "stage expect_tx 8192 bytes short"),
    Mutant("release_before_wait", GEMM_LOOP,
           ["release it.\n                if (kb > 0) release(reading);\n", "                ptx::wgmma_wait_group<1>();\n"],
           ["release it.\n", "                if (kb > 0) release(reading);\n                ptx::wgmma_wait_group<1>();\n"],
           "stage released to the producer before the wgmma reading it completed",
           filter="Gemm.LargeProblemTilesScaledToTheSmCount", env={"PTXSIM_SM_COUNT": "4"}),
    # A stage is waited on again only when the ring wraps: clustered tiles
    # with more K blocks than stages (the large-problem test's deep-K case).
    Mutant("no_peer_arrive", GEMM_LOOP,
           "ptx::mbarrier_arrive_cluster(ptx::map_shared_to_cta(empty_bar + 8 * st, peer));", "(void)peer;",
           "cluster consumer never frees the peer CTA's multicast stage",
           filter="Gemm.LargeProblemTilesScaledToTheSmCount", env={"PTXSIM_SM_COUNT": "4"}),
    Mutant("store_row_swap", GEMM, "const int64_t row = row0 + 8 * h;", "const int64_t row = row0 + 8 * (1 - h);",
           "register epilogue stores the two 8-row halves swapped", occurrence=0),
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
           "missing named-barrier wait (bar.sync) in the steady-state turn"),
    # The emulator listed it as a benign survivor (the turn only staggers MMA issue). ptxsim deadlocks on it:
    # without the steady-state bar.sync each turn barrier only receives the other consumer's bar.arrive, so
    # the arrivals run ahead of the phases and the final wait_turn completes for some warps of a warpgroup
    # only; the rest then wait for it in wgmma.mma_async.sync.aligned. Not benign.
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
           "Q not released when the first block is also the last",
           env={"PTXSIM_SM_COUNT": "4"}),  # several work items per CTA: the next Q tile waits for the release
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

MOE = "kernels/moe/grouped_gemm_sm90.cu"

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
    Mutant("masked_tiles_floor", "kernels/moe/grouped_gemm.cuh",
           "(valid_rows(p.counts[e], p.rows) + kBlockM - 1) / kBlockM",
           "valid_rows(p.counts[e], p.rows) / kBlockM",
           "masked prefix table: an expert's tile rows rounded down (a partial last tile is dropped)"),
    Mutant("no_sync_after_prefix", MOE,
           "    __syncthreads();\n    const bool swiglu",
           "    const bool swiglu",
           "masked prefix table read by every thread without the __syncthreads after warp 0 writes it"),
]


# Module, default filter and per-mutant filter of the ported groups.
for _m in GEMM_MUTANTS:
    _m.group, _m.module = "gemm_sm90", GEMM
for _m in ATTN_MUTANTS:
    _m.group, _m.module = "attention_sm90", ATTN
for _m in MOE_MUTANTS:
    _m.group, _m.module = "moe_sm90", MOE

PORTED_FILTERS = {
    # B [K, N] (MN-major B) reaches sm90 through the automatic path.
    "gemm_sm90/mn_lbo": "Gemm.BKnOnTheAutomaticPath",
    "gemm_sm90/mn_kstep": "Gemm.BKnOnTheAutomaticPath",
    "attention_sm90/gqa_head_map": "AttentionPrefill.QueriesShorterAndLongerThanKeys",
    "attention_sm90/q_slab_not_offset": "AttentionPrefill.QueriesShorterAndLongerThanKeys",
    "moe_sm90/masked_tiles_floor": "MoeGroupedGemm.MaskedCountsIncludingEmptyFullAndOutOfRange",
    "moe_sm90/no_sync_after_prefix": "MoeGroupedGemm.MaskedCountsIncludingEmptyFullAndOutOfRange",
    "moe_sm90/row_end_inclusive":
        "MoeGroupedGemm.OddKPaddedStridesAndOneExpert:MoeGroupedGemm.MaskedCountsIncludingEmptyFullAndOutOfRange",
}
for _m in GEMM_MUTANTS:
    if _m.name == "store_row_swap":  # the register epilogue: f32 D, split-K, or forced by this switch
        _m.env = {"PTXKIT_GEMM_SM90_REGISTER_EPILOGUE": "1"}
for _m in GEMM_MUTANTS + ATTN_MUTANTS + MOE_MUTANTS:
    _m.filter = PORTED_FILTERS.get(_m.id, _m.filter)

# ---- (b) new mutants ----
DECODE = "kernels/attention/decode.cu"
DECODE_MUTANTS = [
    Mutant("page_id_off_by_one", DECODE,
           "if ((int64_t(first_slot + q) << lps) < end) pid[q] = table[first_slot + q];",
           "if ((int64_t(first_slot + q) << lps) < end) pid[q] = table[first_slot + q + 1];",
           "paged KV: a block's page ids read one page-table entry late",
           filter="AttentionDecode.EveryPageSizeAndQLen"),
    Mutant("split_end_short", DECODE,
           "int(min(int64_t(seq_len), split_begin64 + p.keys_per_split));",
           "int(min(int64_t(seq_len), split_begin64 + p.keys_per_split - 1));",
           "split-KV: every split but the last ends one key early (the key on each split boundary is lost)",
           filter="AttentionDecode.SplitCountsAndWorkspace"),
    Mutant("no_v_zero_fill", DECODE,
           "ptx::cp_async_cg_16(v_tile + dst, v_src, ok ? 16u : 0u);",
           "if (ok) ptx::cp_async_cg_16(v_tile + dst, v_src, 16u);",
           "V rows past the split / of bad pages skipped instead of zero-filled (stale shared memory meets P = 0)",
           filter="AttentionDecode.EveryPageSizeAndQLen"),
    Mutant("merge_weight_base2", DECODE,
           "ptx::ex2_approx_ftz((lse_s[i] - row_max) * kLog2e)",
           "ptx::ex2_approx_ftz(lse_s[i] - row_max)",
           "split merge: weights 2^(lse - M) with the natural-log LSE (missing * log2 e)",
           filter="AttentionDecode.SplitCountsAndWorkspace"),
    Mutant("wn_merge_no_rescale", DECODE,
           "row_scale[h] = ptx::ex2_approx_ftz(m[h] - ref) * inv;",
           "row_scale[h] = inv;",
           "warps sharing rows merged without rescaling each warp's O to the common row max",
           filter="AttentionDecode.HeadDimsGqaRatiosAndMqa:AttentionDecode.EveryPageSizeAndQLen"),
]

ROUTING = "kernels/moe/routing.cu"
ROUTING_MUTANTS = [
    Mutant("tie_to_higher_index", ROUTING,
           "return v > best_v || (v == best_v && e < best_e);",
           "return v > best_v || (v == best_v && e > best_e);",
           "top-k ties go to the higher expert index",
           filter="MoeRouting.SoftmaxDtypesTiesAndSkew"),
    Mutant("renorm_k_bound", ROUTING,
           "if (i < p.k) w[i] /= chosen_sum;",
           "if (i < p.k - 1) w[i] /= chosen_sum;",
           "softmax renormalisation loop stops one short: the k-th weight is not renormalised",
           filter="MoeRouting.SoftmaxEveryExpertCountAndK"),
    Mutant("weights_from_biased_scores", ROUTING,
           "if (lane * p.per_lane + j == ids[i]) mine = s[j];",
           "if (lane * p.per_lane + j == ids[i]) mine = b[j];",
           "grouped sigmoid: weights (and their renormalising sum) taken from the biased scores s + bias",
           filter="MoeRouting.GroupedDeepSeekV3"),
    Mutant("topk_group_bound", ROUTING,
           "for (int i = 0; i < p.topk_group; ++i) {",
           "for (int i = 0; i < p.topk_group - 1; ++i) {",
           "grouped sigmoid: one group fewer than topk_group kept",
           filter="MoeRouting.GroupedDeepSeekV3:MoeRouting.GroupedOtherShapes"),
]

ALIGN = "kernels/moe/align.cu"
ALIGN_MUTANTS = [
    Mutant("warp_base_inclusive", ALIGN,
           "for (int w = 0; w < warp; ++w) warp_base += s_warp_sum[w];",
           "for (int w = 0; w <= warp; ++w) warp_base += s_warp_sum[w];",
           "padded-offset scan: a warp's base includes its own warp total (prefix sum off by one)",
           filter="MoeAlign.EveryExpertCountKAndBlockM"),
    Mutant("scan_lane_off_by_one", ALIGN,
           "if (lane >= d) v += up;",
           "if (lane > d) v += up;",
           "Kogge-Stone warp scan: lane d does not add lane 0's partial",
           filter="MoeAlign.EveryExpertCountKAndBlockM"),
    Mutant("pad_extra_block", ALIGN,
           "(static_cast<int>(s_total[tid]) + block_m_mask) & ~block_m_mask",
           "(static_cast<int>(s_total[tid]) + block_m_mask + 1) & ~block_m_mask",
           "padding to block_m rounds (n + block_m) down: a full segment gets an extra empty block",
           filter="MoeAlign.EveryExpertCountKAndBlockM"),
    Mutant("no_sync_after_run_scan", ALIGN,
           "    }\n    __syncthreads();\n\n    // 5c.",
           "    }\n\n    // 5c.",
           "missing __syncthreads between the per-warp row scan (thread e writes s_run[w][e]) and its use by warp w",
           filter="MoeAlign.EveryExpertCountKAndBlockM"),
]

SM80 = "kernels/gemm/sm80_mainloop.cuh"
SM80_MODULE = "kernels/gemm/sm80_gemm.cu"
SM80_FILTER = "Gemm.PartialChunksOnTheTensorCorePaths:Gemm.PaddedLeadingDimensions"
GEMM_SM80_MUTANTS = [
    Mutant("cp_async_wait_count", SM80,
           "ptx::cp_async_wait_group<C::STAGES - 2>();",
           "ptx::cp_async_wait_group<C::STAGES - 1>();",
           "cp.async.wait_group STAGES - 1: block kt read while its copies may still be in flight"),
    Mutant("no_sync_after_wait", SM80,
           "ptx::cp_async_wait_group<C::STAGES - 2>();\n        __syncthreads();",
           "ptx::cp_async_wait_group<C::STAGES - 2>();",
           "no __syncthreads after the wait: other threads' copies not visible, the next copy overwrites a "
           "stage still being read"),
    Mutant("ldmatrix_kn_no_trans", SM80,
           "ptx::ldmatrix_x4_trans(r, b_stage + swizzle<kKnRowChunks>(row, chunk));",
           "ptx::ldmatrix_x4(r, b_stage + swizzle<kKnRowChunks>(row, chunk));",
           "B [K, N] fragments loaded by ldmatrix without .trans"),
    Mutant("swizzle_line_unmasked", SM80,
           "return (line << 7) | ((slot ^ (line & 7u)) << 4);",
           "return (line << 7) | ((slot ^ line) << 4);",
           "64-byte-row swizzle XORs the whole line index, not line & 7 (rows past 16 land in other lines)"),
    Mutant("k_tail_unpredicated", SM80,
           "const int k_left = int(min(k_end - k0, int64_t(C::BK)));",
           "const int k_left = C::BK;",
           "last K block copied whole: the k-tile edge predicate (and zero-fill) dropped"),
    Mutant("kn_k_row_edge_inclusive", SM80,
           "b_row0 + j * kBRowStep < k_left",
           "b_row0 + j * kBRowStep <= k_left",
           "B [K, N]: the K-row edge predicate lets one row past the K tail through"),
]
for _m in GEMM_SM80_MUTANTS:
    _m.module, _m.filter = SM80_MODULE, SM80_FILTER

COPY = "ptx/memory/copy.ptx"
COPY_MUTANTS = [
    Mutant("unroll_stride_words", COPY,
           "shl.b64\t%rd9, %rd6, 4;",
           "shl.b64\t%rd9, %rd6, 2;",
           "unrolled step: the S-vector stride in bytes computed as S * 4 instead of S * 16"),
    Mutant("unrolled_bound_i_plus_s", COPY,
           "add.u64\t%rd10, %rd4, %rd8;",
           "add.u64\t%rd10, %rd4, %rd6;",
           "unrolled loop bound checks i + S instead of i + 3S (the last vectors of a step run past n)"),
    Mutant("remainder_bound_gt", COPY,
           "setp.ge.u64\t%p2, %rd4, %rd3;",
           "setp.gt.u64\t%p2, %rd4, %rd3;",
           "remainder loop copies while i <= n16 (one vector past the end)"),
    Mutant("remainder_store_unscaled", COPY,
           "add.u64\t%rd13, %rd1, %rd11;",
           "add.u64\t%rd13, %rd1, %rd4;",
           "remainder store address: vector index not scaled to bytes"),
    Mutant("u8_tail_bound_gt", COPY,
           "setp.ge.u64\t%p1, %rd4, %rd3;\n\t@%p1 bra\t$Lbytes_done;",
           "setp.gt.u64\t%p1, %rd4, %rd3;\n\t@%p1 bra\t$Lbytes_done;",
           "byte kernel copies one byte past n"),
]

for _group, _list in (("decode", DECODE_MUTANTS), ("routing", ROUTING_MUTANTS), ("align", ALIGN_MUTANTS),
                      ("gemm_sm80", GEMM_SM80_MUTANTS), ("copy", COPY_MUTANTS)):
    for _m in _list:
        _m.group = _group

GROUP_FILTERS = {
    "gemm_sm90": "Gemm.PaddedLeadingDimensions:Gemm.BKnOnTheAutomaticPath:Gemm.CInPlaceAndKZero",
    "attention_sm90": "AttentionPrefill.MaskEdgesOnKeyBlockBoundaries",
    "moe_sm90": "MoeGroupedGemm.OddKPaddedStridesAndOneExpert",
    "decode": "AttentionDecode.EveryPageSizeAndQLen",
    "routing": "MoeRouting.*",
    "align": "MoeAlign.EveryExpertCountKAndBlockM",
    "gemm_sm80": SM80_FILTER,
    "copy": "Copy.*",
}
MUTANTS = (GEMM_MUTANTS + ATTN_MUTANTS + MOE_MUTANTS + DECODE_MUTANTS + ROUTING_MUTANTS + ALIGN_MUTANTS +
           GEMM_SM80_MUTANTS + COPY_MUTANTS)
for _m in MUTANTS:
    _m.filter = _m.filter or GROUP_FILTERS[_m.group]
    _m.module = _m.module or _m.file


def apply(mutant, root):
    """Edits the copy under root; returns an error text when a pattern does not match."""
    path = root / mutant.file
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


def tree_digest(root, module):
    h = hashlib.sha256(" ".join(NVCC_FLAGS + [module]).encode())
    for sub in ("kernels", "ptx"):
        for f in sorted((root / sub).rglob("*")):
            if f.is_file():
                h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def make_ptx(root, module, out):
    """(ok, detail, seconds): the module's PTX for compute_90a at `out` (cached by the tree's content)."""
    t0 = time.time()
    cached = WORK / "ptx-cache" / (tree_digest(root, module) + ".ptx")
    if cached.exists():
        shutil.copyfile(cached, out)
        return True, "cached", 0.0
    if module.endswith(".ptx"):
        shutil.copyfile(root / module, out)
    else:
        cmd = (["nvcc", "-ptx"] + NVCC_FLAGS + ["-I", str(root / "kernels"), "-o", str(out), str(root / module)])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return False, (r.stdout + r.stderr)[-800:], time.time() - t0
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, cached)
    return True, "", time.time() - t0


def evidence(output):
    """The most telling line of a failing run: a ptxsim report, else the first gtest failure."""
    lines = output.splitlines()
    reports = [l for l in lines if l.startswith("ptxsim") and "replaced by" not in l and
               "PTXSIM_PTX_OVERRIDE" not in l]
    for l in [l for l in reports if "is sticky" not in l] + reports:  # the fault itself before its sticky error
        return " ".join(l.split())
    for i, l in enumerate(lines):
        if l.endswith(": Failure") or "Failure" in l.split(":")[-1:]:
            msg = " | ".join(x.strip() for x in lines[i + 1:i + 4] if x.strip())
            return msg
    for l in lines:
        if "FAILED" in l or "terminate" in l or "Aborted" in l:
            return " ".join(l.split())
    return "no failure line (crash?)"


def failed_tests(output):
    return sorted(set(re.findall(r"^\[  FAILED  \] (\S+\.\S+?)(?: \(|,|$)", output, re.M)))


def run_tests(build, ptx, gtest_filter, extra_env=None):
    """(verdict, detail, seconds, output): PASS, FAIL, HANG, or NOHOOK (the override was never applied)."""
    libcuda, test_gpu = build
    env = dict(os.environ, PTXKIT_LIBCUDA_PATH=str(libcuda), PTXSIM_PTX_OVERRIDE=str(ptx), **(extra_env or {}))
    cmd = [str(test_gpu), "--gtest_filter=" + gtest_filter]
    t0 = time.time()
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return "HANG", "no end within %d s" % TIMEOUT_S, time.time() - t0, out
    out = r.stdout + r.stderr
    dt = time.time() - t0
    if "replaced by " + str(ptx) not in out:
        if r.returncode == 0:
            return "NOHOOK", "the override was never applied (driver without the hook, or no test loaded the " \
                             "module)", dt, out
    if r.returncode == 0:
        return "PASS", "", dt, out
    tests = failed_tests(out)
    return "FAIL", "%s: %s" % (",".join(tests) or "test_gpu rc=%d" % r.returncode, evidence(out)[:300]), dt, out


def check(build, mutant, log_dir):
    """dict with verdict CAUGHT, SURVIVED or ERROR, detail, times."""
    res = {"id": mutant.id, "module": mutant.module, "what": mutant.what, "filter": mutant.filter}
    with tempfile.TemporaryDirectory(prefix="mut-", dir=WORK) as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "kernels", tmp / "kernels")
        shutil.copytree(ROOT / "ptx", tmp / "ptx")
        error = apply(mutant, tmp)
        if error:
            return dict(res, verdict="ERROR", detail="cannot apply: " + error, compile_s=0, run_s=0)
        ptx = WORK / "ptx" / (mutant.id.replace("/", "__") + ".ptx")
        ptx.parent.mkdir(parents=True, exist_ok=True)
        ok, detail, compile_s = make_ptx(tmp, mutant.module, ptx)
        if not ok:
            return dict(res, verdict="ERROR", detail="does not compile: " + detail, compile_s=compile_s, run_s=0)
    verdict, detail, run_s, out = run_tests(build, ptx, mutant.filter, mutant.env)
    (log_dir / (mutant.id.replace("/", "__") + ".log")).write_text(out)
    res.update(compile_s=round(compile_s, 1), run_s=round(run_s, 1))
    if verdict in ("FAIL", "HANG"):
        return dict(res, verdict="CAUGHT", detail=detail)
    if verdict == "NOHOOK":
        return dict(res, verdict="ERROR", detail=detail)
    return dict(res, verdict="SURVIVED", detail="")


def control(build, module, gtest_filter, log_dir):
    """Unmutated PTX of the module (compiled the same way) on the filters: must pass."""
    with tempfile.TemporaryDirectory(prefix="ctl-", dir=WORK) as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "kernels", tmp / "kernels")
        shutil.copytree(ROOT / "ptx", tmp / "ptx")
        ptx = WORK / "ptx" / ("control__" + module.replace("/", "_") + ".ptx")
        ptx.parent.mkdir(parents=True, exist_ok=True)
        ok, detail, compile_s = make_ptx(tmp, module, ptx)
        if not ok:
            return False, "does not compile: " + detail, compile_s, 0
    verdict, detail, run_s, out = run_tests(build, ptx, gtest_filter)
    (log_dir / ("control__" + module.replace("/", "_") + ".log")).write_text(out)
    return verdict == "PASS", (detail or verdict), compile_s, run_s


def union_filter(filters):
    parts = []
    for f in filters:
        for p in f.split(":"):
            if p not in parts:
                parts.append(p)
    return ":".join(parts)


def write_report(results, path, machine):
    """Renders the results file as docs/results/ptxsim-mutants.md (evidence re-read from the run logs)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "kernels", "ptx", "tools/ptxsim"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    dates = sorted(r.get("date", "") for r in results.values() if r.get("date"))
    out = ["# ptxsim mutation check", "",
           "`tools/ptxsim/scripts/mutate.py`: one realistic bug per mutant, compiled to PTX for the modelled H100 "
           "(`nvcc -ptx`, the flags of `cmake/PtxkitKernels.cmake`, `-arch=compute_90a`; `ptx/memory/copy.ptx` is "
           "its own PTX) and run under ptxsim by the named GPU tests through `PTXSIM_PTX_OVERRIDE` (the stand-in "
           "driver replaces the fatbin's PTX of the module with the same `.entry` names). Caught: the test binary "
           "fails (wrong result, ptxsim report, deadlock). Run by hand, not in CI.", "",
           "- date: %s" % (" to ".join(sorted({dates[0][:10], dates[-1][:10]})) if dates else "-"),
           "- commit: %s%s" % (commit, " (with uncommitted changes under kernels/, ptx/ or tools/ptxsim/)"
                               if dirty else ""),
           "- machine: %s" % machine, ""]
    groups = {}
    for m in MUTANTS:
        groups.setdefault(m.group, []).append(m)
    out += ["## Summary", "", "| group | module | mutants | caught | expected survivors | missed | errors | not run |",
            "|---|---|---|---|---|---|---|---|"]
    totals = [0] * 6
    for g, ms in groups.items():
        c = [0] * 6
        c[0] = len(ms)
        for m in ms:
            r = results.get(m.id)
            if r is None:
                c[5] += 1
            elif r["verdict"] == "CAUGHT":
                c[1] += 1
            elif r["verdict"] == "ERROR":
                c[4] += 1
            elif m.survives:
                c[2] += 1
            else:
                c[3] += 1
        totals = [a + b for a, b in zip(totals, c)]
        mods = ", ".join(sorted({"`%s`" % m.module for m in ms}))
        out.append("| %s | %s | %s |" % (g, mods, " | ".join(str(x) for x in c)))
    out.append("| **all** | | %s |" % " | ".join("**%d**" % x for x in totals))
    out += ["", "## Controls (unmutated PTX, same compile, union of the group's filters)", "",
            "| module | result | filter | run (s) |", "|---|---|---|---|"]
    for k, r in results.items():
        if k.startswith("control:"):
            out.append("| `%s` | %s | `%s` | %s |" % (k[8:], r["verdict"], r["filter"], r.get("run_s", "")))
    out += ["", "## Mutants", "",
            "| mutant | module | what | result | caught by (failing tests: first ptxsim report or assertion) "
            "| compile + run (s) |", "|---|---|---|---|---|---|"]
    for m in MUTANTS:
        r = results.get(m.id)
        if r is None:
            out.append("| %s | `%s` | %s | not run | `%s` | |" % (m.id, Path(m.module).name, m.what, m.filter))
            continue
        detail = r.get("detail", "")
        log = WORK / "logs" / (m.id.replace("/", "__") + ".log")
        if r["verdict"] == "CAUGHT" and log.exists() and not detail.startswith("no end"):
            text = log.read_text(errors="replace")
            detail = "%s: %s" % (", ".join(failed_tests(text)) or "test_gpu", evidence(text)[:300])
        verdict = r["verdict"]
        if verdict == "SURVIVED":
            verdict = "survived (expected)" if m.survives else "**MISSED**"
            detail = m.survives or "passes `%s`" % m.filter
        out.append("| %s | `%s` | %s | %s | %s | %s + %s |" % (
            m.id, Path(m.module).name, m.what.replace("|", "/"), verdict, detail.replace("|", "/"),
            r.get("compile_s", ""), r.get("run_s", "")))
    Path(path).write_text("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--libcuda", type=Path, default=None,
                    help="the stand-in driver with the PTXSIM_PTX_OVERRIDE hook (default: "
                         "build/sim-mut/ptxsim/libcuda.so.1 if it exists, else build/sim/ptxsim/libcuda.so.1)")
    ap.add_argument("--test-gpu", type=Path, default=None,
                    help="the GPU test binary (default: build/sim-mut/tests/test_gpu if it exists, else "
                         "build/sim/tests/test_gpu; it loads the driver named by PTXKIT_LIBCUDA_PATH)")
    ap.add_argument("--jobs", type=int, default=1, help="mutants compiled and run at once (default 1)")
    ap.add_argument("--list", action="store_true", help="list the mutants (and check that each applies)")
    ap.add_argument("--no-control", action="store_true", help="skip the unmutated control runs")
    ap.add_argument("--json", type=Path, default=WORK / "results.json", help="results file (merged by mutant)")
    ap.add_argument("--report", type=Path, default=None,
                    help="only write the results file as this markdown page (docs/results/ptxsim-mutants.md)")
    ap.add_argument("--machine", default="2-core CPU shared with other jobs, no GPU (ptxsim models an H100)")
    ap.add_argument("names", nargs="*", help="mutants (group/name or name) or groups; default: all")
    args = ap.parse_args()
    chosen = [m for m in MUTANTS
              if not args.names or m.id in args.names or m.name in args.names or m.group in args.names]
    if args.names and not chosen:
        print("no mutant matches %s" % " ".join(args.names))
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    if args.report:
        write_report(json.loads(args.json.read_text()) if args.json.exists() else {}, args.report, args.machine)
        return 0
    if args.list:
        bad = 0
        with tempfile.TemporaryDirectory(prefix="list-", dir=WORK) as tmp:
            for m in chosen:
                tmp_root = Path(tmp) / m.id.replace("/", "__")
                (tmp_root / Path(m.file).parent).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(ROOT / m.file, tmp_root / m.file)
                err = apply(m, tmp_root)
                bad += err is not None
                print("%-40s %-34s %s%s\n%42s%s" % (m.id, m.module, m.what, "  [survives: %s]" % m.survives
                                                   if m.survives else "", "", ("CANNOT APPLY: " + err) if err
                                                   else "filter " + m.filter + (" env %s" % m.env if m.env else "")))
        print("%d mutants, %d cannot be applied" % (len(chosen), bad))
        return 1 if bad else 0
    def pick(given, rel):
        if given is not None:
            return given if given.is_absolute() else ROOT / given
        mine = ROOT / "build" / "sim-mut" / rel
        return mine if mine.exists() else ROOT / "build" / "sim" / rel
    build = (pick(args.libcuda, "ptxsim/libcuda.so.1"), pick(args.test_gpu, "tests/test_gpu"))
    print("driver %s, tests %s" % build, flush=True)
    log_dir = WORK / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    bad = 0
    print_lock = threading.Lock()
    modules = []
    for m in chosen:
        if m.module not in modules:
            modules.append(m.module)
    for module in modules:
        mine = [m for m in chosen if m.module == module]
        if not args.no_control:
            flt = union_filter(m.filter for m in mine)
            ok, detail, cs, rs = control(build, module, flt, log_dir)
            print("CONTROL  %-40s %s (%s; compile %.0f s, run %.0f s)" % (module, "passes" if ok else "FAILS: " +
                                                                          detail, flt, cs, rs), flush=True)
            results["control:" + module] = {"id": "control:" + module, "verdict": "PASS" if ok else "FAIL",
                                            "detail": detail, "filter": flt, "compile_s": round(cs, 1),
                                            "run_s": round(rs, 1)}
            if not ok:
                bad += 1
                continue
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [(m, pool.submit(check, build, m, log_dir)) for m in mine]
            for m, fut in futures:
                r = fut.result()
                r["survives"] = m.survives
                r["date"] = datetime.datetime.now().isoformat(timespec="seconds")
                results[m.id] = r
                v = r["verdict"]
                if v == "CAUGHT":
                    note = "  [listed as an expected survivor: update mutate.py]" if m.survives else ""
                    line = "CAUGHT   %-40s %s%s\n         %s" % (m.id, m.what, note, r["detail"])
                elif v == "SURVIVED" and m.survives:
                    line = "SURVIVED %-40s %s\n         expected: %s" % (m.id, m.what, m.survives)
                elif v == "SURVIVED":
                    bad += 1
                    line = "MISSED   %-40s %s: %s passes" % (m.id, m.what, m.filter)
                else:
                    bad += 1
                    line = "ERROR    %-40s %s" % (m.id, r["detail"])
                with print_lock:
                    print("%s  (compile %.0f s, run %.0f s)" % (line, r.get("compile_s", 0), r.get("run_s", 0)),
                          flush=True)
                args.json.write_text(json.dumps(results, indent=1))
    args.json.write_text(json.dumps(results, indent=1))
    counts = {}
    for m in chosen:
        r = results.get(m.id)
        if r:
            c = counts.setdefault(m.group, {"caught": 0, "expected": 0, "missed": 0, "error": 0})
            c[{"CAUGHT": "caught", "ERROR": "error"}.get(r["verdict"], "expected" if m.survives else "missed")] += 1
    for g, c in counts.items():
        print("%-16s %d caught, %d expected survivors, %d missed, %d errors" % (
            g, c["caught"], c["expected"], c["missed"], c["error"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
