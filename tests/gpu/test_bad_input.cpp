// The bad-input table (tests/support/bad_input_table.hpp) on a GPU, one test
// per op. The other arguments of every row are real, zero-filled device
// buffers, and each op's baseline (the row's call with nothing broken) is run
// first and must succeed and launch, so a row's rejection is due to its one
// bad argument. Every row: ptxkit::Error(invalid_argument), the message
// "<op>: argument '<name>': expected ...", and no kernel launched by this
// thread (detail::launches_on_this_thread() unchanged). Valid empty calls:
// accepted, nothing launched. Afterwards the context is still usable.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/launch.hpp"
#include "support/bad_input_moe_gemm.hpp"
#include "support/bad_input_table.hpp"
#include "support/expect_error.hpp"

namespace {

namespace bad_input = ptxkit::testing::bad_input;
using ptxkit::testing::DeviceBuffer;

class BadInput : public ptxkit::testing::GpuTest {
protected:
    void SetUp() override {
        GpuTest::SetUp();
        if (IsSkipped()) return;
        arena_ = bad_input::fake_arena();  // keeps the far (fake) pointers for oversized rows
        for (int i = 0; i < bad_input::kSlots; ++i) {
            slots_.emplace_back(bad_input::kSlotBytes);
            slots_.back().fill(0);  // an accidental launch would read zeros: pair 0, total 0, expert 0
            arena_.slot[static_cast<std::size_t>(i)] = slots_.back().get();
        }
        flush_ = DeviceBuffer(ptxkit::l2_flush_bytes());
        arena_.flush_scratch = flush_.get();
        arena_.flush_bytes = flush_.bytes();
        stream_ = std::make_unique<ptxkit::testing::Stream>();
        arena_.stream = stream_->get();
    }

    void run_rows(const char* op, const std::vector<bad_input::Row>& table = bad_input::rows(),
                  const std::vector<bad_input::Baseline>& valid_calls = bad_input::baselines()) {
        // The baselines: valid, and they launch.
        int baselines = 0;
        for (const bad_input::Baseline& b : valid_calls) {
            if (std::string(b.op) != op) continue;
            ++baselines;
            const std::uint64_t before = ptxkit::detail::launches_on_this_thread();
            try {
                b.call(arena_);
            } catch (const ptxkit::Error& e) {
                ADD_FAILURE() << op << " baseline " << b.what << " failed: " << e.what();
                continue;
            }
            EXPECT_GT(ptxkit::detail::launches_on_this_thread(), before) << op << " baseline " << b.what;
            stream_->synchronize();
        }
        EXPECT_GT(baselines, 0) << "no baseline for " << op;

        int rows = 0;
        for (const bad_input::Row& row : table) {
            if (std::string(row.op) != op) continue;
            SCOPED_TRACE(std::string(op) + ": " + row.what);
            ++rows;
            const std::uint64_t before = ptxkit::detail::launches_on_this_thread();
            if (row.expected == nullptr) {
                EXPECT_NO_THROW(row.call(arena_)) << "a valid empty call was rejected";
            } else {
                const std::string message = ptxkit::testing::expect_invalid_argument([&] { row.call(arena_); });
                EXPECT_EQ(message.rfind(std::string(op) + ": argument '", 0), 0u) << message;
                EXPECT_NE(message.find(row.expected), std::string::npos)
                    << "want: " << row.expected << "\n got: " << message;
            }
            EXPECT_EQ(ptxkit::detail::launches_on_this_thread(), before) << "a kernel was launched";
        }
        EXPECT_GT(rows, 0) << "no rows for " << op;

        // Nothing above faulted or poisoned the context: a valid call still runs.
        stream_->synchronize();
        ptxkit::copy(arena_.at(1), arena_.at(0), 256, stream_->get());
        stream_->synchronize();
    }

    bad_input::Arena arena_;
    std::vector<DeviceBuffer> slots_;
    DeviceBuffer flush_;
    std::unique_ptr<ptxkit::testing::Stream> stream_;  // created in SetUp: there may be no driver
};

TEST_F(BadInput, Copy) { run_rows("ptxkit::copy"); }
TEST_F(BadInput, Convert) { run_rows("ptxkit::convert"); }
TEST_F(BadInput, FlushL2) { run_rows("ptxkit::flush_l2"); }
TEST_F(BadInput, Gemm) { run_rows("ptxkit::gemm"); }
TEST_F(BadInput, TopkSoftmax) { run_rows("ptxkit::moe::topk_softmax"); }
TEST_F(BadInput, TopkGroupedSigmoid) { run_rows("ptxkit::moe::topk_grouped_sigmoid"); }
TEST_F(BadInput, Align) { run_rows("ptxkit::moe::align"); }
TEST_F(BadInput, Permute) { run_rows("ptxkit::moe::permute"); }
TEST_F(BadInput, Combine) { run_rows("ptxkit::moe::combine"); }
TEST_F(BadInput, AttentionPrefill) { run_rows("ptxkit::attention_prefill"); }
TEST_F(BadInput, AttentionDecode) { run_rows("ptxkit::attention_decode"); }
TEST_F(BadInput, GroupedGemm) {
    run_rows("ptxkit::moe::grouped_gemm", bad_input::moe_gemm_rows(), bad_input::moe_gemm_baselines());
}
TEST_F(BadInput, GroupedGemmMasked) {
    run_rows("ptxkit::moe::grouped_gemm_masked", bad_input::moe_gemm_rows(), bad_input::moe_gemm_baselines());
}
TEST_F(BadInput, FusedMoe) {
    run_rows("ptxkit::moe::fused_moe", bad_input::moe_gemm_rows(), bad_input::moe_gemm_baselines());
}

}  // namespace
