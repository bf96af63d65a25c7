#pragma once

#include <deal.II/base/mpi.h>

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ssbsim
{
  template <int dim>
  class Electrochemistry;
  template <int dim>
  class Mechanics;

  /// An output file could not be written (a full disk, a read-only
  /// directory, a directory where the file should be): an error of the
  /// environment, not of the input. The command line exits with code 4.
  class OutputError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /// Writes @p content to @p path through a temporary file and a rename, so
  /// that a reader never sees a half-written file. On failure the temporary
  /// file is removed and an OutputError thrown.
  void
  write_file_atomically(const std::string &path, const std::string &content);

  /// Runs @p write on every rank of @p comm (it may do nothing on some) and
  /// makes its failure collective: if it throws an OutputError or a
  /// filesystem error on any rank, every rank throws an OutputError with
  /// the message of the lowest failing rank. Without this, a rank that
  /// alone failed to write left the others waiting in their next collective
  /// call for ever.
  void
  collective_output(MPI_Comm comm, const std::function<void()> &write);

  /// collective_output() with @p write run on rank 0 of @p comm only: the
  /// files one rank writes for all (tables, records, indices).
  void
  rank0_output(MPI_Comm comm, const std::function<void()> &write);

  /**
   * A table of numbers with named columns, written as CSV (atomically,
   * rewritten whole each time so that a running job can be plotted).
   */
  class CsvTable
  {
  public:
    explicit CsvTable(std::vector<std::string> columns);

    void
    add_row(const std::vector<double> &values);

    /// Writes the whole table (atomically).
    void
    write(const std::string &path) const;

    /// Appends the newest row to @p path and flushes (the first row writes
    /// the file anew), so that a running job can be watched cheaply.
    void
    append_last_row(const std::string &path) const;

    std::size_t
    n_rows() const
    {
      return rows.size();
    }

    double
    value(const std::size_t row, const std::string &column) const;

  private:
    void
    write_header(std::ostream &out) const;

    void
    write_row(std::ostream &out, const std::size_t row) const;

    std::vector<std::string>         columns;
    std::vector<std::vector<double>> rows;
  };

  /**
   * Writes solution/solution-NNNNN.pvtu (one .vtu per MPI rank) and
   * rewrites solution.pvd in the output directory at each call; with
   * mechanics also interface/interface-NNNNN.pvtu and interface.pvd.
   */
  template <int dim>
  class SolutionWriter
  {
  public:
    SolutionWriter(const std::string &output_directory, MPI_Comm comm);

    /// @p mechanics may be null (mechanics off).
    void
    write(const Electrochemistry<dim> &electrochemistry,
          const Mechanics<dim>        *mechanics,
          const double                 time);

  private:
    /// interface/interface-NNNNN.pvtu and interface.pvd: the cohesive
    /// interface state per face (damage, contact factor, normal gap, slip,
    /// normal and shear traction), the electrolyte's ionic access (0 on
    /// an ion-blocked cap) and the displacement of its vertices.
    void
    write_interface(const Electrochemistry<dim> &electrochemistry,
                    const Mechanics<dim>        &mechanics,
                    const unsigned int           index,
                    const double                 time);

    std::string                              directory;
    MPI_Comm                                 mpi_communicator;
    std::vector<std::pair<double, std::string>> records;
    std::vector<std::pair<double, std::string>> interface_records;
  };
} // namespace ssbsim
