#pragma once
// One exception type per failure kind. The boundary (CLI, dialog) turns them
// into a one-line message and an exit code; core never prints.
#include <stdexcept>
#include <string>

namespace h3d {

// Exit codes of the CLI, one per failure kind.
enum class ExitCode : int {
  Ok = 0,
  BadInput = 1,
  Usage = 2,
  ModelProblem = 3,
  OutOfMemory = 4,
  Internal = 70,  // a bug: an error no other kind covers (EX_SOFTWARE)
  Cancelled = 130,
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ExitCode exitCode() const = 0;
};

// A file the user gave cannot be read or is not a usable mesh: "<file>: <why>".
class InputError : public Error {
 public:
  InputError(const std::string& file, const std::string& why) : Error(file + ": " + why) {}
  ExitCode exitCode() const override { return ExitCode::BadInput; }
};

// An output cannot be written (full disk, read-only folder): "<file>: <why>".
class OutputError : public Error {
 public:
  OutputError(const std::string& file, const std::string& why) : Error(file + ": " + why) {}
  ExitCode exitCode() const override { return ExitCode::BadInput; }
};

// The work ran but produced nothing usable (a generate of a flat mesh): the
// front end names the input and says why instead of writing an empty result.
class NoResultError : public Error {
 public:
  using Error::Error;
  ExitCode exitCode() const override { return ExitCode::BadInput; }
};

// Wrong command-line use or invalid option values.
class UsageError : public Error {
 public:
  using Error::Error;
  ExitCode exitCode() const override { return ExitCode::Usage; }
};

// A model package is refused or a model failed to run:
// "model package <name>: <file>: <check>: <why>".
class ModelError : public Error {
 public:
  using Error::Error;
  ExitCode exitCode() const override { return ExitCode::ModelProblem; }
};

// Device (or simulated device) or host memory exhausted.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
  ExitCode exitCode() const override { return ExitCode::OutOfMemory; }
};

// The user cancelled (Cancel button, Ctrl-C).
class CancelledError : public Error {
 public:
  CancelledError() : Error("cancelled") {}
  ExitCode exitCode() const override { return ExitCode::Cancelled; }
};

}  // namespace h3d
