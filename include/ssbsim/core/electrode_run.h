#pragma once

#include <deal.II/base/mpi.h>

#include <ssbsim/core/parameters.h>
#include <ssbsim/physics/porous_electrode.h>

namespace ssbsim
{
  /// The homogenised electrode of @p p (Electrode section, the Particle,
  /// Kinetics and Electrolyte sections' material at Operating
  /// conditions/Temperature, the first of Geometry/Particle radii).
  PorousElectrode::Data
  electrode_data(const Parameters &p);

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
