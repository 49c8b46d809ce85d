#include "plan/plan.h"

#include <algorithm>

namespace poisonlab {
using nlohmann::json;

namespace {

// Sectors of 512 bytes, as dm tables count.
constexpr long long kSectorsPerMib = 2048;

// name, or name-<index> if an earlier element already used name.
template <typename T, typename NameOf>
std::string unique_label(const std::vector<T>& items, size_t index, NameOf name_of) {
  std::string name = name_of(items[index]);
  for (size_t i = 0; i < index; ++i)
    if (name_of(items[i]) == name) return name + "-" + std::to_string(index);
  return name;
}

json stack_json(const StackSpec& stack) {
  if (stack.type == "dm-linear")
    return {{"type", "dm-linear"}, {"offset_sectors", static_cast<long long>(stack.offset_mib) * kSectorsPerMib}};
  return {{"type", stack.type}};
}

}  // namespace

json cell_spec(const Scenario& s, const StackSpec& stack, const InjectionSpec& injection) {
  return {
      {"stack", stack_json(stack)},
      {"filesystem",
       {{"type", s.filesystem.type},
        {"mkfs_options", s.filesystem.mkfs_options},
        {"mount_options", s.filesystem.mount_options}}},
      {"namespace", {{"mode", "fsdax"}, {"map", "mem"}, {"align", "2M"}}},
      {"file_pages", s.file_pages},
      {"victims",
       {{"early_kill", s.victims.early_kill}, {"late_kill", s.victims.late_kill}, {"neighbour", s.victims.neighbour}}},
      {"injection",
       {{"method", injection.method},
        {"offset_pages", injection.offset_pages},
        {"pages", injection.pages},
        {"pacing", injection.pacing},
        {"settle_ms", injection.settle_ms}}},
      {"trials", s.trials},
      {"trace", s.trace},
      {"reaccess", s.reaccess},
  };
}

std::vector<Cell> plan_cells(const Scenario& s) {
  auto stack_type = [](const StackSpec& st) { return st.type; };
  auto method = [](const InjectionSpec& inj) { return inj.method; };
  std::vector<Cell> cells;
  for (const auto& kernel : s.kernels) {
    for (size_t si = 0; si < s.stacks.size(); ++si) {
      std::string stack_label = unique_label(s.stacks, si, stack_type);
      for (size_t ii = 0; ii < s.injections.size(); ++ii) {
        const auto& injection = s.injections[ii];
        cells.push_back(Cell{kernel + "/" + stack_label + "/" + unique_label(s.injections, ii, method), kernel,
                             s.stacks[si].type, injection.method, cell_spec(s, s.stacks[si], injection)});
      }
    }
  }
  return cells;
}

std::vector<KernelCells> group_cells_by_kernel(const std::vector<Cell>& cells) {
  std::vector<KernelCells> groups;
  for (const auto& cell : cells) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const KernelCells& g) { return g.kernel == cell.kernel; });
    if (it == groups.end()) it = groups.insert(groups.end(), KernelCells{cell.kernel, {}});
    it->cells.push_back(cell);
  }
  return groups;
}

}  // namespace poisonlab
