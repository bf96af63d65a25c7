#pragma once

#include <ssbsim/core/parameters.h>
#include <ssbsim/materials/diffusivity.h>
#include <ssbsim/materials/open_circuit.h>

namespace ssbsim
{
  /// The Li diffusivity law of the Particle section (at the reference
  /// temperature), as the resolved particle and the homogenised electrode
  /// both use it.
  materials::DiffusivityData
  diffusivity_data(const parameters::Particle &particle);

  /// The open-circuit branch of the Kinetics section for the discharge
  /// (@p discharge) or the charge: its table or its CSV file.
  materials::OpenCircuitCurve
  open_circuit_branch(const parameters::Kinetics &kinetics, const bool discharge);
} // namespace ssbsim
