#pragma once
// Strict reading of user-written JSON: every check is one call, and every
// failure is an InputError naming the file, the JSON pointer of the field and
// what was expected. Used by the scenario loader; reusable for any input file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

// A JSON value together with where it came from.
class JsonAt {
 public:
  JsonAt(const nlohmann::json& value, std::string file, nlohmann::json::json_pointer pointer = nlohmann::json::json_pointer());

  const nlohmann::json& value() const { return *value_; }
  const std::string& file() const { return file_; }
  std::string pointer() const { return pointer_.to_string(); }
  JsonAt child(const std::string& key) const;  // value must hold key
  JsonAt child(size_t index) const;            // value must be an array
  // The pointer of a key below this value (escaped, e.g. "/a~1b").
  std::string pointer_of(const std::string& key) const;

  [[noreturn]] void fail(const std::string& expected) const;

 private:
  const nlohmann::json* value_;
  std::string file_;
  nlohmann::json::json_pointer pointer_;
};

// "string \"abc\"", "number 2.5", "object": how a value is shown in errors.
std::string describe_json(const nlohmann::json& value);

std::int64_t read_integer(const JsonAt& at, std::int64_t min, std::int64_t max);
bool read_bool(const JsonAt& at);
std::string read_string(const JsonAt& at);
std::string read_one_of(const JsonAt& at, const std::vector<std::string>& options);
// The elements of an array of min..max elements.
std::vector<JsonAt> read_array(const JsonAt& at, size_t min, size_t max);
// An array of strings, each checked by read_string.
std::vector<std::string> read_strings(const JsonAt& at, size_t min, size_t max);

// An object whose keys must all be in allowed_keys.
class ObjectReader {
 public:
  ObjectReader(const JsonAt& at, std::vector<std::string> allowed_keys);

  const JsonAt& at() const { return at_; }
  std::optional<JsonAt> optional(const std::string& key) const;
  JsonAt required(const std::string& key) const;

  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) const;
  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max,
                       std::int64_t fallback) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string string(const std::string& key) const;
  std::optional<std::string> optional_string(const std::string& key) const;
  std::string one_of(const std::string& key, const std::vector<std::string>& options) const;
  std::string one_of(const std::string& key, const std::vector<std::string>& options,
                     const std::string& fallback) const;
  std::vector<std::string> strings(const std::string& key, size_t min, size_t max,
                                   const std::vector<std::string>& fallback) const;

 private:
  JsonAt at_;
};

// Parses JSON text strictly: a syntax error or a key repeated in one object
// is an InputError (pointer "" with line/column for syntax errors).
nlohmann::json parse_json_strict(const std::string& text, const std::string& file);
// Reads a user's input file and parses it strictly; a file that cannot be
// read is an InputError too (pointer "", the reason).
nlohmann::json read_json_input(const std::filesystem::path& file);

}  // namespace poisonlab
