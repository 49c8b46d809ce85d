#pragma once
// The plan: which cells a scenario runs, in which order. A cell is one
// (kernel, stack, file system, injection) combination; its spec is the
// CellSpec the agent receives (runner/protocol/PROTOCOL.md).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.h"

namespace poisonlab {

struct Cell {
  std::string id;  // "<kernel>/<stack>/<filesystem>/<injection>", unique in a plan
  std::string kernel;
  std::string stack;       // the stack's label ("raw", "dm-stripe", or its name)
  std::string stack_type;  // "raw" | "dm-linear" | "dm-concat" | "dm-stripe"
  std::string filesystem;  // the file system's label ("xfs", or its name)
  std::string method;
  std::string target;      // the target's space ("file", "metadata", ...)
  nlohmann::json spec;     // CellSpec
  std::string runner_fault;  // a runner self-test (InjectionSpec::runner_fault), else empty
};

// A combination the matrix names but that cannot run, and why.
struct SkippedCell {
  std::string id;
  std::string reason;
};

struct Plan {
  std::vector<Cell> cells;
  std::vector<SkippedCell> not_applicable;
};

// kernels x stacks x filesystems x injections, nested in that order. Labels
// are names when given, else the stack type, file system type and method;
// when a label repeats, the later element's gets "-<index>", its index in
// its array. Combinations that cannot run (a stripe-chunk straddle on a
// stack that is not dm-stripe, XFS metadata on ext4, ...) are not cells but
// listed in not_applicable.
Plan plan_cells(const Scenario& scenario);
// Why a combination cannot run, or nullopt.
std::optional<std::string> not_applicable(const StackSpec& stack, const FilesystemSpec& fs, const InjectionSpec& injection);
// The CellSpec of one combination.
nlohmann::json cell_spec(const Scenario& scenario, const StackSpec& stack, const FilesystemSpec& fs,
                         const InjectionSpec& injection);

}  // namespace poisonlab
