// Value parsers, exact formatting and the non-template parts of the param visitors.
#include "topologies/params_json.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "sim/units.hpp"
#include "topologies/json_file.hpp"

namespace fabricsim::topologies {

void throw_config_error(const JsonLocation& at, const Json& value, std::string_view expectation) {
  throw ConfigError(at.file, at.path, fmt::format("{}: {}", preview(value), expectation));
}

void throw_config_error(const JsonLocation& at, std::string_view expectation) {
  throw ConfigError(at.file, at.path, std::string(expectation));
}

namespace {

const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      return "discarded";
    default:
      return "a number";
  }
}

[[noreturn]] void wrong_type(const Json& v, const JsonLocation& at, std::string_view expected) {
  throw_config_error(at, v, fmt::format("expected {}, got {}", expected, type_name(v)));
}

// A JSON number that is a non-negative whole number, as uint64.
std::uint64_t whole_number(const Json& v, const JsonLocation& at, std::string_view what) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {  // signed: built in code (json(4)) rather than parsed from text
    const std::int64_t n = v.get<std::int64_t>();
    if (n < 0) throw_config_error(at, v, fmt::format("expected a non-negative {}", what));
    return static_cast<std::uint64_t>(n);
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d < 0) throw_config_error(at, v, fmt::format("expected a non-negative {}", what));
    if (!std::isfinite(d) || d != std::floor(d) || d >= 1.8e19) {
      throw_config_error(at, v, fmt::format("expected a whole {}", what));
    }
    return static_cast<std::uint64_t>(d);
  }
  wrong_type(v, at, what);
}

// Largest unit that represents value exactly; "" suffix for the base unit.
template <std::size_t N>
std::string exact_with(std::uint64_t value, const std::pair<const char*, std::uint64_t> (&units)[N],
                       const char* base) {
  for (const auto& [suffix, scale] : units) {
    if (value != 0 && value % scale == 0) return fmt::format("{}{}", value / scale, suffix);
  }
  return fmt::format("{}{}", value, base);
}

}  // namespace

bool doc_allows_auto(const char* doc) {
  return std::strstr(doc, "(0 = auto") != nullptr;
}

sim::Time read_time(const Json& v, const JsonLocation& at) {
  if (v.is_number() && v == 0) return sim::Time::zero();
  if (!v.is_string()) wrong_type(v, at, "a time with a unit such as \"1us\"");
  try {
    return sim::parse_time(v.get<std::string>());
  } catch (const sim::UnitError& e) {
    throw_config_error(at, v, e.what());
  }
}

std::uint64_t read_bytes(const Json& v, const JsonLocation& at, std::uint64_t max,
                         bool allow_auto) {
  std::uint64_t bytes = 0;
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    if (allow_auto && text == "auto") return 0;
    try {
      bytes = sim::parse_bytes(text);
    } catch (const sim::UnitError& e) {
      throw_config_error(at, v, e.what());
    }
  } else if (v.is_number()) {
    bytes = whole_number(v, at, "byte count");
  } else {
    wrong_type(v, at,
               allow_auto ? "a size such as \"64KiB\", a byte count or \"auto\""
                          : "a size such as \"64KiB\" or a byte count");
  }
  if (bytes > max) throw_config_error(at, v, fmt::format("expected at most {} bytes", max));
  return bytes;
}

std::uint64_t read_rate(const Json& v, const JsonLocation& at, bool allow_auto) {
  if (allow_auto && v == "auto") return 0;
  if (!v.is_string()) {
    wrong_type(v, at,
               allow_auto ? "a rate with a unit such as \"400Gbps\" or \"auto\""
                          : "a rate with a unit such as \"400Gbps\"");
  }
  try {
    return sim::parse_rate_bps(v.get<std::string>());
  } catch (const sim::UnitError& e) {
    throw_config_error(at, v, e.what());
  }
}

std::uint64_t read_count(const Json& v, const JsonLocation& at, std::uint64_t max) {
  const std::uint64_t n = whole_number(v, at, "count");
  if (n > max) throw_config_error(at, v, fmt::format("expected a count of at most {}", max));
  return n;
}

double read_real(const Json& v, const JsonLocation& at) {
  if (!v.is_number()) wrong_type(v, at, "a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0) throw_config_error(at, v, "expected a non-negative number");
  return d;
}

bool read_flag(const Json& v, const JsonLocation& at) {
  if (!v.is_boolean()) wrong_type(v, at, "true or false");
  return v.get<bool>();
}

const std::string& read_string(const Json& v, const JsonLocation& at) {
  if (!v.is_string()) wrong_type(v, at, "a string");
  return v.get_ref<const std::string&>();
}

void require_object(const Json& v, const JsonLocation& at) {
  if (!v.is_object()) wrong_type(v, at, "an object");
}

void check_known_keys(const Json& obj, const JsonLocation& at,
                      const std::vector<std::string_view>& known) {
  for (const auto& item : obj.items()) {
    bool found = false;
    for (const auto k : known)
      found = found || k == item.key();
    if (found) continue;
    std::string list;
    for (const auto k : known)
      list.append(list.empty() ? "" : ", ").append(k);
    const JsonLocation key = at.child(item.key());
    throw ConfigError(key.file, key.path,
                      fmt::format("unknown key \"{}\", expected one of: {}", item.key(), list));
  }
}

std::string exact_time(sim::Time t) {
  static const std::pair<const char*, std::uint64_t> kUnits[] = {{"s", 1'000'000'000'000ULL},
                                                                 {"ms", 1'000'000'000ULL},
                                                                 {"us", 1'000'000ULL},
                                                                 {"ns", 1'000ULL}};
  return exact_with(static_cast<std::uint64_t>(t.picoseconds()), kUnits, "ps");
}

Json exact_bytes(std::uint64_t bytes) {
  static const std::pair<const char*, std::uint64_t> kUnits[] = {
      {"TiB", 1ULL << 40},          {"GiB", 1ULL << 30},      {"MiB", 1ULL << 20},
      {"TB", 1'000'000'000'000ULL}, {"GB", 1'000'000'000ULL}, {"MB", 1'000'000ULL},
      {"KiB", 1ULL << 10},          {"KB", 1'000ULL}};
  for (const auto& [suffix, scale] : kUnits) {
    if (bytes != 0 && bytes % scale == 0 && bytes >= 1024) {
      return fmt::format("{}{}", bytes / scale, suffix);
    }
  }
  return bytes;
}

std::string exact_rate(std::uint64_t bps) {
  static const std::pair<const char*, std::uint64_t> kUnits[] = {{"Tbps", 1'000'000'000'000ULL},
                                                                 {"Gbps", 1'000'000'000ULL},
                                                                 {"Mbps", 1'000'000ULL},
                                                                 {"Kbps", 1'000ULL}};
  return exact_with(bps, kUnits, "bps");
}

// --- ParamReader -------------------------------------------------------------------------------

const Json* ParamReader::find(const char* name) const {
  const auto it = obj_.find(name);
  return it == obj_.end() ? nullptr : &*it;
}

void ParamReader::operator()(const char* name, sim::Time& field, sim::ParamUnit, const char*) {
  known_.emplace_back(name);
  if (const Json* v = find(name)) field = read_time(*v, at_.child(name));
}

void ParamReader::operator()(const char* name, std::uint64_t& field, sim::ParamUnit unit,
                             const char* doc) {
  known_.emplace_back(name);
  const Json* v = find(name);
  if (v == nullptr) return;
  const JsonLocation at = at_.child(name);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  switch (unit) {
    case sim::ParamUnit::kBytes:
      field = read_bytes(*v, at, kMax, doc_allows_auto(doc));
      break;
    case sim::ParamUnit::kRate:
      field = read_rate(*v, at, doc_allows_auto(doc));
      break;
    default:
      field = read_count(*v, at, kMax);
      break;
  }
}

void ParamReader::operator()(const char* name, std::uint32_t& field, sim::ParamUnit unit,
                             const char* doc) {
  known_.emplace_back(name);
  const Json* v = find(name);
  if (v == nullptr) return;
  const JsonLocation at = at_.child(name);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint32_t>::max();
  std::uint64_t value = 0;
  switch (unit) {
    case sim::ParamUnit::kBytes:
      value = read_bytes(*v, at, kMax, doc_allows_auto(doc));
      break;
    case sim::ParamUnit::kRate:
      value = read_rate(*v, at, doc_allows_auto(doc));
      if (value > kMax) throw_config_error(at, *v, "expected a rate below 4.29Gbps for this field");
      break;
    default:
      value = read_count(*v, at, kMax);
      break;
  }
  field = static_cast<std::uint32_t>(value);
}

void ParamReader::operator()(const char* name, double& field, sim::ParamUnit, const char*) {
  known_.emplace_back(name);
  if (const Json* v = find(name)) field = read_real(*v, at_.child(name));
}

void ParamReader::operator()(const char* name, bool& field, sim::ParamUnit, const char*) {
  known_.emplace_back(name);
  if (const Json* v = find(name)) field = read_flag(*v, at_.child(name));
}

// --- ParamWriter -------------------------------------------------------------------------------

void ParamWriter::write_integer(const char* name, std::uint64_t value, sim::ParamUnit unit,
                                const char* doc) {
  switch (unit) {
    case sim::ParamUnit::kBytes:
      out_[name] = (value == 0 && doc_allows_auto(doc)) ? Json("auto") : exact_bytes(value);
      break;
    case sim::ParamUnit::kRate:
      out_[name] = (value == 0 && doc_allows_auto(doc)) ? Json("auto") : Json(exact_rate(value));
      break;
    default:
      out_[name] = value;
      break;
  }
}

// --- ParamDocumenter ---------------------------------------------------------------------------

namespace {
const char* unit_name(sim::ParamUnit unit) {
  switch (unit) {
    case sim::ParamUnit::kTime:
      return "time";
    case sim::ParamUnit::kBytes:
      return "bytes";
    case sim::ParamUnit::kRate:
      return "rate";
    case sim::ParamUnit::kCount:
      return "count";
    case sim::ParamUnit::kReal:
      return "real";
    case sim::ParamUnit::kFlag:
      return "flag";
  }
  return "?";
}

Json integer_default(std::uint64_t value, sim::ParamUnit unit, const char* doc) {
  if (unit == sim::ParamUnit::kBytes) {
    return (value == 0 && doc_allows_auto(doc)) ? Json("auto") : exact_bytes(value);
  }
  if (unit == sim::ParamUnit::kRate) {
    return (value == 0 && doc_allows_auto(doc)) ? Json("auto") : Json(exact_rate(value));
  }
  return value;
}
}  // namespace

void ParamDocumenter::add(const char* name, std::string unit, Json default_value, const char* doc) {
  docs_.push_back({prefix_ + name, std::move(unit), std::move(default_value), doc});
}

void ParamDocumenter::operator()(const char* name, const sim::Time& field, sim::ParamUnit unit,
                                 const char* doc) {
  add(name, unit_name(unit), exact_time(field), doc);
}
void ParamDocumenter::operator()(const char* name, const std::uint64_t& field, sim::ParamUnit unit,
                                 const char* doc) {
  add(name, unit_name(unit), integer_default(field, unit, doc), doc);
}
void ParamDocumenter::operator()(const char* name, const std::uint32_t& field, sim::ParamUnit unit,
                                 const char* doc) {
  add(name, unit_name(unit), integer_default(field, unit, doc), doc);
}
void ParamDocumenter::operator()(const char* name, const double& field, sim::ParamUnit unit,
                                 const char* doc) {
  add(name, unit_name(unit), field, doc);
}
void ParamDocumenter::operator()(const char* name, const bool& field, sim::ParamUnit unit,
                                 const char* doc) {
  add(name, unit_name(unit), field, doc);
}

std::string format_param_docs(const std::vector<ParamDoc>& docs) {
  std::size_t name_w = 4;
  std::size_t unit_w = 4;
  std::size_t def_w = 7;
  for (const auto& d : docs) {
    name_w = std::max(name_w, d.name.size());
    unit_w = std::max(unit_w, d.unit.size());
    def_w = std::max(def_w, d.default_value.dump().size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", "name", name_w, "unit", unit_w,
                                "default", def_w, "description");
  for (const auto& d : docs) {
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", d.name, name_w, d.unit, unit_w,
                       d.default_value.dump(), def_w, d.doc);
  }
  return out;
}

}  // namespace fabricsim::topologies
