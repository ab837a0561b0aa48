// The bad-input table (tests/support/bad_input_table.hpp) without a device:
// every row whose check runs before any driver call is rejected with
// invalid_argument and a message "<op>: argument '<name>': expected ...",
// and every valid empty call is accepted without touching the driver. The
// pointers are fake and never dereferenced. tests/gpu/test_bad_input.cpp runs
// the same rows with real buffers and also proves that nothing was launched.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ptxkit/ptxkit.hpp"
#include "support/bad_input_moe_gemm.hpp"
#include "support/bad_input_table.hpp"
#include "support/expect_error.hpp"

namespace {

namespace bad_input = ptxkit::testing::bad_input;

void run_rows(const char* op, const std::vector<bad_input::Row>& table = bad_input::rows()) {
    const bad_input::Arena arena = bad_input::fake_arena();
    int checked = 0;
    for (const bad_input::Row& row : table) {
        if (std::string(row.op) != op || row.needs_device) continue;
        SCOPED_TRACE(std::string(op) + ": " + row.what);
        ++checked;
        if (row.expected == nullptr) {
            EXPECT_NO_THROW(row.call(arena)) << "a valid empty call was rejected";
            continue;
        }
        const std::string message = ptxkit::testing::expect_invalid_argument([&] { row.call(arena); });
        EXPECT_EQ(message.rfind(std::string(op) + ": argument '", 0), 0u) << message;
        EXPECT_NE(message.find(row.expected), std::string::npos) << "want: " << row.expected << "\n got: " << message;
    }
    EXPECT_GT(checked, 0) << "no rows for " << op;
}

TEST(BadInputCpu, Copy) { run_rows("ptxkit::copy"); }
TEST(BadInputCpu, Convert) { run_rows("ptxkit::convert"); }
TEST(BadInputCpu, FlushL2) { run_rows("ptxkit::flush_l2"); }
TEST(BadInputCpu, Gemm) { run_rows("ptxkit::gemm"); }
TEST(BadInputCpu, TopkSoftmax) { run_rows("ptxkit::moe::topk_softmax"); }
TEST(BadInputCpu, TopkGroupedSigmoid) { run_rows("ptxkit::moe::topk_grouped_sigmoid"); }
TEST(BadInputCpu, Align) { run_rows("ptxkit::moe::align"); }
TEST(BadInputCpu, Permute) { run_rows("ptxkit::moe::permute"); }
TEST(BadInputCpu, Combine) { run_rows("ptxkit::moe::combine"); }
TEST(BadInputCpu, AttentionPrefill) { run_rows("ptxkit::attention_prefill"); }
TEST(BadInputCpu, AttentionDecode) { run_rows("ptxkit::attention_decode"); }
TEST(BadInputCpu, GroupedGemm) { run_rows("ptxkit::moe::grouped_gemm", bad_input::moe_gemm_rows()); }
TEST(BadInputCpu, GroupedGemmMasked) { run_rows("ptxkit::moe::grouped_gemm_masked", bad_input::moe_gemm_rows()); }
TEST(BadInputCpu, FusedMoe) { run_rows("ptxkit::moe::fused_moe", bad_input::moe_gemm_rows()); }

TEST(BadInputCpu, EveryRowBelongsToATestedOp) {
    const std::string ops[] = {"ptxkit::copy", "ptxkit::convert", "ptxkit::flush_l2",
                               "ptxkit::gemm", "ptxkit::moe::topk_softmax", "ptxkit::moe::topk_grouped_sigmoid",
                               "ptxkit::moe::align", "ptxkit::moe::permute", "ptxkit::moe::combine",
                               "ptxkit::attention_prefill", "ptxkit::attention_decode"};
    for (const auto& row : bad_input::rows()) {
        bool known = false;
        for (const auto& op : ops) known = known || op == row.op;
        EXPECT_TRUE(known) << row.op << ": " << row.what;
    }
}

// Inputs the library once accepted (element alignment, strided spans beyond
// the address space, copy sizes that wrap), found by the fuzzer: now rejected.
// Run without a driver, so that a row accepted by mistake stops at "no
// driver" instead of launching on fake pointers.
TEST(BadInputCpu, FormerGapsAreRejected) {
    if (ptxkit::driver_available()) GTEST_SKIP() << "a driver is present: accepted rows would launch on fake pointers";
    const bad_input::Arena arena = bad_input::fake_arena();
    for (const bad_input::Row& row : bad_input::known_gaps()) {
        SCOPED_TRACE(std::string(row.op) + ": " + row.what);
        const std::string message = ptxkit::testing::expect_invalid_argument([&] { row.call(arena); });
        EXPECT_NE(message.find(row.expected), std::string::npos) << "want: " << row.expected << "\n got: " << message;
    }
}

}  // namespace
