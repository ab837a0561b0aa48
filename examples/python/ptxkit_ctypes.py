#!/usr/bin/env python3
"""Calls libptxkit's C API from Python with ctypes, on tensors PyTorch
allocated and on PyTorch's current stream: both share the device's primary
context, so no copy or synchronisation is needed between them.

    python3 examples/python/ptxkit_ctypes.py [path/to/libptxkit.so]

Without PyTorch or a GPU it says so and only exercises the argument checks.
"""
from __future__ import annotations

import ctypes
import sys
from pathlib import Path

PTXKIT_MAX_RANK = 4
DTYPES = {"f32": 0, "f16": 1, "bf16": 2, "i32": 5}


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * PTXKIT_MAX_RANK), ("stride", ctypes.c_int64 * PTXKIT_MAX_RANK)]


def load(path: str | None) -> ctypes.CDLL:
    candidates = [path] if path else [str(p) for p in Path(__file__).resolve().parents[2].glob("build/*/src/libptxkit.so")]
    for c in candidates:
        if c and Path(c).exists():
            lib = ctypes.CDLL(c)
            lib.ptxkit_version.restype = ctypes.c_char_p
            lib.ptxkit_last_error.restype = ctypes.c_char_p
            lib.ptxkit_status_string.restype = ctypes.c_char_p
            lib.ptxkit_moe_topk_softmax.argtypes = [ctypes.POINTER(Tensor)] * 3 + [ctypes.c_int, ctypes.c_int,
                                                                                   ctypes.c_void_p]
            return lib
    sys.exit("ptxkit_ctypes: libptxkit.so not found; build first (scripts/test.sh) or pass its path")


def tensor_of(t, dtype: str) -> Tensor:
    """A ptxkit_tensor_t viewing a torch tensor (no copy)."""
    out = Tensor()
    out.data = t.data_ptr()
    out.dtype = DTYPES[dtype]
    out.rank = t.dim()
    for i in range(t.dim()):
        out.shape[i] = t.shape[i]
        out.stride[i] = t.stride(i)
    return out


def main() -> int:
    lib = load(sys.argv[1] if len(sys.argv) > 1 else None)
    print("ptxkit", lib.ptxkit_version().decode())
    empty = Tensor()
    status = lib.ptxkit_moe_topk_softmax(ctypes.byref(empty), ctypes.byref(empty), ctypes.byref(empty), 2, 1, None)
    print("bad input ->", lib.ptxkit_status_string(status).decode() + ":", lib.ptxkit_last_error().decode())
    if status != 1 or b"argument 'logits'" not in lib.ptxkit_last_error():
        print("expected PTXKIT_ERROR_INVALID_ARGUMENT naming 'logits'")
        return 1
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: skipping the GPU part")
        return 0
    if not torch.cuda.is_available():
        print("no GPU visible to PyTorch: skipping the GPU part")
        return 0

    tokens, experts, k = 1024, 128, 8  # Qwen3-MoE routing
    logits = torch.randn(tokens, experts, device="cuda", dtype=torch.bfloat16)
    weights = torch.empty(tokens, k, device="cuda", dtype=torch.float32)
    ids = torch.empty(tokens, k, device="cuda", dtype=torch.int32)
    stream = torch.cuda.current_stream().cuda_stream
    status = lib.ptxkit_moe_topk_softmax(ctypes.byref(tensor_of(logits, "bf16")), ctypes.byref(tensor_of(weights, "f32")),
                                         ctypes.byref(tensor_of(ids, "i32")), k, 1, ctypes.c_void_p(stream))
    if status != 0:
        print("ptxkit_moe_topk_softmax failed:", lib.ptxkit_last_error().decode())
        return 1
    ref_w, ref_ids = torch.topk(torch.softmax(logits.float(), dim=-1), k, dim=-1)
    ref_w = ref_w / ref_w.sum(dim=-1, keepdim=True)
    torch.cuda.synchronize()
    same_ids = (ids.long() == ref_ids).float().mean().item()
    max_err = (weights - ref_w).abs().max().item()
    print(f"topk_softmax on PyTorch tensors: ids agree with torch.topk on {same_ids:.4%} of slots "
          f"(ties may order differently), max weight error {max_err:.2e}")
    return 0 if max_err < 1e-4 and same_ids > 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())
