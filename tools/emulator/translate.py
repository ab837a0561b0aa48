#!/usr/bin/env python3
"""Makes kernel sources compile as host C++ against the emulator.

Copies each kernel unit and every header it includes with "..." (resolved
against the kernel root) to OUT_DIR, changing ONLY
  (1) every GNU inline-asm statement into C++ that performs the PTX it
      contains through emu::px (runtime/emu.hpp), with the asm's own operand
      binding (%N -> the N-th output/input expression), and
  (2) `extern __shared__ ... name[];` into a pointer to the emulated dynamic
      shared memory.
Everything else (descriptor builders, index math, control flow) stays the
original text. An instruction form it does not know becomes a call of
emu::fail("unemulated PTX: ...") that fires only if executed.

Files are rewritten only when their content changes (make sees real changes
only). OUT_DIR/TRANSLATION_LOG.txt lists each file with its sha1 and each asm
statement.

Usage: translate.py KERNEL_ROOT OUT_DIR UNIT...   (units relative to KERNEL_ROOT)
"""
import hashlib
import os
import re
import sys


def skip_string(text, i):
    """Index just past the string or character literal starting at i."""
    quote, j = text[i], i + 1
    while text[j] != quote:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def find_asm(text):
    """Yield (start, end, inside-parentheses) of each asm statement, skipping
    comments and literals."""
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                return
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i) + 2
            continue
        if text[i] in "\"'":
            i = skip_string(text, i)
            continue
        word_start = i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        m = re.match(r"\basm\b(\s+volatile\b)?\s*\(", text[i:i + 40]) if word_start else None
        if not m:
            i += 1
            continue
        j, depth = i + m.end(), 1  # just after '('
        while depth:
            ch = text[j]
            if ch == '"':
                j = skip_string(text, j)
                continue
            depth += {"(": 1, ")": -1}.get(ch, 0)
            j += 1
        yield i, j, text[i + m.end():j - 1]
        i = j


def split_top(s, seps):
    """Split at top-level separators (outside strings and brackets); '::' is
    not a ':' separator."""
    out, cur, depth, i = [], "", 0, 0
    while i < len(s):
        ch = s[i]
        if ch == '"':
            j = skip_string(s, i)
            cur += s[i:j]
            i = j
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        scope = ch == ":" and (s[i + 1:i + 2] == ":" or s[i - 1:i] == ":")
        if depth == 0 and ch in seps and not scope:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out


def decode_strings(s):
    raw = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s))
    return raw.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"').replace("\\\\", "\\")


def parse_operands(sec):
    """[(constraint, expression)] of one operand section."""
    ops = []
    if not sec.strip():
        return ops
    for item in split_top(sec.strip(), ","):
        m = re.match(r'"([^"]*)"\s*\((.*)\)\s*$', item.strip(), re.S)
        if not m:
            raise SystemExit("cannot parse asm operand: %r" % item)
        ops.append((m.group(1), m.group(2).strip()))
    return ops


TMA_LOAD = r"cp\.async\.bulk\.tensor\.(\d)d\.shared::cluster\.global\.tile\.mbarrier::complete_tx::bytes"
TMA_STORE = r"cp\.async\.bulk\.tensor\.(\d)d\.global\.shared::cta\.tile\.bulk_group"
WGMMA = r"wgmma\.mma_async\.sync\.aligned\.m64n(\d+)k16\.f32\.(bf16|f16)\.(bf16|f16)"
STMATRIX = r"stmatrix\.sync\.aligned\.m8n8\.x([124])(\.trans)?\.shared\.b16"
APPROX = {"ex2.approx.ftz.f32": "ex2_approx_ftz", "lg2.approx.ftz.f32": "lg2_approx_ftz",
          "tanh.approx.f32": "tanh_approx", "rcp.approx.ftz.f32": "rcp_approx_ftz"}
REG_TYPES = {"pred": "bool", "b32": "uint32_t", "u32": "uint32_t", "b16": "uint16_t", "b64": "uint64_t", "f32": "float"}


class AsmTranslator:
    """C++ for the PTX text of one asm statement (uid: unique per statement,
    for labels)."""

    def __init__(self, uid):
        self.uid = uid
        self.locals = set()  # .reg names declared in the statement
        self.code = []

    def reg(self, tok):
        tok = tok.strip()
        m = re.fullmatch(r"%(\d+)", tok)
        if m:
            return "_op" + m.group(1)
        if tok in self.locals:
            return "_l_" + tok
        if re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", tok):
            return "(int64_t)(%s)" % tok if tok.startswith("-") else "(uint64_t)(%sull)" % tok
        if re.fullmatch(r"%[a-z_]+", tok):
            return 'emu::px::sreg("%s")' % tok
        raise ValueError("unknown PTX operand %r" % tok)

    @staticmethod
    def addr(tok):
        tok = tok.strip()
        assert tok[0] == "[" and tok[-1] == "]", tok
        return tok[1:-1].strip()

    @staticmethod
    def vec(tok):
        tok = tok.strip()
        assert tok[0] == "{" and tok[-1] == "}", tok
        return [t.strip() for t in tok[1:-1].split(",")]

    def emit(self, s):
        self.code.append(s)

    def coords(self, tensor_operand, rank):
        """(map expression, "(int32_t)c0, ...") of a "[map, {c0, ...}]" operand."""
        inner = split_top(self.addr(tensor_operand), ",")
        cs = self.vec(inner[1])
        assert len(cs) == rank
        return inner[0], ", ".join("(int32_t)" + self.u32(c) for c in cs)

    def u32(self, tok):
        return "emu::px::b32(%s)" % self.reg(tok)

    def u64(self, tok):
        return "emu::px::b64(%s)" % self.reg(tok)

    def instr(self, text):
        text = " ".join(text.split())
        guard = ""
        m = re.match(r"@(!?)(\w+)\s+(.*)", text)
        if m:
            guard = "if (%s%s) " % ("!" if m.group(1) else "", self.reg(m.group(2)))
            text = m.group(3)
        op, _, rest = text.partition(" ")
        args = [a.strip() for a in split_top(rest, ",")] if rest.strip() else []
        R, A, V, u32, u64 = self.reg, self.addr, self.vec, self.u32, self.u64
        if op == "bra":
            self.emit(guard + "goto _L%d_%s;" % (self.uid, args[0]))
            return
        assert not guard, text  # predicated forms other than bra are not used
        if op == "mbarrier.init.shared::cta.b64":
            self.emit("emu::px::mbarrier_init(%s, %s);" % (u32(A(args[0])), u32(args[1])))
        elif op == "fence.mbarrier_init.release.cluster":
            self.emit("emu::px::fence_mbarrier_init();")
        elif op == "mbarrier.arrive.expect_tx.release.cta.shared::cta.b64":
            assert args[0] == "_"
            self.emit("emu::px::mbarrier_arrive_expect_tx(%s, %s);" % (u32(A(args[1])), u32(args[2])))
        elif op == "mbarrier.arrive.release.cta.shared::cta.b64":
            assert args[0] == "_"
            self.emit("emu::px::mbarrier_arrive(%s);" % u32(A(args[1])))
        elif op == "mbarrier.try_wait.parity.acquire.cta.shared::cta.b64":
            self.emit("%s = emu::px::mbarrier_try_wait_parity(%s, %s);" % (R(args[0]), u32(A(args[1])), u32(args[2])))
        elif op == "prefetch.tensormap":
            self.emit("emu::px::prefetch_tensormap(%s);" % u64(A(args[0])))
        elif re.fullmatch(TMA_LOAD, op):
            rank = int(op.split(".")[4][0])
            tmap, cs = self.coords(args[1], rank)
            self.emit("{ const int32_t _c[] = {%s}; emu::px::tma_load_tile(%s, %s, _c, %d, %s); }" % (
                cs, u32(A(args[0])), u64(tmap), rank, u32(A(args[2]))))
        elif re.fullmatch(TMA_LOAD + r"\.multicast::cluster", op):
            rank = int(op.split(".")[4][0])
            tmap, cs = self.coords(args[1], rank)
            assert len(args) == 4
            self.emit("{ const int32_t _c[] = {%s}; emu::px::tma_load_tile_multicast(%s, %s, _c, %d, %s, %s); }" % (
                cs, u32(A(args[0])), u64(tmap), rank, u32(A(args[2])), "(uint16_t)" + u32(args[3])))
        elif op == "mapa.shared::cluster.u32":
            self.emit("emu::px::put(%s, emu::px::mapa_shared_cluster(%s, %s));" % (R(args[0]), u32(args[1]), u32(args[2])))
        elif re.fullmatch(r"mbarrier\.arrive(\.release)?(\.cta|\.cluster)?\.shared::cluster\.b64", op):
            assert args[0] == "_"
            self.emit("emu::px::mbarrier_arrive_cluster(%s);" % u32(A(args[1])))
        elif op == "barrier.cluster.arrive.release.aligned":
            self.emit("emu::px::barrier_cluster_arrive();")
        elif op == "barrier.cluster.wait.acquire.aligned":
            self.emit("emu::px::barrier_cluster_wait();")
        elif re.fullmatch(TMA_STORE, op):
            rank = int(op.split(".")[4][0])
            tmap, cs = self.coords(args[0], rank)
            self.emit("{ const int32_t _c[] = {%s}; emu::px::tma_store_tile(%s, _c, %d, %s); }" % (
                cs, u64(tmap), rank, u32(A(args[1]))))
        elif op == "cp.async.bulk.commit_group":
            self.emit("emu::px::bulk_commit_group();")
        elif op in ("cp.async.bulk.wait_group.read", "cp.async.bulk.wait_group"):
            self.emit("emu::px::bulk_wait_group(%s, %s);" % (u32(args[0]), "true" if op.endswith(".read") else "false"))
        elif op == "wgmma.fence.sync.aligned":
            self.emit("emu::px::wgmma_fence();")
        elif op == "wgmma.commit_group.sync.aligned":
            self.emit("emu::px::wgmma_commit_group();")
        elif op == "wgmma.wait_group.sync.aligned":
            self.emit("emu::px::wgmma_wait_group(%s);" % u32(args[0]))
        elif re.fullmatch(r"setmaxnreg\.(inc|dec)\.sync\.aligned\.u32", op):
            self.emit("emu::px::setmaxnreg(%s, %s);" % (u32(args[0]), "true" if ".inc." in op else "false"))
        elif op == "fence.proxy.async.shared::cta":
            self.emit("emu::px::fence_proxy_async_shared_cta();")
        elif op in ("bar.sync", "bar.arrive"):
            self.emit("emu::px::%s(%s, %s);" % (op.replace(".", "_"), u32(args[0]), u32(args[1])))
        elif op == "setp.ne.u32":
            self.emit("%s = (%s != %s);" % (R(args[0]), u32(args[1]), u32(args[2])))
        elif re.fullmatch(WGMMA, op):
            self.wgmma(op, args)
        elif re.fullmatch(STMATRIX, op):
            num = int(re.search(r"\.x([124])", op).group(1))
            regs = V(args[1])
            assert len(regs) == num
            self.emit("{ const uint32_t _r[] = {%s}; emu::px::stmatrix_m8n8(%s, _r, %d, %s); }" % (
                ", ".join(u32(r) for r in regs), u32(A(args[0])), num, "true" if ".trans" in op else "false"))
        elif op in ("cvt.rn.bf16x2.f32", "cvt.rn.f16x2.f32"):
            self.emit("emu::px::put(%s, emu::px::%s(emu::px::f32(%s), emu::px::f32(%s)));" % (
                R(args[0]), op.replace(".", "_"), R(args[1]), R(args[2])))
        elif op in APPROX:
            self.emit("emu::px::put(%s, emu::px::%s(emu::px::f32(%s)));" % (R(args[0]), APPROX[op], R(args[1])))
        elif op == "max.f32":
            self.emit("emu::px::put(%s, std::fmax(emu::px::f32(%s), emu::px::f32(%s)));" % (
                R(args[0]), R(args[1]), R(args[2])))
        elif op in ("shfl.sync.bfly.b32", "shfl.sync.idx.b32"):
            assert len(args) == 5, args
            self.emit("emu::px::put(%s, emu::px::shfl_sync(%d, %s, %s, %s, %s));" % (
                R(args[0]), 0 if ".bfly." in op else 1, u32(args[1]), u32(args[2]), u32(args[3]), u32(args[4])))
        elif op == "cvt.f32.f16":
            self.emit("emu::px::put(%s, emu::px::cvt_f32_f16(emu::px::b16(%s)));" % (R(args[0]), R(args[1])))
        elif op == "shl.b32":
            self.emit("emu::px::put(%s, (uint32_t)(%s << (%s & 31)));" % (R(args[0]), u32(args[1]), u32(args[2])))
        elif op == "selp.u32":
            self.emit("emu::px::put(%s, (uint32_t)(%s ? %s : %s));" % (R(args[0]), R(args[3]), u32(args[1]), u32(args[2])))
        elif op == "and.b32":
            self.emit("emu::px::put(%s, (uint32_t)(%s & %s));" % (R(args[0]), u32(args[1]), u32(args[2])))
        elif op in ("mov.b32", "mov.u32"):
            if args[0].startswith("{"):  # unpack into two 16-bit registers
                lo, hi = V(args[0])
                self.emit("{ const uint32_t _v = %s; emu::px::put(%s, (uint16_t)(_v & 0xffff)); "
                          "emu::px::put(%s, (uint16_t)(_v >> 16)); }" % (u32(args[1]), R(lo), R(hi)))
            else:
                self.emit("emu::px::put(%s, %s);" % (R(args[0]), u32(args[1])))
        else:
            self.emit('emu::fail("unemulated PTX: %s");' % op)

    def wgmma(self, op, args):
        n = int(re.search(r"m64n(\d+)k16", op).group(1))
        bf16 = "true" if op.split(".")[-1] == "bf16" else "false"
        d = self.vec(args[0])
        assert len(d) == n // 2, (len(d), n)
        dptrs = ", ".join("&" + self.reg(x) for x in d)
        R, u32, u64 = self.reg, self.u32, self.u64
        if args[1].startswith("{"):  # A from registers: d, {a0..a3}, desc-b, scale-d, imm-scale-a, imm-scale-b, imm-trans-b
            a = self.vec(args[1])
            assert len(a) == 4 and len(args) == 7, args
            self.emit("{ float* _d[] = {%s}; const uint32_t _a[] = {%s}; "
                      "emu::px::wgmma_mma_async_rs(%d, %s, _d, _a, %s, %s, %s, %s, %s); }" % (
                          dptrs, ", ".join(u32(x) for x in a), n, bf16, u64(args[2]), R(args[3]),
                          "(int)" + R(args[4]), "(int)" + R(args[5]), "(int)" + R(args[6])))
            return
        # d, desc-a, desc-b, scale-d, imm-scale-a, imm-scale-b, imm-trans-a, imm-trans-b
        assert len(args) == 8, args
        self.emit("{ float* _d[] = {%s}; emu::px::wgmma_mma_async_ss(%d, %s, _d, %s, %s, %s, %s, %s, %s, %s); }" % (
            dptrs, n, bf16, u64(args[1]), u64(args[2]), R(args[3]),
            "(int)" + R(args[4]), "(int)" + R(args[5]), "(int)" + R(args[6]), "(int)" + R(args[7])))

    def run(self, template):
        """Translates the statements of the asm template (%% is %)."""
        stmts = []
        for piece in template.replace("%%", "%").split(";"):
            s = piece.strip()
            while s:  # leading braces and labels
                if s[0] in "{}":
                    s = s[1:].strip()
                    continue
                m = re.match(r"([A-Za-z_]\w*):(?!:)", s)
                if not m:
                    break
                stmts.append(("label", m.group(1)))
                s = s[m.end():].strip()
            if s:
                stmts.append(("ins", s))
        for kind, s in stmts:
            if kind == "label":
                self.emit("_L%d_%s:;" % (self.uid, s))
            elif s.startswith(".reg"):
                m = re.fullmatch(r"\.reg\s+\.(\w+)\s+(.*)", s)
                for name in [x.strip() for x in m.group(2).split(",")]:
                    self.locals.add(name)
                    self.emit("%s _l_%s{};" % (REG_TYPES[m.group(1)], name))
            else:
                try:
                    self.instr(s)
                except (ValueError, AssertionError, KeyError):
                    self.emit('emu::fail("unemulated PTX: %s");' % " ".join(s.split()).replace('"', "'"))


class Translator:
    def __init__(self):
        self.uid = 0
        self.log = []

    def asm(self, inner):
        """C++ replacing one asm statement: operands bound once, in order
        (outputs as references, inputs as values), then the PTX."""
        self.uid += 1
        secs = split_top(inner, ":")
        template = decode_strings(secs[0])
        outs = parse_operands(secs[1]) if len(secs) > 1 else []
        ins = parse_operands(secs[2]) if len(secs) > 2 else []
        binds = ["auto& _op%d = (%s);" % (k, e) for k, (_, e) in enumerate(outs)]
        binds += ["const auto _op%d = (%s);" % (len(outs) + k, e) for k, (_, e) in enumerate(ins)]
        t = AsmTranslator(self.uid)
        if template.strip():
            t.run(template)
        lines = [x.strip() for x in template.replace(";", ";\n").split("\n") if x.strip()]
        self.log.append("asm #%d: %s" % (self.uid, " | ".join(lines)[:160]))
        return "{ " + " ".join(binds) + " " + " ".join(t.code) + " (void)0; }"

    def source(self, src):
        out, last = [], 0
        for start, end, inner in find_asm(src):
            out += [src[last:start], self.asm(inner)]
            last = end
        out.append(src[last:])
        text, n = re.subn(r"extern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?([\w:]+)\s+(\w+)\s*\[\s*\]\s*;",
                          r"\1* const \2 = reinterpret_cast<\1*>(emu::dyn_smem());", "".join(out))
        if n:
            self.log.append("extern __shared__ rewritten x%d" % n)
        return text


def local_includes(src, root, rel):
    """The quoted includes of a file that exist under the kernel root (paths relative to it)."""
    found = []
    for name in re.findall(r'^\s*#\s*include\s*"([^"]+)"', src, re.M):
        for cand in (name, os.path.join(os.path.dirname(rel), name)):
            if os.path.isfile(os.path.join(root, cand)):
                found.append(os.path.normpath(cand))
                break
    return found


def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    root, out_root, pending = sys.argv[1], sys.argv[2], list(sys.argv[3:])
    tr, seen = Translator(), set()
    while pending:
        rel = os.path.normpath(pending.pop(0))
        if rel in seen:
            continue
        seen.add(rel)
        with open(os.path.join(root, rel)) as f:
            src = f.read()
        tr.log.append("== %s (sha1 %s)" % (rel, hashlib.sha1(src.encode()).hexdigest()))
        write_if_changed(os.path.join(out_root, rel), tr.source(src))
        pending += local_includes(src, root, rel)
    write_if_changed(os.path.join(out_root, "TRANSLATION_LOG.txt"), "\n".join(tr.log) + "\n")


if __name__ == "__main__":
    main()
