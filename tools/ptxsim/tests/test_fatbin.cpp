// The fatbin reader (common/fatbin.hpp) on fatbins the toolkit's fatbinary
// made at build time (tools/ptxsim/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <algorithm>
#include <string>
#include <vector>

#include "common/fatbin.hpp"

namespace {

using ptxsim::fatbin::Entry;

std::vector<unsigned long long> read_aligned(const std::string& name) {
    std::ifstream in(std::string(PTXSIM_TEST_DATA) + "/" + name, std::ios::binary | std::ios::ate);
    EXPECT_TRUE(in.good()) << name;
    std::string bytes(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())), '\0');
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::vector<unsigned long long> words(bytes.size() / 8 + 2, 0);
    std::memcpy(words.data(), bytes.data(), bytes.size());
    return words;
}

const uint8_t* bytes_of(const std::vector<unsigned long long>& w) { return reinterpret_cast<const uint8_t*>(w.data()); }

TEST(Fatbin, ParsesEveryEntryOfAMultiTargetFatbin) {
    const auto image = read_aligned("tiny_multi.fatbin");
    std::vector<Entry> entries;
    std::string error;
    ASSERT_TRUE(ptxsim::fatbin::parse(bytes_of(image), image.size() * 8, entries, error)) << error;
    ASSERT_EQ(entries.size(), 4u);
    std::vector<std::string> names;
    for (const auto& e : entries) {
        names.push_back(e.arch_name());
        EXPECT_FALSE(e.compressed) << e.arch_name();
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"compute_80", "compute_90a", "sm_80", "sm_90a"}));
    for (const auto& e : entries) {
        if (e.kind != static_cast<uint16_t>(ptxsim::fatbin::EntryKind::Ptx)) {
            EXPECT_EQ(std::memcmp(e.payload, "\x7f" "ELF", 4), 0);
            continue;
        }
        const std::string text(reinterpret_cast<const char*>(e.payload), strnlen(reinterpret_cast<const char*>(e.payload), e.payload_size));
        EXPECT_NE(text.find(".version 8.0"), std::string::npos);
        EXPECT_NE(text.find(e.arch_specific ? ".target sm_90a" : ".target sm_80"), std::string::npos);
        EXPECT_EQ(e.version_major, 8);
        EXPECT_EQ(e.version_minor, 0);
        EXPECT_EQ(e.options, "-O3");
    }
    // sm_90 devices take compute_90a; 8.x and 9.x-but-not-9.0 the plain compute_80.
    const Entry* h100 = ptxsim::fatbin::select_ptx(entries, 90);
    ASSERT_NE(h100, nullptr);
    EXPECT_EQ(h100->arch_name(), "compute_90a");
    const Entry* a100 = ptxsim::fatbin::select_ptx(entries, 80);
    ASSERT_NE(a100, nullptr);
    EXPECT_EQ(a100->arch_name(), "compute_80");
    const Entry* sm86 = ptxsim::fatbin::select_ptx(entries, 86);
    ASSERT_NE(sm86, nullptr);
    EXPECT_EQ(sm86->arch_name(), "compute_80");
    EXPECT_EQ(ptxsim::fatbin::select_ptx(entries, 75), nullptr);
}

TEST(Fatbin, ExtractsOrExplains) {
    const auto multi = read_aligned("tiny_multi.fatbin");
    auto x = ptxsim::fatbin::extract_ptx(multi.data(), 90);
    ASSERT_EQ(x.status, CUDA_SUCCESS) << x.error;
    EXPECT_NE(x.ptx.find(".entry tiny_sm90a"), std::string::npos);
    EXPECT_EQ(x.ptx.find('\0'), std::string::npos);
    EXPECT_NE(x.description.find("compute_90a"), std::string::npos);

    const auto compressed = read_aligned("tiny_compressed.fatbin");
    x = ptxsim::fatbin::extract_ptx(compressed.data(), 90);
    EXPECT_EQ(x.status, CUDA_ERROR_INVALID_IMAGE);
    EXPECT_NE(x.error.find("compressed"), std::string::npos) << x.error;

    const auto sass = read_aligned("tiny_sass.fatbin");
    x = ptxsim::fatbin::extract_ptx(sass.data(), 90);
    EXPECT_EQ(x.status, CUDA_ERROR_INVALID_IMAGE);
    EXPECT_NE(x.error.find("ptxsim runs PTX; this image has none"), std::string::npos) << x.error;
    EXPECT_NE(x.error.find("sm_90a"), std::string::npos) << x.error;

    const auto only90a = read_aligned("tiny_ptx90a.fatbin");
    x = ptxsim::fatbin::extract_ptx(only90a.data(), 80);
    EXPECT_EQ(x.status, CUDA_ERROR_NO_BINARY_FOR_GPU) << x.error;

    // The wrapper nvcc's host code registers points at the fatbin.
    struct {
        int magic;
        int version;
        const void* data;
        void* unused;
    } wrapper{static_cast<int>(ptxsim::fatbin::kWrapperMagic), 1, multi.data(), nullptr};
    x = ptxsim::fatbin::extract_ptx(&wrapper, 80);
    ASSERT_EQ(x.status, CUDA_SUCCESS) << x.error;
    EXPECT_NE(x.ptx.find(".entry tiny_sm80"), std::string::npos);

    x = ptxsim::fatbin::extract_ptx("// comment\n.version 8.0\n.target sm_80\n", 90);
    EXPECT_EQ(x.status, CUDA_SUCCESS);
    EXPECT_EQ(x.description, "PTX text");

    // A truncated fatbin: the header claims more than there is.
    std::vector<Entry> entries;
    std::string error;
    EXPECT_FALSE(ptxsim::fatbin::parse(bytes_of(multi), 64, entries, error));
    EXPECT_FALSE(error.empty());
}

}  // namespace
