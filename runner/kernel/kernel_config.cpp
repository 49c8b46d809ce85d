#include "kernel/kernel_config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "scenario/scenario.h"

namespace fs = std::filesystem;

namespace poisonlab {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool valid_option(std::string_view name) {
  if (!name.starts_with("CONFIG_") || name.size() == 7) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum((unsigned char)c) || c == '_'; });
}

// "# CONFIG_X is not set" -> "CONFIG_X"; "" for any other comment.
std::string not_set_option(std::string_view line) {
  constexpr std::string_view kSuffix = " is not set";
  line = trim(line.substr(1));
  if (!line.ends_with(kSuffix)) return "";
  std::string_view name = line.substr(0, line.size() - kSuffix.size());
  return valid_option(name) ? std::string(name) : "";
}

std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

}  // namespace

KernelConfig parse_kernel_config(std::string_view text, const std::string& label) {
  KernelConfig config;
  std::istringstream in{std::string(text)};
  std::string raw;
  for (int number = 1; std::getline(in, raw); ++number) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (auto name = not_set_option(line); !name.empty()) config[name] = "n";
      continue;
    }
    auto eq = line.find('=');
    std::string_view name = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !valid_option(name))
      throw UserError(fmt::format("{}:{}: not a kernel config line (CONFIG_X=value or "
                                  "# CONFIG_X is not set): {}", label, number, line), kExitBadInput);
    config[std::string(name)] = unquote(trim(line.substr(eq + 1)));
  }
  return config;
}

KernelConfig load_kernel_config(const fs::path& file) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) throw UserError(file.string() + ": is a directory, not a kernel config", kExitBadInput);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UserError(fmt::format("cannot read kernel config {}: {}", file.string(), strerror(errno)), kExitBadInput);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_kernel_config(text.str(), file.string());
}

MergedConfig merge_kernel_configs(const std::vector<NamedConfig>& fragments) {
  MergedConfig merged;
  std::map<std::string, std::string> source;  // option -> fragment that set it last
  for (const auto& fragment : fragments) {
    for (const auto& [option, value] : fragment.config) {
      auto it = merged.config.find(option);
      if (it != merged.config.end() && it->second != value)
        merged.overrides.push_back({option, it->second, source[option], value, fragment.name});
      merged.config[option] = value;
      source[option] = fragment.name;
    }
  }
  return merged;
}

namespace {

using Table = std::vector<std::pair<std::string, std::vector<ConfigRequirement>>>;

// module_ok: a tristate driver that Debian builds as a module and the guest
// loads from its initramfs. Bool options and anything needed before the
// initramfs runs must be "y".
const Table& requirement_table() {
  static const Table table = {
      {"core", {{"CONFIG_MEMORY_FAILURE", false}, {"CONFIG_HWPOISON_INJECT", true},
                {"CONFIG_DEBUG_FS", false}, {"CONFIG_ZONE_DEVICE", false}, {"CONFIG_DAX", true},
                {"CONFIG_FS_DAX", false}, {"CONFIG_ACPI_NFIT", true}, {"CONFIG_LIBNVDIMM", true},
                {"CONFIG_BLK_DEV_PMEM", true}, {"CONFIG_NVDIMM_PFN", false}}},
      {"9p-guest", {{"CONFIG_BLK_DEV_INITRD", false}, {"CONFIG_DEVTMPFS", false}, {"CONFIG_TMPFS", false},
                    {"CONFIG_VIRTIO_PCI", true}, {"CONFIG_VIRTIO_CONSOLE", true}, {"CONFIG_NET_9P", true},
                    {"CONFIG_NET_9P_VIRTIO", true}, {"CONFIG_9P_FS", true}}},
      {"xfs", {{"CONFIG_XFS_FS", true}}},
      {"ext4", {{"CONFIG_EXT4_FS", true}}},
      {"dm", {{"CONFIG_BLK_DEV_DM", true}}},  // dm-linear and dm-stripe are in dm-mod
      {"trace", {{"CONFIG_DEBUG_FS", false}, {"CONFIG_FTRACE", false}, {"CONFIG_FUNCTION_TRACER", false},
                 {"CONFIG_KPROBES", false}, {"CONFIG_KRETPROBES", false}, {"CONFIG_KPROBE_EVENTS", false}}},
      {"mce", {{"CONFIG_X86_MCE", false}, {"CONFIG_X86_MCE_INTEL", false}}},
      {"perf", {{"CONFIG_PERF_EVENTS", false}}},
      // Optional: reports name enum mf_flags from /sys/kernel/btf/vmlinux;
      // without it the flags stay numbers. Costs debug info in every build.
      {"btf", {{"CONFIG_DEBUG_INFO_BTF", false}}},
      {"cxl", {{"CONFIG_PCIEPORTBUS", false}, {"CONFIG_PCI_MMCONFIG", false}, {"CONFIG_CXL_BUS", true}, {"CONFIG_CXL_PCI", true},
               {"CONFIG_CXL_ACPI", true}, {"CONFIG_CXL_PMEM", true}, {"CONFIG_CXL_MEM", true},
               {"CONFIG_CXL_PORT", true}, {"CONFIG_CXL_REGION", false},
               {"CONFIG_CXL_REGION_INVALIDATION_TEST", false}}},
  };
  return table;
}

ConfigFinding evaluate(const KernelConfig& config, const ConfigRequirement& req) {
  auto it = config.find(req.option);
  std::string found = it == config.end() ? "absent" : it->second;
  bool ok = found == "y" || (req.module_ok && found == "m");
  return {req.option, found, req.module_ok ? "y or m" : "y", ok};
}

}  // namespace

const std::vector<std::string>& config_features() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [feature, reqs] : requirement_table()) out.push_back(feature);
    return out;
  }();
  return names;
}

const std::vector<ConfigRequirement>& config_requirements(const std::string& feature) {
  for (const auto& [name, reqs] : requirement_table())
    if (name == feature) return reqs;
  throw std::out_of_range("unknown kernel config feature " + feature);
}

std::vector<ConfigFinding> FeatureCheck::problems() const {
  std::vector<ConfigFinding> out;
  std::copy_if(findings.begin(), findings.end(), std::back_inserter(out), [](const auto& f) { return !f.ok; });
  return out;
}

std::vector<FeatureCheck> check_config(const KernelConfig& config, const std::set<std::string>& features) {
  for (const auto& feature : features)
    if (std::find(config_features().begin(), config_features().end(), feature) == config_features().end())
      throw UserError(fmt::format("unknown kernel config feature \"{}\"; known: {}", feature,
                                  fmt::join(config_features(), ", ")), kExitBadInput);
  std::vector<FeatureCheck> checks;
  for (const auto& [feature, reqs] : requirement_table()) {
    if (!features.contains(feature)) continue;
    FeatureCheck check{feature, {}};
    for (const auto& req : reqs) check.findings.push_back(evaluate(config, req));
    checks.push_back(std::move(check));
  }
  return checks;
}

bool all_present(const std::vector<FeatureCheck>& checks) {
  return std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.problems().empty(); });
}

std::string format_config_check(const std::vector<FeatureCheck>& checks) {
  std::string out = fmt::format("{:<9} {:<37} {:<7} {:<7} {}\n", "feature", "option", "found", "needed", "status");
  std::vector<std::string> missing;
  for (const auto& check : checks) {
    for (const auto& f : check.findings)
      out += fmt::format("{:<9} {:<37} {:<7} {:<7} {}\n", check.feature, f.option, f.found, f.needed,
                         f.ok ? "ok" : "MISSING");
    if (auto p = check.problems(); !p.empty()) missing.push_back(fmt::format("{} ({})", check.feature, p.size()));
  }
  if (missing.empty()) return out + fmt::format("all options present for {} features\n", checks.size());
  return out + fmt::format("missing or wrong options for: {}\n", fmt::join(missing, ", "));
}

std::set<std::string> scenario_config_features(const Scenario& scenario) {
  std::set<std::string> features{"core", "9p-guest"};
  for (const auto& filesystem : scenario.filesystems) features.insert(filesystem.type);
  for (const auto& stack : scenario.stacks)
    if (stack.type.starts_with("dm-")) features.insert("dm");
  for (const auto& injection : scenario.injections)
    if (injection.method == "mce") features.insert("mce");
  bool trace_sweep = scenario.sweep && scenario.sweep->parameter == "trace";
  if (scenario.trace || trace_sweep) features.insert("trace");
  if (scenario.perf) features.insert("perf");
  if (scenario.topology.is_cxl()) features.insert("cxl");
  return features;
}

}  // namespace poisonlab
