// Constitutive functions against closed forms and finite differences.
#include <ssbsim/materials/butler_volmer.h>
#include <ssbsim/materials/constants.h>
#include <ssbsim/materials/diffusivity.h>
#include <ssbsim/materials/open_circuit.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace ssbsim;

namespace
{
  /// F with its (k, l) component moved by +h and by -h (central
  /// differences of stresses and energies)
  template <int dim>
  std::pair<dealii::Tensor<2, dim>, dealii::Tensor<2, dim>>
  perturbed(const dealii::Tensor<2, dim> &F,
            const unsigned int            k,
            const unsigned int            l,
            const double                  h)
  {
    auto plus = F, minus = F;
    plus[k][l] += h;
    minus[k][l] -= h;
    return {plus, minus};
  }
} // namespace

TEST_CASE("Arrhenius factor")
{
  CHECK(materials::arrhenius_factor(9493., 298.15, 298.15) == 1.);
  // LPS, seed values: 25 C -> 60 C
  const double ratio = materials::arrhenius_factor(9493., 333.15, 298.15);
  CHECK(ratio == Approx(std::exp(9493. / 8.314462618 *
                                 (1. / 298.15 - 1. / 333.15)))
                   .epsilon(1e-14));
  CHECK(ratio == Approx(1.4967).epsilon(1e-3)); // hand value
  // factors compose: (T1 -> T2) (T2 -> T3) = (T1 -> T3)
  CHECK(materials::arrhenius_factor(3e4, 273.15, 298.15) *
          materials::arrhenius_factor(3e4, 298.15, 333.15) ==
        Approx(materials::arrhenius_factor(3e4, 273.15, 333.15)));
}

TEST_CASE("Butler-Volmer kinetics")
{
  materials::ButlerVolmer bv;
  const double            T  = 298.15;
  const double            f  = constants::faraday / (constants::gas_constant * T);
  const double            i0 = 0.3;
  for (const double eta : {-0.2, -0.01, 0., 0.003, 0.15})
    {
      const auto v = bv.evaluate(i0, eta, T);
      // symmetric: i = 2 i0 sinh(f eta / 2)
      CHECK(v.current == Approx(2 * i0 * std::sinh(0.5 * f * eta)).margin(1e-15));
      const double h  = 1e-6;
      const double fd = (bv.evaluate(i0, eta + h, T).current -
                         bv.evaluate(i0, eta - h, T).current) /
                        (2 * h);
      CHECK(v.d_current_d_eta == Approx(fd).epsilon(1e-7));
    }
  // linearised resistance R T / (F i0) for alpha_a + alpha_c = 1
  CHECK(bv.charge_transfer_resistance(i0, T) == Approx(1. / (f * i0)));
  CHECK(1. / bv.evaluate(i0, 0., T).d_current_d_eta ==
        Approx(bv.charge_transfer_resistance(i0, T)));

  bv.anodic_transfer_coefficient   = 0.3;
  bv.cathodic_transfer_coefficient = 0.7;
  const auto v = bv.evaluate(i0, -0.1, T);
  CHECK(v.current == Approx(i0 * (std::exp(0.3 * f * -0.1) -
                                  std::exp(0.7 * f * 0.1))));
}

TEST_CASE("Butler-Volmer kinetics behind a resistive film")
{
  // i = BV(eta - r i): built backwards from the kinetic overpotential x,
  // eta = x + r BV(x) must give back i = BV(x)
  materials::ButlerVolmer bv;
  const double            T  = 298.15;
  const double            i0 = 0.4;
  for (const double alpha_a : {0.5, 0.3})
    {
      bv.anodic_transfer_coefficient   = alpha_a;
      bv.cathodic_transfer_coefficient = 1 - alpha_a;
      for (const double r : {1e-4, 0.035, 2.})
        for (const double x : {-0.6, -0.12, -1e-3, 0., 2e-3, 0.09, 0.4})
          {
            const double i   = bv.evaluate(i0, x, T).current;
            const double eta = x + r * i;
            const auto   v   = bv.evaluate_behind_film(i0, eta, T, r);
            CHECK(v.current == Approx(i).epsilon(1e-10).margin(1e-14));
            const double h  = 1e-7 * (1 + std::abs(eta));
            const double fd = (bv.evaluate_behind_film(i0, eta + h, T, r).current -
                               bv.evaluate_behind_film(i0, eta - h, T, r).current) /
                              (2 * h);
            CHECK(v.d_current_d_eta == Approx(fd).epsilon(1e-5));
          }
    }
  // in series at equilibrium: R_ct + r
  bv.anodic_transfer_coefficient = bv.cathodic_transfer_coefficient = 0.5;
  const double r = 0.035;
  CHECK(1. / bv.evaluate_behind_film(i0, 0., T, r).d_current_d_eta ==
        Approx(bv.charge_transfer_resistance(i0, T) + r).epsilon(1e-12));
  // no film: the bare kinetics, exactly
  CHECK(bv.evaluate_behind_film(i0, -0.2, T, 0.).current ==
        bv.evaluate(i0, -0.2, T).current);
  // a thick film carries the current ohmically: i -> eta / r
  const auto thick = bv.evaluate_behind_film(i0, -1., T, 1e3);
  CHECK(thick.current == Approx(-1e-3).epsilon(1e-3));
}

TEST_CASE("Open-circuit curve: interpolation, monotonicity, derivative")
{
  const auto u = materials::OpenCircuitCurve::from_string(
    "0:2.2, 0.01:1.8, 0.1:1.62, 0.5:1.58, 0.9:1.55, 0.99:1.3, 1:0.8");
  const std::vector<double> t = {0, 0.01, 0.1, 0.5, 0.9, 0.99, 1};
  const std::vector<double> v = {2.2, 1.8, 1.62, 1.58, 1.55, 1.3, 0.8};
  for (unsigned int k = 0; k < t.size(); ++k)
    CHECK(u.value(t[k]) == Approx(v[k]).epsilon(1e-14));

  double previous = u.value(0.);
  for (double x = 1e-4; x <= 1.; x += 1e-4)
    {
      const double value = u.value(x);
      CHECK(value <= previous + 1e-14); // the data decrease: so does U
      previous        = value;
      const double h  = 1e-7;
      const double fd = (u.value(x + h) - u.value(x - h)) / (2 * h);
      CHECK(u.derivative(x) == Approx(fd).epsilon(1e-4).margin(1e-6));
    }
  // linear continuation outside the table
  CHECK(u.value(1.01) == Approx(0.8 + 0.01 * (0.8 - 1.3) / 0.01));
  CHECK(u.derivative(-0.5) == Approx((1.8 - 2.2) / 0.01));
  // a straight line is reproduced exactly
  const auto line = materials::OpenCircuitCurve::from_string("0:2, 0.3:1.7, 1:1");
  CHECK(line.value(0.77) == Approx(2. - 0.77).epsilon(1e-14));
  CHECK(line.derivative(0.5) == Approx(-1.).epsilon(1e-14));
}

TEST_CASE("Open-circuit curve: CSV file and bad tables")
{
  const std::string file = "ocv_test.csv";
  {
    std::ofstream out(file);
    out << "theta,U\n# comment\n0,2.0\n0.5,1.5\n1.0,1.0\n";
  }
  const auto u = materials::OpenCircuitCurve::from_csv_file(file);
  CHECK(u.value(0.25) == Approx(1.75));
  std::remove(file.c_str());

  CHECK_THROWS_AS(materials::OpenCircuitCurve::from_string("0:1"),
                  std::invalid_argument);
  CHECK_THROWS_AS(materials::OpenCircuitCurve::from_string("0:1, 0:2"),
                  std::invalid_argument);
  CHECK_THROWS_AS(materials::OpenCircuitCurve::from_string("0:1, x"),
                  std::invalid_argument);
  CHECK_THROWS_AS(materials::OpenCircuitCurve::from_csv_file("missing.csv"),
                  std::invalid_argument);
}

TEST_CASE("Li diffusivity: log-linear front law, blocking, derivative")
{
  materials::LiDiffusivity<3>::Data data;
  data.d_pristine  = 1e-17;
  data.d_converted = 1e-14;
  materials::LiDiffusivity<3> d(data);
  CHECK(d.scalar(0.) == Approx(1e-17));
  CHECK(d.scalar(1.) == Approx(1e-14));
  CHECK(d.scalar(0.5) == Approx(std::sqrt(1e-17 * 1e-14)));
  CHECK(d.scalar(-0.2) == Approx(1e-17)); // clamped
  for (const double t : {0.1, 0.5, 0.93})
    {
      const double h = 1e-7;
      CHECK(d.scalar_derivative(t) ==
            Approx((d.scalar(t + h) - d.scalar(t - h)) / (2 * h)).epsilon(1e-6));
    }

  data.blocking_factor = 0.1;
  data.blocking_onset  = 0.9;
  data.blocking_width  = 0.05;
  materials::LiDiffusivity<3> blocked(data);
  CHECK(blocked.scalar(0.85) == Approx(d.scalar(0.85)));
  CHECK(blocked.scalar(0.97) == Approx(0.1 * d.scalar(0.97)));
  CHECK(blocked.scalar(0.925) == Approx(0.55 * d.scalar(0.925))); // mid-step
  for (const double t : {0.91, 0.925, 0.94})
    {
      const double h = 1e-7;
      CHECK(blocked.scalar_derivative(t) ==
            Approx((blocked.scalar(t + h) - blocked.scalar(t - h)) / (2 * h))
              .epsilon(1e-6));
    }

  // a converted history xi: the log-linear factor of max(theta, xi), the
  // blocking of theta; the derivative at fixed xi
  CHECK(d.scalar(0.2, 0.8) == Approx(d.scalar(0.8)));
  CHECK(d.scalar(0.9, 0.8) == Approx(d.scalar(0.9)));
  CHECK(blocked.scalar(0.92, 1.) == Approx(1e-14 * blocked.scalar(0.92) /
                                           d.scalar(0.92)));
  // d/d theta at fixed xi against central differences
  const auto check_derivative =
    [](const materials::LiDiffusivity<3>                &D,
       const std::vector<std::pair<double, double>> &points) {
      for (const auto &[t, xi] : points)
        {
          const double h = 1e-7;
          INFO("theta " << t << ", xi " << xi);
          CHECK(D.scalar_derivative(t, xi) ==
                Approx((D.scalar(t + h, xi) - D.scalar(t - h, xi)) / (2 * h))
                  .epsilon(1e-6)
                  .margin(1e-30));
        }
    };
  check_derivative(blocked, {{0.3, 0.7}, {0.7, 0.3}, {0.91, 1.}, {0.94, 0.5}});

  // blocking that follows the history: a point that has been converted
  // past the onset stays blocked when its Li content falls (on charge),
  // one that has not is unblocked as before; the derivative at fixed xi
  data.blocking_history = true;
  materials::LiDiffusivity<3> layer(data);
  CHECK(layer.scalar(0.5, 0.97) == Approx(0.1 * d.scalar(0.5, 0.97)));
  CHECK(layer.scalar(0.5, 0.925) == Approx(0.55 * d.scalar(0.5, 0.925)));
  CHECK(layer.scalar(0.5, 0.8) == Approx(d.scalar(0.5, 0.8)));
  CHECK(layer.scalar(0.97, 0.5) == Approx(blocked.scalar(0.97, 0.5)));
  check_derivative(layer,
                   {{0.3, 0.97}, {0.5, 0.925}, {0.91, 0.5}, {0.925, 0.2}, {0.94, 0.95}});
}

TEST_CASE("Li diffusivity: crystal orientation")
{
  materials::LiDiffusivity<3>::Data data;
  data.d_pristine   = 1.;
  data.d_converted  = 1.;
  data.axis_factors = {{1., 0.1, 0.01}};
  const auto A0     = materials::LiDiffusivity<3>(data).orientation_tensor();
  CHECK(A0[0][0] == Approx(1.));
  CHECK(A0[1][1] == Approx(0.1));
  CHECK(A0[2][2] == Approx(0.01));

  // phi1 = 90 degrees about z swaps a and b
  data.euler_angles = {{90., 0., 0.}};
  const auto A1     = materials::LiDiffusivity<3>(data).orientation_tensor();
  CHECK(A1[0][0] == Approx(0.1));
  CHECK(A1[1][1] == Approx(1.));
  CHECK(A1[0][1] == Approx(0.).margin(1e-14));

  // a general rotation keeps trace and determinant, Q is orthogonal
  data.euler_angles = {{31., 47., -12.}};
  const auto A2     = materials::LiDiffusivity<3>(data).orientation_tensor();
  CHECK(dealii::trace(A2) == Approx(1.11));
  CHECK(dealii::determinant(A2) == Approx(1e-3));
  const auto Q = materials::crystal_rotation(data.euler_angles);
  const auto I = Q * dealii::transpose(Q);
  for (unsigned int i = 0; i < 3; ++i)
    for (unsigned int j = 0; j < 3; ++j)
      CHECK(I[i][j] == Approx(i == j ? 1. : 0.).margin(1e-14));

  // 2D: the xy block of the rotated tensor
  data.euler_angles = {{90., 0., 0.}};
  const auto A3     = materials::LiDiffusivity<2>(data).orientation_tensor();
  CHECK(A3[0][0] == Approx(0.1));
  CHECK(A3[1][1] == Approx(1.));
}

#include <ssbsim/materials/hyperelastic.h>

TEST_CASE("Neo-Hookean with swelling: stress, tangent, stress-free swelling")
{
  const auto law = materials::NeoHookean<3>::from_young_poisson(200e9, 0.3);
  CHECK(law.mu == Approx(200e9 / 2.6));
  dealii::Tensor<2, 3> F;
  F[0][0] = 1.1;
  F[0][1] = 0.05;
  F[1][0] = -0.02;
  F[1][1] = 0.95;
  F[1][2] = 0.03;
  F[2][2] = 1.2;
  F[2][0] = 0.01;
  // anisotropic swelling: most of the volume along a rotated crystal c axis
  const dealii::Tensor<2, 3> Q  = materials::crystal_rotation({{30., 40., 10.}});
  const double exponents[3]     = {0.1, 0.2, 0.7};
  const auto   F_sw             = materials::anisotropic_swelling<3>(Q, exponents, 2.61);
  CHECK(dealii::determinant(F_sw) == Approx(2.61).epsilon(1e-12));
  CHECK((F_sw - dealii::transpose(F_sw)).norm() < 1e-12);
  // P = dW/dF and A = dP/dF by central differences, without swelling,
  // with isotropic and with anisotropic swelling
  for (const auto &swelling : {materials::isotropic_swelling<3>(1.),
                               materials::isotropic_swelling<3>(1.2),
                               F_sw})
    {
      const auto   P = law.stress(F, swelling);
      const auto   A = law.tangent(F, swelling);
      const double h = 1e-7;
      for (unsigned int k = 0; k < 3; ++k)
        for (unsigned int L = 0; L < 3; ++L)
          {
            const auto [Fp, Fm] = perturbed(F, k, L, h);
            CHECK(P[k][L] == Approx((law.energy(Fp, swelling) -
                                     law.energy(Fm, swelling)) / (2 * h))
                               .epsilon(1e-5).margin(1e-3 * law.mu * h));
            const auto dP =
              (law.stress(Fp, swelling) - law.stress(Fm, swelling)) / (2 * h);
            for (unsigned int i = 0; i < 3; ++i)
              for (unsigned int J = 0; J < 3; ++J)
                CHECK(A[i][J][k][L] ==
                      Approx(dP[i][J]).epsilon(1e-5).margin(1e-6 * law.mu));
          }
    }
  {
    CHECK(law.stress(F_sw, F_sw).norm() < 1e-12 * law.mu); // round-off only
    // isotropic exponents give s I
    const double iso[3] = {1. / 3, 1. / 3, 1. / 3};
    CHECK((materials::anisotropic_swelling<3>(Q, iso, 2.61) -
           materials::isotropic_swelling<3>(std::cbrt(2.61))).norm() < 1e-12);
  }
  // free swelling: F = s I is stress free, volume x s^3
  dealii::Tensor<2, 3> Fs;
  const double         s = std::cbrt(2.61);
  for (unsigned int d = 0; d < 3; ++d)
    Fs[d][d] = s;
  CHECK(law.stress(Fs, s).norm() == Approx(0.).margin(1e-6));
  CHECK(law.energy(Fs, s) == Approx(0.).margin(1e-6));
  // small strain limit: uniaxial strain e gives sigma_11 = (lambda + 2 mu) e
  dealii::Tensor<2, 3> Fu;
  const double         e = 1e-6;
  Fu[0][0] = 1 + e;
  Fu[1][1] = Fu[2][2] = 1;
  CHECK(law.cauchy_stress(Fu)[0][0] == Approx((law.lambda + 2 * law.mu) * e).epsilon(1e-5));
  CHECK(law.cauchy_stress(Fu)[1][1] == Approx(law.lambda * e).epsilon(1e-5));
}

#include <ssbsim/materials/cohesive.h>

namespace
{
  materials::CohesiveLaw
  interface_law()
  {
    // LPS/FeS2-like: 20 MPa, 30 MPa, 1 J/m^2, 3 J/m^2, BK 2, K = 1e16 Pa/m
    return {1e16, 20e6, 30e6, 1., 3., 2.};
  }

  /// Follows jump = lambda (cos a, sin a) from 0 to lambda_max and back to
  /// lambda_back; returns the dissipated work integral t . d[[u]].
  double
  proportional_path(const materials::CohesiveLaw &law, const double angle,
                    const double lambda_max, materials::CohesiveState &state,
                    std::vector<std::pair<double, double>> *curve = nullptr)
  {
    const dealii::Tensor<1, 2> n({1., 0.});
    const dealii::Tensor<1, 2> dir({std::cos(angle), std::sin(angle)});
    const unsigned int         steps = 200000;
    double                     work = 0, previous = 0;
    for (unsigned int k = 1; k <= steps; ++k)
      {
        const double lambda = lambda_max * k / steps;
        const double t      = law.traction<2>(lambda * dir, n, state) * dir;
        work += 0.5 * (t + previous) * lambda_max / steps;
        previous = t;
        if (curve)
          curve->emplace_back(lambda, t);
      }
    return work;
  }
} // namespace

TEST_CASE("Cohesive law: mode I and mode II traction-separation and energy")
{
  const auto law = interface_law();
  for (const auto &[angle, strength, energy] :
       {std::tuple{0., 20e6, 1.}, std::tuple{M_PI / 2, 30e6, 3.}})
    {
      materials::CohesiveState             state;
      std::vector<std::pair<double, double>> curve;
      const double final_sep = 2 * energy / strength;
      const double work =
        proportional_path(law, angle, 1.2 * final_sep, state, &curve);
      CHECK(work == Approx(energy).epsilon(1e-3)); // exactly G_c dissipated
      CHECK(state.damage == 1.);
      CHECK(state.strength_loss == 1.);
      // point by point: elastic K delta up to the strength, then linear
      // softening to zero at 2 G_c / strength; the strength loss is the
      // traction's shortfall from the peak along the way
      const double onset = strength / law.stiffness;
      materials::CohesiveState replay;
      const dealii::Tensor<1, 2> n({1., 0.});
      const dealii::Tensor<1, 2> dir({std::cos(angle), std::sin(angle)});
      for (const auto &[lambda, t] : curve)
        {
          law.traction<2>(lambda * dir, n, replay);
          if (lambda >= onset)
            CHECK(replay.strength_loss ==
                  Approx(1. - t / strength).margin(1e-9));
          const double expected =
            lambda <= onset ? law.stiffness * lambda :
            lambda >= final_sep ?
                              0. :
                              strength * (final_sep - lambda) / (final_sep - onset);
          CHECK(t == Approx(expected).margin(1e-6 * strength));
        }
    }
}

TEST_CASE("Cohesive law: unloading, compression, re-contact")
{
  const auto                 law = interface_law();
  const dealii::Tensor<1, 2> n({1., 0.});
  materials::CohesiveState   state;
  const double onset = 20e6 / law.stiffness, final_sep = 2. / 20e6;
  // load in mode I to half way down the softening branch
  const double peak = 0.5 * (onset + final_sep);
  law.traction<2>(dealii::Tensor<1, 2>({peak, 0.}), n, state);
  const double d = state.damage;
  CHECK(d == Approx(final_sep * (peak - onset) / (peak * (final_sep - onset))));
  // half way down the softening branch: half the strength lost, although
  // the stiffness loss d is close to 1 (lambda_f / lambda_0 = 50 here)
  CHECK(state.strength_loss == Approx(0.5));
  CHECK(d > 0.98);
  // the same opening in one fast viscous step: the traction lags (d_v small,
  // an overstress), the strength loss is the law's
  {
    materials::CohesiveState fast;
    law.regularised_traction<2>(dealii::Tensor<1, 2>({peak, 0.}), n, fast, 1e3, 1.);
    CHECK(fast.viscous_damage < 0.01);
    CHECK(fast.strength_loss == Approx(0.5));
  }
  // unloading follows the damaged secant to the origin, damage frozen
  for (const double x : {0.8, 0.5, 0.1})
    {
      const auto t = law.traction<2>(dealii::Tensor<1, 2>({x * peak, 0.}), n, state);
      CHECK(t[0] == Approx((1 - d) * law.stiffness * x * peak));
      CHECK(state.damage == d);
    }
  // compression: full penalty stiffness, no interpenetration, no new damage
  const auto t = law.traction<2>(dealii::Tensor<1, 2>({-1e-9, 0.}), n, state);
  CHECK(t[0] == Approx(-law.stiffness * 1e-9));
  CHECK(state.damage == d);
  // a pristine interface under any compression stays undamaged
  materials::CohesiveState fresh;
  law.traction<2>(dealii::Tensor<1, 2>({-1e-6, 0.}), n, fresh);
  CHECK(fresh.damage == 0.);
  // Newton matrix: (1-d)K tangentially (no friction here), K normally in
  // compression
  auto       frozen = state;
  const auto D =
    law.evaluate<2>(dealii::Tensor<1, 2>({-1e-9, 1e-9}), n, frozen).matrix;
  CHECK(D[0][0] == Approx(law.stiffness));
  CHECK(D[1][1] == Approx((1 - d) * law.stiffness));
  // smoothed contact: c(g) = 0 in opening, -g^2/(2w) on [-w, 0], g + w/2
  // below, C1 at both joints: a damaged point touching at zero gap carries
  // nothing, one closed by more than w carries K (g + w/2)
  {
    auto smooth              = law;
    smooth.contact_smoothing = 0.5e-9;
    const double w           = smooth.contact_smoothing;
    for (const double g : {-w, -1e-30})
      {
        const auto below = smooth.closed_part(g * (1 + 1e-9));
        const auto above = smooth.closed_part(g * (1 - 1e-9));
        CHECK(below.first == Approx(above.first).margin(1e-9 * w));
        CHECK(below.second == Approx(above.second).margin(1e-6));
      }
    CHECK(smooth.closed_part(0.).first == 0.);
    CHECK(smooth.closed_part(0.).second == 0.);
    CHECK(smooth.closed_part(-w / 2).first == Approx(-w / 8));
    CHECK(smooth.closed_part(-w / 2).second == Approx(0.5));
    CHECK(smooth.closed_part(-w).first == Approx(-w / 2));
    CHECK(smooth.closed_part(-w).second == 1.);
    const auto t = smooth.traction_at_damage<2>(
      dealii::Tensor<1, 2>({-3 * w, 0.}), n, 1.);
    CHECK(t[0] == Approx(-2.5 * w * smooth.stiffness));
    CHECK(smooth.traction_at_damage<2>(dealii::Tensor<1, 2>({1e-12, 0.}), n, 1.)
            .norm() == 0.);
  }
  // contact factor: full when closed (whatever the damage), zero when wide
  // open, the smoothstep in between
  CHECK(materials::contact_factor(-1e-9, 1e-8) == 1.);
  CHECK(materials::contact_factor(0., 1e-8) == 1.);
  CHECK(materials::contact_factor(0.25e-8, 1e-8) == Approx(1 - 0.15625));
  CHECK(materials::contact_factor(0.5e-8, 1e-8) == Approx(0.5));
  CHECK(materials::contact_factor(2e-8, 1e-8) == 0.);
}

TEST_CASE("Interface contact: the bonded part conducts across an opening "
          "only with bridging; closed or fully debonded, both forms agree")
{
  const double H = 500e6; // asperity hardness (Pa)
  for (const bool bridging : {false, true})
    for (const double d : {0., 0.3, 1.})
      for (const double p : {-1e6, 0., 100e6, 1e9})
        {
          const double a_d = materials::asperity_contact(d, p, H);
          // closed (closure factor 1): the Bowden-Tabor asperity contact of
          // the debonded part, whatever the form
          CHECK(materials::interface_contact(1., d, p, H, bridging) ==
                Approx(a_d));
          // wide open: nothing through the debonded part; the bonded part
          // 1 - d only when its fibres bridge
          CHECK(materials::interface_contact(0., d, p, H, bridging) ==
                Approx(bridging ? 1 - d : 0.).margin(1e-15));
          // half closed: between the two, linear in the closure factor for
          // bridging, proportional to it without
          const double half = materials::interface_contact(0.5, d, p, H, bridging);
          CHECK(half == Approx(bridging ? 1 - d + 0.5 * (a_d - 1 + d) :
                                          0.5 * a_d));
        }
  // a debonded point on flattened asperities: p / H of its area
  CHECK(materials::interface_contact(1., 1., 100e6, H, true) == Approx(0.2));
  // no hardness: a closed debonded point conducts fully
  CHECK(materials::interface_contact(1., 1., 0., 0., true) == 1.);
  CHECK(materials::interface_contact(0.5, 1., 0., 0., false) == 0.5);
}

TEST_CASE("Cohesive law: mixed mode at a fixed angle dissipates the BK energy")
{
  const auto law = interface_law();
  for (const double angle_deg : {20., 45., 70.})
    {
      const double angle = angle_deg * M_PI / 180;
      const double opening = std::cos(angle), slip = std::sin(angle);
      const auto [l0, lf]  = law.onset_and_final(opening, slip);
      const double B       = materials::CohesiveLaw::mode_mixity(opening, slip);
      CHECK(B == Approx(slip * slip));
      materials::CohesiveState state;
      // full separation exactly where BK says, not before
      proportional_path(law, angle, 0.999 * lf, state);
      CHECK(state.damage < 1.);
      const double work = proportional_path(law, angle, 1.5 * lf, state = {});
      CHECK(state.damage == 1.);
      CHECK(work == Approx(1. + 2. * B * B).epsilon(0.01)); // G_Ic + (G_IIc - G_Ic) B^2
      CHECK(0.5 * law.stiffness * l0 * lf == Approx(1. + 2. * B * B));
    }
}

namespace
{
  /// interface_law() with Coulomb friction mu
  materials::CohesiveLaw
  frictional_law(const double mu)
  {
    auto law                 = interface_law();
    law.friction_coefficient = mu;
    return law;
  }
} // namespace

TEST_CASE("Cohesive-frictional law: Duvaut-Lions viscous friction")
{
  // a fully debonded point pressed at p (beyond the smoothing range: the
  // pressure is K (-g - w/2)) and slid by s in one step dt from no plastic
  // slip: below mu p / K it sticks (t = K s, whatever tau); beyond, the
  // shear traction is (mu p + tau/dt K s) / (1 + tau/dt), which tends to
  // the cone mu p as dt/tau grows and to the elastic K s as it vanishes,
  // and the plastic slip is s - t/K
  auto law               = frictional_law(0.6);
  law.contact_smoothing  = 0.5e-9;
  const double K         = law.stiffness;
  const double p         = 200e6;
  const double gap       = -p / K - law.contact_smoothing / 2;
  const dealii::Tensor<1, 2> n({-1., 0.});
  materials::CohesiveState   debonded;
  debonded.damage = debonded.viscous_damage = debonded.strength_loss = 1;
  debonded.threshold = 1e-6;
  const double mu_p  = 0.6 * p;
  for (const double tau : {0., 1., 10.})
    for (const double dt : {1., 100.})
      for (const double slip : {0.5 * mu_p / K, 3 * mu_p / K, 30 * mu_p / K})
        {
          INFO("tau " << tau << " dt " << dt << " slip " << slip);
          law.friction_viscosity = tau;
          auto         state = debonded;
          const auto   r     = law.evaluate<2>(
            dealii::Tensor<1, 2>({-gap, slip}), n, state, 0., dt);
          const double ratio = tau / dt;
          const double expected =
            K * slip <= mu_p ? K * slip : (mu_p + ratio * K * slip) / (1 + ratio);
          CHECK(r.traction[0] == Approx(p).epsilon(1e-12));
          CHECK(r.traction[1] == Approx(expected).epsilon(1e-12));
          CHECK(r.sliding == (K * slip > mu_p));
          CHECK(state.friction_slip[1] ==
                Approx(slip - expected / K).margin(1e-12 * slip));
          // the sliding point's tangential stiffness: tau/dt K / (1 + tau/dt)
          CHECK(r.matrix[1][1] ==
                Approx(K * slip <= mu_p ? K : ratio * K / (1 + ratio))
                  .margin(1e-9 * K));
        }
}

TEST_CASE("Cohesive-frictional law: pressed and sheared to full damage")
{
  // a face pressed at p (gap -p/K) and slid monotonically along y: the
  // mode-II bond (l0 = S/K, lf = 2 G_IIc / S) softens while the friction of
  // the damaged fraction d(s) rises, t(s) = (1 - d) K s + d min(K s, mu p)
  const double mu = 0.5, p = 200e6;
  const auto   law = frictional_law(mu);
  const double K = law.stiffness, S = 30e6, G = 3.;
  const double l0 = S / K, lf = 2 * G / S, sy = mu * p / K, s_end = 1.5 * lf;
  const dealii::Tensor<1, 2> n({1., 0.});
  auto damage = [&](const double s) {
    return s <= l0 ? 0. : s >= lf ? 1. : lf * (s - l0) / (s * (lf - l0));
  };
  auto expected = [&](const double s) {
    const double d = damage(s);
    return (1 - d) * K * std::min(s, lf) * (s < lf) +
           d * std::min(K * s, mu * p);
  };
  materials::CohesiveState state;
  const unsigned int       steps = 200000;
  double work = 0, previous = 0, peak = 0;
  for (unsigned int k = 1; k <= steps; ++k)
    {
      const double s = s_end * k / steps;
      const auto   t = law.traction<2>(dealii::Tensor<1, 2>({-p / K, s}), n, state);
      CHECK(t[0] == Approx(-p).epsilon(1e-12)); // no interpenetration
      if (k % 1000 == 0)
        CHECK(t[1] == Approx(expected(s)).margin(1e-9 * p));
      work += 0.5 * (t[1] + previous) * s_end / steps;
      previous = t[1];
      peak     = std::max(peak, t[1]);
    }
  // residual: Coulomb friction mu p once the bond is gone
  CHECK(state.damage == 1.);
  CHECK(previous == Approx(mu * p).epsilon(1e-12));
  // the peak of the form: where (1-d) K s and d mu p balance their slopes,
  // s* = sqrt(mu p lf l0 / S) (here beyond the stick range sy), about
  // S + mu p for lf >> l0
  const double s_star = std::sqrt(mu * p * lf * l0 / S);
  REQUIRE(s_star > sy);
  const double predicted_peak = S * (lf - s_star) / (lf - l0) +
                                mu * p * lf / (lf - l0) * (1 - l0 / s_star);
  CHECK(peak == Approx(predicted_peak).epsilon(1e-6));
  CHECK(peak > 0.85 * (S + mu * p));
  // work: G_IIc of the bond plus the friction of the damaged fraction,
  // int d min(K s, mu p) ds, in closed form
  const double r = lf / (lf - l0);
  const double friction_work =
    K * r * 0.5 * (sy - l0) * (sy - l0) +
    mu * p * (r * ((lf - sy) - l0 * std::log(lf / sy)) + (s_end - lf));
  std::cout << "cohesive-frictional: peak " << peak << " Pa (form " << predicted_peak
            << ", S + mu p = " << S + mu * p << "), work " << work
            << " J/m^2 = G_IIc + " << friction_work << std::endl;
  CHECK(work == Approx(G + friction_work).epsilon(1e-6));

  // with mu = 0 the same path is the bilinear law: no residual shear
  materials::CohesiveState plain;
  const auto               t0 =
    frictional_law(0.).traction<2>(dealii::Tensor<1, 2>({-p / K, s_end}), n, plain);
  CHECK(t0[1] == 0.);
}

TEST_CASE("Cohesive-frictional law: stick, slip, reversal and opening")
{
  const double mu = 0.5, p = 200e6;
  const auto   law = frictional_law(mu);
  const double K = law.stiffness, g = -p / K, lf = 2 * 3. / 30e6;
  const dealii::Tensor<1, 2> n({1., 0.});
  auto at = [&](const double gap, const double s, materials::CohesiveState &st) {
    return law.traction<2>(dealii::Tensor<1, 2>({gap, s}), n, st);
  };
  materials::CohesiveState state;
  for (unsigned int k = 1; k <= 1000; ++k)
    at(g, 1.5 * lf * k / 1000, state); // fully damaged, sliding forward
  REQUIRE(state.damage == 1.);
  const double slip_forward = state.friction_slip[1];
  const double s0           = 1.5 * lf;
  CHECK(slip_forward == Approx(s0 - mu * p / K));
  // reversing by less than 2 mu p / K sticks: the traction falls
  // elastically and the plastic slip stays
  auto stick = state;
  CHECK(at(g, s0 - mu * p / K, stick)[1] == Approx(0.).margin(1e-6 * p));
  CHECK(at(g, s0 - 1.5 * mu * p / K, stick)[1] == Approx(-0.5 * mu * p));
  CHECK(stick.friction_slip[1] == slip_forward);
  // reversing further slides back: the friction reverses to -mu p
  auto back = state;
  CHECK(at(g, s0 - 3 * mu * p / K, back)[1] == Approx(-mu * p));
  CHECK(back.friction_slip[1] == Approx(s0 - 3 * mu * p / K + mu * p / K));
  // twice the pressure doubles the friction
  auto harder = state;
  CHECK(at(2 * g, s0 + lf, harder)[1] == Approx(2 * mu * p));
  // an opened face carries no friction (and no normal traction: d = 1)
  auto open       = state;
  const auto t_op = at(1e-9, s0, open);
  CHECK(t_op.norm() == 0.);
  // closed again from the open state, it sticks from where it slid to
  CHECK(at(g, s0 + 0.2 * mu * p / K, open)[1] == Approx(0.2 * mu * p));
  // a damaged face loaded below mu p from rest sticks: K s, no slip
  materials::CohesiveState rest = state;
  rest.friction_slip            = {{0., 0., 0.}};
  CHECK(at(g, 0.5 * mu * p / K, rest)[1] == Approx(0.5 * mu * p));
  CHECK(rest.friction_slip[1] == 0.);
}

TEST_CASE("Cohesive-frictional law: Newton matrix against finite differences")
{
  // 3D, an oblique normal, contact smoothing on (so the pressure depends
  // on the gap in the smoothed range too), damage partial and frozen (the
  // separation stays below its historical maximum): the matrix must be
  // the exact derivative of the traction in the stick and slip branches
  auto law              = frictional_law(0.6);
  law.contact_smoothing = 0.5e-9;
  const double K = law.stiffness, lf = 2 * 3. / 30e6;
  dealii::Tensor<1, 3> n({1., 2., 2.});
  n /= n.norm();
  const dealii::Tensor<1, 3> e1({2., -1., 0.});
  const dealii::Tensor<1, 3> t1 = e1 / e1.norm();
  const dealii::Tensor<1, 3> t2 = dealii::cross_product_3d(n, t1);
  materials::CohesiveState   loaded;
  for (unsigned int k = 1; k <= 400; ++k)
    law.traction<3>(-2e-8 * n + (0.4 * lf * k / 400) * t1, n, loaded);
  REQUIRE(loaded.damage > 0.5);
  REQUIRE(loaded.damage < 1.);

  struct Case
  {
    const char          *name;
    dealii::Tensor<1, 3> jump;
    bool                 sliding;
  };
  const double sp = 0.4 * lf - 0.6 * 2e-8; // plastic slip along t1 (= s - mu p/K)
  const std::vector<Case> cases = {
    {"stick", -2e-8 * n + (sp + 0.5e-8) * t1 + 0.3e-8 * t2, false},
    {"slip backwards and sideways", -2e-8 * n + 0.2 * lf * t1 + 0.05 * lf * t2, true},
    {"slip in the smoothed contact range", -0.2e-9 * n + 0.1 * lf * t1 - 0.1 * lf * t2, true}};
  // the law's matrix at a jump against central differences of its
  // traction, each evaluation from the loaded state
  const auto check_matrix = [&](const Case &c, const double viscosity) {
    auto       state = loaded;
    const auto r     = law.evaluate<3>(c.jump, n, state, viscosity, 60.);
    CHECK(r.sliding == c.sliding);
    const double h = 1e-13;
    for (unsigned int j = 0; j < 3; ++j)
      {
        dealii::Tensor<1, 3> dj;
        dj[j]            = h;
        auto       plus  = loaded;
        auto       minus = loaded;
        const auto tp = law.evaluate<3>(c.jump + dj, n, plus, viscosity, 60.).traction;
        const auto tm = law.evaluate<3>(c.jump - dj, n, minus, viscosity, 60.).traction;
        for (unsigned int i = 0; i < 3; ++i)
          CHECK(r.matrix[i][j] ==
                Approx((tp[i] - tm[i]) / (2 * h)).margin(1e-6 * K));
      }
    return state;
  };
  for (const double tau : {0., 5.})
    for (const auto &c : cases)
      {
        // Duvaut-Lions friction (tau/dt = 1/12): the sliding tangent gains
        // tau/dt K of the stick branch, the traction relaxes towards the cone
        law.friction_viscosity = tau;
        INFO(c.name << ", friction viscosity " << tau);
        CHECK(check_matrix(c, 0.).damage == loaded.damage);
      }
  law.friction_viscosity = 0;

  // damage growing (sheared beyond the largest slip so far while pressed,
  // sliding or sticking, with and without viscous regularisation): the
  // matrix includes dd/d[[u]] and is again the exact derivative
  const std::vector<Case> growing = {
    {"damage grows, sliding", -2e-8 * n + 0.5 * lf * t1 + 0.02 * lf * t2, true},
    {"damage grows, smoothed contact", -0.2e-9 * n + 0.3 * lf * t1 + 0.3 * lf * t2, true},
    // opened in mixed mode: the onset and final separations follow the
    // mode mix, whose change the matrix must include
    {"damage grows, open in mixed mode", 0.2 * lf * n + 0.45 * lf * t1 + 0.05 * lf * t2, true}};
  for (const double viscosity : {0., 100.})
    for (const auto &c : growing)
      {
        INFO(c.name << ", viscosity " << viscosity);
        CHECK(check_matrix(c, viscosity).damage > loaded.damage);
      }
}

#include <ssbsim/materials/plasticity.h>

namespace
{
  /// LPS-like: E = 20 GPa, nu = 0.3, yield 600 MPa, hardening H
  materials::J2Plasticity
  lps_plastic(const double hardening, const double yield = 600e6)
  {
    return materials::J2Plasticity::from_young_poisson(20e9, 0.3, yield, hardening);
  }

  /// Kirchhoff stress P F^T of a response
  dealii::Tensor<2, 3>
  kirchhoff(const dealii::Tensor<2, 3> &P, const dealii::Tensor<2, 3> &F)
  {
    return P * dealii::transpose(F);
  }

  double
  von_mises(const dealii::Tensor<2, 3> &tau)
  {
    const double         p   = dealii::trace(tau) / 3;
    dealii::Tensor<2, 3> dev = tau;
    for (unsigned int d = 0; d < 3; ++d)
      dev[d][d] -= p;
    return std::sqrt(1.5 * dealii::scalar_product(dev, dev));
  }

  /// Checks the tangent @p A at @p F against central differences of the
  /// first Piola stress @p stress(F) (margin 1e-5 mu).
  template <typename Stress>
  void
  check_tangent_by_differences(const Stress               &stress,
                               const dealii::Tensor<2, 3> &F,
                               const dealii::Tensor<4, 3> &A,
                               const double                mu)
  {
    const double h = 1e-7;
    for (unsigned int k = 0; k < 3; ++k)
      for (unsigned int l = 0; l < 3; ++l)
        {
          const auto [Fp, Fm] = perturbed(F, k, l, h);
          const dealii::Tensor<2, 3> Pp = stress(Fp), Pm = stress(Fm);
          for (unsigned int i = 0; i < 3; ++i)
            for (unsigned int j = 0; j < 3; ++j)
              CHECK(A[i][j][k][l] ==
                    Approx((Pp[i][j] - Pm[i][j]) / (2 * h)).margin(1e-5 * mu));
        }
  }

  /// The plane-strain F as 3D: F_33 = 1.
  dealii::Tensor<2, 3>
  plane_strain_3d(const dealii::Tensor<2, 2> &F2)
  {
    dealii::Tensor<2, 3> F3;
    F3[2][2] = 1;
    for (unsigned int i = 0; i < 2; ++i)
      for (unsigned int j = 0; j < 2; ++j)
        F3[i][j] = F2[i][j];
    return F3;
  }
} // namespace

TEST_CASE("J2 plasticity: isochoric tension against the closed form")
{
  // F = diag(l, l^-1/2, l^-1/2) in many increments. Elastic up to the
  // yield stretch, then the von Mises Kirchhoff stress follows the
  // hardening line sigma_y + H alpha, with alpha the plastic part of the
  // logarithmic strain: alpha = ln l - ln l_e, where the elastic stretch
  // l_e carries the stress, sigma_vm = mu (l_e^2 - 1 / l_e)
  auto elastic_stretch = [](const double mu, const double vm) {
    double x = 1 + vm / (3 * mu);
    for (unsigned int it = 0; it < 50; ++it)
      x -= (mu * (x * x - 1 / x) - vm) / (mu * (2 * x + 1 / (x * x)));
    return x;
  };
  // Simo's return linearises the elastic response about the trial state
  // (mu_bar = mu tr(b_bar)/3 for the slope 3 mu (1 + eps_e) of the
  // neo-Hookean), so alpha is exact to relative order of the elastic
  // strain eps_e = sigma_vm / (3 mu): 2.6 % at the LPS yield stress
  for (const auto &[H, yield] : {std::pair{0., 600e6}, std::pair{2e9, 600e6},
                                 std::pair{2e9, 60e6}})
    {
      const auto                 law = lps_plastic(H, yield);
      materials::PlasticState    state;
      const double               l_end = 1.3;
      const unsigned int         steps = 3000;
      double                     first_yield = 0;
      for (unsigned int k = 1; k <= steps; ++k)
        {
          const double l = std::pow(l_end, double(k) / steps);
          dealii::Tensor<2, 3> F;
          F[0][0] = l;
          F[1][1] = F[2][2] = 1 / std::sqrt(l);
          const auto r   = law.evaluate<3>(F, state, false);
          state          = r.state;
          const auto tau = kirchhoff(r.P, F);
          CHECK(std::abs(dealii::trace(tau)) < 1e-6 * law.yield_stress); // J = 1
          CHECK(tau[1][1] == Approx(tau[2][2]).margin(1e-6 * law.yield_stress));
          const double vm = von_mises(tau);
          if (r.plastic && first_yield == 0)
            first_yield = l;
          if (!r.plastic && first_yield == 0)
            {
              // elastic: mu dev(b_bar) with b_bar = diag(l^2, 1/l, 1/l)
              CHECK(vm == Approx(law.mu * (l * l - 1 / l)).epsilon(1e-10));
              continue;
            }
          const double alpha = state.equivalent_plastic_strain;
          CHECK(vm == Approx(law.yield_stress + H * alpha).epsilon(1e-9));
          CHECK(alpha == Approx(std::log(l / elastic_stretch(law.mu, vm)))
                           .margin(1.2 * vm / (3 * law.mu) * alpha + 1e-7));
        }
      // first yield where mu (l^2 - 1/l) = sigma_y
      CHECK(first_yield ==
            Approx(elastic_stretch(law.mu, law.yield_stress)).epsilon(1e-4));
      std::cout << "J2 tension to 1.3, H = " << H << " Pa: alpha "
                << state.equivalent_plastic_strain << ", closed form "
                << std::log(l_end / elastic_stretch(law.mu, law.yield_stress +
                                                              H * state.equivalent_plastic_strain))
                << std::endl;
    }
}

TEST_CASE("J2 plasticity: infinite yield stress is the elastic neo-Hookean")
{
  // with sigma_y -> infinity the law is hyperelastic with
  // W = kappa/2 (ln J)^2 + mu/2 (tr b_bar - 3): P = dW/dF by finite
  // differences of that energy; and at small strain it agrees with
  // NeoHookean of the same E, nu to second order
  const auto law = lps_plastic(0., 1e30);
  auto       energy = [&](const dealii::Tensor<2, 3> &F) {
    const double J    = dealii::determinant(F);
    const double trb  = dealii::scalar_product(F, F) * std::pow(J, -2. / 3.);
    return 0.5 * law.kappa * std::log(J) * std::log(J) + 0.5 * law.mu * (trb - 3);
  };
  dealii::Tensor<2, 3> F({{1.1, 0.2, -0.05}, {0.03, 0.9, 0.1}, {-0.1, 0.05, 1.2}});
  const auto r = law.evaluate<3>(F, {}, false);
  CHECK(!r.plastic);
  const double h = 1e-7;
  for (unsigned int i = 0; i < 3; ++i)
    for (unsigned int j = 0; j < 3; ++j)
      {
        const auto [Fp, Fm] = perturbed(F, i, j, h);
        CHECK(r.P[i][j] == Approx((energy(Fp) - energy(Fm)) / (2 * h)).margin(1e-6 * law.mu));
      }
  const auto   neo = materials::NeoHookean<3>::from_young_poisson(20e9, 0.3);
  dealii::Tensor<2, 3> small({{1e-3, 2e-4, 0}, {-1e-4, -5e-4, 3e-4}, {0, 1e-4, 2e-4}});
  for (unsigned int d = 0; d < 3; ++d)
    small[d][d] += 1;
  const auto P_plastic = law.evaluate<3>(small, {}, false).P;
  const auto P_neo     = neo.stress(small);
  CHECK((P_plastic - P_neo).norm() < 2e-3 * P_neo.norm());
  CHECK(law.kappa == Approx(neo.lambda + 2 * neo.mu / 3));
}

TEST_CASE("J2 plasticity: tangent against finite differences, plane strain")
{
  const auto law = lps_plastic(1e9);
  // a plastic history: isochoric tension to 1.1 in 50 increments
  materials::PlasticState state;
  for (unsigned int k = 1; k <= 50; ++k)
    {
      const double         l = std::pow(1.1, k / 50.);
      dealii::Tensor<2, 3> F;
      F[0][0] = l;
      F[1][1] = F[2][2] = 1 / std::sqrt(l);
      state = law.evaluate<3>(F, state, false).state;
    }
  REQUIRE(state.equivalent_plastic_strain > 0.05);
  const dealii::Tensor<2, 3> plastic_step(
    {{1.15, 0.08, 0.0}, {0.02, 0.93, 0.05}, {0.0, -0.03, 0.95}});
  // unloading from the end of the history: elastic (the end itself lies
  // on the yield surface, where finite differences straddle both branches)
  const dealii::Tensor<2, 3> elastic_step(
    {{1.08, 0.01, 0.}, {0., 1 / std::sqrt(1.08), 0.}, {0., 0., 1 / std::sqrt(1.08)}});
  for (const auto &[F, yields] : {std::pair{plastic_step, true}, std::pair{elastic_step, false}})
    {
      const auto r = law.evaluate<3>(F, state, true);
      CHECK(r.plastic == yields);
      check_tangent_by_differences(
        [&](const auto &G) { return law.evaluate<3>(G, state, false).P; }, F, r.A, law.mu);
    }
  // plane strain: the 2D law is the in-plane block of the 3D one at F_33 = 1
  const dealii::Tensor<2, 2> F2({{1.12, 0.05}, {-0.02, 0.91}});
  const dealii::Tensor<2, 3> F3 = plane_strain_3d(F2);
  const auto r2 = law.evaluate<2>(F2, state, true);
  const auto r3 = law.evaluate<3>(F3, state, true);
  CHECK(r2.plastic);
  for (unsigned int i = 0; i < 2; ++i)
    for (unsigned int j = 0; j < 2; ++j)
      {
        CHECK(r2.P[i][j] == Approx(r3.P[i][j]).epsilon(1e-12));
        for (unsigned int k = 0; k < 2; ++k)
          for (unsigned int l = 0; l < 2; ++l)
            CHECK(r2.A[i][j][k][l] == Approx(r3.A[i][j][k][l]).margin(1e-9 * law.mu));
      }
  CHECK(r2.state.equivalent_plastic_strain ==
        Approx(r3.state.equivalent_plastic_strain).epsilon(1e-12));
  // the converged state re-evaluated at its own F is elastic and gives the
  // same stress (what the output and the stress coupling read)
  const auto sigma = law.cauchy_stress<3>(plastic_step, law.evaluate<3>(plastic_step, state, false).state);
  const auto tau   = kirchhoff(law.evaluate<3>(plastic_step, state, false).P, plastic_step);
  CHECK((sigma * dealii::determinant(plastic_step) - tau).norm() < 1e-9 * tau.norm());
}

TEST_CASE("J2 plasticity with compaction: a porous compact pressed "
          "hydrostatically against the closed form, exact tangent")
{
  // A cold-pressed LPS-like compact (kappa = 16.7 GPa), porosity 0.1,
  // compaction from p_c0 = 370 MPa with H_v = 10 GPa, squeezed
  // hydrostatically, F = lambda I, J = lambda^3, in steps: elastic
  // (p = -kappa ln J) up to p_c0, then on the cap p = p_c0 - H_v ln J_p
  // with ln J_p = (p_c0 + kappa ln J) / (kappa + H_v), until the compact
  // is dense (ln J_p = ln 0.9) and elastic again. No deviator: the J2
  // surface is not touched. Unloading is elastic about the compacted
  // volume: at J = J_p the compact is stress free.
  auto law                 = lps_plastic(1e9);
  law.porosity             = 0.1;
  law.compaction_pressure  = 370e6;
  law.compaction_hardening = 10e9;
  const double kappa = law.kappa, pc = 370e6, Hv = 10e9;
  const double dense = std::log(0.9);

  materials::PlasticState state;
  double      largest_error = 0;
  unsigned int on_cap = 0, past_dense = 0;
  for (unsigned int k = 1; k <= 100; ++k)
    {
      const double         log_J = -0.0025 * k; // down to J = 0.78
      dealii::Tensor<2, 3> F;
      for (unsigned int d = 0; d < 3; ++d)
        F[d][d] = std::exp(log_J / 3.);
      const auto r = law.evaluate<3>(F, state, false);
      // closed form
      const double elastic_p = -kappa * log_J;
      double       log_Jp    = 0;
      if (elastic_p > pc)
        log_Jp = std::max((pc + kappa * log_J) / (kappa + Hv), dense);
      const double p = -kappa * (log_J - log_Jp);
      on_cap += (log_Jp < 0 && log_Jp > dense);
      past_dense += (log_Jp == dense);
      const auto tau = kirchhoff(r.P, F);
      for (unsigned int d = 0; d < 3; ++d)
        largest_error = std::max(largest_error, std::abs(-tau[d][d] - p) / pc);
      CHECK(std::abs(tau[0][1]) < 1e-6 * pc);
      CHECK(r.state.plastic_volume_log == Approx(log_Jp).margin(1e-12));
      CHECK(r.state.equivalent_plastic_strain == 0.);
      state = r.state;
    }
  std::cout << "compaction: largest pressure error " << largest_error
            << " p_c0; " << on_cap << " steps on the cap, " << past_dense
            << " dense" << std::endl;
  CHECK(largest_error < 1e-10);
  CHECK(on_cap > 10);
  CHECK(past_dense > 10);
  CHECK(law.porosity_of(state) == Approx(0.).margin(1e-12));

  // unloading is elastic about the compacted volume: stress free at J = J_p
  dealii::Tensor<2, 3> F_free;
  for (unsigned int d = 0; d < 3; ++d)
    F_free[d][d] = std::exp(dense / 3.);
  const auto unloaded = law.evaluate<3>(F_free, state, false);
  CHECK(unloaded.P.norm() < 1e-6 * pc);
  CHECK(unloaded.state.plastic_volume_log == state.plastic_volume_log);

  // half compacted: the porosity left, and the tangent on the cap and
  // with the J2 surface active at the same time
  materials::PlasticState half;
  half.plastic_volume_log = 0.5 * dense;
  CHECK(law.porosity_of(half) ==
        Approx(1. - 0.9 / std::exp(0.5 * dense)).epsilon(1e-12));
  const dealii::Tensor<2, 3> squeezed(
    {{0.93, 0.01, 0.0}, {0.0, 0.95, 0.02}, {0.0, 0.0, 0.96}});
  const dealii::Tensor<2, 3> sheared_squeezed(
    {{0.90, 0.06, 0.0}, {0.01, 1.01, 0.02}, {0.0, 0.0, 0.93}});
  for (const auto &F : {squeezed, sheared_squeezed})
    {
      const auto r = law.evaluate<3>(F, half, true);
      CHECK(r.plastic);
      CHECK(r.state.plastic_volume_log < half.plastic_volume_log);
      check_tangent_by_differences(
        [&](const auto &G) { return law.evaluate<3>(G, half, false).P; }, F, r.A, law.mu);
    }
  CHECK(law.evaluate<3>(sheared_squeezed, half, false).state.equivalent_plastic_strain > 0);
  // porosity 0: the dense law, whatever the pressure
  const auto dense_law = lps_plastic(1e9);
  CHECK(dense_law.evaluate<3>(squeezed, {}, false).state.plastic_volume_log == 0.);
}

TEST_CASE("J2 plasticity with swelling: stress free at F = F_sw, exact tangent")
{
  // the converted particle's law: J2 on F F_sw^-1, pulled back with the
  // swelling stretch (here anisotropic, a full tensor)
  const auto                 law = lps_plastic(1e9);
  const dealii::Tensor<2, 3> Q   = materials::crystal_rotation({{30., 50., 10.}});
  const double               e[3] = {0.2, 0.3, 0.5};
  const auto F_sw = materials::anisotropic_swelling<3>(Q, e, 2.2);
  // free swelling: no stress, no yielding, whatever the swelling
  const auto free = law.evaluate<3>(F_sw, F_sw, {}, true);
  CHECK(free.P.norm() < 1e-9 * law.mu);
  CHECK(!free.plastic);
  CHECK(law.cauchy_stress<3>(F_sw, F_sw, free.state).norm() < 1e-9 * law.mu);
  // a deformation beyond F_sw that yields, and one that stays elastic
  const dealii::Tensor<2, 3> plastic_step =
    dealii::Tensor<2, 3>({{1.15, 0.08, 0.0}, {0.02, 0.93, 0.05}, {0.0, -0.03, 0.95}}) * F_sw;
  const dealii::Tensor<2, 3> elastic_step =
    dealii::Tensor<2, 3>({{1.001, 0.0005, 0.}, {0., 0.999, 0.}, {0., 0., 1.}}) * F_sw;
  for (const auto &[F, yields] : {std::pair{plastic_step, true}, std::pair{elastic_step, false}})
    {
      const auto r = law.evaluate<3>(F, F_sw, {}, true);
      CHECK(r.plastic == yields);
      // the stress of the swelling law is J_sw P(F F_sw^-1) F_sw^-T
      const auto plain = law.evaluate<3>(F * dealii::invert(F_sw), {}, false);
      CHECK((r.P - dealii::determinant(F_sw) * plain.P *
                     dealii::transpose(dealii::invert(F_sw)))
              .norm() < 1e-12 * r.P.norm());
      check_tangent_by_differences(
        [&](const auto &G) { return law.evaluate<3>(G, F_sw, {}, false).P; }, F, r.A, law.mu);
      // Cauchy stress: that of F F_sw^-1 (J_sw cancels)
      const auto sigma = law.cauchy_stress<3>(F, F_sw, r.state);
      CHECK((sigma * dealii::determinant(F) - kirchhoff(r.P, F)).norm() <
            1e-9 * kirchhoff(r.P, F).norm());
    }
}

TEST_CASE("J2 plasticity with Norton creep: stress relaxation against the "
          "closed form, first order in the time step")
{
  // isochoric tension held fixed at a small strain, no yielding: the von
  // Mises stress relaxes as dq/dt = -3 mu rate (q / sigma_0)^n, i.e.
  // q = q_0 exp(-3 mu rate t / sigma_0) for n = 1 and
  // q^(1-n) = q_0^(1-n) + (n - 1) 3 mu rate sigma_0^-n t otherwise.
  // Backward Euler has an error of first order in the step.
  const double l = 1.001; // q_0 = mu (l^2 - 1/l), about 23 MPa
  dealii::Tensor<2, 3> F;
  F[0][0] = l;
  F[1][1] = F[2][2] = 1 / std::sqrt(l);
  for (const double n : {1., 3.})
    {
      auto law           = lps_plastic(0., 1e30);
      law.creep_rate     = 1e-5;
      law.creep_stress   = 10e6;
      law.creep_exponent = n;
      const double q0    = von_mises(kirchhoff(law.evaluate<3>(F, {}, false).P, F));
      REQUIRE(q0 == Approx(law.mu * (l * l - 1 / l)).epsilon(1e-9));
      const double end = 20.; // s, q falls to about 1/2 (n = 3), 1/10 (n = 1)
      const double rate = 3 * law.mu * law.creep_rate;
      const double exact =
        n == 1. ? q0 * std::exp(-rate * end / law.creep_stress) :
                  std::pow(std::pow(q0, 1 - n) +
                             (n - 1) * rate * std::pow(law.creep_stress, -n) * end,
                           1 / (1 - n));
      std::vector<double> errors;
      for (const unsigned int steps : {100u, 200u, 400u})
        {
          materials::PlasticState state;
          double                  q = q0;
          for (unsigned int k = 0; k < steps; ++k)
            {
              const auto r = law.evaluate<3>(F, state, false, end / steps);
              CHECK(r.plastic);
              state = r.state;
              q     = von_mises(kirchhoff(r.P, F));
            }
          // the creep strain is the relaxed elastic strain, (q0 - q) / 3 mu
          CHECK(state.equivalent_plastic_strain ==
                Approx((q0 - q) / (3 * law.mu)).epsilon(1e-3));
          errors.push_back(std::abs(q - exact) / exact);
        }
      std::cout << "Norton relaxation, n = " << n << ": relative errors "
                << errors[0] << ", " << errors[1] << ", " << errors[2]
                << " at 100, 200, 400 steps" << std::endl;
      CHECK(errors[2] < 2e-3);
      CHECK(errors[0] / errors[1] == Approx(2.).epsilon(0.1));
      CHECK(errors[1] / errors[2] == Approx(2.).epsilon(0.1));
      // no time step, or no rate: the state does not move
      CHECK(!law.evaluate<3>(F, {}, false, 0.).plastic);
    }
}

TEST_CASE("J2 plasticity with Norton creep: the yield surface caps slow "
          "creep, and the tangent stays exact")
{
  // a step far beyond yield with a creep that is slow over it: the
  // rate-independent return decides (stress on the yield surface); a fast
  // creep relaxes the stress below the surface instead
  const dealii::Tensor<2, 3> F({{1.15, 0.08, 0.0}, {0.02, 0.93, 0.05}, {0.0, -0.03, 0.95}});
  auto plain = lps_plastic(1e9);
  auto slow  = plain, fast = plain;
  slow.creep_rate = 1e-9, fast.creep_rate = 1e-2;
  for (auto *law : {&slow, &fast})
    law->creep_stress = 100e6, law->creep_exponent = 4;
  const double dt = 10.;
  const auto r_plain = plain.evaluate<3>(F, {}, false);
  const auto r_slow  = slow.evaluate<3>(F, {}, false, dt);
  CHECK((r_slow.P - r_plain.P).norm() < 1e-12 * r_plain.P.norm());
  const auto r_fast = fast.evaluate<3>(F, {}, true, dt);
  const double q    = von_mises(kirchhoff(r_fast.P, F));
  CHECK(q < 0.5 * plain.yield_stress);
  // the creep law holds over the step: d alpha = dt rate (q / sigma_0)^n
  // (q is the Kirchhoff von Mises stress; with the hardening the radius
  // is sigma_y + H alpha, far above q)
  CHECK(r_fast.state.equivalent_plastic_strain ==
        Approx(dt * fast.creep_rate * std::pow(q / fast.creep_stress, 4.)).epsilon(1e-9));
  // tangent against central differences, through the creep branch
  check_tangent_by_differences(
    [&](const auto &G) { return fast.evaluate<3>(G, {}, false, dt).P; }, F, r_fast.A, fast.mu);
  // the plane-strain law is the in-plane block of the 3D one with creep too
  const dealii::Tensor<2, 2> F2({{1.12, 0.05}, {-0.02, 0.91}});
  const dealii::Tensor<2, 3> F3 = plane_strain_3d(F2);
  const auto r2 = fast.evaluate<2>(F2, {}, true, dt);
  const auto r3 = fast.evaluate<3>(F3, {}, true, dt);
  for (unsigned int i = 0; i < 2; ++i)
    for (unsigned int j = 0; j < 2; ++j)
      CHECK(r2.P[i][j] == Approx(r3.P[i][j]).margin(1e-9 * fast.mu));
}
