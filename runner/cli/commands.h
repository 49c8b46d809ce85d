#pragma once
// Subcommands of the poisonlab command line, one file each (cli/<name>_command.cpp).
// Each sets exit_code from its callback.
#include <CLI/CLI.hpp>

namespace poisonlab {

void add_compare_command(CLI::App& app, int& exit_code);    // compare_command.cpp
void add_history_commands(CLI::App& app, int& exit_code);   // history_command.cpp
void add_dashboard_command(CLI::App& app, int& exit_code);  // dashboard_command.cpp
void add_export_commands(CLI::App& app, int& exit_code);    // export_command.cpp
void add_submit_command(CLI::App& app, int& exit_code);     // submit_command.cpp

}  // namespace poisonlab
