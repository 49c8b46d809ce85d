#include "kernel/module_deps.h"

#include <fmt/format.h>

#include <sstream>

#include "common/error.h"

namespace poisonlab {
namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string normalize_module_name(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c == '-') c = '_';
  return out;
}

std::string module_name_from_path(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  size_t ko = base.find(".ko");
  if (ko != std::string::npos) base.resize(ko);
  return normalize_module_name(base);
}

ModuleIndex ModuleIndex::parse(const std::string& modules_dep, const std::string& modules_builtin) {
  ModuleIndex index;
  std::istringstream dep(modules_dep);
  size_t line_no = 0;
  for (std::string line; std::getline(dep, line);) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
      throw UserError(fmt::format("modules.dep line {}: expected 'path: dependencies', got '{}'", line_no, line));
    std::string path = line.substr(0, colon);
    index.path_by_name_.emplace(module_name_from_path(path), path);
    index.deps_by_path_[path] = split_words(line.substr(colon + 1));
  }
  std::istringstream builtin(modules_builtin);
  for (std::string line; std::getline(builtin, line);) {
    line = trim(line);
    if (!line.empty()) index.builtin_.insert(module_name_from_path(line));
  }
  return index;
}

bool ModuleIndex::is_builtin(const std::string& name) const {
  return builtin_.count(normalize_module_name(name)) > 0;
}

bool ModuleIndex::has_module(const std::string& name) const {
  return path_by_name_.count(normalize_module_name(name)) > 0;
}

// Post-order walk: a module comes after everything it depends on, whatever
// order modules.dep lists the dependencies in.
void ModuleIndex::visit(const std::string& path, std::set<std::string>& done, std::set<std::string>& active,
                        std::vector<std::string>& order) const {
  if (done.count(path)) return;
  if (!active.insert(path).second)
    throw UserError(fmt::format("modules.dep has a dependency cycle through {}", path));
  auto it = deps_by_path_.find(path);
  if (it == deps_by_path_.end())
    throw UserError(fmt::format("modules.dep names {} as a dependency but has no line for it", path));
  for (const auto& dep : it->second) visit(dep, done, active, order);
  active.erase(path);
  done.insert(path);
  order.push_back(path);
}

ModuleIndex::Closure ModuleIndex::closure(const std::vector<ModuleRequest>& requests) const {
  Closure out;
  std::vector<std::string> missing;
  std::set<std::string> done, active;
  for (const auto& request : requests) {
    auto it = path_by_name_.find(normalize_module_name(request.name));
    if (it != path_by_name_.end()) {
      visit(it->second, done, active, out.paths);
    } else if (is_builtin(request.name)) {
      out.builtin.push_back(request.name);
    } else if (request.optional) {
      out.absent.push_back(request.name);
    } else {
      missing.push_back(request.name);
    }
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    throw UserError(fmt::format("kernel module(s) {} neither built in nor in modules.dep", names));
  }
  return out;
}

}  // namespace poisonlab
