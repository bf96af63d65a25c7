#pragma once

#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/base/tensor.h>

#include <array>
#include <vector>

namespace ssbsim::materials
{
  /**
   * Rotation matrix Q from the crystal frame to the sample frame for Bunge
   * Euler angles (phi1, Phi, phi2) in degrees (z-x-z convention): a vector
   * with crystal components v_c has sample components Q v_c.
   */
  dealii::Tensor<2, 3>
  crystal_rotation(const std::array<double, 3> &euler_angles_deg);

  /**
   * @p n orientations drawn uniformly over all rotations from the seeded
   * Mersenne twister (its raw stream, the same on every platform): Bunge
   * angles phi1, phi2 uniform in [0, 360), cos Phi uniform in [-1, 1]
   * (the Haar measure), in degrees.
   */
  std::vector<std::array<double, 3>>
  random_euler_angles(const unsigned int n, const unsigned int seed);

  /// Parameters of LiDiffusivity (independent of the dimension).
  struct DiffusivityData
  {
    double                d_pristine      = 1e-17; // m^2/s
    double                d_converted     = 1e-14; // m^2/s
    std::array<double, 3> axis_factors    = {{1., 1., 1.}};
    std::array<double, 3> euler_angles    = {{0., 0., 0.}}; // degrees
    double                blocking_factor = 1.;   // 1: no blocking
    double                blocking_onset  = 0.9;  // theta
    double                blocking_width  = 0.05; // theta
    /// true: the blocking follows the converted extent of the point's
    /// history, max(theta, xi), so a dense Fe layer once formed stays
    /// (the paper's accumulating surface phase); false: theta
    bool                  blocking_history = false;
  };

  /**
   * Li diffusivity in the converting particle (PHYSICS.md section 2):
   *
   *   D(theta) = g(max(theta, xi)) b(theta) Q diag(f_a, f_b, f_c) Q^T,
   *   g(x) = D_p (D_c / D_p)^x                  (log-linear: sharp front),
   *
   * with xi the largest Li content the point has held (the converted
   * extent, irreversible; 0 unless Particle/Irreversible conversion),
   *   b(theta) = 1 - (1 - beta) S((theta - theta_b) / w)  (dense Fe shell),
   * or b(max(theta, xi)) with Data::blocking_history (the layer stays),
   *
   * with S the cubic smoothstep from 0 to 1 on [0,1], beta the blocking
   * factor, theta clamped to [0,1]. D_p, D_c are the pristine and converted
   * diffusivities (m^2/s) along the crystal a axis at the reference
   * temperature; the caller applies Arrhenius and stress factors.
   */
  template <int dim>
  class LiDiffusivity
  {
  public:
    using Data = DiffusivityData;

    LiDiffusivity() = default;
    explicit LiDiffusivity(const Data &data);

    /// Scalar factor g(max(theta, xi)) b(theta), m^2/s, with xi the
    /// converted extent @p converted of the point's history (0: the
    /// transport follows the Li content alone).
    double
    scalar(const double theta, const double converted = 0.) const;

    /// d(g b)/d theta at fixed history, m^2/s.
    double
    scalar_derivative(const double theta, const double converted = 0.) const;

    /// Dimensionless orientation tensor Q diag(f) Q^T (dim x dim block) of
    /// a crystal of Euler angles @p euler_angles (degrees).
    dealii::SymmetricTensor<2, dim>
    orientation_tensor(const std::array<double, 3> &euler_angles) const;

    /// The same for the data's Euler angles.
    dealii::SymmetricTensor<2, dim>
    orientation_tensor() const
    {
      return orientation_tensor(data.euler_angles);
    }

  private:
    double
    blocking(const double theta, double &derivative) const;

    Data data;
  };
} // namespace ssbsim::materials
