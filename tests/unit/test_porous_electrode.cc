// Verification of the homogenised composite cathode (PorousElectrode)
// against analytic solutions: the reaction distribution of a porous
// electrode with linear kinetics and a flat open-circuit potential
// (Newman & Tobias 1962), the surface content of a sphere under constant
// flux (Crank 1975, eq. 6.44), and the conservation of Li in a nonlinear
// discharge with the front law and the dense Fe layer's blocking.
#include <ssbsim/materials/constants.h>
#include <ssbsim/physics/porous_electrode.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace
{
  using ssbsim::PorousElectrode;
  namespace constants = ssbsim::constants;

  /// 50 um of composite, 2.5 um particles, the set's LPS and kinetics.
  PorousElectrode::Data
  base_data()
  {
    PorousElectrode::Data d;
    d.thickness            = 50e-6;
    d.separator_thickness  = 20e-6;
    d.active_fraction      = 0.6;
    d.electrolyte_fraction = 0.4;
    d.bruggeman_exponent   = 1.5;
    d.conductivity         = 1.27e-2;
    d.particle_radius      = 2.5e-6;
    d.layers               = 20;
    d.shells               = 40;
    d.max_concentration    = 167028;
    d.initial_li_content   = 0;
    d.diffusivity.d_pristine  = 1e-14;
    d.diffusivity.d_converted = 1e-14;
    d.exchange_current     = 1.0;
    d.temperature          = 298.15;
    d.discharge_branch =
      ssbsim::materials::OpenCircuitCurve({0., 1.}, {1.5, 1.5});
    d.charge_branch = d.discharge_branch;
    return d;
  }

  /// One thin layer behind a conducting electrolyte and no separator:
  /// every particle takes the same flux; @p shells radial intervals.
  PorousElectrode::Data
  single_layer(const unsigned int shells)
  {
    auto d                = base_data();
    d.thickness           = 1e-7;
    d.layers              = 1;
    d.shells              = shells;
    d.conductivity        = 1e3;
    d.separator_thickness = 0;
    return d;
  }
} // namespace

TEST_CASE("Porous electrode: Newman-Tobias reaction distribution",
          "[electrode]")
{
  // Linear kinetics (a current 1e-3 of the exchange current's scale), a
  // flat open-circuit potential: eta'' = nu^2 / L^2 eta across the
  // electrode, j(x) = I nu cosh(nu (1 - x/L)) / (a L sinh nu),
  // nu^2 = a L^2 / (kappa_eff R_ct); V - U = I (L_s / kappa + L coth(nu)
  // / (kappa_eff nu)). The first step from rest, short against the
  // particles' filling, gives the distribution.
  auto d   = base_data();
  d.layers = 200;
  d.shells = 4;
  PorousElectrode electrode(d);

  const double I = 1e-3 * electrode.c_rate_current(1.); // anodic
  REQUIRE(electrode.step(1e-3, I));

  const double kappa_eff = d.conductivity * std::pow(0.4, 1.5);
  const double a         = 3 * d.active_fraction / d.particle_radius;
  const double R_ct      = d.kinetics.charge_transfer_resistance(
    d.exchange_current, d.temperature);
  const double L  = d.thickness;
  const double nu = std::sqrt(a * L * L / (kappa_eff * R_ct));
  REQUIRE(nu > 2); // a real reaction zone, not a uniform one

  double worst = 0;
  for (unsigned int i = 0; i < d.layers; ++i)
    {
      const double x     = electrode.layer_depth(i);
      const double exact = I * nu * std::cosh(nu * (1 - x / L)) /
                           (a * L * std::sinh(nu));
      worst = std::max(worst, std::abs(electrode.interface_current(i) / exact - 1));
    }
  CHECK(worst < 1e-3); // measured 1.0e-4
  const double V_exact =
    1.5 + I * (d.separator_thickness / d.conductivity +
               L / (kappa_eff * nu * std::tanh(nu)));
  CHECK(std::abs(electrode.voltage() - V_exact) <
        2e-4 * std::abs(V_exact - 1.5)); // measured 2.2e-5
}

TEST_CASE("Porous electrode: sphere under constant flux (Crank 6.44)",
          "[electrode]")
{
  // One thin layer with a conductive electrolyte: every particle takes
  // the same flux; D constant. Surface content:
  //   theta_s = (j R / (F c D)) [3 D t / R^2 + 1/5
  //             - 2 sum exp(-D a_n^2 t / R^2) / a_n^2], a_n cot a_n = 1.
  auto d = single_layer(200);
  d.diffusivity.d_pristine = d.diffusivity.d_converted = 1e-15;
  PorousElectrode electrode(d);

  const double I  = -electrode.c_rate_current(1.); // 1C discharge
  const double R  = d.particle_radius, D = 1e-15;
  const double a  = 3 * d.active_fraction / R;
  const double j  = -I / (a * d.thickness); // Li in, A/m^2 of interface
  double       roots[200];
  for (unsigned int n = 0; n < 200; ++n)
    {
      // a cot a = 1 in (n pi, (n + 1) pi) for n >= 1; bisection
      double lo = (n + 1) * M_PI + 1e-9, hi = (n + 1.5) * M_PI - 1e-9;
      for (int it = 0; it < 200; ++it)
        {
          const double m = 0.5 * (lo + hi);
          ((m / std::tan(m) - 1 > 0) ? lo : hi) = m;
        }
      roots[n] = 0.5 * (lo + hi);
    }
  const double dt = 2.;
  double       worst = 0;
  for (unsigned int step = 1; step <= 300; ++step)
    {
      REQUIRE(electrode.step(dt, I));
      if (step % 50 == 0)
        {
          const double t   = step * dt;
          double       sum = 0;
          for (const double an : roots)
            sum += std::exp(-D * an * an * t / (R * R)) / (an * an);
          const double exact = j * R / (constants::faraday *
                                        d.max_concentration * D) *
                               (3 * D * t / (R * R) + 0.2 - 2 * sum);
          worst = std::max(worst,
                           std::abs(electrode.surface_li_content(0) / exact - 1));
        }
    }
  CHECK(worst < 5e-3); // measured 2.2e-3
}

TEST_CASE("Porous electrode: Li is conserved in a nonlinear discharge",
          "[electrode]")
{
  // The front law (D_p / D_c = 1e-3), the irreversible conversion, the
  // dense Fe layer's blocking, a sloped open-circuit branch and 70 % of
  // the surface reacting: the Li the particles take equals the charge
  // passed, and the Li content falls with depth (the zone runs from the
  // separator).
  auto d                       = base_data();
  d.reacting_share             = 0.7; // a share of the surface reacts
  d.diffusivity.d_pristine     = 5.5e-18;
  d.diffusivity.d_converted    = 5.5e-15;
  d.diffusivity.blocking_factor = 0.01;
  d.diffusivity.blocking_onset  = 0.9;
  d.irreversible_conversion    = true;
  d.discharge_branch = ssbsim::materials::OpenCircuitCurve(
    {0., 0.05, 0.95, 1.}, {2.0, 1.6, 1.45, 1.0});
  PorousElectrode electrode(d);

  const double I  = -electrode.c_rate_current(0.1);
  const double li = electrode.li_per_area();
  double       t  = 0;
  for (unsigned int step = 0; step < 60; ++step)
    {
      REQUIRE(electrode.step(60., I));
      t += 60.;
    }
  CHECK(std::abs((electrode.li_per_area() - li) /
                   (-I * t / constants::faraday) -
                 1) < 1e-9);
  CHECK(electrode.mean_li_content(0) >
        electrode.mean_li_content(d.layers - 1));
}

TEST_CASE("Porous electrode: the reduced stress is Hill's plastic shell",
          "[electrode]")
{
  // One layer partly converted with the stress on: in the shell the
  // radial equilibrium of a fully plastic sphere, d sigma_rr / dr = 2 Y /
  // r (sigma_h - sigma_rr = 2 Y / 3 throughout), so sigma_h(r2) -
  // sigma_h(r1) = 2 Y ln(r2 / r1); at the surface sigma_rr = -p, the
  // LPS's pressure (here past its cavity-expansion limit); the core at
  // the shell's inner radial stress.
  auto d                    = single_layer(100);
  d.diffusivity.d_pristine  = 5.5e-18;
  d.diffusivity.d_converted = 5.5e-15;
  d.activation_volume       = 2.4e-6;
  d.shell_yield_stress      = 1.7e9;
  d.volume_expansion        = 1.61;
  d.confinement_modulus     = 2 * 20e9 / 1.3;
  d.confinement_limit       = 2.46e9;
  d.stack_pressure          = 2e8;
  PorousElectrode electrode(d);
  const double    I = -electrode.c_rate_current(1.);
  for (unsigned int step = 0; step < 120; ++step)
    REQUIRE(electrode.step(10., I));

  const double R   = d.particle_radius, Y = d.shell_yield_stress;
  const double r_f = R - electrode.converted_depth(0);
  REQUIRE(r_f > 0.2 * R);
  REQUIRE(r_f < 0.9 * R);
  const double e_R =
    std::cbrt(1 + d.volume_expansion * electrode.mean_li_content(0)) - 1;
  REQUIRE(d.confinement_modulus * e_R > d.confinement_limit);
  const double p = d.stack_pressure + d.confinement_limit;

  CHECK(electrode.front_stress(0, R) == Approx(-p + 2 * Y / 3).epsilon(1e-12));
  const double r1 = r_f + 0.25 * (R - r_f), r2 = r_f + 0.75 * (R - r_f);
  CHECK(electrode.front_stress(0, r2) - electrode.front_stress(0, r1) ==
        Approx(2 * Y * std::log(r2 / r1)).epsilon(1e-12));
  const double core = electrode.front_stress(0, 0.5 * r_f);
  CHECK(core == Approx(electrode.front_stress(0, 0.1 * r_f)).epsilon(1e-12));
  CHECK(core == Approx(electrode.front_stress(0, r_f * (1 + 1e-12)) - 2 * Y / 3)
                  .epsilon(1e-9));
  CHECK(core < -p); // the misfitting core is pressed beyond the LPS's pressure
}

TEST_CASE("Porous electrode: the interface state handed to the layers",
          "[electrode]")
{
  // Electrode/Interface state = resolved particle sets a factor on each
  // layer's reacting share and a resistance in series with its kinetics.
  // Factors of 0.4 everywhere on a share of 0.5 must be the electrode
  // with a share of 0.2; a layer at factor 0 takes no Li while the others
  // carry the current, and Li stays conserved; in one layer the series
  // resistance r lowers the voltage by j r, j the current per reacting
  // area.
  auto d = base_data();
  d.discharge_branch = ssbsim::materials::OpenCircuitCurve(
    {0., 0.05, 0.95, 1.}, {2.0, 1.6, 1.45, 1.0});
  d.reacting_share = 0.5;
  PorousElectrode scaled(d);
  const std::vector<double> none(d.layers, 0.);
  scaled.set_interface_state(std::vector<double>(d.layers, 0.4), none);
  d.reacting_share = 0.2;
  PorousElectrode reference(d);

  const double I = -reference.c_rate_current(0.1);
  for (unsigned int step = 0; step < 30; ++step)
    {
      REQUIRE(scaled.step(60., I));
      REQUIRE(reference.step(60., I));
    }
  CHECK(std::abs(scaled.voltage() - reference.voltage()) < 1e-9);
  for (unsigned int i = 0; i < d.layers; ++i)
    CHECK(std::abs(scaled.mean_li_content(i) - reference.mean_li_content(i)) <
          1e-9 * reference.mean_li_content(0));

  // the separator-side layer, which takes the most, cut off
  PorousElectrode cut(d);
  std::vector<double> factors(d.layers, 1.);
  factors[0] = 0;
  cut.set_interface_state(factors, none);
  const double li = cut.li_per_area();
  for (unsigned int step = 0; step < 30; ++step)
    REQUIRE(cut.step(60., I));
  CHECK(cut.mean_li_content(0) == 0.);
  CHECK(cut.mean_li_content(1) > reference.mean_li_content(1));
  CHECK(std::abs((cut.li_per_area() - li) / (-I * 1800. / constants::faraday) - 1) <
        1e-9);

  CHECK_THROWS_AS(cut.set_interface_state(std::vector<double>(d.layers - 1, 1.), none),
                  std::invalid_argument);
  CHECK_THROWS_AS(cut.set_interface_state(factors, std::vector<double>(d.layers, -1.)),
                  std::invalid_argument);
  factors[1] = -0.1;
  CHECK_THROWS_AS(cut.set_interface_state(factors, none), std::invalid_argument);

  // one layer, a short step from rest: the same current through the same
  // surface state, so the voltages differ by the series drop alone
  auto s        = single_layer(40);
  s.discharge_branch = d.discharge_branch;
  s.reacting_share   = 0.5;
  PorousElectrode bare(s), behind(s);
  const double    r = 2e-3; // Ohm m^2
  behind.set_interface_state({0.8}, {r});
  bare.set_interface_state({0.8}, {0.});
  const double I1 = -bare.c_rate_current(0.1);
  REQUIRE(bare.step(1., I1));
  REQUIRE(behind.step(1., I1));
  const double j = I1 / (3 * s.active_fraction / s.particle_radius * 0.5 * 0.8 * s.thickness);
  CHECK(std::abs(behind.interface_current(0) - j) < 1e-9 * std::abs(j));
  CHECK(std::abs((behind.voltage() - bare.voltage()) - j * r) < 1e-9 * std::abs(j * r));
}
