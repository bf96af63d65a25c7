#pragma once

#include <deal.II/base/tensor.h>

#include <algorithm>
#include <cmath>

namespace ssbsim::materials
{
  /// Irreversible state of one interface point.
  struct CohesiveState
  {
    double threshold       = 0; ///< largest equivalent separation reached, m
    double damage          = 0; ///< d in [0,1] of the law
    double viscous_damage  = 0; ///< regularised d that the traction uses
  };

  /**
   * Bilinear mixed-mode cohesive law with the Benzeggagh-Kenane criterion
   * (Camanho & Davila 2002, NASA/TM-2002-211737), equal penalty stiffness K
   * in all modes:
   *
   *   delta_n = [[u]].n (opening > 0), delta_s = |[[u]] - delta_n n|,
   *   lambda  = sqrt(<delta_n>^2 + delta_s^2),  beta = delta_s / <delta_n>,
   *   onset   lambda_0 = dn0 ds0 sqrt((1 + beta^2) / (ds0^2 + beta^2 dn0^2)),
   *           dn0 = N/K, ds0 = S/K,
   *   final   lambda_f = 2 / (K lambda_0) [G_Ic + (G_IIc - G_Ic) B^eta],
   *           B = beta^2 / (1 + beta^2) (the mode-II energy share),
   *   damage  d = lambda_f (r - lambda_0) / (r (lambda_f - lambda_0)),
   *           r = max over the history of lambda (irreversible; d grows
 *           only while lambda exceeds r, and never decreases),
   *   traction t = (1 - d) K [[u]] in opening and shear; in compression the
   *           normal part is K delta_n whatever d (no interpenetration,
   *           re-contact of an opened gap).
   *
   * The dissipated energy on a proportional path is G_Ic + (G_IIc - G_Ic) B^eta.
   */
  struct CohesiveLaw
  {
    double stiffness;        ///< K, Pa/m
    double normal_strength;  ///< N, Pa
    double shear_strength;   ///< S, Pa
    double mode_I_energy;    ///< G_Ic, J/m^2
    double mode_II_energy;   ///< G_IIc, J/m^2
    double bk_exponent;      ///< eta

    /// Mode-II share B = G_II / (G_I + G_II) of a separation.
    static double
    mode_mixity(const double opening, const double slip)
    {
      const double o = std::max(opening, 0.);
      return (o * o + slip * slip) > 0 ? slip * slip / (o * o + slip * slip) : 0.;
    }

    /// BK fracture energy for mode-II share B, J/m^2.
    double
    toughness(const double B) const
    {
      return mode_I_energy +
             (mode_II_energy - mode_I_energy) * std::pow(B, bk_exponent);
    }

    /// Onset and final equivalent separations (m) for the mode mix of
    /// (opening, slip).
    std::pair<double, double>
    onset_and_final(const double opening, const double slip) const
    {
      const double dn0 = normal_strength / stiffness;
      const double ds0 = shear_strength / stiffness;
      double       l0  = ds0;
      if (opening > 0)
        {
          const double beta = slip / opening;
          l0 = dn0 * ds0 *
               std::sqrt((1 + beta * beta) / (ds0 * ds0 + beta * beta * dn0 * dn0));
        }
      const double lf =
        2. / (stiffness * l0) * toughness(mode_mixity(opening, slip));
      return {l0, std::max(lf, l0 * (1 + 1e-12))};
    }

    /**
     * Traction (Pa) on the particle side for the separation @p jump
     * = u_e - u_p across an interface with unit normal @p normal (out of the
     * particle); @p state is updated (call with a copy of the converged
     * state while iterating).
     */
    template <int dim>
    dealii::Tensor<1, dim>
    traction(const dealii::Tensor<1, dim> &jump,
             const dealii::Tensor<1, dim> &normal,
             CohesiveState                &state) const
    {
      const double                 dn    = jump * normal;
      const dealii::Tensor<1, dim> slipv = jump - dn * normal;
      const double                 ds    = slipv.norm();
      const double                 lambda =
        std::sqrt(std::max(dn, 0.) * std::max(dn, 0.) + ds * ds);
      // damage grows only while loading beyond the largest separation so
      // far, with the onset and final separations of the current mode mix
      if (lambda > state.threshold)
        {
          state.threshold     = lambda;
          const auto [l0, lf] = onset_and_final(dn, ds);
          if (lambda > l0)
            state.damage = std::max(
              state.damage,
              std::min(1., lf * (lambda - l0) / (lambda * (lf - l0))));
        }
      state.viscous_damage = state.damage;
      return traction_at_damage(jump, normal, state.damage);
    }

    /**
     * Viscous regularisation (Duvaut-Lions type, e.g. Gao & Bower 2004):
     * the damage the traction uses relaxes towards the law's damage with
     * time constant @p viscosity (s) over the step @p dt (s),
     *   d_v = (d + viscosity/dt d_v,old) / (1 + viscosity/dt),
     * which keeps Newton converging through unstable softening. With
     * viscosity = 0 this is traction().
     */
    template <int dim>
    dealii::Tensor<1, dim>
    regularised_traction(const dealii::Tensor<1, dim> &jump,
                         const dealii::Tensor<1, dim> &normal,
                         CohesiveState                &state,
                         const double                  viscosity,
                         const double                  dt) const
    {
      const double old_viscous = state.viscous_damage;
      traction(jump, normal, state);
      const double ratio   = viscosity > 0 ? viscosity / dt : 0.;
      state.viscous_damage = (state.damage + ratio * old_viscous) / (1 + ratio);
      return traction_at_damage(jump, normal, state.viscous_damage);
    }

    template <int dim>
    dealii::Tensor<1, dim>
    traction_at_damage(const dealii::Tensor<1, dim> &jump,
                       const dealii::Tensor<1, dim> &normal,
                       const double                  damage) const
    {
      const double                 dn     = jump * normal;
      const double                 k_open = (1 - damage) * stiffness;
      return (dn > 0 ? k_open : stiffness) * dn * normal +
             k_open * (jump - dn * normal);
    }

    /// Secant stiffness (Pa/m) of the current state: the Newton matrix.
    template <int dim>
    dealii::Tensor<2, dim>
    secant(const dealii::Tensor<1, dim> &jump,
           const dealii::Tensor<1, dim> &normal,
           const CohesiveState          &state) const
    {
      const double           k_open = (1 - state.viscous_damage) * stiffness;
      const double           k_n    = (jump * normal > 0) ? k_open : stiffness;
      dealii::Tensor<2, dim> D;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          D[i][j] = (i == j ? k_open : 0.) +
                    (k_n - k_open) * normal[i] * normal[j];
      return D;
    }
  };

  /**
   * Contact factor a = (1 - d) (1 - S(g / g_c)): the fraction of an interface
   * point that still conducts Li+, with S the cubic smoothstep on [0,1] of
   * the normal gap g over the closure gap g_c (a closed gap conducts).
   */
  inline double
  contact_factor(const double damage, const double gap, const double closure_gap)
  {
    const double x = std::clamp(gap / closure_gap, 0., 1.);
    return (1 - damage) * (1 - x * x * (3 - 2 * x));
  }
} // namespace ssbsim::materials
