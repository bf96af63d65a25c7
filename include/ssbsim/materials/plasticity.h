#pragma once

#include <deal.II/base/tensor.h>

namespace ssbsim::materials
{
  /// Plastic history of one quadrature point: the inverse plastic metric
  /// C_p^-1 = (F_p^T F_p)^-1 of the isochoric flow (det 1), the equivalent
  /// plastic strain alpha that drives the hardening, and the logarithm of
  /// the plastic volume ratio ln J_p (<= 0: the pores compacted; 0 in a
  /// dense material).
  struct PlasticState
  {
    dealii::Tensor<2, 3> plastic_metric_inverse{
      {{1., 0., 0.}, {0., 1., 0.}, {0., 0., 1.}}};
    double equivalent_plastic_strain = 0;
    double plastic_volume_log        = 0;
  };

  /**
   * Finite-strain J2 plasticity with linear isotropic hardening, F = F_e F_p
   * (the swelling F_sw, if any, is taken out before), after Simo (1992,
   * CMAME 99:61) and Simo & Hughes (Computational Inelasticity, 1998,
   * Box 9.1): neo-Hookean elasticity in the isochoric split,
   *
   *   W = kappa/2 (ln J)^2 + mu/2 (tr b_e_bar - 3),   b_e_bar = J^-2/3 F C_p^-1 F^T,
   *   tau = kappa ln J I + s,   s = mu dev b_e_bar   (Kirchhoff stress),
   *
   * yield f = |s| - sqrt(2/3) (sigma_y + H alpha) <= 0, associative flow
   * along n = s/|s|, return map along n with mu_bar = mu tr(b_e_bar)/3,
   * b_e_bar(n+1) = s/mu + m I with m such that det b_e_bar(n+1) = 1 (Simo
   * & Hughes eq. 9.3.34). kappa = lambda + 2 mu / 3
   * gives the same small-strain moduli as NeoHookean. The Newton tangent
   * dP/dF is the exact derivative of this update (forward automatic
   * differentiation, Sacado), so Newton keeps its quadratic rate through
   * yielding. Plane strain (dim = 2): F_33 = 1, the state is 3D.
   *
   * Optional power-law (Norton) creep below the yield stress, in parallel
   * with the rate-independent flow: the equivalent inelastic strain rate is
   * creep_rate (q / creep_stress)^creep_exponent with q the von Mises
   * Kirchhoff stress, integrated by backward Euler over the time step
   * (radial return along the same n). The step's flow is the larger of the
   * creep flow and the rate-independent one: if the creep alone would leave
   * the stress outside the yield surface, the surface caps it. Both count
   * in alpha (the hardening acts on all inelastic strain). time_step = 0
   * (or creep_rate = 0) is the rate-independent law.
   *
   * Optional compaction of a porous material (a cold-pressed powder
   * compact: porosity phi_0 > 0), a pressure cap decoupled from the J2
   * surface as the Simo split decouples the energy: F_p = J_p^(1/3) F_p_iso,
   * the pressure p = -kappa ln(J / J_p) (Kirchhoff) is bounded by the
   * compaction pressure p_c = p_c0 - H_v ln J_p, and past it the pores
   * close, irreversibly (J_p only falls): the return is closed form,
   * ln J_p = (p_c0 + kappa ln J) / (kappa + H_v), until the material is
   * dense, ln J_p = ln(1 - phi_0), after which it is elastic again. The
   * porosity left is 1 - (1 - phi_0) / J_p. The isochoric part (b_e_bar,
   * the J2 return) does not see J_p. porosity = 0 is the dense law.
   */
  struct J2Plasticity
  {
    double mu;           ///< shear modulus, Pa
    double kappa;        ///< bulk modulus, Pa
    double yield_stress; ///< initial yield stress sigma_y (von Mises), Pa
    double hardening;    ///< linear isotropic hardening modulus H, Pa
    double creep_rate     = 0.; ///< creep strain rate at creep_stress, 1/s
    double creep_stress   = 1.; ///< reference stress of the creep law, Pa
    double creep_exponent = 1.; ///< Norton exponent n, >= 1
    double porosity       = 0.; ///< initial porosity phi_0 in [0, 1)
    double compaction_pressure  = 0.; ///< p_c0, Pa
    double compaction_hardening = 0.; ///< H_v, Pa per unit -ln J_p

    /// Porosity of a state: 1 - (1 - phi_0) / J_p.
    double
    porosity_of(const PlasticState &state) const;

    static J2Plasticity
    from_young_poisson(const double E,
                       const double nu,
                       const double yield_stress,
                       const double hardening)
    {
      const double mu = E / (2. * (1. + nu));
      return {mu, E / (3. * (1. - 2. * nu)), yield_stress, hardening};
    }

    template <int dim>
    struct Response
    {
      dealii::Tensor<2, dim> P; ///< first Piola-Kirchhoff stress, Pa
      dealii::Tensor<4, dim> A; ///< dP/dF, Pa (zero unless asked for)
      PlasticState           state;
      bool plastic = false; ///< the step yielded (or crept) here
    };

    /// Stress, tangent (if @p with_tangent) and updated state at F from the
    /// last accepted state @p old, @p time_step (s) after it (creep only).
    template <int dim>
    Response<dim>
    evaluate(const dealii::Tensor<2, dim> &F,
             const PlasticState           &old,
             const bool                    with_tangent = true,
             const double                  time_step    = 0.) const;

    /// Cauchy stress (Pa, 3D: sigma_zz included in plane strain) at F for
    /// a state already updated to it.
    template <int dim>
    dealii::Tensor<2, 3>
    cauchy_stress(const dealii::Tensor<2, dim> &F, const PlasticState &state) const;

    /// The same with a swelling stretch F_sw, F = F_e F_p F_sw: the law
    /// acts on F F_sw^-1 per intermediate volume, so (as for NeoHookean)
    /// P = J_sw P(F F_sw^-1) F_sw^-T, A_iJkL = J_sw A_iMkN F_sw^-1_JM
    /// F_sw^-1_LN; the Cauchy stress is that of F F_sw^-1.
    template <int dim>
    Response<dim>
    evaluate(const dealii::Tensor<2, dim> &F,
             const dealii::Tensor<2, dim> &F_sw,
             const PlasticState           &old,
             const bool                    with_tangent = true,
             const double                  time_step    = 0.) const;

    template <int dim>
    dealii::Tensor<2, 3>
    cauchy_stress(const dealii::Tensor<2, dim> &F,
                  const dealii::Tensor<2, dim> &F_sw,
                  const PlasticState           &state) const
    {
      return cauchy_stress(F * dealii::invert(F_sw), state);
    }
  };
} // namespace ssbsim::materials
