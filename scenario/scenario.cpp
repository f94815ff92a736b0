// Scenario JSON parsing and validation (see scenario.hpp).
#include "scenario/scenario.hpp"

#include "models/params.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/params.hpp"
#include "scenario/timeseries.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"
#include "topologies/hardware_preset.hpp"
#include "topologies/json_file.hpp"
#include "topologies/params_json.hpp"
#include "workloads/nccl/protocol.hpp"

namespace fabricsim::scenario {

using topologies::JsonLocation;
using topologies::throw_config_error;
using Json = nlohmann::json;

namespace {

constexpr std::uint64_t kMaxCount = 1ULL << 32;

// A JSON file; when `referenced_from` names where the scenario points at it, a file that cannot
// be read is reported there.
Json read_json_file(const std::string& path, const JsonLocation& referenced_from) {
  if (!referenced_from.file.empty() && !topologies::readable_file(path)) {
    std::error_code ec;
    throw_config_error(referenced_from, Json(path),
                       std::filesystem::is_directory(path, ec)
                           ? "a JSON file (this is a directory)"
                           : "a readable JSON file (cannot open it)");
  }
  return topologies::read_json_file(path);
}

const Json* find(const Json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::uint32_t read_u32(const Json& v, const JsonLocation& at) {
  return static_cast<std::uint32_t>(topologies::read_count(v, at, kMaxCount - 1));
}

TrafficSpec parse_traffic(const Json& w, const JsonLocation& at, const std::string& base_dir) {
  TrafficSpec t;
  topologies::check_known_keys(
      w, at,
      {"kind", "pattern", "flow_size", "start", "senders", "receiver", "flows_per_host", "load"});
  const Json* pattern = find(w, "pattern");
  if (pattern == nullptr) {
    throw_config_error(at.child("pattern"),
                       "missing; expected one of permutation, incast, all_to_all, uniform");
  }
  const std::string& p = topologies::read_string(*pattern, at.child("pattern"));
  if (p == "permutation") {
    t.pattern = TrafficPattern::kPermutation;
  } else if (p == "incast") {
    t.pattern = TrafficPattern::kIncast;
  } else if (p == "all_to_all") {
    t.pattern = TrafficPattern::kAllToAll;
  } else if (p == "uniform") {
    t.pattern = TrafficPattern::kUniform;
  } else {
    throw_config_error(at.child("pattern"), *pattern,
                       "expected one of permutation, incast, all_to_all, uniform");
  }
  const Json* size = find(w, "flow_size");
  if (size == nullptr) {
    throw_config_error(at.child("flow_size"),
                       "missing; expected a size (\"2MB\") or {\"cdf\": FILE}");
  }
  if (size->is_object()) {
    topologies::check_known_keys(*size, at.child("flow_size"), {"cdf"});
    const Json* file = find(*size, "cdf");
    if (file == nullptr)
      throw_config_error(at.child("flow_size").child("cdf"), "missing; expected a CDF file path");
    const auto& rel = topologies::read_string(*file, at.child("flow_size").child("cdf"));
    // Relative to the scenario file's folder, like a topology path.
    t.cdf = read_size_cdf((std::filesystem::path(base_dir) / rel).lexically_normal().string(),
                          at.child("flow_size").child("cdf"));
  } else {
    t.flow_size = topologies::read_bytes(*size, at.child("flow_size"), 1ULL << 50, false);
    if (t.flow_size == 0) throw_config_error(at.child("flow_size"), *size, "a size above zero");
  }
  if (const Json* v = find(w, "start")) t.start = topologies::read_time(*v, at.child("start"));
  if (const Json* v = find(w, "senders")) t.incast_senders = read_u32(*v, at.child("senders"));
  if (const Json* v = find(w, "receiver")) t.incast_receiver = read_u32(*v, at.child("receiver"));
  if (const Json* v = find(w, "flows_per_host"))
    t.flows_per_host = read_u32(*v, at.child("flows_per_host"));
  if (const Json* v = find(w, "load")) {
    t.load = topologies::read_real(*v, at.child("load"));
    if (!(t.load > 0.0 && t.load <= 1.0))
      throw_config_error(at.child("load"), *v, "a load in (0, 1]");
  }
  return t;
}

std::vector<FlowSpec> parse_flows(const Json& w, const JsonLocation& at) {
  topologies::check_known_keys(w, at, {"kind", "flows"});
  const Json* list = find(w, "flows");
  if (list == nullptr || !list->is_array() || list->empty()) {
    throw_config_error(at.child("flows"), list ? *list : Json(),
                       "a non-empty array of {src, dst, size, start}");
  }
  std::vector<FlowSpec> flows;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& f = (*list)[i];
    const JsonLocation fa = at.child("flows").index(i);
    topologies::require_object(f, fa);
    topologies::check_known_keys(f, fa, {"src", "dst", "size", "start"});
    FlowSpec spec;
    for (const char* key : {"src", "dst", "size"}) {
      if (find(f, key) == nullptr) throw_config_error(fa.child(key), "missing");
    }
    spec.src = read_u32(f["src"], fa.child("src"));
    spec.dst = read_u32(f["dst"], fa.child("dst"));
    spec.bytes = topologies::read_bytes(f["size"], fa.child("size"), 1ULL << 50, false);
    if (const Json* v = find(f, "start")) spec.start = topologies::read_time(*v, fa.child("start"));
    if (spec.src == spec.dst)
      throw_config_error(fa.child("dst"), f["dst"], "a destination other than src");
    flows.push_back(spec);
  }
  return flows;
}

CollectiveSpec parse_collective(const Json& w, const JsonLocation& at) {
  topologies::check_known_keys(w, at,
                               {"kind", "op", "algorithm", "protocol", "size", "ranks", "channels",
                                "slice", "iterations", "dtype"});
  CollectiveSpec c;
  if (const Json* v = find(w, "op")) c.op = topologies::read_string(*v, at.child("op"));
  if (const Json* v = find(w, "algorithm"))
    c.algorithm = topologies::read_string(*v, at.child("algorithm"));
  const Json* size = find(w, "size");
  if (size == nullptr)
    throw_config_error(at.child("size"), "missing; expected bytes per rank (\"1MiB\")");
  c.bytes = topologies::read_bytes(*size, at.child("size"), 1ULL << 44, false);
  if (const Json* v = find(w, "ranks")) {
    if (v->is_string() && v->get<std::string>() == "all") {
      c.ranks.clear();
    } else if (v->is_array()) {
      for (std::size_t i = 0; i < v->size(); ++i)
        c.ranks.push_back(read_u32((*v)[i], at.child("ranks").index(i)));
      if (c.ranks.empty())
        throw_config_error(at.child("ranks"), *v, "\"all\" or a non-empty list of GPU ids");
    } else {
      throw_config_error(at.child("ranks"), *v, "\"all\" or a list of GPU ids");
    }
  }
  if (const Json* v = find(w, "protocol")) {
    c.protocol = topologies::read_string(*v, at.child("protocol"));
    if (c.protocol != "default" && c.protocol != "auto") {
      try {
        workloads::nccl::parse_protocol(c.protocol);
      } catch (const std::invalid_argument&) {
        throw_config_error(at.child("protocol"), *v, "default, auto, ideal, LL, LL128 or Simple");
      }
    }
  }
  if (const Json* v = find(w, "channels")) {
    if (v->is_string() && v->get<std::string>() == "auto") {
      c.channels = 0;
    } else {
      c.channels = read_u32(*v, at.child("channels"));
      if (c.channels == 0 || c.channels > 64)
        throw_config_error(at.child("channels"), *v, "\"auto\" or 1 to 64 channels");
    }
  }
  if (const Json* v = find(w, "slice")) {
    c.slice_given = true;
    c.slice_bytes = v->is_string() && v->get<std::string>() == "none"
                        ? 0
                        : topologies::read_bytes(*v, at.child("slice"), 1ULL << 40, false);
  }
  if (const Json* v = find(w, "iterations")) c.iterations = read_u32(*v, at.child("iterations"));
  if (c.iterations == 0) throw_config_error(at.child("iterations"), Json(0), "at least 1");
  if (const Json* v = find(w, "dtype")) {
    c.dtype = topologies::read_string(*v, at.child("dtype"));
    if (c.dtype != "float32" && c.dtype != "int32")
      throw_config_error(at.child("dtype"), *v, "float32 or int32");
  }
  return c;
}

OutputSpec parse_timeseries(const Json& ts, const JsonLocation& ta, OutputSpec out) {
  topologies::require_object(ts, ta);
  topologies::check_known_keys(ts, ta, {"interval", "metrics", "ports", "max_ports", "qps"});
  const Json* interval = find(ts, "interval");
  if (interval == nullptr)
    throw_config_error(ta.child("interval"), "missing; expected a time (\"10us\")");
  out.timeseries_interval = topologies::read_time(*interval, ta.child("interval"));
  // 1 ns: finer than any packet event of interest (64 B serialise in 0.64 ns at 800G) and the
  // floor that keeps a run's samples from outnumbering its packet events.
  if (out.timeseries_interval < sim::Time::ns(1))
    throw_config_error(ta.child("interval"), *interval, "a time of at least 1ns");
  const auto& known = known_metrics();
  std::string known_list;
  for (const auto& k : known)
    known_list += (known_list.empty() ? "one of " : ", ") + k;
  if (const Json* m = find(ts, "metrics")) {
    if (!m->is_array()) throw_config_error(ta.child("metrics"), *m, "an array of metric names");
    for (std::size_t i = 0; i < m->size(); ++i) {
      const auto& name = topologies::read_string((*m)[i], ta.child("metrics").index(i));
      if (std::find(known.begin(), known.end(), name) == known.end())
        throw_config_error(ta.child("metrics").index(i), (*m)[i], known_list);
      if (std::find(out.metrics.begin(), out.metrics.end(), name) != out.metrics.end())
        throw_config_error(ta.child("metrics").index(i), (*m)[i], "each metric once");
      out.metrics.push_back(name);
    }
  } else {
    out.metrics = {"queue_bytes", "link_utilization"};
  }
  if (const Json* v = find(ts, "max_ports")) {
    out.max_ports = read_u32(*v, ta.child("max_ports"));
    if (out.max_ports == 0) throw_config_error(ta.child("max_ports"), *v, "at least 1");
  }
  if (const Json* v = find(ts, "qps")) out.qps = topologies::read_flag(*v, ta.child("qps"));
  if (const Json* v = find(ts, "ports")) {
    const JsonLocation pa = ta.child("ports");
    constexpr const char* kExpected =
        "\"all\", \"none\" or a list of {\"switch\": N} / {\"switch\": N, \"port\": P}";
    if (v->is_string()) {
      const auto& word = v->get<std::string>();
      if (word == "all") {
        out.port_set = PortSet::kAll;
      } else if (word == "none") {
        out.port_set = PortSet::kNone;
      } else {
        throw_config_error(pa, *v, kExpected);
      }
    } else if (v->is_array() && !v->empty()) {
      out.port_set = PortSet::kList;
      for (std::size_t i = 0; i < v->size(); ++i) {
        const Json& e = (*v)[i];
        const JsonLocation ea = pa.index(i);
        topologies::require_object(e, ea);
        topologies::check_known_keys(e, ea, {"switch", "port"});
        const Json* sw = find(e, "switch");
        if (sw == nullptr)
          throw_config_error(ea.child("switch"), "missing; expected a switch index");
        PortSelector sel;
        sel.switch_index = read_u32(*sw, ea.child("switch"));
        if (const Json* port = find(e, "port")) {
          sel.port =
              static_cast<std::uint32_t>(topologies::read_count(*port, ea.child("port"), 0xFFFE));
        }
        out.ports.push_back(sel);
      }
    } else {
      throw_config_error(pa, *v, kExpected);
    }
  }
  return out;
}

TrainingStepSpec parse_training_step(const Json& w, const JsonLocation& at) {
  topologies::check_known_keys(w, at, {"kind", "groups", "phases"});
  TrainingStepSpec t;
  if (const Json* g = find(w, "groups")) {
    const JsonLocation ga = at.child("groups");
    topologies::require_object(*g, ga);
    for (const auto& [name, value] : g->items()) {
      const JsonLocation fa = ga.child(name);
      GroupFamily family;
      family.name = name;
      if (value.is_array()) {
        if (value.empty()) throw_config_error(fa, value, "a non-empty list of GPU id lists");
        for (std::size_t i = 0; i < value.size(); ++i) {
          const Json& list = value[i];
          if (!list.is_array() || list.empty())
            throw_config_error(fa.index(i), list, "a non-empty list of GPU ids");
          std::vector<std::uint32_t> ids;
          for (std::size_t k = 0; k < list.size(); ++k)
            ids.push_back(read_u32(list[k], fa.index(i).index(k)));
          family.lists.push_back(std::move(ids));
        }
      } else if (value.is_object()) {
        topologies::check_known_keys(value, fa, {"size", "stride"});
        if (const Json* v = find(value, "size")) family.size = read_u32(*v, fa.child("size"));
        if (family.size == 0)
          throw_config_error(fa.child("size"), value.value("size", Json()), "a group size >= 1");
        if (const Json* v = find(value, "stride")) family.stride = read_u32(*v, fa.child("stride"));
        if (family.stride == 0) throw_config_error(fa.child("stride"), 0, "a stride >= 1");
      } else {
        throw_config_error(fa, value, "{\"size\": N, \"stride\": S} or a list of GPU id lists");
      }
      t.groups.push_back(std::move(family));
    }
  }
  const Json* phases = find(w, "phases");
  const JsonLocation pa = at.child("phases");
  if (phases == nullptr || !phases->is_array() || phases->empty()) {
    throw_config_error(pa, phases != nullptr ? *phases : Json(), "a non-empty list of phases");
  }
  for (std::size_t i = 0; i < phases->size(); ++i) {
    const Json& ph = (*phases)[i];
    const JsonLocation at_i = pa.index(i);
    topologies::require_object(ph, at_i);
    topologies::check_known_keys(ph, at_i, {"name", "compute", "collective", "group", "after"});
    PhaseSpec phase;
    phase.name = fmt::format("phase{}", i);
    if (const Json* v = find(ph, "name"))
      phase.name = topologies::read_string(*v, at_i.child("name"));
    for (std::size_t k = 0; k < t.phases.size(); ++k) {
      if (t.phases[k].name == phase.name)
        throw_config_error(at_i.child("name"), phase.name, "a name no earlier phase has");
    }
    const Json* compute = find(ph, "compute");
    const Json* collective = find(ph, "collective");
    if ((compute == nullptr) == (collective == nullptr)) {
      throw_config_error(at_i, ph,
                         "a phase with either \"compute\" (a duration) or \"collective\"");
    }
    if (compute != nullptr) {
      phase.compute = true;
      phase.duration = topologies::read_time(*compute, at_i.child("compute"));
      if (find(ph, "group") != nullptr)
        throw_config_error(at_i.child("group"), ph["group"], "no group on a compute phase");
    } else {
      const JsonLocation ca = at_i.child("collective");
      topologies::require_object(*collective, ca);
      if (find(*collective, "iterations") != nullptr || find(*collective, "kind") != nullptr) {
        throw_config_error(
            ca, *collective,
            "op, algorithm, size, ranks, channels, slice, dtype (a phase runs once)");
      }
      phase.collective = parse_collective(*collective, ca);
      if (const Json* g = find(ph, "group")) {
        phase.group = topologies::read_string(*g, at_i.child("group"));
        const bool known = std::any_of(t.groups.begin(), t.groups.end(),
                                       [&](const GroupFamily& f) { return f.name == phase.group; });
        if (!known) throw_config_error(at_i.child("group"), *g, "a name from /workload/groups");
        if (!phase.collective.ranks.empty())
          throw_config_error(ca.child("ranks"), (*collective)["ranks"], "no ranks with a group");
      }
    }
    if (const Json* a = find(ph, "after")) {
      if (!a->is_array())
        throw_config_error(at_i.child("after"), *a, "a list of earlier phase names");
      for (std::size_t k = 0; k < a->size(); ++k) {
        const std::string& dep = topologies::read_string((*a)[k], at_i.child("after").index(k));
        std::size_t found = t.phases.size();
        for (std::size_t j = 0; j < t.phases.size(); ++j) {
          if (t.phases[j].name == dep) found = j;
        }
        if (found == t.phases.size())
          throw_config_error(at_i.child("after").index(k), dep, "the name of an earlier phase");
        phase.after.push_back(found);
      }
    } else if (i > 0) {
      phase.after.push_back(i - 1);  // by default phases run in sequence
    }
    t.phases.push_back(std::move(phase));
  }
  return t;
}

// Checks the scenario's "models" block against the parameter declarations (so errors name the
// scenario file), then merges it into the topology document's default blocks.
void merge_models(const Json& models, const JsonLocation& at, Json& topology) {
  topologies::require_object(models, at);
  topologies::check_known_keys(models, at, {"link", "switch", "nic", "gpu"});
  if (const Json* v = find(models, "link")) {
    models::LinkParams scratch;
    topologies::read_params(*v, scratch, at.child("link"));
  }
  if (const Json* v = find(models, "switch")) {
    models::SwitchParams scratch;
    topologies::read_params(*v, scratch, at.child("switch"));
  }
  if (const Json* v = find(models, "nic")) {
    models::NicParams scratch;
    topologies::read_params(*v, scratch, at.child("nic"));
  }
  if (const Json* v = find(models, "gpu")) {
    models::GpuParams scratch;
    topologies::read_params(*v, scratch, at.child("gpu"));
  }
  for (const char* block : {"link", "switch", "nic", "gpu"}) {
    if (const Json* v = find(models, block)) {
      Json& target = topology[block];
      if (!target.is_object()) target = Json::object();
      target.merge_patch(*v);
    }
  }
}

}  // namespace

void apply_override(Json& doc, const std::string& assignment, const std::string& source) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw topologies::ConfigError(fmt::format(
        "--set \"{}\": expected PATH=VALUE, e.g. models.link.rate=400Gbps", assignment));
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  Json value;
  try {
    value = topologies::parse_json_text(text, "--set " + path);
  } catch (const topologies::ConfigError&) {
    // Not JSON: a string such as 400Gbps. A value that starts as an object or a list was meant
    // as JSON: its parse error (a duplicate key, a missing brace) is the message.
    const auto first = text.find_first_not_of(" \t");
    if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) throw;
    value = text;
    try {
      (void)value.dump();  // strict: throws on bytes that are not UTF-8
    } catch (const nlohmann::json::exception&) {
      throw topologies::ConfigError(fmt::format(
          "{}: --set {}: the value is not valid UTF-8 text: expected a JSON value or a string",
          source, path));
    }
  }
  Json* node = &doc;
  std::string pointer;
  std::size_t begin = 0;
  for (;;) {
    const auto dot = path.find('.', begin);
    const std::string key =
        path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    if (key.empty()) {
      throw topologies::ConfigError(fmt::format("--set \"{}\": empty key in the path", assignment));
    }
    if (node->is_array()) {
      // An element of a list, by its index: workload.phases.1.collective.size=1MiB.
      const bool digits = key.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || key.size() > 9 || std::stoul(key) >= node->size()) {
        throw topologies::ConfigError(
            fmt::format("{}: --set {}: {} is a list of {}: expected an index below {}, got \"{}\"",
                        source, path, pointer, node->size(), node->size(), key));
      }
      pointer += "/" + key;
      node = &(*node)[std::stoul(key)];
    } else if (!node->is_object()) {
      throw topologies::ConfigError(fmt::format("{}: --set {}: {} is not an object or a list",
                                                source, path, pointer.empty() ? "/" : pointer));
    } else {
      pointer += "/" + key;
      node = &(*node)[key];
    }
    if (dot == std::string::npos) break;
    if (node->is_null()) *node = Json::object();
    begin = dot + 1;
  }
  *node = value;
}

Scenario parse_scenario(Json doc, const std::string& source, const std::string& base_dir) {
  const JsonLocation root{source, ""};
  topologies::require_object(doc, root);
  topologies::check_known_keys(doc, root,
                               {"schema", "name", "description", "seed", "stop_at", "threads",
                                "topology", "models", "workload", "outputs", "faults"});
  Scenario s;
  s.source = source;
  if (const Json* v = find(doc, "schema")) {
    if (topologies::read_string(*v, root.child("schema")) != "fabricsim.scenario/1") {
      throw_config_error(root.child("schema"), *v, "\"fabricsim.scenario/1\"");
    }
  }
  s.name = std::filesystem::path(source).stem().string();
  if (const Json* v = find(doc, "name")) s.name = topologies::read_string(*v, root.child("name"));
  if (const Json* v = find(doc, "seed"))
    s.seed = topologies::read_count(*v, root.child("seed"), ~0ULL);
  if (const Json* v = find(doc, "threads")) {
    constexpr std::uint64_t kMaxThreads = 1024;
    s.threads =
        static_cast<unsigned>(topologies::read_count(*v, root.child("threads"), kMaxThreads));
    if (s.threads == 0)
      throw_config_error(root.child("threads"), *v, "a thread count from 1 to 1024");
  }
  if (const Json* v = find(doc, "stop_at")) {
    s.stop_at = topologies::read_time(*v, root.child("stop_at"));
    if (s.stop_at == sim::Time::zero())
      throw_config_error(root.child("stop_at"), *v, "a time above zero");
  }

  const Json* topo = find(doc, "topology");
  if (topo == nullptr)
    throw_config_error(root.child("topology"), "missing; expected a topology file path or object");
  Json topology_doc;
  std::string topology_source;
  if (topo->is_string()) {
    const auto path =
        (std::filesystem::path(base_dir) / topo->get<std::string>()).lexically_normal();
    topology_source = path.string();
    topology_doc = read_json_file(topology_source, root.child("topology"));
    topologies::apply_hardware_preset(topology_doc, path.parent_path().string(), topology_source);
  } else if (topo->is_object()) {
    topology_doc = *topo;
    topology_source = source + " (inline topology at /topology)";
    topologies::apply_hardware_preset(topology_doc, base_dir, source, "/topology");
  } else {
    throw_config_error(root.child("topology"), *topo, "a topology file path or an inline object");
  }
  const Json* models = find(doc, "models");
  if (models != nullptr) merge_models(*models, root.child("models"), topology_doc);
  try {
    s.topology = topologies::parse_topology(topology_doc, topology_source);
  } catch (const topologies::ConfigError& e) {
    // A value the "models" block set is reported where it was written, not in the topology.
    bool set_by_models = false;
    if (models != nullptr && e.file() == topology_source && !e.path().empty()) {
      try {
        set_by_models = models->contains(Json::json_pointer(e.path()));
      } catch (const nlohmann::json::exception&) {
        set_by_models = false;  // a key with '~' or '/': not a pointer into "models"
      }
    }
    if (set_by_models) throw topologies::ConfigError(source, "/models" + e.path(), e.detail());
    throw;
  }

  const Json* w = find(doc, "workload");
  if (w == nullptr)
    throw_config_error(root.child("workload"), "missing; expected an object with \"kind\"");
  const JsonLocation wa = root.child("workload");
  topologies::require_object(*w, wa);
  const Json* kind = find(*w, "kind");
  if (kind == nullptr)
    throw_config_error(wa.child("kind"),
                       "missing; expected traffic, flows, collective or training_step");
  const std::string& k = topologies::read_string(*kind, wa.child("kind"));
  if (k == "traffic") {
    s.workload.kind = WorkloadKind::kTraffic;
    s.workload.traffic = parse_traffic(*w, wa, base_dir);
  } else if (k == "flows") {
    s.workload.kind = WorkloadKind::kFlows;
    s.workload.flows = parse_flows(*w, wa);
  } else if (k == "collective") {
    s.workload.kind = WorkloadKind::kCollective;
    s.workload.collective = parse_collective(*w, wa);
  } else if (k == "training_step") {
    s.workload.kind = WorkloadKind::kTrainingStep;
    s.workload.training = parse_training_step(*w, wa);
  } else {
    throw_config_error(wa.child("kind"), *kind, "one of traffic, flows, collective, training_step");
  }

  if (const Json* o = find(doc, "outputs")) {
    const JsonLocation oa = root.child("outputs");
    topologies::require_object(*o, oa);
    topologies::check_known_keys(*o, oa, {"timeseries", "trace", "flows"});
    if (const Json* t = find(*o, "trace"))
      s.outputs.trace = topologies::read_flag(*t, oa.child("trace"));
    if (const Json* f = find(*o, "flows")) {
      s.outputs.flows = topologies::read_flag(*f, oa.child("flows"));
      if (s.outputs.flows && s.workload.kind != WorkloadKind::kTraffic &&
          s.workload.kind != WorkloadKind::kFlows) {
        throw_config_error(
            oa.child("flows"), *f,
            "expected false: flows.csv is written for traffic and flows workloads only");
      }
    }
    if (const Json* ts = find(*o, "timeseries")) {
      s.outputs = parse_timeseries(*ts, oa.child("timeseries"), s.outputs);
      const auto rows = static_cast<std::uint64_t>(s.stop_at.picoseconds() /
                                                   s.outputs.timeseries_interval.picoseconds());
      if (s.stop_at != sim::Time::max() && rows > TimeSeriesRecorder::kMaxRows) {
        throw_config_error(
            oa.child("timeseries").child("interval"), *find(*ts, "interval"),
            fmt::format("with stop_at {} the time series would have {} rows, more than the {} "
                        "kept: expected a longer interval",
                        sim::format_time(s.stop_at), rows, TimeSeriesRecorder::kMaxRows));
      }
    }
  }
  if (const Json* f = find(doc, "faults")) {
    const auto gpus = std::min<std::uint64_t>(s.topology.gpu_count(), 0xFFFFFFFFULL);
    s.faults = parse_faults(*f, root.child("faults"), static_cast<std::uint32_t>(gpus));
  }
  s.document = std::move(doc);
  return s;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  Json doc = read_json_file(path, JsonLocation{});
  for (const auto& o : overrides) {
    // "topology.x=v" on a scenario that names its topology file: the file's object is read
    // in first, so a shipped cluster can be run at a smaller size (topology.nodes=64).
    if (o.rfind("topology.", 0) == 0 && doc.contains("topology") && doc["topology"].is_string()) {
      const auto file =
          (std::filesystem::path(path).parent_path() / doc["topology"].get<std::string>())
              .lexically_normal();
      doc["topology"] = read_json_file(file.string(), JsonLocation{path, "/topology"});
    }
    apply_override(doc, o, path);
  }
  return parse_scenario(std::move(doc), path, std::filesystem::path(path).parent_path().string());
}

Json resolved_config(const Scenario& s) {
  Json j = s.document;
  j["seed"] = s.seed;
  j["topology"] = topologies::topology_to_json(s.topology);
  j.erase("models");  // merged into the resolved topology
  j["topology"]["gpu"] = topologies::write_params(s.topology.gpu_params);
  if (s.workload.kind == WorkloadKind::kCollective) {
    const CollectiveSpec& c = s.workload.collective;
    Json& w = j["workload"];
    w["op"] = c.op;
    w["algorithm"] = c.algorithm;
    w["size"] = topologies::exact_bytes(c.bytes);
    w["ranks"] = c.ranks.empty() ? Json("all") : Json(c.ranks);
    w["protocol"] = c.protocol;
    w["channels"] = c.channels == 0 ? Json("auto") : Json(c.channels);
    w["slice"] = c.slice_bytes == 0 ? Json("none") : topologies::exact_bytes(c.slice_bytes);
    w["iterations"] = c.iterations;
    w["dtype"] = c.dtype;
  }
  if (s.faults.configured) {
    const Json resolved = faults_to_json(s.faults);
    Json& f = j["faults"];
    f["detection"] = resolved["detection"];
    f["convergence"] = resolved["convergence"];
    f["seed"] = s.faults.seed != 0 ? s.faults.seed : s.seed;
    if (resolved.contains("stragglers")) f["stragglers"] = resolved["stragglers"];
  }
  return j;
}

const std::vector<std::string>& known_metrics() {
  static const std::vector<std::string> kKnown{"queue_bytes",      "link_utilization", "pfc_paused",
                                               "pfc_pause_frames", "ecn_marks",        "drops",
                                               "qp_rate",          "links_down"};
  return kKnown;
}

const char* workload_kind_name(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kTraffic:
      return "traffic";
    case WorkloadKind::kFlows:
      return "flows";
    case WorkloadKind::kCollective:
      return "collective";
    case WorkloadKind::kTrainingStep:
      return "training_step";
  }
  return "?";
}

const char* pattern_name(TrafficPattern pattern) {
  switch (pattern) {
    case TrafficPattern::kPermutation:
      return "permutation";
    case TrafficPattern::kIncast:
      return "incast";
    case TrafficPattern::kAllToAll:
      return "all_to_all";
    case TrafficPattern::kUniform:
      return "uniform";
  }
  return "?";
}

}  // namespace fabricsim::scenario
