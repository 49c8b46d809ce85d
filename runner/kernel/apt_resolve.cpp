#include "kernel/apt_resolve.h"

#include <fnmatch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "common/error.h"
#include "common/process.h"

namespace poisonlab {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// dpkg's character order: '~' sorts before everything, even the end of the
// string; letters before other characters.
int order_of(char c) {
  if (std::isdigit(static_cast<unsigned char>(c))) return 0;
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

int compare_version_part(const std::string& as, const std::string& bs) {
  const char* a = as.c_str();
  const char* b = bs.c_str();
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (*a || *b) {
    while ((*a && !digit(*a)) || (*b && !digit(*b))) {
      int ac = order_of(*a), bc = order_of(*b);
      if (ac != bc) return ac - bc;
      if (*a) ++a;
      if (*b) ++b;
    }
    while (*a == '0') ++a;
    while (*b == '0') ++b;
    int first_diff = 0;
    while (digit(*a) && digit(*b)) {
      if (!first_diff) first_diff = *a - *b;
      ++a;
      ++b;
    }
    if (digit(*a)) return 1;
    if (digit(*b)) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

struct SplitVersion {
  long epoch = 0;
  std::string upstream, revision;
};

SplitVersion split_version(const std::string& v) {
  SplitVersion out;
  std::string rest = v;
  size_t colon = rest.find(':');
  if (colon != std::string::npos) {
    out.epoch = std::strtol(rest.substr(0, colon).c_str(), nullptr, 10);
    rest = rest.substr(colon + 1);
  }
  size_t dash = rest.rfind('-');
  out.upstream = rest.substr(0, dash);
  if (dash != std::string::npos) out.revision = rest.substr(dash + 1);
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

int compare_debian_versions(const std::string& a, const std::string& b) {
  SplitVersion x = split_version(a), y = split_version(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int c = compare_version_part(x.upstream, y.upstream)) return c;
  return compare_version_part(x.revision, y.revision);
}

std::vector<MadisonEntry> parse_madison(const std::string& text) {
  std::vector<MadisonEntry> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto fields = split(line, '|');
    if (fields.size() != 3) continue;
    std::istringstream where(fields[2]);
    std::vector<std::string> words;
    for (std::string w; where >> w;) words.push_back(w);
    // "<uri> <suite>/<component> <arch> Packages"; source lines end in "Sources".
    if (words.size() < 2 || words.back() != "Packages") continue;
    MadisonEntry entry{trim(fields[0]), trim(fields[1]), words[1].substr(0, words[1].find('/'))};
    if (!entry.package.empty() && !entry.version.empty()) out.push_back(entry);
  }
  return out;
}

std::optional<MadisonEntry> pick_highest(const std::vector<MadisonEntry>& entries,
                                         const std::vector<std::string>& suites) {
  std::optional<MadisonEntry> best;
  for (const auto& e : entries) {
    if (std::find(suites.begin(), suites.end(), e.suite) == suites.end()) continue;
    if (!best || compare_debian_versions(e.version, best->version) > 0) best = e;
  }
  return best;
}

std::optional<PackageRef> dependency_matching(const std::string& show_text, const std::string& glob) {
  // Only the first stanza; a Depends field may continue on indented lines.
  std::istringstream in(show_text);
  std::string depends;
  bool in_depends = false;
  for (std::string line; std::getline(in, line);) {
    if (trim(line).empty()) break;
    if (in_depends && (line[0] == ' ' || line[0] == '\t')) {
      depends += " " + trim(line);
      continue;
    }
    in_depends = line.rfind("Depends:", 0) == 0;
    if (in_depends) depends = line.substr(8);
  }
  for (const auto& clause : split(depends, ','))
    for (const auto& alternative : split(clause, '|')) {
      std::string item = trim(alternative);
      std::string name = item.substr(0, item.find_first_of(" (:"));
      if (name.empty() || fnmatch(glob.c_str(), name.c_str(), 0) != 0) continue;
      PackageRef ref{name, ""};
      size_t open = item.find('('), close = item.find(')');
      if (open != std::string::npos && close != std::string::npos) {
        std::string constraint = trim(item.substr(open + 1, close - open - 1));
        if (constraint.rfind("=", 0) == 0) ref.version = trim(constraint.substr(1));
      }
      return ref;
    }
  return std::nullopt;
}

std::string release_from_package(const std::string& package) {
  const std::string prefix = "linux-image-";
  if (package.rfind(prefix, 0) != 0) return package;
  std::string release = package.substr(prefix.size());
  // Debian names unsigned images "<release>-unsigned".
  const std::string unsigned_suffix = "-unsigned";
  if (release.size() > unsigned_suffix.size() &&
      release.compare(release.size() - unsigned_suffix.size(), unsigned_suffix.size(), unsigned_suffix) == 0)
    release.resize(release.size() - unsigned_suffix.size());
  return release;
}

PackageRef resolve_debian_package(const DebianVariant& variant) {
  auto apt_cache = require_program("apt-cache", "apt").string();
  auto madison = run_checked({apt_cache, "madison", variant.metapackage});
  auto best = pick_highest(parse_madison(madison.out), variant.suites);
  if (!best)
    throw UserError(fmt::format(
        "kernel variant {}: apt knows no {} in suite(s) {}; run ./setup.sh (it adds bookworm-backports and runs "
        "apt-get update)", variant.name, variant.metapackage, join(variant.suites)));
  auto show = run_checked({apt_cache, "show", variant.metapackage + "=" + best->version});
  auto ref = dependency_matching(show.out, variant.package_glob);
  if (!ref)
    throw UserError(fmt::format("kernel variant {}: {} {} ({}) depends on no package matching '{}'", variant.name,
                                variant.metapackage, best->version, best->suite, variant.package_glob));
  if (ref->version.empty()) {
    auto image = pick_highest(parse_madison(run_checked({apt_cache, "madison", ref->package}).out), variant.suites);
    if (!image)
      throw UserError(fmt::format("kernel variant {}: apt knows no {} in suite(s) {}; run ./setup.sh",
                                  variant.name, ref->package, join(variant.suites)));
    ref->version = image->version;
  }
  return *ref;
}

}  // namespace poisonlab
