#!/usr/bin/env python3
"""Build steps of ptxkit's kernel pipeline (called by cmake/PtxkitKernels.cmake).

compile: runs nvcc or ptxas, keeps their `-v` report in a log file, shows
         warnings, and fails with the compiler's output when it fails.
embed:   packs a module's cubins and PTX into one fatbin (nvcc's `fatbinary`),
         parses the ptxas reports into a resource table (registers, shared
         memory, stack, spills per kernel and arch), enforces the rules on hot
         kernels and wgmma serialisation, and writes a C++ file that embeds it.
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

ENTRY_RE = re.compile(r"Compiling entry function '([^']+)' for '([^']+)'")
PROPS_RE = re.compile(r"Function properties for (\S+)")
FRAME_RE = re.compile(
    r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
USED_RE = re.compile(r"Used (\d+) registers")
SMEM_RE = re.compile(r"(\d+) bytes smem")
BARRIERS_RE = re.compile(r"used (\d+) barriers")
# ptxas C7515/C7510-family: wgmma issued serially, e.g. "wgmma.mma_async
# instructions are serialized due to ...". Any such line fails the build.
WGMMA_SERIAL_RE = re.compile(r"wgmma.*serializ", re.IGNORECASE)
# ptxas ignored a setmaxnreg (C7508): the warp-specialisation budget is then wrong.
SETMAXNREG_IGNORED_RE = re.compile(r"setmaxnreg.*ignored", re.IGNORECASE)


@dataclasses.dataclass
class KernelResources:
    kernel: str
    arch: str
    registers: int = 0
    shared_bytes: int = 0
    stack_bytes: int = 0
    spill_store_bytes: int = 0
    spill_load_bytes: int = 0
    barriers: int = 0


class BuildError(Exception):
    pass


def parse_ptxas_log(text: str, arch: str) -> list[KernelResources]:
    """Resource usage of every entry function in one `ptxas -v` report."""
    kernels: dict[str, KernelResources] = {}
    current: KernelResources | None = None
    props_for: str | None = None
    for line in text.splitlines():
        if m := ENTRY_RE.search(line):
            current = kernels.setdefault(m.group(1), KernelResources(m.group(1), arch))
            props_for = None
            continue
        if m := PROPS_RE.search(line):
            props_for = m.group(1)
            continue
        if m := FRAME_RE.search(line):
            # Frame lines follow "Function properties for X"; only entries count.
            if props_for in kernels:
                k = kernels[props_for]
                k.stack_bytes, k.spill_store_bytes, k.spill_load_bytes = map(int, m.groups())
            props_for = None
            continue
        if current is not None and (m := USED_RE.search(line)):
            current.registers = int(m.group(1))
            if s := SMEM_RE.search(line):
                current.shared_bytes = int(s.group(1))
            if b := BARRIERS_RE.search(line):
                current.barriers = int(b.group(1))
    return list(kernels.values())


def check_log_rules(text: str, where: str) -> list[str]:
    problems = []
    for line in text.splitlines():
        if WGMMA_SERIAL_RE.search(line):
            problems.append(f"{where}: ptxas serialised wgmma: {line.strip()}")
        if SETMAXNREG_IGNORED_RE.search(line):
            problems.append(f"{where}: ptxas ignored setmaxnreg: {line.strip()}")
    return problems


def check_hot(kernels: list[KernelResources], hot: list[str], module: str) -> list[str]:
    problems = []
    names = {k.kernel for k in kernels}
    for h in hot:
        if h != "*" and h not in names:
            problems.append(f"module {module}: hot kernel '{h}' is not among its kernels {sorted(names)}")
    for k in kernels:
        if ("*" in hot or k.kernel in hot) and (k.spill_store_bytes or k.spill_load_bytes):
            problems.append(
                f"module {module}: hot kernel {k.kernel} spills on {k.arch} "
                f"({k.spill_store_bytes} bytes stored, {k.spill_load_bytes} bytes loaded)")
    return problems


def cmd_compile(args: argparse.Namespace) -> int:
    proc = subprocess.run(args.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    Path(args.log).write_text(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout)
        return proc.returncode
    for line in proc.stdout.splitlines():
        if "warning" in line.lower():
            sys.stderr.write(line + "\n")
    return 0


def c_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_cpp(name: str, symbol: str, source: str, fatbin_path: str, fatbin_size: int,
               kernels: list[KernelResources], hot: list[str],
               sass: list[str], ptx: str) -> str:
    """The C++ file that embeds one module: the fatbin comes in through the
    assembler's .incbin (no giant hex arrays to compile), the resource table as
    data. The object must be rebuilt when the fatbin changes (CMake's
    OBJECT_DEPENDS), since this text does not change with it."""
    rows = []
    for k in sorted(kernels, key=lambda k: (k.kernel, k.arch)):
        is_hot = "true" if ("*" in hot or k.kernel in hot) else "false"
        rows.append(
            f"    {{{c_string(k.kernel)}, {c_string(k.arch)}, {k.registers}, {k.shared_bytes}, "
            f"{k.stack_bytes}, {k.spill_store_bytes}, {k.spill_load_bytes}, {k.barriers}, {is_hot}}},")
    blob = f"ptxkit_fatbin_{symbol}"
    path = fatbin_path.replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join([
        f"// Generated by tools/kernel_pipeline/kernel_tool.py from {source}: do not edit.",
        '#include "runtime/embedded_module.hpp"',
        "",
        "// Fatbins must be 8-byte aligned for cuModuleLoadData.",
        "__asm__(",
        '    ".section .rodata\\n"',
        '    ".balign 64\\n"',
        f'    ".hidden {blob}\\n"',
        f'    ".globl {blob}\\n"',
        f'    "{blob}:\\n"',
        f'    ".incbin \\"{path}\\"\\n"',
        '    ".previous\\n");',
        f'extern "C" const unsigned char {blob}[];',
        "",
        "namespace ptxkit::detail::embedded {",
        "namespace {",
        "const KernelResources kKernels[] = {",
        *rows,
        "};",
        "}  // namespace",
        "",
        f"extern const EmbeddedModule module_{symbol};",
        f"const EmbeddedModule module_{symbol} = {{",
        f"    {c_string(name)}, {c_string(source)}, {c_string(','.join(sass))}, {c_string(ptx)},",
        f"    {blob}, {fatbin_size}, kKernels, {len(rows)},",
        "};",
        "}  // namespace ptxkit::detail::embedded",
        "",
    ])


def fatbinary_command(fatbinary: str, fatbin: str, images: list[str], extra_ptx: list[str] | None = None,
                      compress: bool = True) -> tuple[list[str], list[str], str]:
    """The fatbinary command line for a module's images (KIND:SM:PATH), with
    the SASS targets and the JIT PTX target it records. extra_ptx (SM:PATH):
    more PTX packed into the fatbin but not recorded as the module's JIT PTX
    (ptxsim's PTX for every SASS target). compress=False stores PTX as text."""
    cmd = [fatbinary, "-64", f"--create={fatbin}"]
    if not compress:
        cmd.append("--compress=false")
    sass, ptx = [], "none"
    for image in images:
        kind, sm, path = image.split(":", 2)
        cmd.append(f"--image3=kind={kind},sm={sm},file={path}")
        if kind == "elf":
            sass.append(f"sm_{sm}")
        else:
            ptx = f"compute_{sm}"
    for image in extra_ptx or []:
        sm, path = image.split(":", 1)
        cmd.append(f"--image3=kind=ptx,sm={sm},file={path}")
    return cmd, sass, ptx


def cmd_embed(args: argparse.Namespace) -> int:
    hot = [h for h in args.hot.split(",") if h]
    fatbin_cmd, sass, ptx = fatbinary_command(args.fatbinary, args.fatbin, args.image, args.extra_ptx,
                                              compress=not args.no_compress)
    proc = subprocess.run(fatbin_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.stderr.write(" ".join(fatbin_cmd) + "\n" + proc.stdout)
        return proc.returncode

    kernels: list[KernelResources] = []
    problems: list[str] = []
    for item in args.log:
        arch, path = item.split(":", 1)
        text = Path(path).read_text()
        kernels += parse_ptxas_log(text, arch)
        problems += check_log_rules(text, f"module {args.name} ({arch})")
    spills = check_hot(kernels, hot, args.name)
    if args.allow_hot_spills:
        # A debugging build (the kernel watchdog): spills are reported, not fatal.
        for p in spills:
            sys.stderr.write(f"warning: {p}\n")
    else:
        problems += spills
    if not kernels:
        problems.append(f"module {args.name}: ptxas reported no entry function; is every kernel extern \"C\"?")
    if problems:
        for p in problems:
            sys.stderr.write(f"error: {p}\n")
        return 1

    fatbin = Path(args.fatbin).resolve()
    cpp = render_cpp(args.name, args.symbol, args.source, str(fatbin), fatbin.stat().st_size, kernels, hot, sass, ptx)
    out = Path(args.out)
    if not out.exists() or out.read_text() != cpp:
        out.write_text(cpp)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compile")
    c.add_argument("--log", required=True)
    c.add_argument("command", nargs=argparse.REMAINDER)
    e = sub.add_parser("embed")
    for flag in ("--name", "--symbol", "--source", "--fatbinary", "--fatbin", "--out"):
        e.add_argument(flag, required=True)
    e.add_argument("--hot", default="")
    e.add_argument("--allow-hot-spills", action="store_true",
                   help="warn instead of failing when a hot kernel spills (debugging builds)")
    e.add_argument("--image", action="append", default=[], help="KIND:SM:PATH")
    e.add_argument("--extra-ptx", action="append", default=[],
                   help="SM:PATH of more PTX to pack, not recorded as the module's JIT PTX (ptxsim builds)")
    e.add_argument("--no-compress", action="store_true",
                   help="store PTX uncompressed in the fatbin (ptxsim reads it as text)")
    e.add_argument("--log", action="append", default=[], help="ARCH:PATH of a ptxas -v report")
    args = parser.parse_args(argv)
    if args.cmd == "compile":
        if args.command and args.command[0] == "--":
            args.command = args.command[1:]
        return cmd_compile(args)
    return cmd_embed(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
