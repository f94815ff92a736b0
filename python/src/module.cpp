// The _fabricsim extension module: the C++ engine behind the pure-Python `fabricsim` package.
// Documents cross the boundary as JSON text (the same JSON the CLI reads and writes); the
// Python side parses it. The GIL is released while a simulation runs, and Ctrl-C stops it.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "models/params.hpp"
#include "scenario/results.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "sim/memory_limit.hpp"
#include "sim/units.hpp"
#include "topologies/config_error.hpp"
#include "topologies/estimate.hpp"
#include "topologies/network_graph.hpp"
#include "topologies/params_json.hpp"
#include "topologies/routing.hpp"
#include "topologies/spec.hpp"
#include "topologies/stats.hpp"
#include "workloads/algorithms/registry.hpp"
#include "workloads/schedule.hpp"

namespace py = pybind11;
using nlohmann::json;

namespace fabricsim::python {
namespace {

// A parsed topology (owned by the Python object).
struct Topology {
  topologies::TopologySpec spec;

  std::string resolved() const { return topologies::topology_to_json(spec).dump(); }
  std::string stats() const {
    const auto graph = topologies::build_graph(spec);
    const auto routes = topologies::compute_routes(graph);
    return topologies::stats_to_json(topologies::compute_stats(spec, graph, routes)).dump();
  }
  std::string dot(std::uint32_t max_nodes) const {
    return topologies::to_dot(topologies::build_graph(spec), max_nodes);
  }
  // The build's resource estimate, computed without building (as in `fabricsim topo`).
  std::string estimate() const {
    auto doc = topologies::estimate_to_json(topologies::estimate_build(spec));
    doc["memory_limit_bytes"] = sim::memory_limit_bytes();
    return doc.dump();
  }
};

// A parsed scenario (owned by the Python object).
struct Scenario {
  scenario::Scenario parsed;

  // Runs with the GIL released; returns (results.json, its reproducible part), both as text,
  // and the run's notes (how it ran, e.g. threads without GPUs: not part of results.json).
  // Every 100k events the interrupt hook takes the GIL and lets Python handle pending signals:
  // on Ctrl-C the run stops and the KeyboardInterrupt (or the handler's exception) is raised.
  // `threads` > 1: a parallel run (results identical to one thread); 0: the scenario's.
  // `compare_fault_free`: first the same scenario without its faults, and results.faults
  // reports the slowdown against it (`fabricsim run --compare-fault-free`).
  std::tuple<std::string, std::string, std::vector<std::string>> run(
      const std::string& out_dir, unsigned threads, bool compare_fault_free) const {
    if (threads > 1024) throw std::invalid_argument("threads: expected 0 to 1024");
    if (compare_fault_free && !parsed.faults.configured) {
      throw std::invalid_argument(
          "compare_fault_free: the scenario has no faults to compare against");
    }
    PyObject* err_type = nullptr;
    PyObject* err_value = nullptr;
    PyObject* err_trace = nullptr;
    scenario::RunOptions options;
    options.out_dir = out_dir;
    options.threads = threads;
    options.compare_fault_free = compare_fault_free;
    options.interrupt = [&] {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() == 0) return false;
      PyErr_Fetch(&err_type, &err_value, &err_trace);
      return true;
    };
    scenario::Results results;
    try {
      py::gil_scoped_release release;
      results = scenario::run_scenario(parsed, options);
    } catch (const scenario::RunInterrupted&) {
      PyErr_Restore(err_type, err_value, err_trace);
      throw py::error_already_set();
    }
    return {scenario::to_json(results, true).dump(), scenario::to_json(results, false).dump(),
            results.run_notes};
  }
};

workloads::CollectiveRequest make_request(const std::string& op, const std::string& algorithm,
                                          std::int32_t ranks, std::uint64_t bytes,
                                          const std::string& dtype, std::uint32_t channels,
                                          std::uint64_t slice_bytes, std::int32_t ranks_per_node,
                                          std::int32_t root) {
  workloads::CollectiveRequest request;
  request.memory_limit_bytes = sim::memory_limit_bytes();
  request.extra_bytes_per_op = workloads::kJsonBytesPerOp;  // returned as JSON
  request.op = workloads::parse_collective_op(op);
  request.dtype = workloads::parse_dtype(dtype);
  request.algorithm = algorithm;
  if (ranks < 1) throw std::invalid_argument("ranks: expected at least 1");
  request.nranks = ranks;
  // As `fabricsim schedule --size`: nccl-tests' size (all-to-all: per rank, over all peers).
  const std::uint64_t unit =
      workloads::dtype_size(request.dtype) *
      (request.op == workloads::CollectiveOp::kAllToAll ? static_cast<std::uint64_t>(ranks) : 1U);
  if (bytes % unit != 0) {
    throw std::invalid_argument("bytes " + std::to_string(bytes) + ": expected a multiple of " +
                                std::to_string(unit) + " bytes");
  }
  request.count = bytes / unit;
  request.channels = channels;
  request.slice_bytes = slice_bytes;
  request.ranks_per_node = ranks_per_node;
  request.root = root;
  return request;
}

std::string schedule_json(const workloads::CollectiveRequest& request, std::int32_t rank) {
  if (rank < 0) return workloads::to_json(workloads::generate(request)).dump();
  if (rank >= request.nranks) {
    throw std::invalid_argument("rank " + std::to_string(rank) + ": expected 0.." +
                                std::to_string(request.nranks - 1));
  }
  json doc = workloads::to_json(workloads::generate_rank(request, rank));
  json only = doc["ranks"][static_cast<std::size_t>(rank)];
  only["rank"] = rank;
  doc["ranks"] = json::array({only});
  return doc.dump();
}

}  // namespace
}  // namespace fabricsim::python

PYBIND11_MODULE(_fabricsim, m) {
  using namespace fabricsim;
  using python::Scenario;
  using python::Topology;
  m.doc() = "fabricsim engine (use the `fabricsim` package, not this module)";
  // ConfigError's message may hold bytes of the input that are not UTF-8 (a malformed file):
  // decoded with replacement characters rather than lost.
  static py::exception<topologies::ConfigError> config_error(m, "ConfigError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const topologies::ConfigError& e) {
      const std::string what = e.what();
      PyObject* text =
          PyUnicode_DecodeUTF8(what.data(), static_cast<Py_ssize_t>(what.size()), "replace");
      PyErr_SetObject(config_error.ptr(), text);
      Py_XDECREF(text);
    }
  });

  py::class_<Topology>(m, "Topology")
      .def_static("load",
                  [](const std::string& path) { return Topology{topologies::load_topology(path)}; })
      .def_static("parse",
                  [](const std::string& text, const std::string& source) {
                    return Topology{topologies::parse_topology(json::parse(text), source)};
                  })
      .def("resolved", &Topology::resolved)
      .def("stats", &Topology::stats)
      .def("estimate", &Topology::estimate)
      .def("dot", &Topology::dot, py::arg("max_nodes") = 4096);

  py::class_<Scenario>(m, "Scenario")
      .def_static("load",
                  [](const std::string& path, const std::vector<std::string>& overrides) {
                    return Scenario{scenario::load_scenario(path, overrides)};
                  })
      .def_static("parse",
                  [](const std::string& text, const std::string& source,
                     const std::string& base_dir, const std::vector<std::string>& overrides) {
                    json doc = json::parse(text);
                    for (const auto& o : overrides)
                      scenario::apply_override(doc, o, source);
                    return Scenario{scenario::parse_scenario(std::move(doc), source, base_dir)};
                  })
      .def_property_readonly("name", [](const Scenario& s) { return s.parsed.name; })
      .def_property_readonly("seed", [](const Scenario& s) { return s.parsed.seed; })
      .def_property_readonly("has_faults",
                             [](const Scenario& s) { return s.parsed.faults.configured; })
      .def("document", [](const Scenario& s) { return s.parsed.document.dump(); })
      .def("resolved", [](const Scenario& s) { return scenario::resolved_config(s.parsed).dump(); })
      .def("run", &Scenario::run, py::arg("out_dir") = "", py::arg("threads") = 0,
           py::arg("compare_fault_free") = false);

  m.def(
      "schedule",
      [](const std::string& op, const std::string& algorithm, std::int32_t ranks,
         std::uint64_t bytes, const std::string& dtype, std::uint32_t channels,
         std::uint64_t slice_bytes, std::int32_t ranks_per_node, std::int32_t root,
         std::int32_t rank) {
        return python::schedule_json(
            python::make_request(op, algorithm, ranks, bytes, dtype, channels, slice_bytes,
                                 ranks_per_node, root),
            rank);
      },
      py::arg("op"), py::arg("algorithm"), py::arg("ranks"), py::arg("bytes"), py::arg("dtype"),
      py::arg("channels"), py::arg("slice_bytes"), py::arg("ranks_per_node"), py::arg("root"),
      py::arg("rank"));
  m.def("algorithms", [] {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const auto op : workloads::kAllCollectiveOps) {
      for (const auto& name : workloads::list_algorithms(op)) {
        out.emplace_back(std::string(workloads::to_string(op)), name,
                         workloads::describe_algorithm(op, name));
      }
    }
    return out;
  });
  // Every model parameter (declared once in models/params.hpp): name, unit, default (JSON), doc.
  m.def("parameters", [] {
    std::vector<std::tuple<std::string, std::string, std::string, std::string>> out;
    auto add = [&out](const std::vector<topologies::ParamDoc>& docs) {
      for (const auto& d : docs)
        out.emplace_back(d.name, d.unit, d.default_value.dump(), d.doc);
    };
    add(topologies::describe_params<models::LinkParams>("link."));
    add(topologies::describe_params<models::SwitchParams>("switch."));
    add(topologies::describe_params<models::NicParams>("nic."));
    add(topologies::describe_params<models::GpuParams>("gpu."));
    return out;
  });
  m.def("parse_bytes", [](const std::string& text) { return sim::parse_bytes(text); });
  m.def("set_max_memory", [](std::uint64_t bytes) { sim::set_memory_limit_bytes(bytes); });
  m.def("max_memory", [] { return sim::memory_limit_bytes(); });
  m.def("known_metrics", [] { return scenario::known_metrics(); });
}
