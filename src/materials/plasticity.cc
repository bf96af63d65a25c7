#include <deal.II/base/tensor.h>

#include <ssbsim/materials/plasticity.h>

#include <Sacado.hpp>

#include <array>
#include <type_traits>
#include <cmath>

namespace ssbsim::materials
{
  using dealii::Tensor;

  namespace
  {
    using Derivative = Sacado::Fad::SFad<double, 9>;

    // Plain 3x3 arrays with explicit loops: every result is stored in a
    // Number, so Sacado's expression templates never meet deal.II's Tensor.
    template <typename Number>
    using Matrix = std::array<std::array<Number, 3>, 3>;

    double
    value_of(const double x)
    {
      return x;
    }

    double
    value_of(const Derivative &x)
    {
      return x.val();
    }

    template <typename Number, typename A, typename B>
    Matrix<Number>
    product(const Matrix<A> &a, const Matrix<B> &b)
    {
      Matrix<Number> c;
      for (unsigned int i = 0; i < 3; ++i)
        for (unsigned int j = 0; j < 3; ++j)
          {
            Number sum = 0.;
            for (unsigned int k = 0; k < 3; ++k)
              sum += a[i][k] * b[k][j];
            c[i][j] = sum;
          }
      return c;
    }

    template <typename Number>
    Matrix<Number>
    transpose(const Matrix<Number> &a)
    {
      Matrix<Number> t;
      for (unsigned int i = 0; i < 3; ++i)
        for (unsigned int j = 0; j < 3; ++j)
          t[i][j] = a[j][i];
      return t;
    }

    template <typename Number>
    Number
    determinant(const Matrix<Number> &a)
    {
      Number d = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]);
      d -= a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]);
      d += a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
      return d;
    }

    /// Inverse transpose (cofactor matrix over the determinant).
    template <typename Number>
    Matrix<Number>
    inverse_transpose(const Matrix<Number> &a)
    {
      const Number   det = determinant(a);
      Matrix<Number> c;
      for (unsigned int i = 0; i < 3; ++i)
        for (unsigned int j = 0; j < 3; ++j)
          {
            const unsigned int i1 = (i + 1) % 3, i2 = (i + 2) % 3;
            const unsigned int j1 = (j + 1) % 3, j2 = (j + 2) % 3;
            Number cofactor = a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1];
            c[i][j]         = cofactor / det;
          }
      return c;
    }

    /// The creep flow gamma (|s| falls by 2 mu_bar gamma) of one backward
    /// Euler step of length dt from the trial deviator norm @p s_trial:
    /// sqrt(2/3) gamma = dt rate (q / sigma_0)^n with q = sqrt(3/2) |s|.
    /// Solved for the remaining fraction x = |s| / |s_trial| in (0, 1),
    /// where the residual falls monotonically: safeguarded Newton on plain
    /// values, then one Newton step in Number, whose derivative is then
    /// the implicit one, -G_p / G_x, so the tangent stays exact.
    template <typename Number>
    Number
    creep_flow(const J2Plasticity &law,
               const Number       &s_trial,
               const Number       &mu_bar,
               const double        dt)
    {
      using std::pow;
      const double c = std::sqrt(2. / 3.), n = law.creep_exponent;
      const double k = std::sqrt(1.5) / law.creep_stress;
      // G(x) = sqrt(2/3) S (1 - x) / (2 mu_bar) - dt rate (k S x)^n
      const auto residual = [&](const auto  &S,
                                const auto  &mu,
                                const double x) -> std::decay_t<decltype(S)> {
        return c * S * (1. - x) / (2. * mu) - dt * law.creep_rate * pow(k * S * x, n);
      };
      const double S = value_of(s_trial), mu = value_of(mu_bar);
      const auto   slope = [&](const double x) {
        return -c * S / (2. * mu) -
               n * dt * law.creep_rate * std::pow(k * S, n) * std::pow(x, n - 1.);
      };
      double low = 0., high = 1., x = 1.;
      for (unsigned int it = 0; it < 100; ++it)
        {
          const double g = residual(S, mu, x);
          (g > 0 ? low : high) = x;
          double next = x - g / slope(x);
          if (!(next > low && next < high))
            next = 0.5 * (low + high);
          const bool done = std::abs(next - x) < 1e-15;
          x = next;
          if (done)
            break;
        }
      const Number x_exact = x - residual(s_trial, mu_bar, x) / slope(x);
      return s_trial * (1. - x_exact) / (2. * mu_bar);
    }

    /// The return map of Simo & Hughes, Box 9.1: Kirchhoff stress at the
    /// 3D deformation gradient F from the state @p old; writes the new
    /// state (plain values) to @p updated. With creep, @p dt s after it.
    template <typename Number>
    Matrix<Number>
    kirchhoff_stress(const J2Plasticity   &law,
                     const Matrix<Number> &F,
                     const PlasticState   &old,
                     PlasticState         &updated,
                     bool                 &plastic,
                     const double          dt = 0.)
    {
      using std::log;
      using std::pow;
      using std::sqrt;
      const Number   J     = determinant(F);
      const Number   scale = pow(J, -1. / 3.);
      Matrix<Number> F_bar;
      Matrix<double> Cp_inv;
      for (unsigned int i = 0; i < 3; ++i)
        for (unsigned int j = 0; j < 3; ++j)
          {
            F_bar[i][j]  = scale * F[i][j];
            Cp_inv[i][j] = old.plastic_metric_inverse[i][j];
          }
      const Matrix<Number> be_trial =
        product<Number>(product<Number>(F_bar, Cp_inv), transpose(F_bar));
      const Number mean_be = (be_trial[0][0] + be_trial[1][1] + be_trial[2][2]) / 3.;
      Matrix<Number> s;
      Number         s_norm2 = 0.;
      for (unsigned int i = 0; i < 3; ++i)
        for (unsigned int j = 0; j < 3; ++j)
          {
            s[i][j] = law.mu * be_trial[i][j];
            if (i == j)
              s[i][j] -= law.mu * mean_be;
            s_norm2 += s[i][j] * s[i][j];
          }

      const double radius = std::sqrt(2. / 3.) *
                            (law.yield_stress +
                             law.hardening * old.equivalent_plastic_strain);
      updated           = old;
      const bool yields = value_of(s_norm2) > radius * radius;
      // creep needs a deviator to flow along (none at F = I)
      const bool creeps = law.creep_rate > 0 && dt > 0 &&
                          value_of(s_norm2) > 1e-30 * law.mu * law.mu;
      plastic = yields || creeps;
      if (plastic)
        {
          const Number s_norm = sqrt(s_norm2);
          const Number mu_bar = law.mu * mean_be;
          Number       gamma  = 0.;
          if (yields)
            gamma = (s_norm - radius) / (2. * mu_bar + 2. * law.hardening / 3.);
          if (creeps)
            {
              const Number creep = creep_flow(law, s_norm, mu_bar, dt);
              if (value_of(creep) > value_of(gamma))
                gamma = creep;
            }
          const Number factor = 1. - 2. * mu_bar * gamma / s_norm;
          for (unsigned int i = 0; i < 3; ++i)
            for (unsigned int j = 0; j < 3; ++j)
              s[i][j] *= factor;
          updated.equivalent_plastic_strain +=
            std::sqrt(2. / 3.) * value_of(gamma);
          // b_e_bar = s/mu + m I, with m such that det b_e_bar = 1 (Simo &
          // Hughes eq. 9.3.34; m = tr(b_e_bar_trial)/3 alone lets the
          // plastic flow drift the elastic volume), pulled back with F_bar:
          // C_p^-1 = F_bar^-1 b_e_bar F_bar^-T
          Matrix<double> be, F_bar_value;
          double         s2 = 0;
          for (unsigned int i = 0; i < 3; ++i)
            for (unsigned int j = 0; j < 3; ++j)
              {
                be[i][j] = value_of(s[i][j]) / law.mu;
                s2 += be[i][j] * be[i][j];
                F_bar_value[i][j] = value_of(F_bar[i][j]);
              }
          // det(s/mu + m I) = m^3 - |s/mu|^2 m / 2 + det(s/mu) = 1
          const double det_s = determinant(be);
          double       m     = value_of(mean_be);
          for (unsigned int it = 0; it < 20; ++it)
            m -= (m * m * m - 0.5 * s2 * m + det_s - 1) / (3 * m * m - 0.5 * s2);
          for (unsigned int d = 0; d < 3; ++d)
            be[d][d] += m;
          const Matrix<double> F_bar_inv = transpose(inverse_transpose(F_bar_value));
          const Matrix<double> Cp_inv_new = product<double>(
            product<double>(F_bar_inv, be), transpose(F_bar_inv));
          for (unsigned int i = 0; i < 3; ++i)
            for (unsigned int j = 0; j < 3; ++j)
              updated.plastic_metric_inverse[i][j] = Cp_inv_new[i][j];
        }
      // the pressure, capped by the compaction of the pores
      const Number log_J = log(J);
      Number       log_Jp = old.plastic_volume_log;
      if (law.porosity > 0)
        {
          const double dense = std::log(1. - law.porosity);
          const double cap   = law.compaction_pressure -
                             law.compaction_hardening * old.plastic_volume_log;
          if (old.plastic_volume_log > dense &&
              -law.kappa * (value_of(log_J) - old.plastic_volume_log) > cap)
            {
              log_Jp = (law.compaction_pressure + law.kappa * log_J) /
                       (law.kappa + law.compaction_hardening);
              if (value_of(log_Jp) < dense)
                log_Jp = dense;
              updated.plastic_volume_log = value_of(log_Jp);
              plastic                    = true;
            }
        }
      const Number pressure_part = law.kappa * (log_J - log_Jp);
      for (unsigned int d = 0; d < 3; ++d)
        s[d][d] += pressure_part;
      return s;
    }

    template <int dim>
    Matrix<double>
    embed(const Tensor<2, dim> &F)
    {
      Matrix<double> F3{};
      for (unsigned int i = 0; i < 3; ++i)
        F3[i][i] = 1.;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = 0; j < dim; ++j)
          F3[i][j] = F[i][j];
      return F3;
    }
  } // namespace

  double
  J2Plasticity::porosity_of(const PlasticState &state) const
  {
    return porosity > 0 ?
             1. - (1. - porosity) / std::exp(state.plastic_volume_log) :
             0.;
  }

  template <int dim>
  J2Plasticity::Response<dim>
  J2Plasticity::evaluate(const Tensor<2, dim> &F,
                         const PlasticState   &old,
                         const bool            with_tangent,
                         const double          time_step) const
  {
    Response<dim>        r;
    const Matrix<double> F3 = embed(F);
    if (!with_tangent)
      {
        const auto tau =
          kirchhoff_stress(*this, F3, old, r.state, r.plastic, time_step);
        const auto P3  = product<double>(tau, inverse_transpose(F3));
        for (unsigned int i = 0; i < dim; ++i)
          for (unsigned int j = 0; j < dim; ++j)
            r.P[i][j] = P3[i][j];
        return r;
      }
    // forward-mode derivatives with respect to the in-plane components of F
    Matrix<Derivative> Fd;
    for (unsigned int i = 0; i < 3; ++i)
      for (unsigned int j = 0; j < 3; ++j)
        Fd[i][j] = (i < dim && j < dim) ? Derivative(9, 3 * i + j, F3[i][j]) :
                                          Derivative(F3[i][j]);
    const auto tau =
      kirchhoff_stress(*this, Fd, old, r.state, r.plastic, time_step);
    const auto P3  = product<Derivative>(tau, inverse_transpose(Fd));
    for (unsigned int i = 0; i < dim; ++i)
      for (unsigned int J = 0; J < dim; ++J)
        {
          r.P[i][J] = P3[i][J].val();
          for (unsigned int k = 0; k < dim; ++k)
            for (unsigned int L = 0; L < dim; ++L)
              r.A[i][J][k][L] = P3[i][J].dx(3 * k + L);
        }
    return r;
  }

  template <int dim>
  Tensor<2, 3>
  J2Plasticity::cauchy_stress(const Tensor<2, dim> &F,
                              const PlasticState   &state) const
  {
    const Matrix<double> F3 = embed(F);
    PlasticState         unused;
    bool                 plastic = false;
    const auto   tau = kirchhoff_stress(*this, F3, state, unused, plastic);
    const double J   = determinant(F3);
    Tensor<2, 3> sigma;
    for (unsigned int i = 0; i < 3; ++i)
      for (unsigned int j = 0; j < 3; ++j)
        sigma[i][j] = tau[i][j] / J;
    return sigma;
  }

  template <int dim>
  J2Plasticity::Response<dim>
  J2Plasticity::evaluate(const Tensor<2, dim> &F,
                         const Tensor<2, dim> &F_sw,
                         const PlasticState   &old,
                         const bool            with_tangent,
                         const double          time_step) const
  {
    const Tensor<2, dim> S    = invert(F_sw);
    const double         J_sw = determinant(F_sw);
    Response<dim>        r    = evaluate(F * S, old, with_tangent, time_step);
    r.P = J_sw * r.P * transpose(S);
    if (with_tangent)
      {
        // contract the second and fourth index of A with S = F_sw^-1
        Tensor<4, dim> half, A;
        for (unsigned int i = 0; i < dim; ++i)
          for (unsigned int J = 0; J < dim; ++J)
            for (unsigned int k = 0; k < dim; ++k)
              for (unsigned int N = 0; N < dim; ++N)
                for (unsigned int M = 0; M < dim; ++M)
                  half[i][J][k][N] += r.A[i][M][k][N] * S[J][M];
        for (unsigned int i = 0; i < dim; ++i)
          for (unsigned int J = 0; J < dim; ++J)
            for (unsigned int k = 0; k < dim; ++k)
              for (unsigned int L = 0; L < dim; ++L)
                for (unsigned int N = 0; N < dim; ++N)
                  A[i][J][k][L] += J_sw * half[i][J][k][N] * S[L][N];
        r.A = A;
      }
    return r;
  }

  template J2Plasticity::Response<2>
  J2Plasticity::evaluate(const Tensor<2, 2> &,
                         const PlasticState &,
                         bool,
                         double) const;
  template J2Plasticity::Response<2>
  J2Plasticity::evaluate(const Tensor<2, 2> &,
                         const Tensor<2, 2> &,
                         const PlasticState &,
                         bool,
                         double) const;
  template J2Plasticity::Response<3>
  J2Plasticity::evaluate(const Tensor<2, 3> &,
                         const Tensor<2, 3> &,
                         const PlasticState &,
                         bool,
                         double) const;
  template J2Plasticity::Response<3>
  J2Plasticity::evaluate(const Tensor<2, 3> &,
                         const PlasticState &,
                         bool,
                         double) const;
  template Tensor<2, 3>
  J2Plasticity::cauchy_stress(const Tensor<2, 2> &, const PlasticState &) const;
  template Tensor<2, 3>
  J2Plasticity::cauchy_stress(const Tensor<2, 3> &, const PlasticState &) const;
} // namespace ssbsim::materials
