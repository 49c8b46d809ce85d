#include "agent/kernel_pfns.h"

#include "agent/kmsg.h"

namespace poisonlab::agent {

std::map<uint64_t, uint64_t> madvise_pfns_by_file_page(const std::vector<std::string>& lines, const MappingWindow& w) {
  std::map<uint64_t, uint64_t> out;
  for (const auto& line : lines) {
    auto l = parse_kernel_pfn_line(line);
    if (!l || l->kind != KernelPfnLine::Kind::kMadviseInject || !l->vaddr) continue;
    if (*l->vaddr < w.map_addr) continue;
    uint64_t rel = (*l->vaddr - w.map_addr) / w.page_size;
    if (rel >= w.map_pages) continue;
    out.emplace(w.map_offset_pages + rel, l->pfn);
  }
  return out;
}

std::optional<uint64_t> hwpoison_inject_pfn(const std::vector<std::string>& lines) {
  for (const auto& line : lines)
    if (auto l = parse_kernel_pfn_line(line); l && l->kind == KernelPfnLine::Kind::kHwpoisonInject) return l->pfn;
  return std::nullopt;
}

std::map<uint64_t, std::string> recovery_actions(const std::vector<std::string>& lines) {
  std::map<uint64_t, std::string> actions;
  for (const auto& line : lines)
    if (auto l = parse_kernel_pfn_line(line); l && l->kind == KernelPfnLine::Kind::kRecoveryAction)
      actions.emplace(l->pfn, l->page_type + ": " + l->result);  // the first line for a pfn wins
  return actions;
}

}  // namespace poisonlab::agent
