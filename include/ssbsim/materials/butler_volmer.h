#pragma once

#include <ssbsim/materials/constants.h>

namespace ssbsim::materials
{
  /**
   * Butler-Volmer kinetics on the particle/electrolyte interface,
   *   i = a i0 [exp(alpha_a F eta / R T) - exp(-alpha_c F eta / R T)],
   * with i the anodic (delithiation, charge) current density in A/m^2 and
   * eta = phi_s - phi_e - U the overpotential in V. Discharge currents are
   * negative. The contact factor a in [0,1] is applied by the caller.
   */
  struct ButlerVolmer
  {
    double anodic_transfer_coefficient   = 0.5;
    double cathodic_transfer_coefficient = 0.5;

    /// Current density (A/m^2) and its derivative with respect to eta
    /// (A/(m^2 V)) at exchange current density i0 (A/m^2), temperature T (K).
    struct Value
    {
      double current;
      double d_current_d_eta;
    };

    Value
    evaluate(const double i0, const double eta, const double T) const
    {
      const double f  = constants::faraday / (constants::gas_constant * T);
      const double ea = std::exp(anodic_transfer_coefficient * f * eta);
      const double ec = std::exp(-cathodic_transfer_coefficient * f * eta);
      return {i0 * (ea - ec),
              i0 * f *
                (anodic_transfer_coefficient * ea +
                 cathodic_transfer_coefficient * ec)};
    }

    /// Area-specific charge-transfer resistance of the linearised kinetics
    /// at equilibrium, R_ct = R T / (F i0 (alpha_a + alpha_c)), in Ohm m^2.
    double
    charge_transfer_resistance(const double i0, const double T) const
    {
      return constants::gas_constant * T /
             (constants::faraday * i0 *
              (anodic_transfer_coefficient + cathodic_transfer_coefficient));
    }
  };
} // namespace ssbsim::materials
