// Reference semantics of every collective, for byte-exact checks of the local transport:
// deterministic integer-valued inputs and the expected output of each rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "workloads/schedule.hpp"

namespace fabricsim::workloads::local {

// Bytes an output buffer holds before the collective; a rank whose output the collective
// does not write (a non-root of reduce) must still hold them afterwards.
inline constexpr std::byte kOutputSentinel{0xA5};

// Integer-valued data (small, so float32 sums over any rank count stay exact).
void fill_input(const Schedule& schedule, std::int32_t rank, std::vector<std::byte>& buffer);
// The same values into the first buffer.size() / element_size elements of `buffer`.
void fill_input(const Schedule& schedule, std::int32_t rank, std::span<std::byte> buffer);

// Elementwise a + b in the schedule's dtype (int32 wraps; float32 IEEE).
void reduce_elements(std::byte* dst, const std::byte* a, const std::byte* b, std::uint64_t count,
                     DataType dtype, ReduceOp op);

// The output every rank must hold after the collective, from the given inputs.
std::vector<std::vector<std::byte>> expected_outputs(
    const Schedule& schedule, const std::vector<std::vector<std::byte>>& inputs);

// The output `rank` must hold after the collective when every rank's input was written by
// fill_input(): elements [first, first + out.size() / element_size) of
// expected_outputs(...)[rank], computed element by element without other ranks' buffers (so a
// process of the hardware runner checks its output block by block in bounded memory). Needs
// only the Schedule's header (a generate_rank() Schedule suffices).
void expected_output(const Schedule& schedule, std::int32_t rank, std::span<std::byte> out,
                     std::uint64_t first = 0);

struct CheckResult {
  bool ok = true;
  std::string message;  // the first mismatch: rank, element, expected and actual value
};

// Compares outputs with expected_outputs() byte for byte.
CheckResult check_result(const Schedule& schedule,
                         const std::vector<std::vector<std::byte>>& inputs,
                         const std::vector<std::vector<std::byte>>& outputs);

}  // namespace fabricsim::workloads::local
