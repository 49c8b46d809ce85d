#pragma once
// Choosing the concrete Debian kernel package for a variant from apt's
// metadata: `apt-cache madison METAPACKAGE` lists versions per suite,
// `apt-cache show METAPACKAGE=VERSION` names the image package it depends on.
#include <optional>
#include <string>
#include <vector>

#include "kernel/variant_registry.h"

namespace poisonlab {

// dpkg's version ordering: <0, 0, >0 like strcmp.
int compare_debian_versions(const std::string& a, const std::string& b);

struct MadisonEntry {
  std::string package, version, suite;  // suite: "bookworm-backports"
};
std::vector<MadisonEntry> parse_madison(const std::string& text);

// The highest version of the metapackage among the given suites.
std::optional<MadisonEntry> pick_highest(const std::vector<MadisonEntry>& entries,
                                         const std::vector<std::string>& suites);

struct PackageRef {
  std::string package, version;  // version empty if the dependency is unversioned
  bool operator==(const PackageRef&) const = default;
};
// From `apt-cache show` text: the Depends alternative matching glob (fnmatch).
std::optional<PackageRef> dependency_matching(const std::string& show_text, const std::string& glob);

// "linux-image-6.1.0-56-amd64" -> "6.1.0-56-amd64"
std::string release_from_package(const std::string& package);

// Runs apt-cache. Throws UserError telling to run ./setup.sh when apt knows
// no matching package.
PackageRef resolve_debian_package(const DebianVariant& variant);

}  // namespace poisonlab
