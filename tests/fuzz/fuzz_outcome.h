#pragma once
// What a fuzz target accepts as the outcome of one input: success, or a
// UserError with exit status 2 whose InputError names the file and a JSON
// pointer. Anything else (another exception, a UserError of another exit
// status, a pointer that is not one) aborts, so libFuzzer keeps the input
// as a crash. Sanitizer reports abort on their own.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace poisonlab::fuzz {

[[noreturn]] inline void crash(const std::string& why) {
  std::fprintf(stderr, "fuzz: not an input error: %s\n", why.c_str());
  std::abort();
}

// The pointer follows the document as far as it goes: a missing field (or
// a missing object above it) ends the walk early, but an object there must
// not hold a key with "/" or "~" that the rest of the pointer spells
// unescaped ("/a/b_ns" for the key "a/b_ns", which is "/a~1b_ns").
inline void check_pointer_resolves(const InputError& e, const nlohmann::json& document) {
  nlohmann::json::json_pointer pointer;
  try {
    pointer = nlohmann::json::json_pointer(e.pointer());
  } catch (const nlohmann::json::exception&) {
    crash("not a JSON pointer: \"" + e.pointer() + "\" in: " + e.what());
  }
  std::vector<std::string> tokens;
  for (auto p = pointer; !p.empty(); p = p.parent_pointer()) tokens.insert(tokens.begin(), p.back());
  const nlohmann::json* node = &document;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (node->is_object() && node->contains(token)) {
      node = &(*node)[token];
      continue;
    }
    if (node->is_array() && !token.empty() && token.find_first_not_of("0123456789") == std::string::npos &&
        token.size() < 10 && std::stoul(token) < node->size()) {
      node = &(*node)[std::stoul(token)];
      continue;
    }
    if (!node->is_object()) return;
    std::string rest = token;
    for (size_t j = i + 1; j < tokens.size(); ++j) rest += "/" + tokens[j];
    for (const auto& [key, value] : node->items())
      if (key.find_first_of("/~") != std::string::npos && rest.starts_with(key))
        crash("pointer \"" + e.pointer() + "\" spells the key \"" + key + "\" unescaped: " + e.what());
    return;
  }
}

// An InputError as the CLI prints it: "<file>: <pointer>: <expected>", the
// pointer empty (the whole document, shown "/") or starting with "/".
// document: the input as parsed, when it is JSON.
inline void check_input_error(const InputError& e, const std::string& file, const nlohmann::json* document) {
  const std::string& pointer = e.pointer();
  if (!pointer.empty() && pointer.front() != '/') crash("pointer \"" + pointer + "\" in: " + e.what());
  if (document) check_pointer_resolves(e, *document);
  const std::string shown = e.file() + ": " + (pointer.empty() ? "/" : pointer) + ": ";
  if (std::string(e.what()).rfind(shown, 0) != 0) crash(std::string("message without file and pointer: ") + e.what());
  if (e.file().find(file) == std::string::npos) crash("error names another file: " + std::string(e.what()));
}

// Runs body; returns normally for success or an expected input error.
template <typename Body>
void expect_input_errors_only(const std::string& file, const nlohmann::json* document, Body&& body) {
  try {
    body();
  } catch (const InputError& e) {
    if (e.exit_code() != kExitBadInput) crash("exit status " + std::to_string(e.exit_code()) + ": " + e.what());
    check_input_error(e, file, document);
  } catch (const UserError& e) {
    crash("UserError without a JSON pointer (exit " + std::to_string(e.exit_code()) + "): " + e.what());
  } catch (const std::exception& e) {
    crash(std::string("uncaught ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    crash("unknown exception");
  }
}

// The input as a file the loaders read, one per process (libFuzzer runs
// inputs one after another in a process).
inline const std::filesystem::path& input_file(const char* name) {
  static const std::filesystem::path path = [&] {
    const char* tmp = std::getenv("TMPDIR");
    auto dir = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
               ("poisonlab-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / name;
  }();
  return path;
}

// The input parsed leniently (a repeated key: the last one), or discarded.
inline nlohmann::json parse_leniently(const uint8_t* data, size_t size) {
  return nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
}

inline const std::filesystem::path& write_input(const char* name, const uint8_t* data, size_t size) {
  const auto& path = input_file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) crash("cannot write " + path.string());
  return path;
}

}  // namespace poisonlab::fuzz
