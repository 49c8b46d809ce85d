#include "kernel/build_inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "common/error.h"
#include "common/fs_util.h"

namespace poisonlab {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

std::vector<PatchFile> read_patch_series(const fs::path& dir) {
  fs::path series_file = dir / "series";
  std::error_code ec;
  if (!fs::is_regular_file(series_file, ec)) throw InputError(series_file.string(), "", "patch series file not found");
  std::istringstream in(read_file(series_file));
  std::vector<PatchFile> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::string where = fmt::format("line {}", number);
    if (line.find_first_of(" \t") != std::string::npos)
      throw InputError(series_file.string(), where,
                       fmt::format("'{}': expected one patch file name per line (patches apply with -p1)", line));
    if (line.find("..") != std::string::npos || line.front() == '/')
      throw InputError(series_file.string(), where, fmt::format("'{}': expected a file inside {}", line, dir.string()));
    fs::path path = dir / line;
    if (!fs::is_regular_file(path, ec))
      throw InputError(series_file.string(), where, fmt::format("patch '{}' not found", path.string()));
    out.push_back({line, path, sha256_file(path)});
  }
  return out;
}

std::string patch_series_sha256(const std::vector<PatchFile>& series) {
  if (series.empty()) return "";
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& p : series) pairs.push_back({p.name, p.sha256});
  return sha256_hex(pairs.dump());
}

std::vector<std::string> files_touched_by_patch(std::string_view patch_text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(patch_text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("+++ ")) continue;
    std::string path = trim(line.substr(4, line.find('\t', 4) - 4));
    if (path == "/dev/null") continue;  // a deleted file
    auto slash = path.find('/');
    if (slash == std::string::npos) continue;
    path = path.substr(slash + 1);  // -p1
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  }
  return out;
}

ConfigInputs load_config_inputs(const BuildVariant& variant) {
  ConfigInputs out;
  std::vector<fs::path> files{variant.base};
  files.insert(files.end(), variant.fragments.begin(), variant.fragments.end());
  for (const auto& file : files) {
    out.parts.push_back({file.string(), load_kernel_config(file)});
    std::string text = read_file(file);
    if (!text.empty() && text.back() != '\n') text += '\n';
    out.allconfig_text += text;
  }
  return out;
}

std::vector<UnmetOption> unmet_config_options(const std::vector<NamedConfig>& parts, const KernelConfig& final_config) {
  std::map<std::string, std::pair<std::string, std::string>> wanted;  // option -> (value, source)
  for (const auto& part : parts)
    for (const auto& [option, value] : part.config) wanted[option] = {value, part.name};
  std::vector<UnmetOption> out;
  for (const auto& [option, want] : wanted) {
    auto it = final_config.find(option);
    std::string got = it == final_config.end() ? "absent" : it->second;
    bool met = got == want.first || (want.first == "n" && got == "absent");
    if (!met) out.push_back({option, want.first, got, want.second});
  }
  return out;
}

std::string format_unmet_options(const std::vector<UnmetOption>& unmet) {
  std::string out;
  for (const auto& u : unmet)
    out += fmt::format("  {}={} (from {}) but Kconfig gave {}\n", u.option, u.wanted, u.source, u.got);
  return out;
}

nlohmann::json BuildKey::to_json() const {
  return {{"source_sha256", source_sha256},
          {"config_inputs_sha256", config_inputs_sha256},
          {"patches_sha256", patches_sha256}};
}

BuildKey build_key(const std::string& source_sha256, const ConfigInputs& config, const std::vector<PatchFile>& series) {
  return {source_sha256, sha256_hex(config.allconfig_text), patch_series_sha256(series)};
}

}  // namespace poisonlab
