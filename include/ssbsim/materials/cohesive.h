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
    /**
     * Strength loss D = 1 - t_eq / t_0 in [0,1] of the law (irreversible):
     * the fraction of the peak traction K lambda_0 the point has lost at
     * its largest separation, D = 1 - (1 - d) r / lambda_0 for the mode mix
     * at r. On a proportional path it is the softening progress
     * (r - lambda_0) / (lambda_f - lambda_0), linear in the separation,
     * whereas the stiffness loss d = 1 - lambda_0/r ... reaches 0.9 after a
     * tenth of the softening branch when lambda_f is large against
     * lambda_0 (a stiff penalty). The contact factor uses D: a bond that
     * still carries 90 % of its strength still conducts. It is computed
     * from the law's d, not the viscous d_v, whose transient overstress
     * would make it fall back to 0 after a fast opening.
     */
    double strength_loss = 0;
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
   *   traction t = (1 - d) K [[u]] + d K c(delta_n) n, c = min(delta_n, 0):
   *           (1 - d) K [[u]] in opening and shear, the full K delta_n in
   *           compression whatever d (no interpenetration, re-contact of an
   *           opened gap); c optionally smoothed over contact_smoothing.
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
    /// Width (m) over which the normal stiffness of a damaged point passes
    /// from (1 - d) K in opening to K in compression; 0: a kink at zero gap
    /// (exact law). A few tenths of a nanometre keep Newton from cycling
    /// between "open" and "closed" at points that touch.
    double contact_smoothing = 0;

    /**
     * The closed part c(g) of a normal gap g: min(g, 0), or with smoothing
     * w the C1 blend -(g - w)^2 / (4 w) on |g| < w; returns (c, dc/dg).
     * The normal traction is (1 - d) K g + d K c(g).
     */
    std::pair<double, double>
    closed_part(const double gap) const
    {
      const double w = contact_smoothing;
      if (gap <= -w)
        return {gap, 1.};
      if (gap >= w)
        return {0., 0.};
      return {-(gap - w) * (gap - w) / (4 * w), (w - gap) / (2 * w)};
    }

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
            {
              state.damage = std::max(
                state.damage,
                std::min(1., lf * (lambda - l0) / (lambda * (lf - l0))));
              state.strength_loss =
                std::max(state.strength_loss,
                         std::clamp(1. - (1. - state.damage) * lambda / l0,
                                    0.,
                                    1.));
            }
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
      const double dn = jump * normal;
      return (1 - damage) * stiffness * jump +
             damage * stiffness * closed_part(dn).first * normal;
    }

    /// Newton matrix (Pa/m) of the current state: secant in the damage
    /// (damage held fixed), tangent in the contact part.
    template <int dim>
    dealii::Tensor<2, dim>
    secant(const dealii::Tensor<1, dim> &jump,
           const dealii::Tensor<1, dim> &normal,
           const CohesiveState          &state) const
    {
      const double d      = state.viscous_damage;
      const double k_open = (1 - d) * stiffness;
      const double k_n =
        k_open + d * stiffness * closed_part(jump * normal).second;
      dealii::Tensor<2, dim> D;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          D[i][j] = (i == j ? k_open : 0.) +
                    (k_n - k_open) * normal[i] * normal[j];
      return D;
    }
  };

  /**
   * Contact factor a = (1 - D) (1 - S(g / g_c)): the fraction of an
   * interface point that still conducts Li+, with D the damage (the
   * simulator passes CohesiveState::strength_loss) and S the cubic
   * smoothstep on [0,1] of the normal gap g over the closure gap g_c (a
   * closed gap conducts).
   */
  inline double
  contact_factor(const double damage, const double gap, const double closure_gap)
  {
    const double x = std::clamp(gap / closure_gap, 0., 1.);
    return (1 - damage) * (1 - x * x * (3 - 2 * x));
  }
} // namespace ssbsim::materials
