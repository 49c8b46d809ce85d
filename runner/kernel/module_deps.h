#pragma once
// Module dependency closure from a kernel's modules.dep and modules.builtin,
// the way modprobe would load them, but done at initramfs build time.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kernel/variant_registry.h"

namespace poisonlab {

// "kernel/fs/xfs/xfs.ko.xz" -> "xfs"; "dm-mod" -> "dm_mod".
std::string module_name_from_path(const std::string& path);
std::string normalize_module_name(const std::string& name);

class ModuleIndex {
 public:
  // modules_dep: text of modules.dep; modules_builtin: text of modules.builtin
  // (may be empty). Throws UserError on a malformed modules.dep line.
  static ModuleIndex parse(const std::string& modules_dep, const std::string& modules_builtin);

  bool is_builtin(const std::string& name) const;
  bool has_module(const std::string& name) const;

  struct Closure {
    std::vector<std::string> paths;    // relative to lib/modules/<release>, load order
    std::vector<std::string> builtin;  // requested but built in (skipped)
    std::vector<std::string> absent;   // optional, requested but not available
  };
  // Dependencies before dependents, each path once. Throws UserError naming
  // every required module that is neither built in nor present.
  Closure closure(const std::vector<ModuleRequest>& requests) const;

 private:
  void visit(const std::string& path, std::set<std::string>& done, std::set<std::string>& active,
             std::vector<std::string>& order) const;

  std::map<std::string, std::string> path_by_name_;               // normalized name -> path
  std::map<std::string, std::vector<std::string>> deps_by_path_;  // path -> its dependencies
  std::set<std::string> builtin_;                                  // normalized names
};

}  // namespace poisonlab
