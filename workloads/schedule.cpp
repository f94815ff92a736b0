// Schedule IR helpers: buffer sizes, JSON form and the structural validator.
#include "workloads/schedule.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>

namespace fabricsim::workloads {

std::string_view to_string(OpKind kind) {
  switch (kind) {
    case OpKind::kSend:
      return "send";
    case OpKind::kRecv:
      return "recv";
    case OpKind::kRecvReduce:
      return "recv_reduce";
    case OpKind::kRecvReduceSend:
      return "recv_reduce_send";
    case OpKind::kRecvCopySend:
      return "recv_copy_send";
    case OpKind::kCopy:
      return "copy";
    case OpKind::kReduce:
      return "reduce";
    case OpKind::kGroupAllReduce:
      return "group_allreduce";
  }
  return "?";
}

std::uint64_t Schedule::total_ops() const {
  std::uint64_t total = 0;
  for (const RankProgram& program : ranks)
    total += program.ops.size();
  return total;
}

Range input_chunk(std::uint64_t count, std::int32_t nranks, std::int32_t rank) {
  return split_range(count, static_cast<std::uint64_t>(nranks), static_cast<std::uint64_t>(rank));
}

void buffer_counts(CollectiveOp op, std::uint64_t count, std::int32_t nranks, std::int32_t rank,
                   std::uint64_t& input_count, std::uint64_t& output_count) {
  const auto n = static_cast<std::uint64_t>(nranks);
  switch (op) {
    case CollectiveOp::kReduceScatter:
      input_count = count;
      output_count = input_chunk(count, nranks, rank).count;
      return;
    case CollectiveOp::kAllGather:
      input_count = input_chunk(count, nranks, rank).count;
      output_count = count;
      return;
    case CollectiveOp::kAllToAll:
      input_count = output_count = n * count;
      return;
    default:
      input_count = output_count = count;
      return;
  }
}

std::uint64_t collective_bytes(const Schedule& schedule) {
  std::uint64_t input = 0;
  std::uint64_t output = 0;
  buffer_counts(schedule.op, schedule.count, schedule.nranks, 0, input, output);
  std::uint64_t elements = schedule.count;
  if (schedule.op == CollectiveOp::kAllToAll) elements = input;
  return elements * schedule.element_size();
}

std::uint64_t size_unit_bytes(CollectiveOp op, DataType dtype, std::int32_t nranks) {
  const std::uint64_t element = dtype_size(dtype);
  return op == CollectiveOp::kAllToAll ? element * static_cast<std::uint64_t>(nranks) : element;
}

namespace {

nlohmann::json loc_json(const Loc& loc) {
  return nlohmann::json{{"buffer", to_string(loc.buffer)}, {"offset", loc.offset}};
}

nlohmann::json op_json(const RankProgram& program, std::size_t index) {
  const Op& op = program.ops[index];
  nlohmann::json j;
  j["index"] = index;
  j["kind"] = to_string(op.kind);
  j["channel"] = op.channel;
  j["count"] = op.count;
  if (has_recv(op.kind)) {
    j["from"] = op.peer;
    j["recv_tag"] =
        nlohmann::json{{"channel", tag_channel(op.recv_tag)}, {"seq", tag_sequence(op.recv_tag)}};
  }
  if (has_send(op.kind)) {
    j["to"] = send_target(op);
    j["send_tag"] =
        nlohmann::json{{"channel", tag_channel(op.send_tag)}, {"seq", tag_sequence(op.send_tag)}};
  }
  switch (op.kind) {
    case OpKind::kSend:
      j["src"] = loc_json(op.src);
      break;
    case OpKind::kRecv:
    case OpKind::kRecvCopySend:
      j["dst"] = loc_json(op.dst);
      break;
    case OpKind::kCopy:
      j["src"] = loc_json(op.src);
      j["dst"] = loc_json(op.dst);
      break;
    case OpKind::kRecvReduce:
    case OpKind::kRecvReduceSend:
    case OpKind::kReduce:
      j["src"] = loc_json(op.src);
      j["stage"] = loc_json(op.stage);
      j["dst"] = loc_json(op.dst);
      break;
    case OpKind::kGroupAllReduce:
      j["group"] = group_of(op);
      j["group_tag"] =
          nlohmann::json{{"channel", tag_channel(op.send_tag)}, {"seq", tag_sequence(op.send_tag)}};
      j["src"] = loc_json(op.src);
      j["dst"] = loc_json(op.dst);
      break;
  }
  nlohmann::json deps = nlohmann::json::array();
  for (std::uint32_t d = 0; d < op.deps_count; ++d)
    deps.push_back(program.deps[op.deps_begin + d]);
  j["deps"] = std::move(deps);
  return j;
}

}  // namespace

nlohmann::json to_json(const Schedule& schedule) {
  nlohmann::json j;
  j["op"] = to_string(schedule.op);
  j["algorithm"] = schedule.algorithm;
  j["nranks"] = schedule.nranks;
  j["count"] = schedule.count;
  j["dtype"] = to_string(schedule.dtype);
  j["element_bytes"] = schedule.element_size();
  j["reduce_op"] = to_string(schedule.reduce_op);
  j["channels"] = schedule.channels;
  j["slice_bytes"] = schedule.slice_bytes;
  j["root"] = schedule.root;
  j["ranks_per_node"] = schedule.ranks_per_node;
  if (!schedule.groups.empty()) j["groups"] = schedule.groups;
  nlohmann::json ranks = nlohmann::json::array();
  for (std::size_t r = 0; r < schedule.ranks.size(); ++r) {
    const RankProgram& program = schedule.ranks[r];
    nlohmann::json rank{{"rank", r},
                        {"input_count", program.input_count},
                        {"output_count", program.output_count},
                        {"scratch_count", program.scratch_count}};
    nlohmann::json ops = nlohmann::json::array();
    for (std::size_t i = 0; i < program.ops.size(); ++i)
      ops.push_back(op_json(program, i));
    rank["ops"] = std::move(ops);
    ranks.push_back(std::move(rank));
  }
  j["ranks"] = std::move(ranks);
  return j;
}

namespace {

std::string where(std::size_t rank, std::size_t index) {
  return "rank " + std::to_string(rank) + " op " + std::to_string(index);
}

std::uint64_t buffer_size(const RankProgram& program, BufferId buffer) {
  switch (buffer) {
    case BufferId::kInput:
      return program.input_count;
    case BufferId::kOutput:
      return program.output_count;
    case BufferId::kScratch:
      return program.scratch_count;
  }
  return 0;
}

}  // namespace

std::vector<std::string> validate(const Schedule& schedule) {
  std::vector<std::string> problems;
  if (schedule.nranks < 1 || schedule.ranks.size() != static_cast<std::size_t>(schedule.nranks)) {
    problems.push_back("nranks " + std::to_string(schedule.nranks) + " but " +
                       std::to_string(schedule.ranks.size()) + " rank programs");
    return problems;
  }
  using Key = std::tuple<std::int32_t, std::int32_t, std::uint64_t>;  // src, dst, tag
  struct End {
    std::uint64_t count;
    std::size_t op;
  };
  std::map<Key, End> sends;
  std::map<Key, End> recvs;
  for (std::size_t g = 0; g < schedule.groups.size(); ++g) {
    const std::vector<std::int32_t>& members = schedule.groups[g];
    bool ascending = members.size() >= 2;
    for (std::size_t k = 0; k < members.size(); ++k) {
      if (members[k] < 0 || members[k] >= schedule.nranks) ascending = false;
      if (k > 0 && members[k] <= members[k - 1]) ascending = false;
    }
    if (!ascending) {
      problems.push_back("group " + std::to_string(g) +
                         ": expected at least two distinct ranks below nranks, ascending");
    }
  }
  // Group instances: (group, tag) -> the ops of its members, by member position.
  struct Instance {
    std::uint64_t count;
    std::vector<std::size_t> op;  // per member, or kMissing
  };
  constexpr std::size_t kMissing = ~std::size_t{0};
  std::map<std::pair<std::uint32_t, std::uint64_t>, Instance> instances;
  for (std::size_t r = 0; r < schedule.ranks.size(); ++r) {
    const RankProgram& program = schedule.ranks[r];
    const auto self = static_cast<std::int32_t>(r);
    for (std::size_t i = 0; i < program.ops.size(); ++i) {
      const Op& op = program.ops[i];
      if (op.channel >= schedule.channels) {
        problems.push_back(where(r, i) + ": channel " + std::to_string(op.channel) +
                           " >= channels " + std::to_string(schedule.channels));
      }
      if (static_cast<std::uint64_t>(op.deps_begin) + op.deps_count > program.deps.size()) {
        problems.push_back(where(r, i) + ": dependency list out of range");
      } else {
        for (std::uint32_t d = 0; d < op.deps_count; ++d) {
          if (program.deps[op.deps_begin + d] >= i) {
            problems.push_back(where(r, i) + ": depends on op " +
                               std::to_string(program.deps[op.deps_begin + d]) +
                               " which is not earlier");
          }
        }
      }
      auto check_range = [&](const Loc& loc, const char* what) {
        const std::uint64_t size = buffer_size(program, loc.buffer);
        if (loc.offset > size || op.count > size - loc.offset) {
          problems.push_back(where(r, i) + ": " + what + " " + std::string(to_string(loc.buffer)) +
                             "[" + std::to_string(loc.offset) + ", +" + std::to_string(op.count) +
                             ") outside its " + std::to_string(size) + " elements");
        }
      };
      auto check_peer = [&](std::int32_t peer) {
        if (peer < 0 || peer >= schedule.nranks || peer == self) {
          problems.push_back(where(r, i) + ": invalid peer " + std::to_string(peer));
          return false;
        }
        return true;
      };
      if (has_recv(op.kind)) {
        if (check_peer(op.peer)) {
          const Key key{op.peer, self, op.recv_tag};
          if (!recvs.emplace(key, End{op.count, i}).second) {
            problems.push_back(where(r, i) + ": duplicate recv tag from rank " +
                               std::to_string(op.peer));
          }
        }
        if (tag_channel(op.recv_tag) != op.channel) {
          problems.push_back(where(r, i) + ": recv tag channel differs from the op's channel");
        }
      }
      if (has_send(op.kind)) {
        const std::int32_t to = send_target(op);
        if (check_peer(to)) {
          const Key key{self, to, op.send_tag};
          if (!sends.emplace(key, End{op.count, i}).second) {
            problems.push_back(where(r, i) + ": duplicate send tag to rank " + std::to_string(to));
          }
        }
        if (tag_channel(op.send_tag) != op.channel) {
          problems.push_back(where(r, i) + ": send tag channel differs from the op's channel");
        }
      }
      if (op.kind == OpKind::kGroupAllReduce) {
        const std::uint32_t g = group_of(op);
        if (op.peer < 0 || g >= schedule.groups.size()) {
          problems.push_back(where(r, i) + ": invalid group " + std::to_string(op.peer));
        } else {
          const std::vector<std::int32_t>& members = schedule.groups[g];
          const auto at = std::find(members.begin(), members.end(), self);
          auto [it, inserted] = instances.try_emplace(
              std::pair{g, op.send_tag}, Instance{op.count, std::vector(members.size(), kMissing)});
          if (at == members.end()) {
            problems.push_back(where(r, i) + ": rank is not a member of group " +
                               std::to_string(g));
          } else if (it->second.op[static_cast<std::size_t>(at - members.begin())] != kMissing) {
            problems.push_back(where(r, i) + ": second op of group " + std::to_string(g) +
                               " with the same tag");
          } else {
            it->second.op[static_cast<std::size_t>(at - members.begin())] = i;
          }
          if (!inserted && it->second.count != op.count) {
            problems.push_back(where(r, i) + ": group " + std::to_string(g) + " op of " +
                               std::to_string(op.count) + " elements, another member's of " +
                               std::to_string(it->second.count));
          }
        }
        if (tag_channel(op.send_tag) != op.channel) {
          problems.push_back(where(r, i) + ": group tag channel differs from the op's channel");
        }
      }
      switch (op.kind) {
        case OpKind::kSend:
          check_range(op.src, "src");
          break;
        case OpKind::kGroupAllReduce:
          check_range(op.src, "src");
          check_range(op.dst, "dst");
          break;
        case OpKind::kRecv:
        case OpKind::kRecvCopySend:
          check_range(op.dst, "dst");
          break;
        case OpKind::kCopy:
          check_range(op.src, "src");
          check_range(op.dst, "dst");
          break;
        case OpKind::kRecvReduce:
        case OpKind::kRecvReduceSend:
        case OpKind::kReduce:
          check_range(op.src, "src");
          check_range(op.stage, "stage");
          check_range(op.dst, "dst");
          break;
      }
    }
  }
  for (const auto& [key, send] : sends) {
    const auto [src, dst, tag] = key;
    auto it = recvs.find(key);
    if (it == recvs.end()) {
      problems.push_back(where(static_cast<std::size_t>(src), send.op) + ": send to rank " +
                         std::to_string(dst) + " (channel " + std::to_string(tag_channel(tag)) +
                         ", seq " + std::to_string(tag_sequence(tag)) + ") has no matching recv");
    } else if (it->second.count != send.count) {
      problems.push_back(where(static_cast<std::size_t>(src), send.op) + ": send of " +
                         std::to_string(send.count) + " elements to rank " + std::to_string(dst) +
                         " matched by a recv of " + std::to_string(it->second.count));
    }
  }
  for (const auto& [key, recv] : recvs) {
    const auto [src, dst, tag] = key;
    if (sends.find(key) == sends.end()) {
      problems.push_back(where(static_cast<std::size_t>(dst), recv.op) + ": recv from rank " +
                         std::to_string(src) + " (channel " + std::to_string(tag_channel(tag)) +
                         ", seq " + std::to_string(tag_sequence(tag)) + ") has no matching send");
    }
  }
  for (const auto& [key, instance] : instances) {
    const std::vector<std::int32_t>& members = schedule.groups[key.first];
    for (std::size_t k = 0; k < members.size(); ++k) {
      if (instance.op[k] != kMissing) continue;
      problems.push_back("rank " + std::to_string(members[k]) + ": no op of group " +
                         std::to_string(key.first) + " (channel " +
                         std::to_string(tag_channel(key.second)) + ", seq " +
                         std::to_string(tag_sequence(key.second)) + ") that other members post");
    }
  }
  return problems;
}

void validate_or_throw(const Schedule& schedule) {
  const std::vector<std::string> problems = validate(schedule);
  if (problems.empty()) return;
  std::string message = "invalid schedule (" + schedule.algorithm + "): ";
  for (std::size_t i = 0; i < problems.size() && i < 5; ++i) {
    message += (i ? "; " : "") + problems[i];
  }
  if (problems.size() > 5) message += "; ... " + std::to_string(problems.size()) + " in all";
  throw std::invalid_argument(message);
}

}  // namespace fabricsim::workloads
