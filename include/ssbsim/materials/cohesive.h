#pragma once

#include <deal.II/base/tensor.h>

#include <algorithm>
#include <array>
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
     * lambda_0 (a stiff penalty). It is the `damage` of the outputs,
     * computed from the law's d, not the viscous d_v, whose transient
     * overstress would make it fall back to 0 after a fast opening. (The
     * asperity contact, materials::asperity_contact, takes the split d_v
     * that the traction uses.)
     */
    double strength_loss = 0;
    /// plastic (frictional) slip s_p of the damaged part, tangential, m
    /// (components beyond dim unused)
    std::array<double, 3> friction_slip = {{0., 0., 0.}};
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
   *   traction t = (1 - d) K [[u]] + d [K c(delta_n) n + t_f], c = min(delta_n, 0):
   *           (1 - d) K [[u]] in opening and shear, the full K delta_n in
   *           compression whatever d (no interpenetration, re-contact of an
   *           opened gap); c optionally smoothed over contact_smoothing;
   *           t_f the Coulomb friction of the damaged part (evaluate()).
   *
   * The dissipated energy on a proportional path is G_Ic + (G_IIc - G_Ic)
   * B^eta, plus the frictional work where the face is closed.
   */
  struct CohesiveLaw
  {
    double stiffness;        ///< K, Pa/m
    double normal_strength;  ///< N, Pa
    double shear_strength;   ///< S, Pa
    double mode_I_energy;    ///< G_Ic, J/m^2
    double mode_II_energy;   ///< G_IIc, J/m^2
    double bk_exponent;      ///< eta
    /// Width (m) of the penetration range [-w, 0] over which the normal
    /// stiffness of a damaged point grows from 0 (open) to K; 0: a kink at
    /// zero gap (exact law). The range lies on the closed side, so a face
    /// touching at small pressure sits at zero gap whatever w, and it
    /// keeps Newton from cycling between "open" and "closed" at points
    /// that touch.
    double contact_smoothing = 0;
    /// Coulomb friction coefficient mu of the damaged part (dimensionless);
    /// 0: the bilinear law alone
    double friction_coefficient = 0;
    /// Relaxation time tau (s) of a Duvaut-Lions viscous friction: over a
    /// step dt a sliding point's traction relaxes from the trial
    /// K (s - s_p) towards the cone mu p,
    ///   t = (mu p m + tau/dt K (s - s_p)) / (1 + tau/dt);
    /// 0: rate-independent Coulomb friction. In 2D a sliding point has no
    /// tangential stiffness at all; tau/dt K gives it some, so that Newton
    /// does not cycle between stick and slip where two faces slide in
    /// opposite directions on either side of a node.
    double friction_viscosity = 0;

    /**
     * The closed part c(g) of a normal gap g: min(g, 0), or with smoothing
     * w the C1 blend -g^2 / (2 w) on [-w, 0] and g + w/2 below it (the
     * penetration under a pressure p > K w / 2 grows by w/2, i.e. w/2 of
     * the penalty's compliance); returns (c, dc/dg). The normal traction
     * is (1 - d) K g + d K c(g).
     */
    std::pair<double, double>
    closed_part(const double gap) const
    {
      const double w = contact_smoothing;
      if (gap <= -w)
        return {gap + w / 2, 1.};
      if (gap >= 0)
        return {0., 0.};
      return {-gap * gap / (2 * w), -gap / w};
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

    /// Friction of the damaged part of an interface point (Alfano & Sacco
    /// 2006): traction, its derivative with respect to the separation, and
    /// the updated plastic slip.
    template <int dim>
    struct Friction
    {
      dealii::Tensor<1, dim> traction; ///< tangential, Pa
      dealii::Tensor<2, dim> tangent;  ///< d traction / d [[u]], Pa/m
      std::array<double, 3>  slip;     ///< plastic slip s_p after the step, m
      bool                   sliding = false;
    };

    /**
     * Coulomb friction on the damaged part, a return map from the plastic
     * slip @p old_slip of the last accepted state: the trial traction
     * K (s - s_p) of the tangential separation s = (I - n n)[[u]] sticks
     * while |K (s - s_p)| <= mu p and slides on the cone mu p otherwise,
     * with the contact pressure p = -K c(delta_n) >= 0 of the closed part;
     * with @p viscous_ratio tau/dt > 0 (Duvaut-Lions, see
     * friction_viscosity) a sliding point keeps tau/dt of its trial
     * overstress. An open face (p = 0) carries nothing and its plastic
     * slip follows s. The tangent is consistent (not symmetric while
     * sliding: the cone grows with the pressure).
     */
    template <int dim>
    Friction<dim>
    friction(const dealii::Tensor<1, dim> &jump,
             const dealii::Tensor<1, dim> &normal,
             const std::array<double, 3>  &old_slip,
             const double                  viscous_ratio = 0) const
    {
      Friction<dim>                result;
      const double                 dn = jump * normal;
      const dealii::Tensor<1, dim> s  = jump - dn * normal;
      dealii::Tensor<1, dim>       trial;
      for (unsigned int d = 0; d < dim; ++d)
        trial[d] = stiffness * (s[d] - old_slip[d]);
      const auto [c, dc]    = closed_part(dn);
      const double pressure = -stiffness * c;
      const double limit    = friction_coefficient * pressure;
      const double norm     = trial.norm();
      dealii::Tensor<2, dim> P; // tangential projection I - n n
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          P[i][j] = (i == j ? 1. : 0.) - normal[i] * normal[j];
      if (norm <= limit)
        {
          result.traction = trial;
          result.tangent  = stiffness * P;
          result.slip     = old_slip;
          return result;
        }
      result.sliding                  = true;
      const dealii::Tensor<1, dim> m  = trial / norm;
      const double                 r  = viscous_ratio;
      result.traction                 = (limit * m + r * trial) / (1 + r);
      const double ratio              = limit / norm;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          result.tangent[i][j] =
            (stiffness * ratio * (P[i][j] - m[i] * m[j]) -
             friction_coefficient * stiffness * dc * m[i] * normal[j] +
             r * stiffness * P[i][j]) /
            (1 + r);
      result.slip = {{0., 0., 0.}};
      for (unsigned int d = 0; d < dim; ++d)
        result.slip[d] = s[d] - result.traction[d] / stiffness;
      return result;
    }

    /// Traction and Newton matrix of one evaluation (see evaluate()).
    template <int dim>
    struct Response
    {
      dealii::Tensor<1, dim> traction; ///< on the particle side, Pa
      dealii::Tensor<2, dim> matrix;   ///< Pa/m
      bool                   sliding = false;
    };

    /**
     * The cohesive-frictional law of Alfano & Sacco (2006, Int. J. Numer.
     * Meth. Engng 68:542): an interface point is split into an undamaged
     * fraction 1 - d, elastic (K [[u]]), and a damaged fraction d, in
     * unilateral contact (K c(delta_n) n) with Coulomb friction:
     *
     *   t = (1 - d) K [[u]] + d [ K c(delta_n) n + t_f ],   |t_f| <= mu p.
     *
     * Pressed at p and sheared, the shear traction rises to about S + mu p
     * (the friction of the damaged fraction adds to the softening bond: a
     * Mohr-Coulomb strength) and ends on mu p once the bond is gone; open,
     * it is the bilinear BK law. With mu = 0 it is that law exactly.
     *
     * Updates @p state from the last accepted state it holds on entry
     * (damage, viscous damage d_v over @p dt with time constant
     * @p viscosity, plastic slip); the traction uses d_v. The matrix is
     * the tangent: in the contact, the friction and the damage growth
     * (with the change of the mode mix in opening).
     */
    template <int dim>
    Response<dim>
    evaluate(const dealii::Tensor<1, dim> &jump,
             const dealii::Tensor<1, dim> &normal,
             CohesiveState                &state,
             const double                  viscosity = 0,
             const double                  dt        = 1) const
    {
      const double old_viscous = state.viscous_damage;
      const double old_damage  = state.damage;
      update_damage(jump, normal, state);
      const double ratio   = viscosity > 0 ? viscosity / dt : 0.;
      state.viscous_damage = (state.damage + ratio * old_viscous) / (1 + ratio);
      const auto f = friction(jump, normal, state.friction_slip,
                              friction_viscosity / dt);
      state.friction_slip  = f.slip;
      const double d       = state.viscous_damage;
      const auto [c, dc]   = closed_part(jump * normal);
      Response<dim> r;
      const dealii::Tensor<1, dim> damaged_part =
        stiffness * c * normal + f.traction;
      r.traction = (1 - d) * stiffness * jump + d * damaged_part;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          r.matrix[i][j] = (i == j ? (1 - d) * stiffness : 0.) +
                           d * (stiffness * dc * normal[i] * normal[j] +
                                f.tangent[i][j]);
      // growing damage: dt/d[[u]] += (t_damaged - K [[u]]) x dd_v/d[[u]],
      // dd_v = dd / (1 + viscosity/dt), dd = dd/dlambda dlambda at the
      // mode mix of the point (exact on closed faces, where the onset and
      // final separations are those of mode II whatever the slip)
      const auto growth = damage_growth(jump, normal, state, old_damage);
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          r.matrix[i][j] += (damaged_part[i] - stiffness * jump[i]) *
                            growth[j] / (1 + ratio);
      r.sliding = f.sliding;
      return r;
    }

    /// Traction (Pa) of the law without viscosity; updates @p state.
    template <int dim>
    dealii::Tensor<1, dim>
    traction(const dealii::Tensor<1, dim> &jump,
             const dealii::Tensor<1, dim> &normal,
             CohesiveState                &state) const
    {
      return evaluate(jump, normal, state).traction;
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
      return evaluate(jump, normal, state, viscosity, dt).traction;
    }

    /**
     * Traction (Pa) at damage @p damage for a state that evaluate() has
     * already updated (its plastic slip is that of this separation, so
     * the friction return map sticks on it: the traction of the last
     * evaluation, for output).
     */
    template <int dim>
    dealii::Tensor<1, dim>
    traction_at_damage(const dealii::Tensor<1, dim> &jump,
                       const dealii::Tensor<1, dim> &normal,
                       const double                  damage,
                       const CohesiveState          &state = {}) const
    {
      const double dn = jump * normal;
      return (1 - damage) * stiffness * jump +
             damage * (stiffness * closed_part(dn).first * normal +
                       friction(jump, normal, state.friction_slip).traction);
    }

  private:
    /// dd/d[[u]] of the damage update just made (zero unless the damage
    /// grew from @p old_damage and is below 1): through the equivalent
    /// separation lambda and, in opening, through the mode mix u = beta^2
    /// on which the onset and final separations depend,
    ///   dd = d_lambda dlambda + (d_l0 dl0/du + d_lf dlf/du) du,
    ///   d_l0 = lf (lambda - lf) / (lambda (lf - l0)^2),
    ///   d_lf = -l0 (lambda - l0) / (lambda (lf - l0)^2),
    ///   du/d[[u]] = 2 (s - u delta_n n) / delta_n^2.
    template <int dim>
    dealii::Tensor<1, dim>
    damage_growth(const dealii::Tensor<1, dim> &jump,
                  const dealii::Tensor<1, dim> &normal,
                  const CohesiveState          &state,
                  const double                  old_damage) const
    {
      dealii::Tensor<1, dim> growth;
      if (!(state.damage > old_damage) || state.damage >= 1.)
        return growth;
      const double                 dn     = jump * normal;
      const dealii::Tensor<1, dim> s      = jump - dn * normal;
      const double                 lambda = state.threshold;
      const auto [l0, lf]                 = onset_and_final(dn, s.norm());
      const double dd_dlambda = lf * l0 / (lambda * lambda * (lf - l0));
      growth = dd_dlambda / lambda * (std::max(dn, 0.) * normal + s);
      if (dn <= 0 || !(lf > l0 * (1 + 1e-12)))
        return growth; // closed (pure mode II), or lf at its lower bound
      const double u   = s.norm_square() / (dn * dn);
      const double dn0 = normal_strength / stiffness;
      const double ds0 = shear_strength / stiffness;
      const double dl0_du =
        0.5 * l0 * (1. / (1 + u) - dn0 * dn0 / (ds0 * ds0 + u * dn0 * dn0));
      const double B  = u / (1 + u);
      const double dG = B > 0 ? bk_exponent * (mode_II_energy - mode_I_energy) *
                                  std::pow(B, bk_exponent - 1) / ((1 + u) * (1 + u)) :
                                0.;
      const double dlf_du = lf * (dG / toughness(B) - dl0_du / l0);
      const double w      = (lf - l0) * (lf - l0) * lambda;
      const double dd_du  = lf * (lambda - lf) / w * dl0_du -
                           l0 * (lambda - l0) / w * dlf_du;
      growth += dd_du * 2. / (dn * dn) * (s - u * dn * normal);
      return growth;
    }

    /// Damage growth: only while loading beyond the largest separation so
    /// far, with the onset and final separations of the current mode mix.
    template <int dim>
    void
    update_damage(const dealii::Tensor<1, dim> &jump,
                  const dealii::Tensor<1, dim> &normal,
                  CohesiveState                &state) const
    {
      const double dn = jump * normal;
      const double ds = (jump - dn * normal).norm();
      const double lambda =
        std::sqrt(std::max(dn, 0.) * std::max(dn, 0.) + ds * ds);
      if (lambda <= state.threshold)
        return;
      state.threshold     = lambda;
      const auto [l0, lf] = onset_and_final(dn, ds);
      if (lambda <= l0)
        return;
      state.damage =
        std::max(state.damage,
                 std::min(1., lf * (lambda - l0) / (lambda * (lf - l0))));
      state.strength_loss = std::max(
        state.strength_loss,
        std::clamp(1. - (1. - state.damage) * lambda / l0, 0., 1.));
    }
  };

  /**
   * Contact factor a = 1 - S(g / g_c): the fraction of an interface point
   * that conducts Li+, with S the cubic smoothstep on [0,1] of the normal
   * gap g over the closure gap g_c. Li+ crosses where the two solids touch,
   * bonded or not (cold-pressed sulfide electrodes conduct with little
   * adhesion): a closed face conducts whatever its adhesive damage, a face
   * opened beyond g_c does not.
   */
  inline double
  contact_factor(const double gap, const double closure_gap)
  {
    const double x = std::clamp(gap / closure_gap, 0., 1.);
    return 1 - x * x * (3 - 2 * x);
  }

  /**
   * Fraction of a closed interface point that conducts Li+ when the
   * cohesive-frictional law has split off the fraction d of its area as
   * debonded (CohesiveLaw::evaluate): the bonded part 1 - d keeps the
   * intimate contact of the cold-pressed interface, the debonded part
   * touches only on its asperities, whose real area is that of
   * plastically flattened asperities, p / H of the nominal area (Bowden &
   * Tabor 1950), p the contact pressure and H the hardness of the softer
   * solid:
   *
   *   a_d = 1 - d + d min(1, max(p, 0) / H).
   *
   * @p hardness <= 0: a debonded face conducts wherever it is closed (1).
   * d, not the strength loss D: the law is a fibre bundle whose d is the
   * broken fraction of the area (doc/model.md, known limitations); the
   * coupled results depend on that choice.
   */
  inline double
  asperity_contact(const double damage,
                   const double pressure,
                   const double hardness)
  {
    if (hardness <= 0)
      return 1.;
    return 1 - damage + damage * std::clamp(pressure / hardness, 0., 1.);
  }

  /**
   * Contact factor of an interface point with the closure factor
   * @p closure (contact_factor() of its gap) whose cohesive law has split
   * off the debonded fraction @p damage:
   *
   * - bonded part bridging = false (the model up to session 27): the
   *   closure factor of the mean gap on the whole point,
   *   closure a_d(d, p);
   * - true: the bonded part 1 - d conducts whatever the mean gap, the
   *   debonded part only where closed and on its asperities,
   *   1 - d + d closure min(1, p / H) (min(...) = 1 for H <= 0).
   *
   * The two differ only at points that have opened beyond the closure
   * gap while part of their area is still bonded (the softening branch
   * of the law, under tension): in the fibre bundle that the law is
   * (asperity_contact) the intact fibres span the opening, so the
   * solids stay joined, and conduct, through them.
   */
  inline double
  interface_contact(const double closure,
                    const double damage,
                    const double pressure,
                    const double hardness,
                    const bool   bonded_part_bridging)
  {
    if (!bonded_part_bridging)
      return closure * asperity_contact(damage, pressure, hardness);
    const double asperities =
      hardness <= 0 ? 1. : std::clamp(pressure / hardness, 0., 1.);
    return 1 - damage + damage * closure * asperities;
  }
} // namespace ssbsim::materials
