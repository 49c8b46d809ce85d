#include "kernel/variant_registry.h"

#include <fmt/format.h>

#include <regex>
#include <set>

#include "common/error.h"
#include "common/fs_util.h"

namespace poisonlab {
namespace {

using json = nlohmann::json;

struct Ctx {
  const std::string& file;
  [[noreturn]] void fail(const std::string& pointer, const std::string& expected) const {
    throw InputError(file, pointer, expected);
  }
};

void reject_unknown_keys(const Ctx& ctx, const json& object, const std::string& pointer,
                         const std::set<std::string>& allowed) {
  for (const auto& [key, value] : object.items()) {
    if (allowed.count(key)) continue;
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
    ctx.fail(pointer + "/" + key, fmt::format("unknown field '{}' (expected one of: {})", key, names));
  }
}

std::string require_string(const Ctx& ctx, const json& object, const std::string& pointer,
                           const std::string& key) {
  auto it = object.find(key);
  if (it == object.end()) ctx.fail(pointer + "/" + key, "missing field (expected a string)");
  if (!it->is_string() || it->get<std::string>().empty())
    ctx.fail(pointer + "/" + key, "expected a non-empty string");
  return it->get<std::string>();
}

std::vector<std::string> require_string_list(const Ctx& ctx, const json& object,
                                             const std::string& pointer, const std::string& key) {
  auto it = object.find(key);
  std::string where = pointer + "/" + key;
  if (it == object.end()) ctx.fail(where, "missing field (expected an array of strings)");
  if (!it->is_array() || it->empty()) ctx.fail(where, "expected a non-empty array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_string() || v.get<std::string>().empty())
      ctx.fail(where + "/" + std::to_string(i), "expected a non-empty string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool valid_module_name(const std::string& name) {
  static const std::regex re("[A-Za-z0-9_-]+");
  return std::regex_match(name, re);
}

// Entries are "name" or {"name": "...", "optional": true}.
std::vector<ModuleRequest> parse_modules(const Ctx& ctx, const json& object, const std::string& pointer,
                                         bool all_optional) {
  auto it = object.find("modules");
  std::string where = pointer + "/modules";
  if (it == object.end()) ctx.fail(where, "missing field (expected an array of module names)");
  if (!it->is_array()) ctx.fail(where, "expected an array of module names");
  std::vector<ModuleRequest> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    std::string at = where + "/" + std::to_string(i);
    ModuleRequest request;
    if (v.is_string()) {
      request.name = v.get<std::string>();
    } else if (v.is_object()) {
      reject_unknown_keys(ctx, v, at, {"name", "optional"});
      request.name = require_string(ctx, v, at, "name");
      if (v.contains("optional")) {
        if (!v["optional"].is_boolean()) ctx.fail(at + "/optional", "expected true or false");
        request.optional = v["optional"].get<bool>();
      }
    } else {
      ctx.fail(at, "expected a module name or {\"name\": ..., \"optional\": true}");
    }
    if (!valid_module_name(request.name))
      ctx.fail(at, fmt::format("'{}' is not a module name (letters, digits, '-', '_')", request.name));
    request.optional = request.optional || all_optional;
    out.push_back(request);
  }
  return out;
}

void check_variant_name(const Ctx& ctx, const std::string& name, const json& v) {
  std::string pointer = "/variants/" + name;
  static const std::regex name_re("[a-z0-9][a-z0-9.+_-]*");
  if (!std::regex_match(name, name_re) || name == "custom")
    ctx.fail(pointer, fmt::format("'{}' is not a valid variant name (lower-case letters, digits, . + _ -; "
                                  "'custom' is reserved)", name));
  if (!v.is_object()) ctx.fail(pointer, "expected an object");
}

std::string variant_source(const Ctx& ctx, const std::string& name, const json& v) {
  std::string pointer = "/variants/" + name;
  std::string source = require_string(ctx, v, pointer, "source");
  if (source != "debian" && source != "build")
    ctx.fail(pointer + "/source", fmt::format("unsupported source '{}' (expected \"debian\" or \"build\")", source));
  return source;
}

// A path inside the registry's folder that must exist (file or folder).
std::filesystem::path existing_path(const Ctx& ctx, const std::filesystem::path& base_dir, const std::string& pointer,
                                    const std::string& relative, bool folder) {
  std::filesystem::path p = base_dir / relative;
  std::error_code ec;
  bool ok = folder ? std::filesystem::is_directory(p, ec) : std::filesystem::is_regular_file(p, ec);
  if (!ok) ctx.fail(pointer, fmt::format("{} '{}' not found", folder ? "folder" : "file", p.string()));
  return p;
}

BuildVariant parse_build_variant(const Ctx& ctx, const std::string& name, const json& v,
                                 const std::filesystem::path& base_dir) {
  std::string pointer = "/variants/" + name;
  reject_unknown_keys(ctx, v, pointer, {"description", "source", "tree", "base", "fragments", "patches"});
  BuildVariant out;
  out.name = name;
  if (v.contains("description")) out.description = require_string(ctx, v, pointer, "description");
  auto tree = v.find("tree");
  if (tree == v.end() || !tree->is_object())
    ctx.fail(pointer + "/tree", "expected {\"debian_source_package\": \"linux-source-X.Y\"}");
  reject_unknown_keys(ctx, *tree, pointer + "/tree", {"debian_source_package"});
  out.debian_source_package = require_string(ctx, *tree, pointer + "/tree", "debian_source_package");
  static const std::regex package_re("linux-source-[0-9]+\\.[0-9]+");
  if (!std::regex_match(out.debian_source_package, package_re))
    ctx.fail(pointer + "/tree/debian_source_package",
             fmt::format("'{}' is not a Debian kernel source package (expected linux-source-X.Y)",
                         out.debian_source_package));
  out.base = existing_path(ctx, base_dir, pointer + "/base", require_string(ctx, v, pointer, "base"), false);
  auto fragments = v.contains("fragments") ? require_string_list(ctx, v, pointer, "fragments")
                                            : std::vector<std::string>{};
  for (size_t i = 0; i < fragments.size(); ++i)
    out.fragments.push_back(
        existing_path(ctx, base_dir, fmt::format("{}/fragments/{}", pointer, i), fragments[i], false));
  if (v.contains("patches")) {
    out.patches =
        existing_path(ctx, base_dir, pointer + "/patches", require_string(ctx, v, pointer, "patches"), true);
    existing_path(ctx, base_dir, pointer + "/patches", (out.patches / "series").string(), false);
  }
  return out;
}

DebianVariant parse_variant(const Ctx& ctx, const std::string& name, const json& v) {
  std::string pointer = "/variants/" + name;
  reject_unknown_keys(ctx, v, pointer, {"description", "source", "metapackage", "suites", "package_glob", "modules"});
  DebianVariant out;
  out.name = name;
  out.metapackage = require_string(ctx, v, pointer, "metapackage");
  out.suites = require_string_list(ctx, v, pointer, "suites");
  out.package_glob = require_string(ctx, v, pointer, "package_glob");
  out.modules = parse_modules(ctx, v, pointer, false);
  return out;
}

}  // namespace

std::string DebianVariant::resolution_key() const {
  json key = {{"metapackage", metapackage}, {"suites", suites}, {"package_glob", package_glob}};
  return sha256_hex(key.dump()).substr(0, 16);
}

VariantRegistry VariantRegistry::load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw InputError(file.string(), "", "kernel variant registry not found");
  json doc;
  try {
    doc = json::parse(read_file(file));
  } catch (const json::parse_error& e) {
    throw InputError(file.string(), "", std::string("not valid JSON: ") + e.what());
  }
  return parse(doc, file.string(), file.parent_path());
}

VariantRegistry VariantRegistry::parse(const json& doc, const std::string& file_label,
                                       const std::filesystem::path& base_dir) {
  VariantRegistry registry;
  registry.file_ = file_label;
  Ctx ctx{registry.file_};
  if (!doc.is_object()) ctx.fail("", "expected a JSON object with \"variants\"");
  reject_unknown_keys(ctx, doc, "", {"description", "variants", "custom"});
  auto variants = doc.find("variants");
  if (variants == doc.end() || !variants->is_object() || variants->empty())
    ctx.fail("/variants", "expected a non-empty object of variant name -> definition");
  for (const auto& [name, v] : variants->items()) {
    check_variant_name(ctx, name, v);
    if (variant_source(ctx, name, v) == "build")
      registry.builds_[name] = parse_build_variant(ctx, name, v, base_dir);
    else
      registry.variants_[name] = parse_variant(ctx, name, v);
  }
  auto custom = doc.find("custom");
  if (custom == doc.end() || !custom->is_object())
    ctx.fail("/custom", "expected an object with the \"modules\" for --kernel-image kernels");
  reject_unknown_keys(ctx, *custom, "/custom", {"description", "modules"});
  registry.custom_modules_ = parse_modules(ctx, *custom, "/custom", true);
  registry.doc_ = doc;
  return registry;
}

std::vector<std::string> VariantRegistry::names() const {
  std::set<std::string> sorted;
  for (const auto& [name, v] : variants_) sorted.insert(name);
  for (const auto& [name, v] : builds_) sorted.insert(name);
  return {sorted.begin(), sorted.end()};
}

bool VariantRegistry::contains(const std::string& name) const {
  return variants_.count(name) > 0 || builds_.count(name) > 0;
}

const json& VariantRegistry::get(const std::string& name) const {
  if (!contains(name)) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    throw InputError(file_, "/variants", fmt::format("unknown kernel variant '{}' (known: {})", name, known));
  }
  return doc_.at("variants").at(name);
}

DebianVariant VariantRegistry::variant(const std::string& name) const {
  get(name);  // throws the unknown-variant error
  if (!variants_.count(name))
    throw InputError(file_, "/variants/" + name, fmt::format("'{}' is built from source, not a Debian package", name));
  return variants_.at(name);
}

BuildVariant VariantRegistry::build_variant(const std::string& name) const {
  get(name);
  if (!builds_.count(name))
    throw InputError(file_, "/variants/" + name,
                     fmt::format("'{}' is a Debian package, not built from source (poisonlab kernel fetch)", name));
  return builds_.at(name);
}

}  // namespace poisonlab
