"""Tests of the kernel pipeline's log parsing and build rules (no GPU, no nvcc)."""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernel_tool  # noqa: E402

SM90_LOG = """\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'gemm_main' for 'sm_90a'
ptxas info    : Function properties for gemm_main
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 168 registers, used 1 barriers, 213032 bytes smem, 560 bytes cmem[0]
ptxas info    : Function properties for helper_fn
    24 bytes stack frame, 8 bytes spill stores, 8 bytes spill loads
ptxas info    : Compiling entry function 'spilly' for 'sm_90a'
ptxas info    : Function properties for spilly
    40 bytes stack frame, 36 bytes spill stores, 32 bytes spill loads
ptxas info    : Used 255 registers, used 0 barriers, 376 bytes cmem[0]
"""


class ParseTest(unittest.TestCase):
    def test_entries_and_resources(self):
        ks = {k.kernel: k for k in kernel_tool.parse_ptxas_log(SM90_LOG, "sm_90a")}
        self.assertEqual(sorted(ks), ["gemm_main", "spilly"])  # helper_fn is not an entry
        g = ks["gemm_main"]
        self.assertEqual((g.registers, g.shared_bytes, g.barriers, g.stack_bytes), (168, 213032, 1, 0))
        s = ks["spilly"]
        self.assertEqual((s.registers, s.stack_bytes, s.spill_store_bytes, s.spill_load_bytes), (255, 40, 36, 32))
        self.assertEqual(s.arch, "sm_90a")

    def test_hot_kernels_must_not_spill(self):
        ks = kernel_tool.parse_ptxas_log(SM90_LOG, "sm_90a")
        self.assertEqual(kernel_tool.check_hot(ks, ["gemm_main"], "m"), [])
        problems = kernel_tool.check_hot(ks, ["*"], "m")
        self.assertEqual(len(problems), 1)
        self.assertIn("spilly spills on sm_90a", problems[0])
        self.assertIn("is not among", kernel_tool.check_hot(ks, ["typo"], "m")[0])

    def test_wgmma_serialisation_fails_the_build(self):
        log = ("ptxas info    : (C7515) Potential Performance Loss: wgmma.mma_async instructions are serialized "
               "due to the presence of Extern calls in the function 'k'.")
        self.assertEqual(len(kernel_tool.check_log_rules(log, "m")), 1)
        self.assertEqual(kernel_tool.check_log_rules(SM90_LOG, "m"), [])

    def test_render_embeds_bytes_and_table(self):
        ks = kernel_tool.parse_ptxas_log(SM90_LOG, "sm_90a")
        cpp = kernel_tool.render_cpp("gemm.x", "gemm_x", "kernels/gemm/x.cu", "/b/gemm_x.fatbin", 1234, ks,
                                     ["gemm_main"], ["sm_90a"], "none")
        self.assertIn('.incbin \\"/b/gemm_x.fatbin\\"', cpp)
        self.assertIn("ptxkit_fatbin_gemm_x, 1234, kKernels, 2,", cpp)
        self.assertIn('{"gemm_main", "sm_90a", 168, 213032, 0, 0, 0, 1, true},', cpp)
        self.assertIn('{"spilly", "sm_90a", 255, 0, 40, 36, 32, 0, false},', cpp)
        self.assertIn("const EmbeddedModule module_gemm_x = {", cpp)


class FatbinaryCommandTest(unittest.TestCase):
    IMAGES = ["elf:80:/b/m.sm_80.cubin", "elf:90a:/b/m.sm_90a.cubin", "ptx:80:/b/m.compute_80.ptx"]

    def test_release_command_is_unchanged(self):
        cmd, sass, ptx = kernel_tool.fatbinary_command("fatbinary", "/b/m.fatbin", self.IMAGES)
        self.assertEqual(cmd, ["fatbinary", "-64", "--create=/b/m.fatbin",
                               "--image3=kind=elf,sm=80,file=/b/m.sm_80.cubin",
                               "--image3=kind=elf,sm=90a,file=/b/m.sm_90a.cubin",
                               "--image3=kind=ptx,sm=80,file=/b/m.compute_80.ptx"])
        self.assertEqual(sass, ["sm_80", "sm_90a"])
        self.assertEqual(ptx, "compute_80")

    def test_sim_fatbins_pack_uncompressed_ptx_for_every_target(self):
        cmd, sass, ptx = kernel_tool.fatbinary_command("fatbinary", "/b/m.fatbin", self.IMAGES,
                                                       ["90a:/b/m.compute_90a.ptx"], compress=False)
        self.assertIn("--compress=false", cmd)
        self.assertEqual(cmd[-1], "--image3=kind=ptx,sm=90a,file=/b/m.compute_90a.ptx")
        # The module's recorded JIT PTX stays the declared one.
        self.assertEqual((sass, ptx), (["sm_80", "sm_90a"], "compute_80"))


if __name__ == "__main__":
    unittest.main()
