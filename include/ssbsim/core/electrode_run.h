#pragma once

#include <deal.II/base/mpi.h>

#include <ssbsim/core/output.h>
#include <ssbsim/core/parameters.h>
#include <ssbsim/physics/porous_electrode.h>

namespace ssbsim
{
  /// The homogenised electrode of @p p (Electrode section, the Particle,
  /// Kinetics and Electrolyte sections' material at Operating
  /// conditions/Temperature, the first of Geometry/Particle radii).
  PorousElectrode::Data
  electrode_data(const Parameters &p);

  /// Mass of FeS2 per area of the composite of @p p, g/m^2.
  double
  composite_grams_per_area(const Parameters &p);

  /// The homogenised electrode's tables: electrode.csv (time_s,
  /// capacity_mAh_g, voltage_V, li_content) and electrode-layers.csv (per
  /// time and layer).
  class CompositeRecord
  {
  public:
    CompositeRecord();

    /// A row of the cell and one per layer, at @p time (s) with the
    /// capacity @p capacity (mAh/g of the composite's FeS2).
    void
    add(const PorousElectrode &electrode, const double time, const double capacity);

    /// Both tables into @p directory (atomically; the caller's rank).
    void
    write(const std::string &directory) const;

    /// The cell table's last @p column.
    double
    last(const std::string &column) const
    {
      return cell.value(cell.n_rows() - 1, column);
    }

  private:
    CsvTable cell, layers;
  };

  /**
   * ssbsim --electrode: the homogenised electrode's first discharge at
   * Operating conditions/C rate (of its theoretical capacity) from rest
   * to the lower cutoff voltage, with the time stepping's bounds (a step
   * whose Newton fails is halved; at the minimum step: RunFailure).
   * Writes electrode.csv (time_s, capacity_mAh_g, voltage_V, li_content)
   * and electrode-layers.csv (per step and layer) to the output
   * directory, rank 0; every rank computes the same (it is small).
   */
  void
  run_homogenised_electrode(const Parameters &p, MPI_Comm comm);
} // namespace ssbsim
