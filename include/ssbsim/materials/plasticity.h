#pragma once

#include <deal.II/base/tensor.h>

namespace ssbsim::materials
{
  /// Plastic history of one quadrature point: the inverse plastic metric
  /// C_p^-1 = (F_p^T F_p)^-1 (isochoric, det 1) and the equivalent plastic
  /// strain alpha that drives the hardening.
  struct PlasticState
  {
    dealii::Tensor<2, 3> plastic_metric_inverse{
      {{1., 0., 0.}, {0., 1., 0.}, {0., 0., 1.}}};
    double equivalent_plastic_strain = 0;
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
