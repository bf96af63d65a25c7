#pragma once

#include <cmath>

namespace ssbsim
{
  /// Physical constants (CODATA 2018), SI units.
  namespace constants
  {
    constexpr double faraday       = 96485.33212; ///< C/mol
    constexpr double gas_constant  = 8.314462618; ///< J/(mol K)
    constexpr double seconds_per_hour = 3600.;
  } // namespace constants

  namespace materials
  {
    /**
     * Arrhenius factor exp(-E_a/R (1/T - 1/T_ref)): the ratio of a rate
     * constant at temperature T to its value at T_ref.
     * @param activation_energy J/mol
     * @param temperature K
     * @param reference_temperature K
     */
    inline double
    arrhenius_factor(const double activation_energy,
                     const double temperature,
                     const double reference_temperature)
    {
      return std::exp(-activation_energy / constants::gas_constant *
                      (1. / temperature - 1. / reference_temperature));
    }
  } // namespace materials
} // namespace ssbsim
