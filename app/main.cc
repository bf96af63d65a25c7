#include <deal.II/base/mpi.h>

#include <ssbsim/core/command_line.h>

int
main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  return ssbsim::run_command_line(argc, argv);
}
