#pragma once
// Errors that reach the user. Each carries the exit status the CLI returns,
// so bad input (2) is told apart from an environment problem (1).
#include <stdexcept>
#include <string>

namespace poisonlab {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,     // environment, tool, kernel or VM trouble
  kExitBadInput = 2,    // scenario, kernel name, command line
  kExitOracleFailed = 3 // the run completed but an oracle failed
};

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& what, int exit_code = kExitFailure)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad input: names the file, the JSON pointer of the field and what was
// expected.
class InputError : public UserError {
 public:
  InputError(const std::string& file, const std::string& pointer, const std::string& expected)
      : UserError(file + ": " + (pointer.empty() ? std::string("/") : pointer) + ": " + expected,
                  kExitBadInput),
        file_(file), pointer_(pointer) {}
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }

 private:
  std::string file_;
  std::string pointer_;
};

}  // namespace poisonlab
