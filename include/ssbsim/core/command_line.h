#pragma once

namespace ssbsim
{
  /**
   * The ssbsim command line: `ssbsim FILE.prm`, `--print-parameters`,
   * `--validate FILE.prm`, `--set "Section/Name=value"` (repeatable),
   * `--help`, `--version`. MPI must be initialised. Returns the exit code:
   * 0 success, 1 bad input (one line on stderr, nothing written), 2 a run
   * that stopped (results so far kept), 3 an internal error.
   */
  int
  run_command_line(int argc, char **argv);
} // namespace ssbsim
