// libptxkit.so must not depend on libcudart or libcuda: it opens the driver
// at run time. Reads the DT_NEEDED entries of the built library's dynamic
// section directly (the same list `readelf -d` prints).
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::vector<std::string> needed_libraries(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << path;
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Elf64_Ehdr header{};
    EXPECT_GE(bytes.size(), sizeof(header));
    if (bytes.size() < sizeof(header)) return {};
    std::memcpy(&header, bytes.data(), sizeof(header));
    EXPECT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0) << path << " is not an ELF file";
    EXPECT_EQ(header.e_ident[EI_CLASS], ELFCLASS64);

    auto section = [&](std::size_t i) {
        Elf64_Shdr s{};
        std::memcpy(&s, bytes.data() + header.e_shoff + i * header.e_shentsize, sizeof(s));
        return s;
    };
    std::vector<std::string> needed;
    for (std::size_t i = 0; i < header.e_shnum; ++i) {
        const Elf64_Shdr dynamic = section(i);
        if (dynamic.sh_type != SHT_DYNAMIC) continue;
        const Elf64_Shdr strings = section(dynamic.sh_link);
        for (std::size_t off = 0; off + sizeof(Elf64_Dyn) <= dynamic.sh_size; off += sizeof(Elf64_Dyn)) {
            Elf64_Dyn entry{};
            std::memcpy(&entry, bytes.data() + dynamic.sh_offset + off, sizeof(entry));
            if (entry.d_tag == DT_NULL) break;
            if (entry.d_tag == DT_NEEDED) needed.emplace_back(bytes.data() + strings.sh_offset + entry.d_un.d_val);
        }
    }
    return needed;
}

TEST(Linkage, SharedLibraryNeedsNoCudaLibrary) {
    const auto needed = needed_libraries(PTXKIT_SHARED_LIBRARY_PATH);
    ASSERT_FALSE(needed.empty()) << "no DT_NEEDED entries read from " << PTXKIT_SHARED_LIBRARY_PATH;
    bool has_libc = false;
    for (const auto& lib : needed) {
        EXPECT_EQ(lib.find("libcudart"), std::string::npos) << lib;
        EXPECT_EQ(lib.find("libcuda."), std::string::npos) << lib;
        EXPECT_EQ(lib.find("libcublas"), std::string::npos) << lib;
        EXPECT_EQ(lib.find("libfmt"), std::string::npos) << lib << ": fmt is used header-only";
        has_libc = has_libc || lib.find("libc.so") != std::string::npos;
    }
    EXPECT_TRUE(has_libc) << "the parser found DT_NEEDED entries but not libc: it is reading the wrong table";
}

}  // namespace
