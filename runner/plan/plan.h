#pragma once
// The plan: which cells a scenario runs, in which order. A cell is one
// (kernel, stack, injection) combination; its spec is the CellSpec the agent
// receives (runner/protocol/PROTOCOL.md).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.h"

namespace poisonlab {

struct Cell {
  std::string id;          // "<kernel>/<stack>/<method>", unique in a plan
  std::string kernel;
  std::string stack_name;  // "raw" | "dm-linear"
  std::string method;      // "madvise" | "hwpoison-pfn"
  nlohmann::json spec;     // CellSpec
};

// One VM per kernel runs that kernel's cells in plan order.
struct KernelCells {
  std::string kernel;
  std::vector<Cell> cells;
};

// kernels x stacks x injections, nested in that order. When two cells would
// get the same id (two stacks of one type, or two injections of one method),
// the later one's stack or method part gets "-<index>", its index in the
// scenario's stacks or injections array.
std::vector<Cell> plan_cells(const Scenario& scenario);
// The CellSpec of one stack and injection of a scenario.
nlohmann::json cell_spec(const Scenario& scenario, const StackSpec& stack, const InjectionSpec& injection);
// Groups cells by kernel, kernels in order of first appearance.
std::vector<KernelCells> group_cells_by_kernel(const std::vector<Cell>& cells);

}  // namespace poisonlab
