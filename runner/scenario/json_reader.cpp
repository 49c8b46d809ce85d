#include "scenario/json_reader.h"

#include <limits>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "common/fs_util.h"

namespace poisonlab {
using nlohmann::json;

namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  for (const auto& candidate : items)
    if (candidate == item) return true;
  return false;
}

}  // namespace

JsonAt::JsonAt(const json& value, std::string file, json::json_pointer pointer)
    : value_(&value), file_(std::move(file)), pointer_(std::move(pointer)) {}

JsonAt JsonAt::child(const std::string& key) const {
  return JsonAt(value_->at(key), file_, pointer_ / key);
}

JsonAt JsonAt::child(size_t index) const {
  return JsonAt(value_->at(index), file_, pointer_ / index);
}

std::string JsonAt::pointer_of(const std::string& key) const { return (pointer_ / key).to_string(); }

void JsonAt::fail(const std::string& expected) const { throw InputError(file_, pointer(), expected); }

std::string describe_json(const json& value) {
  if (value.is_object() || value.is_array() || value.is_null()) return value.type_name();
  std::string shown = value.dump();
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + shown;
}

std::int64_t read_integer(const JsonAt& at, std::int64_t min, std::int64_t max) {
  const json& v = at.value();
  std::string range = fmt::format("an integer in {}..{}", min, max);
  if (!v.is_number_integer()) at.fail("expected " + range + ", got " + describe_json(v));
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    at.fail("expected " + range + ", got " + v.dump());
  std::int64_t n = v.get<std::int64_t>();
  if (n < min || n > max) at.fail("expected " + range + ", got " + v.dump());
  return n;
}

bool read_bool(const JsonAt& at) {
  if (!at.value().is_boolean()) at.fail("expected true or false, got " + describe_json(at.value()));
  return at.value().get<bool>();
}

std::string read_string(const JsonAt& at) {
  if (!at.value().is_string()) at.fail("expected a string, got " + describe_json(at.value()));
  return at.value().get<std::string>();
}

std::string read_one_of(const JsonAt& at, const std::vector<std::string>& options) {
  const json& v = at.value();
  std::string expected = "expected one of " + join(options, ", ");
  if (!v.is_string() || !contains(options, v.get<std::string>()))
    at.fail(expected + ", got " + describe_json(v));
  return v.get<std::string>();
}

std::vector<JsonAt> read_array(const JsonAt& at, size_t min, size_t max) {
  const json& v = at.value();
  std::string expected = fmt::format("expected an array of {}..{} elements", min, max);
  if (!v.is_array()) at.fail(expected + ", got " + describe_json(v));
  if (v.size() < min || v.size() > max) at.fail(fmt::format("{}, got {}", expected, v.size()));
  std::vector<JsonAt> items;
  for (size_t i = 0; i < v.size(); ++i) items.push_back(at.child(i));
  return items;
}

std::vector<std::string> read_strings(const JsonAt& at, size_t min, size_t max) {
  std::vector<std::string> out;
  for (const auto& item : read_array(at, min, max)) out.push_back(read_string(item));
  return out;
}

ObjectReader::ObjectReader(const JsonAt& at, std::vector<std::string> allowed_keys) : at_(at) {
  const json& v = at.value();
  if (!v.is_object()) at.fail("expected an object, got " + describe_json(v));
  for (const auto& [key, value] : v.items()) {
    if (!contains(allowed_keys, key))
      throw InputError(at.file(), at.pointer_of(key),
                       "unknown key \"" + key + "\" (expected one of: " + join(allowed_keys, ", ") + ")");
  }
}

std::optional<JsonAt> ObjectReader::optional(const std::string& key) const {
  if (!at_.value().contains(key)) return std::nullopt;
  return at_.child(key);
}

JsonAt ObjectReader::required(const std::string& key) const {
  if (!at_.value().contains(key)) throw InputError(at_.file(), at_.pointer_of(key), "required field is missing");
  return at_.child(key);
}

std::int64_t ObjectReader::integer(const std::string& key, std::int64_t min, std::int64_t max) const {
  return read_integer(required(key), min, max);
}

std::int64_t ObjectReader::integer(const std::string& key, std::int64_t min, std::int64_t max,
                                   std::int64_t fallback) const {
  auto field = optional(key);
  return field ? read_integer(*field, min, max) : fallback;
}

bool ObjectReader::boolean(const std::string& key, bool fallback) const {
  auto field = optional(key);
  return field ? read_bool(*field) : fallback;
}

std::string ObjectReader::string(const std::string& key) const { return read_string(required(key)); }

std::optional<std::string> ObjectReader::optional_string(const std::string& key) const {
  auto field = optional(key);
  if (!field) return std::nullopt;
  return read_string(*field);
}

std::string ObjectReader::one_of(const std::string& key, const std::vector<std::string>& options) const {
  return read_one_of(required(key), options);
}

std::string ObjectReader::one_of(const std::string& key, const std::vector<std::string>& options,
                                 const std::string& fallback) const {
  auto field = optional(key);
  return field ? read_one_of(*field, options) : fallback;
}

std::vector<std::string> ObjectReader::strings(const std::string& key, size_t min, size_t max,
                                               const std::vector<std::string>& fallback) const {
  auto field = optional(key);
  return field ? read_strings(*field, min, max) : fallback;
}

namespace {

// Tracks the JSON pointer of the value being parsed so that a repeated key
// (which nlohmann::json would silently collapse) can be reported by pointer.
class DuplicateKeyChecker {
 public:
  explicit DuplicateKeyChecker(std::string file) : file_(std::move(file)) {}

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        enter_element();
        frames_.push_back(Frame{event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        break;
      case json::parse_event_t::key:
        on_key(parsed.get<std::string>());
        break;
      case json::parse_event_t::value:
        enter_element();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string key;    // current key (objects)
    size_t elements;    // elements seen so far (arrays)
  };

  void enter_element() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().elements;
  }

  void on_key(const std::string& key) {
    Frame& top = frames_.back();
    if (!top.keys.insert(key).second) {
      json::json_pointer where;
      for (size_t i = 0; i + 1 < frames_.size(); ++i)
        where = frames_[i].is_object ? where / frames_[i].key : where / (frames_[i].elements - 1);
      throw InputError(file_, (where / key).to_string(), "key \"" + key + "\" appears more than once");
    }
    top.key = key;
  }

  std::string file_;
  std::vector<Frame> frames_;
};

}  // namespace

json parse_json_strict(const std::string& text, const std::string& file) {
  try {
    return json::parse(text, DuplicateKeyChecker(file));
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    // e.what() starts with "[json.exception.parse_error.101] "; keep the rest,
    // which holds the line and column.
    std::string message = e.what();
    auto bracket = message.find("] ");
    if (bracket != std::string::npos) message = message.substr(bracket + 2);
    throw InputError(file, "", "invalid JSON: " + message);
  }
}

json read_json_input(const std::filesystem::path& file) {
  return parse_json_strict(read_input_file(file), file.string());
}

}  // namespace poisonlab
