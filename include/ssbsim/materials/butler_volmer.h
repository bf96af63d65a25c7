#pragma once

#include <ssbsim/materials/constants.h>

#include <algorithm>
#include <cmath>

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

    /// The same kinetics behind a resistive film of area resistance r
    /// (Ohm m^2) in series: i = BV(eta - i r), solved for the film's
    /// overpotential share; d_current_d_eta is the total derivative
    /// BV' / (1 + r BV'). r = 0 gives evaluate().
    Value
    evaluate_behind_film(const double i0,
                         const double eta,
                         const double T,
                         const double r) const
    {
      if (r <= 0)
        return evaluate(i0, eta, T);
      // h(x) = x - eta + r BV(x) = 0 for the kinetic overpotential x:
      // h' >= 1 and h(0) = -eta, so the root lies between 0 and eta, and
      // r |BV(x)| <= |eta| bounds it by the leading exponential,
      // |x| <= ln(1 + |eta| / (r i0)) / (alpha f): no overflow inside.
      // Newton from x = 0, bisection where it would leave the bracket.
      const double f     = constants::faraday / (constants::gas_constant * T);
      const double alpha = eta > 0 ? anodic_transfer_coefficient :
                                     cathodic_transfer_coefficient;
      const double bound =
        std::min(std::abs(eta), std::log1p(std::abs(eta) / (r * i0)) / (alpha * f));
      double inner = 0, outer = eta > 0 ? bound : -bound; // h: -eta, +eta signs
      double x     = 0;
      Value  v     = evaluate(i0, x, T);
      for (unsigned int it = 0; it < 200; ++it)
        {
          const double h = x - eta + r * v.current;
          if (h == 0)
            break;
          ((h > 0) == (eta > 0) ? outer : inner) = x;
          double x1 = x - h / (1 + r * v.d_current_d_eta);
          if (!(std::min(inner, outer) < x1 && x1 < std::max(inner, outer)))
            x1 = 0.5 * (inner + outer);
          const double dx = x1 - x;
          x               = x1;
          v               = evaluate(i0, x, T);
          if (std::abs(dx) < 1e-15 + 1e-13 * std::abs(x))
            break;
        }
      return {v.current, v.d_current_d_eta / (1 + r * v.d_current_d_eta)};
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
