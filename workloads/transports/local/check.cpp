// Reference semantics of every collective for the local transport's byte-exact checks.
#include "workloads/transports/local/check.hpp"

#include <algorithm>
#include <cstring>

namespace fabricsim::workloads::local {

namespace {

std::int32_t input_value(std::int32_t rank, std::uint64_t index) {
  return static_cast<std::int32_t>((static_cast<std::uint64_t>(rank) * 31 + index * 17) % 101) - 50;
}

void store(std::byte* at, DataType dtype, std::int32_t value) {
  if (dtype == DataType::kFloat32) {
    const auto f = static_cast<float>(value);
    std::memcpy(at, &f, sizeof f);
  } else {
    std::memcpy(at, &value, sizeof value);
  }
}

std::string element_text(const std::byte* at, DataType dtype) {
  if (dtype == DataType::kFloat32) {
    float f = 0;
    std::memcpy(&f, at, sizeof f);
    return std::to_string(f);
  }
  std::int32_t v = 0;
  std::memcpy(&v, at, sizeof v);
  return std::to_string(v);
}

}  // namespace

void fill_input(const Schedule& schedule, std::int32_t rank, std::vector<std::byte>& buffer) {
  fill_input(schedule, rank, std::span<std::byte>(buffer));
}

void fill_input(const Schedule& schedule, std::int32_t rank, std::span<std::byte> buffer) {
  const std::uint64_t esize = schedule.element_size();
  const std::uint64_t count = buffer.size() / esize;
  for (std::uint64_t i = 0; i < count; ++i) {
    store(buffer.data() + i * esize, schedule.dtype, input_value(rank, i));
  }
}

void reduce_elements(std::byte* dst, const std::byte* a, const std::byte* b, std::uint64_t count,
                     DataType dtype, ReduceOp op) {
  (void)op;  // kSum is the only reduction
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = i * 4;
    if (dtype == DataType::kFloat32) {
      float x = 0;
      float y = 0;
      std::memcpy(&x, a + at, 4);
      std::memcpy(&y, b + at, 4);
      const float z = x + y;
      std::memcpy(dst + at, &z, 4);
    } else {
      std::uint32_t x = 0;
      std::uint32_t y = 0;
      std::memcpy(&x, a + at, 4);
      std::memcpy(&y, b + at, 4);
      const std::uint32_t z = x + y;
      std::memcpy(dst + at, &z, 4);
    }
  }
}

std::vector<std::vector<std::byte>> expected_outputs(
    const Schedule& schedule, const std::vector<std::vector<std::byte>>& inputs) {
  const std::int32_t n = schedule.nranks;
  const auto un = static_cast<std::size_t>(n);
  const std::uint64_t esize = schedule.element_size();
  const std::uint64_t count = schedule.count;
  std::vector<std::vector<std::byte>> expected(un);
  for (std::size_t r = 0; r < un; ++r) {
    expected[r].assign(schedule.ranks[r].output_count * esize, kOutputSentinel);
  }
  // The elementwise sum of every rank's whole input, summed in rank order.
  auto total = [&]() {
    std::vector<std::byte> sum(inputs[0]);
    for (std::size_t q = 1; q < un; ++q) {
      reduce_elements(sum.data(), sum.data(), inputs[q].data(), sum.size() / esize, schedule.dtype,
                      schedule.reduce_op);
    }
    return sum;
  };
  switch (schedule.op) {
    case CollectiveOp::kAllReduce: {
      const std::vector<std::byte> sum = total();
      for (auto& e : expected)
        e = sum;
      break;
    }
    case CollectiveOp::kReduce:
      expected[static_cast<std::size_t>(schedule.root)] = total();
      break;
    case CollectiveOp::kReduceScatter: {
      const std::vector<std::byte> sum = total();
      for (std::int32_t r = 0; r < n; ++r) {
        const Range c = input_chunk(count, n, r);
        if (c.count == 0) continue;
        std::memcpy(expected[static_cast<std::size_t>(r)].data(), sum.data() + c.offset * esize,
                    c.count * esize);
      }
      break;
    }
    case CollectiveOp::kAllGather:
      for (std::size_t r = 0; r < un; ++r) {
        for (std::int32_t q = 0; q < n; ++q) {
          const Range c = input_chunk(count, n, q);
          if (c.count == 0) continue;
          std::memcpy(expected[r].data() + c.offset * esize,
                      inputs[static_cast<std::size_t>(q)].data(), c.count * esize);
        }
      }
      break;
    case CollectiveOp::kAllToAll:
      for (std::size_t r = 0; r < un; ++r) {
        for (std::size_t q = 0; q < un; ++q) {
          if (count == 0) continue;
          std::memcpy(expected[r].data() + q * count * esize, inputs[q].data() + r * count * esize,
                      count * esize);
        }
      }
      break;
    case CollectiveOp::kBroadcast:
      for (auto& e : expected)
        e = inputs[static_cast<std::size_t>(schedule.root)];
      break;
    case CollectiveOp::kSendRecv:
      for (std::size_t r = 0; r < un; ++r)
        expected[r] = inputs[(r + un - 1) % un];
      break;
  }
  return expected;
}

namespace {

// Rank `q`'s input element `index` summed over ranks [0, n) in rank order, in the dtype's
// arithmetic (as reduce_elements does it), stored at `at`.
void store_sum(std::byte* at, DataType dtype, std::int32_t n, std::uint64_t index) {
  if (dtype == DataType::kFloat32) {
    float sum = static_cast<float>(input_value(0, index));
    for (std::int32_t q = 1; q < n; ++q)
      sum += static_cast<float>(input_value(q, index));
    std::memcpy(at, &sum, sizeof sum);
  } else {
    auto sum = static_cast<std::uint32_t>(input_value(0, index));
    for (std::int32_t q = 1; q < n; ++q)
      sum += static_cast<std::uint32_t>(input_value(q, index));
    std::memcpy(at, &sum, sizeof sum);
  }
}

}  // namespace

void expected_output(const Schedule& schedule, std::int32_t rank, std::span<std::byte> out,
                     std::uint64_t first) {
  const std::int32_t n = schedule.nranks;
  const std::uint64_t esize = schedule.element_size();
  const std::uint64_t count = schedule.count;
  const DataType dtype = schedule.dtype;
  const std::uint64_t last = first + out.size() / esize;  // elements [first, last)
  std::byte* data = out.data();
  // Stores `value(j)` for the output elements j of [begin, end) inside the block.
  const auto fill = [&](std::uint64_t begin, std::uint64_t end, auto value) {
    for (std::uint64_t j = std::max(begin, first); j < std::min(end, last); ++j)
      value(data + (j - first) * esize, j);
  };
  const auto sum_at = [&](std::uint64_t shift) {
    return [&, shift](std::byte* at, std::uint64_t j) { store_sum(at, dtype, n, shift + j); };
  };
  const auto input_of = [&](std::int32_t q, std::uint64_t begin, std::uint64_t from) {
    return [&, q, begin, from](std::byte* at, std::uint64_t j) {
      store(at, dtype, input_value(q, from + (j - begin)));
    };
  };
  switch (schedule.op) {
    case CollectiveOp::kAllReduce:
      fill(first, last, sum_at(0));
      break;
    case CollectiveOp::kReduce:
      if (rank != schedule.root) {
        std::fill(out.begin(), out.end(), kOutputSentinel);
        break;
      }
      fill(first, last, sum_at(0));
      break;
    case CollectiveOp::kReduceScatter:
      fill(first, last, sum_at(input_chunk(count, n, rank).offset));
      break;
    case CollectiveOp::kAllGather:
      for (std::int32_t q = 0; q < n; ++q) {
        const Range c = input_chunk(count, n, q);
        fill(c.offset, c.end(), input_of(q, c.offset, 0));
      }
      break;
    case CollectiveOp::kAllToAll:
      for (std::int32_t q = 0; q < n; ++q) {
        const std::uint64_t base = static_cast<std::uint64_t>(q) * count;
        fill(base, base + count, input_of(q, base, static_cast<std::uint64_t>(rank) * count));
      }
      break;
    case CollectiveOp::kBroadcast:
      fill(first, last, input_of(schedule.root, 0, 0));
      break;
    case CollectiveOp::kSendRecv:
      fill(first, last, input_of((rank + n - 1) % n, 0, 0));
      break;
  }
}

CheckResult check_result(const Schedule& schedule,
                         const std::vector<std::vector<std::byte>>& inputs,
                         const std::vector<std::vector<std::byte>>& outputs) {
  const std::vector<std::vector<std::byte>> expected = expected_outputs(schedule, inputs);
  const std::uint64_t esize = schedule.element_size();
  for (std::size_t r = 0; r < expected.size(); ++r) {
    if (outputs.size() <= r || outputs[r].size() != expected[r].size()) {
      return CheckResult{false, "rank " + std::to_string(r) + ": output size differs"};
    }
    for (std::size_t b = 0; b < expected[r].size(); ++b) {
      if (outputs[r][b] == expected[r][b]) continue;
      const std::size_t element = b / esize;
      const std::byte* want = expected[r].data() + element * esize;
      const std::byte* got = outputs[r].data() + element * esize;
      return CheckResult{false, std::string(to_string(schedule.op)) + "/" + schedule.algorithm +
                                    ": rank " + std::to_string(r) + " element " +
                                    std::to_string(element) + ": expected " +
                                    element_text(want, schedule.dtype) + ", got " +
                                    element_text(got, schedule.dtype)};
    }
  }
  return CheckResult{};
}

}  // namespace fabricsim::workloads::local
