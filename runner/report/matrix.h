#pragma once
// The correctness matrix of a report: cell x oracle -> verdict, the table
// that answers "is every mapping of the range revoked, no more and no less?"
// for every stack, file system, method and kernel at a glance.
#include <string>

#include <nlohmann/json.hpp>

namespace poisonlab {

// {"oracles": [names in first-seen order], "cells": {id: {oracle: verdict}}}
// from an array of judged cells.
nlohmann::json correctness_matrix(const nlohmann::json& cells);

// The matrix as text: one row per cell, one column per oracle, "P" pass,
// "F" fail, "." skip, " " not judged; the oracle names as a numbered legend.
std::string format_matrix(const nlohmann::json& report);

}  // namespace poisonlab
