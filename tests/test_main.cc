// Catch2 main with MPI: tests may build parallel triangulations.
#define CATCH_CONFIG_RUNNER
#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

int
main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  return Catch::Session().run(argc, argv);
}
