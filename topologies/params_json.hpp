// JSON <-> parameter-struct visitors over visit_params (sim/params.hpp): a reader that applies a
// JSON object onto a struct (strict: unknown keys, wrong types, bad units and out-of-range values
// are ConfigErrors naming the path), a writer that emits the resolved struct (every default
// filled in, units as exact strings), and a docs visitor listing name/unit/default/doc. Generic:
// the scenario loader reuses them for model overrides.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/params.hpp"
#include "sim/time.hpp"
#include "topologies/config_error.hpp"

namespace fabricsim::topologies {

using Json = nlohmann::json;

// --- single-value parsers (shared with hand-written readers such as TopologySpec) ---------
// A bytes or rate field whose doc says "(0 = auto..." accepts the string "auto" as 0.
bool doc_allows_auto(const char* doc);
sim::Time read_time(const Json& value, const JsonLocation& at);
std::uint64_t read_bytes(const Json& value, const JsonLocation& at, std::uint64_t max,
                         bool allow_auto);
std::uint64_t read_rate(const Json& value, const JsonLocation& at, bool allow_auto = false);
std::uint64_t read_count(const Json& value, const JsonLocation& at, std::uint64_t max);
double read_real(const Json& value, const JsonLocation& at);
bool read_flag(const Json& value, const JsonLocation& at);
const std::string& read_string(const Json& value, const JsonLocation& at);
// Throws unless value is an object.
void require_object(const Json& value, const JsonLocation& at);
// Throws on the first key of obj not in known (in document order), listing the known keys.
void check_known_keys(const Json& obj, const JsonLocation& at,
                      const std::vector<std::string_view>& known);

// Exact textual forms used by the writer (parse back to the same value).
std::string exact_time(sim::Time t);    // "1us", "300ns", "1500ps"
Json exact_bytes(std::uint64_t bytes);  // "32MiB", "100KB" or a plain number
std::string exact_rate(std::uint64_t bps);

// One of the spellings of choices, or a ConfigError listing them.
template <class E>
E read_choice(const Json& value, const JsonLocation& at, const sim::Choices<E>& choices) {
  const std::string& text = read_string(value, at);
  for (const auto& [spelling, option] : choices.options) {
    if (spelling == text) return option;
  }
  std::string expected = "expected one of";
  for (std::size_t i = 0; i < choices.options.size(); ++i) {
    expected.append(i == 0 ? " " : ", ").append(choices.options[i].first);
  }
  throw_config_error(at, value, expected);
}

// --- the reader ------------------------------------------------------------------------------
class ParamReader {
 public:
  ParamReader(const Json& obj, JsonLocation at) : obj_(obj), at_(std::move(at)) {}

  void operator()(const char* name, sim::Time& field, sim::ParamUnit unit, const char* doc);
  void operator()(const char* name, std::uint64_t& field, sim::ParamUnit unit, const char* doc);
  void operator()(const char* name, std::uint32_t& field, sim::ParamUnit unit, const char* doc);
  void operator()(const char* name, double& field, sim::ParamUnit unit, const char* doc);
  void operator()(const char* name, bool& field, sim::ParamUnit unit, const char* doc);
  template <class E>
  void operator()(const char* name, E& field, const sim::Choices<E>& choices, const char*) {
    known_.emplace_back(name);
    const Json* v = find(name);
    if (v == nullptr) return;
    field = read_choice(*v, at_.child(name), choices);
  }
  template <class S>
  void nested(const char* name, S& sub, const char*) {
    known_.emplace_back(name);
    const Json* v = find(name);
    if (v == nullptr) return;
    ParamReader inner(*v, at_.child(name));
    inner.read(sub);
  }

  // Applies obj_ onto params (fields absent from obj_ keep their value), then rejects unknown
  // keys.
  // A struct with a preset (a "preset" field, `static S of_preset(E)` and
  // `static Choices<E> preset_choices()`, as DcqcnParams) is first reset to the named preset,
  // so that the other keys of the same object override the preset's values.
  template <class S>
  void read(S& params) {
    require_object(obj_, at_);
    if constexpr (requires { S::of_preset(S::preset_choices().options.front().second); }) {
      if (const Json* v = find("preset")) {
        params = S::of_preset(read_choice(*v, at_.child("preset"), S::preset_choices()));
      }
    }
    params.visit_params(*this);
    check_known_keys(obj_, at_, known_);
  }

 private:
  const Json* find(const char* name) const;

  const Json& obj_;
  JsonLocation at_;
  std::vector<std::string_view> known_;
};

// Applies a JSON object onto params; at names the object (file + pointer) for messages.
template <class S>
void read_params(const Json& obj, S& params, const JsonLocation& at) {
  ParamReader reader(obj, at);
  reader.read(params);
}

// --- the writer ------------------------------------------------------------------------------
class ParamWriter {
 public:
  void operator()(const char* name, const sim::Time& field, sim::ParamUnit, const char*) {
    out_[name] = exact_time(field);
  }
  void operator()(const char* name, const std::uint64_t& field, sim::ParamUnit unit,
                  const char* doc) {
    write_integer(name, field, unit, doc);
  }
  void operator()(const char* name, const std::uint32_t& field, sim::ParamUnit unit,
                  const char* doc) {
    write_integer(name, field, unit, doc);
  }
  void operator()(const char* name, const double& field, sim::ParamUnit, const char*) {
    out_[name] = field;
  }
  void operator()(const char* name, const bool& field, sim::ParamUnit, const char*) {
    out_[name] = field;
  }
  template <class E>
  void operator()(const char* name, const E& field, const sim::Choices<E>& choices, const char*) {
    const std::string_view* spelling = choices.name_of(field);
    out_[name] = spelling != nullptr ? std::string(*spelling) : std::string("?");
  }
  template <class S>
  void nested(const char* name, const S& sub, const char*) {
    ParamWriter inner;
    const_cast<S&>(sub).visit_params(inner);  // visit_params is non-const; the writer only reads
    out_[name] = std::move(inner.out_);
  }

  Json take() { return std::move(out_); }

 private:
  void write_integer(const char* name, std::uint64_t value, sim::ParamUnit unit, const char* doc);

  Json out_ = Json::object();
};

// The resolved struct as a JSON object (every field present).
template <class S>
Json write_params(const S& params) {
  ParamWriter writer;
  const_cast<S&>(params).visit_params(writer);
  return writer.take();
}

// --- the docs visitor ------------------------------------------------------------------------
struct ParamDoc {
  std::string name;  // dotted path, e.g. "switch.ecn.kmin"
  std::string unit;  // "time", "bytes", "rate", "count", "real", "flag" or "a|b|c"
  Json default_value;
  std::string doc;
};

class ParamDocumenter {
 public:
  explicit ParamDocumenter(std::string prefix) : prefix_(std::move(prefix)) {}

  void operator()(const char* name, const sim::Time& field, sim::ParamUnit unit, const char* doc);
  void operator()(const char* name, const std::uint64_t& field, sim::ParamUnit unit,
                  const char* doc);
  void operator()(const char* name, const std::uint32_t& field, sim::ParamUnit unit,
                  const char* doc);
  void operator()(const char* name, const double& field, sim::ParamUnit unit, const char* doc);
  void operator()(const char* name, const bool& field, sim::ParamUnit unit, const char* doc);
  template <class E>
  void operator()(const char* name, const E& field, const sim::Choices<E>& choices,
                  const char* doc) {
    std::string unit;
    for (const auto& option : choices.options) {
      if (!unit.empty()) unit.push_back('|');
      unit.append(option.first);
    }
    const std::string_view* spelling = choices.name_of(field);
    add(name, unit, spelling != nullptr ? Json(std::string(*spelling)) : Json(), doc);
  }
  template <class S>
  void nested(const char* name, const S& sub, const char*) {
    ParamDocumenter inner(prefix_ + name + ".");
    const_cast<S&>(sub).visit_params(inner);
    for (auto& d : inner.docs_)
      docs_.push_back(std::move(d));
  }

  std::vector<ParamDoc> take() { return std::move(docs_); }

 private:
  void add(const char* name, std::string unit, Json default_value, const char* doc);

  std::string prefix_;
  std::vector<ParamDoc> docs_;
};

// One entry per leaf field of S with its default, names prefixed ("link." ...).
template <class S>
std::vector<ParamDoc> describe_params(const std::string& prefix, const S& defaults = S{}) {
  ParamDocumenter documenter(prefix);
  const_cast<S&>(defaults).visit_params(documenter);
  return documenter.take();
}

// A fixed-width text table of docs (for a --help-params listing).
std::string format_param_docs(const std::vector<ParamDoc>& docs);

}  // namespace fabricsim::topologies
