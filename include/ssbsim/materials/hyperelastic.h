#pragma once

#include <deal.II/base/tensor.h>

namespace ssbsim::materials
{
  /**
   * Compressible neo-Hookean solid with isotropic swelling,
   * F = F_e F_sw, F_sw = s I:
   *
   *   W_e(F_e) = mu/2 (tr(F_e^T F_e) - dim - 2 ln J_e) + lambda/2 (ln J_e)^2,
   *   W(F)     = J_sw W_e(F / s)          (per reference volume),
   *   P(F)     = J_sw / s   P_e(F / s),   A(F) = J_sw / s^2 A_e(F / s),
   *
   * with J_sw = s^dim. The swelling stretch s = (1 + beta xi)^(1/dim) makes
   * the volume (area in 2D) grow by 1 + beta at full conversion xi = 1.
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
    energy(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      const dealii::Tensor<2, dim> Fe = F / s;
      const double                 lnJ = std::log(dealii::determinant(Fe));
      const double js = std::pow(s, dim);
      return js * (0.5 * mu * (dealii::scalar_product(Fe, Fe) - dim - 2. * lnJ) +
                   0.5 * lambda * lnJ * lnJ);
    }

    /// First Piola-Kirchhoff stress, Pa.
    dealii::Tensor<2, dim>
    stress(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      const dealii::Tensor<2, dim> Fe     = F / s;
      const dealii::Tensor<2, dim> Fe_inv_T = dealii::transpose(dealii::invert(Fe));
      const double lnJ = std::log(dealii::determinant(Fe));
      return std::pow(s, dim - 1) *
             (mu * Fe + (lambda * lnJ - mu) * Fe_inv_T);
    }

    /// dP/dF, Pa: A[i][J][k][L] = d P_iJ / d F_kL.
    dealii::Tensor<4, dim>
    tangent(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      const dealii::Tensor<2, dim> Fe   = F / s;
      const dealii::Tensor<2, dim> Finv = dealii::invert(Fe);
      const double lnJ    = std::log(dealii::determinant(Fe));
      const double factor = std::pow(s, dim - 2);
      dealii::Tensor<4, dim> A;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int J = 0; J < dim; ++J)
          for (unsigned int k = 0; k < dim; ++k)
            for (unsigned int L = 0; L < dim; ++L)
              A[i][J][k][L] =
                factor * ((i == k && J == L ? mu : 0.) +
                          lambda * Finv[L][k] * Finv[J][i] -
                          (lambda * lnJ - mu) * Finv[J][k] * Finv[L][i]);
      return A;
    }

    /// Cauchy stress P F^T / J, Pa.
    dealii::Tensor<2, dim>
    cauchy_stress(const dealii::Tensor<2, dim> &F, const double s = 1.) const
    {
      return stress(F, s) * dealii::transpose(F) / dealii::determinant(F);
    }
  };
} // namespace ssbsim::materials
