// The embedded module table: every module is there with a fatbin, SASS for
// each declared target, and the resources ptxas reported.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <string>

#include "ptxkit/ptxkit.hpp"
#include "runtime/embedded_module.hpp"

namespace {

TEST(ModuleTable, HasTheFoundationModules) {
    std::set<std::string> names;
    for (const auto& m : ptxkit::embedded_modules()) names.insert(m.name);
    EXPECT_TRUE(names.count("memory.copy"));
    EXPECT_TRUE(names.count("util.convert"));
    EXPECT_TRUE(names.count("util.l2_flush"));
}

TEST(ModuleTable, FatbinsAreFatbins) {
    for (const auto* m : ptxkit::detail::embedded::all_modules()) {
        ASSERT_GT(m->fatbin_size, 16u) << m->name;
        std::uint32_t magic = 0;
        std::memcpy(&magic, m->fatbin, sizeof(magic));
        EXPECT_EQ(magic, 0xBA55ED50u) << m->name << ": not a fatbin (nvcc's fatbinary magic)";
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m->fatbin) % 8, 0u) << m->name;
        EXPECT_EQ(ptxkit::detail::embedded::find_module(m->name), m);
    }
    EXPECT_EQ(ptxkit::detail::embedded::find_module("no.such.module"), nullptr);
}

TEST(ModuleTable, EveryKernelHasEveryDeclaredTarget) {
    for (const auto& m : ptxkit::embedded_modules()) {
        std::map<std::string, std::set<std::string>> archs_of;
        for (const auto& k : ptxkit::embedded_kernels()) {
            if (k.module == m.name) archs_of[k.kernel].insert(k.arch);
        }
        ASSERT_FALSE(archs_of.empty()) << m.name << " lists no kernel";
        for (const auto& [kernel, archs] : archs_of) {
            std::string joined;
            for (const auto& a : archs) joined += (joined.empty() ? "" : ",") + a;
            EXPECT_EQ(joined, m.sass_archs) << m.name << "/" << kernel;
        }
    }
}

TEST(ModuleTable, FoundationKernelsAreHotAndDoNotSpill) {
    int seen = 0;
    for (const auto& k : ptxkit::embedded_kernels()) {
        if (k.module != "memory.copy" && k.module != "util.convert" && k.module != "util.l2_flush") continue;
        ++seen;
        EXPECT_TRUE(k.hot) << k.module << "/" << k.kernel;
        EXPECT_GT(k.registers, 0) << k.module << "/" << k.kernel << " " << k.arch;
        EXPECT_EQ(k.spill_store_bytes + k.spill_load_bytes, 0) << k.kernel << " " << k.arch;
        EXPECT_EQ(k.stack_bytes, 0) << k.kernel << " " << k.arch;
    }
    EXPECT_EQ(seen, 2 * (2 + 4 + 1)) << "copy (2 kernels), convert (4), l2_flush (1), on sm_80 and sm_90a";
}

TEST(ModuleTable, GenericModulesCarryPtxForNewerGpus) {
    for (const auto& m : ptxkit::embedded_modules()) {
        if (m.name == "memory.copy" || m.name == "util.convert" || m.name == "util.l2_flush") {
            EXPECT_EQ(m.ptx_arch, "compute_80") << m.name;
        }
    }
}

}  // namespace
