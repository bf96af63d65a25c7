#pragma once

#include <deal.II/base/tensor.h>

#include <cmath>

namespace ssbsim::materials
{
  /// Isotropic swelling stretch s I as a tensor.
  template <int dim>
  dealii::Tensor<2, dim>
  isotropic_swelling(const double s)
  {
    dealii::Tensor<2, dim> F_sw;
    for (unsigned int d = 0; d < dim; ++d)
      F_sw[d][d] = s;
    return F_sw;
  }

  /**
   * Swelling stretch tensor Q diag(r^e_1, ..., r^e_dim) Q^T with volume
   * ratio r (det = r when the exponents sum to 1): the crystal axes (the
   * columns of the rotation Q) stretch by r^e_i. e_i = 1/dim is isotropic
   * swelling; e = (0, 0, 1) puts all of it along the crystal c axis.
   */
  template <int dim>
  dealii::Tensor<2, dim>
  anisotropic_swelling(const dealii::Tensor<2, dim> &Q,
                       const double (&exponents)[dim],
                       const double                  volume_ratio)
  {
    dealii::Tensor<2, dim> F_sw;
    for (unsigned int i = 0; i < dim; ++i)
      for (unsigned int j = 0; j < dim; ++j)
        for (unsigned int a = 0; a < dim; ++a)
          F_sw[i][j] += Q[i][a] * std::pow(volume_ratio, exponents[a]) * Q[j][a];
    return F_sw;
  }

  /**
   * Compressible neo-Hookean solid with swelling, F = F_e F_sw:
   *
   *   W_e(F_e) = mu/2 (tr(F_e^T F_e) - dim - 2 ln J_e) + lambda/2 (ln J_e)^2,
   *   W(F)     = J_sw W_e(F F_sw^-1)          (per reference volume),
   *   P(F)     = J_sw P_e(F_e) F_sw^-T,
   *   A_iJkL   = J_sw A_e,iMkN F_sw^-1_JM F_sw^-1_LN,
   *
   * with J_sw = det F_sw. Isotropic swelling: F_sw = s I with
   * s = (1 + beta xi)^(1/dim), so the volume (area in 2D) grows by
   * 1 + beta at full conversion xi = 1; an anisotropic F_sw (a stretch
   * tensor in the crystal frame) is passed the same way.
   */
  template <int dim>
  struct NeoHookean
  {
    double mu;     ///< shear modulus, Pa
    double lambda; ///< Lame's first parameter, Pa

    static NeoHookean
    from_young_poisson(const double E, const double nu)
    {
      return {E / (2. * (1. + nu)), E * nu / ((1. + nu) * (1. - 2. * nu))};
    }

    double
    energy(const dealii::Tensor<2, dim> &F, const dealii::Tensor<2, dim> &F_sw) const
    {
      const dealii::Tensor<2, dim> Fe  = F * dealii::invert(F_sw);
      const double                 lnJ = std::log(dealii::determinant(Fe));
      return dealii::determinant(F_sw) *
             (0.5 * mu * (dealii::scalar_product(Fe, Fe) - dim - 2. * lnJ) +
              0.5 * lambda * lnJ * lnJ);
    }

    /// First Piola-Kirchhoff stress, Pa.
    dealii::Tensor<2, dim>
    stress(const dealii::Tensor<2, dim> &F, const dealii::Tensor<2, dim> &F_sw) const
    {
      const dealii::Tensor<2, dim> sw_inv   = dealii::invert(F_sw);
      const dealii::Tensor<2, dim> Fe       = F * sw_inv;
      const dealii::Tensor<2, dim> Fe_inv_T = dealii::transpose(dealii::invert(Fe));
      const double lnJ = std::log(dealii::determinant(Fe));
      return dealii::determinant(F_sw) *
             (mu * Fe + (lambda * lnJ - mu) * Fe_inv_T) * dealii::transpose(sw_inv);
    }

    /// dP/dF, Pa: A[i][J][k][L] = d P_iJ / d F_kL.
    dealii::Tensor<4, dim>
    tangent(const dealii::Tensor<2, dim> &F, const dealii::Tensor<2, dim> &F_sw) const
    {
      const dealii::Tensor<2, dim> S    = dealii::invert(F_sw);
      const dealii::Tensor<2, dim> Fe   = F * S;
      const dealii::Tensor<2, dim> Finv = dealii::invert(Fe);
      const double lnJ   = std::log(dealii::determinant(Fe));
      const double J_sw  = dealii::determinant(F_sw);
      // A_e contracted with S = F_sw^-1 on its second and fourth index:
      // Fe^-1_Mi S_JM = (S Fe^-1)_Ji, delta_MN S_JM S_LN = (S S^T)_JL
      const dealii::Tensor<2, dim> SF = S * Finv;
      const dealii::Tensor<2, dim> SS = S * transpose(S);
      dealii::Tensor<4, dim> A;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int J = 0; J < dim; ++J)
          for (unsigned int k = 0; k < dim; ++k)
            for (unsigned int L = 0; L < dim; ++L)
              A[i][J][k][L] =
                J_sw * ((i == k ? mu * SS[J][L] : 0.) +
                        lambda * SF[L][k] * SF[J][i] -
                        (lambda * lnJ - mu) * SF[J][k] * SF[L][i]);
      return A;
    }

    /// Cauchy stress P F^T / J, Pa.
    dealii::Tensor<2, dim>
    cauchy_stress(const dealii::Tensor<2, dim> &F,
                  const dealii::Tensor<2, dim> &F_sw) const
    {
      return stress(F, F_sw) * dealii::transpose(F) / dealii::determinant(F);
    }

    /// Isotropic swelling F_sw = s I (s = 1: no swelling).
    double
    energy(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      return energy(F, isotropic_swelling<dim>(s));
    }

    dealii::Tensor<2, dim>
    stress(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      return stress(F, isotropic_swelling<dim>(s));
    }

    dealii::Tensor<4, dim>
    tangent(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      return tangent(F, isotropic_swelling<dim>(s));
    }

    dealii::Tensor<2, dim>
    cauchy_stress(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      return cauchy_stress(F, isotropic_swelling<dim>(s));
    }
  };
} // namespace ssbsim::materials
