#include <ssbsim/materials/diffusivity.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace ssbsim::materials
{
  dealii::Tensor<2, 3>
  crystal_rotation(const std::array<double, 3> &euler_angles_deg)
  {
    const double deg = M_PI / 180.;
    const double c1 = std::cos(euler_angles_deg[0] * deg),
                 s1 = std::sin(euler_angles_deg[0] * deg);
    const double c  = std::cos(euler_angles_deg[1] * deg),
                 s  = std::sin(euler_angles_deg[1] * deg);
    const double c2 = std::cos(euler_angles_deg[2] * deg),
                 s2 = std::sin(euler_angles_deg[2] * deg);
    // Q = R_z(phi1) R_x(Phi) R_z(phi2)
    dealii::Tensor<2, 3> q;
    q[0][0] = c1 * c2 - s1 * c * s2;
    q[0][1] = -c1 * s2 - s1 * c * c2;
    q[0][2] = s1 * s;
    q[1][0] = s1 * c2 + c1 * c * s2;
    q[1][1] = -s1 * s2 + c1 * c * c2;
    q[1][2] = -c1 * s;
    q[2][0] = s * s2;
    q[2][1] = s * c2;
    q[2][2] = c;
    return q;
  }

  std::vector<std::array<double, 3>>
  random_euler_angles(const unsigned int n, const unsigned int seed)
  {
    std::mt19937 random(seed);
    // uniform in [0, 1) from one raw draw
    auto uniform = [&]() { return random() / 4294967296.; };
    std::vector<std::array<double, 3>> angles(n);
    for (auto &a : angles)
      {
        a[0] = 360. * uniform();
        a[1] = std::acos(1. - 2. * uniform()) * 180. / M_PI;
        a[2] = 360. * uniform();
      }
    return angles;
  }

  template <int dim>
  LiDiffusivity<dim>::LiDiffusivity(const Data &data_)
    : data(data_)
  {}

  template <int dim>
  dealii::SymmetricTensor<2, dim>
  LiDiffusivity<dim>::orientation_tensor(
    const std::array<double, 3> &euler_angles) const
  {
    const dealii::Tensor<2, 3>      q = crystal_rotation(euler_angles);
    dealii::SymmetricTensor<2, dim> a;
    for (unsigned int i = 0; i < dim; ++i)
      for (unsigned int j = i; j < dim; ++j)
        for (unsigned int k = 0; k < 3; ++k)
          a[i][j] += q[i][k] * data.axis_factors[k] * q[j][k];
    return a;
  }

  template <int dim>
  double
  LiDiffusivity<dim>::blocking(const double theta, double &derivative) const
  {
    derivative = 0.;
    if (data.blocking_factor >= 1.)
      return 1.;
    const double x = (theta - data.blocking_onset) / data.blocking_width;
    if (x <= 0.)
      return 1.;
    if (x >= 1.)
      return data.blocking_factor;
    const double s  = x * x * (3. - 2. * x);
    const double ds = 6. * x * (1. - x) / data.blocking_width;
    derivative      = -(1. - data.blocking_factor) * ds;
    return 1. - (1. - data.blocking_factor) * s;
  }

  template <int dim>
  double
  LiDiffusivity<dim>::scalar(const double theta, const double converted) const
  {
    const double t  = std::clamp(theta, 0., 1.);
    const double xi = std::max(t, std::clamp(converted, 0., 1.));
    double       db;
    return data.d_pristine *
           std::pow(data.d_converted / data.d_pristine, xi) *
           blocking(data.blocking_history ? xi : t, db);
  }

  template <int dim>
  double
  LiDiffusivity<dim>::scalar_derivative(const double theta,
                                        const double converted) const
  {
    if (theta < 0. || theta > 1.)
      return 0.;
    const double ratio = data.d_converted / data.d_pristine;
    // below the converted extent of its history the point keeps that
    // extent's transport: only the blocking follows theta
    const bool   history = converted > theta;
    const double g =
      data.d_pristine * std::pow(ratio, history ? std::min(converted, 1.) : theta);
    // a blocking that follows the history is fixed by it below xi
    const bool   fixed_blocking = data.blocking_history && history;
    double       db;
    const double b =
      blocking(fixed_blocking ? std::min(converted, 1.) : theta, db);
    return (history ? 0. : g * std::log(ratio) * b) +
           (fixed_blocking ? 0. : g * db);
  }

  template class LiDiffusivity<2>;
  template class LiDiffusivity<3>;
} // namespace ssbsim::materials
