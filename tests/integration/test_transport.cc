// Verification of the electrochemistry solver against analytic solutions:
// diffusion in a disk under constant flux (Crank), the ohmic drop of an
// electrolyte slab and its temperature scaling, charge conservation and the
// theoretical capacity, and the anisotropic penetration depth.
#include <deal.II/base/conditional_ostream.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/hp/mapping_collection.h>
#include <deal.II/numerics/vector_tools_point_value.h>

#include <ssbsim/core/geometry.h>
#include <ssbsim/core/simulator.h>
#include <ssbsim/materials/constants.h>
#include <ssbsim/physics/electrochemistry.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <cmath>
#include <complex>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "helpers.h"

using namespace ssbsim;
using namespace dealii;

namespace
{
  /// The first n positive roots of f, by Newton from guess(k), k = 1..n.
  template <typename F, typename DF, typename Guess>
  std::vector<double>
  newton_roots(const unsigned int n, const F &f, const DF &df, const Guess &guess)
  {
    std::vector<double> roots;
    for (unsigned int k = 1; k <= n; ++k)
      {
        double x = guess(k);
        for (int it = 0; it < 50; ++it)
          x -= f(x) / df(x);
        roots.push_back(x);
      }
    return roots;
  }

  /// Roots of J1 (the eigenvalues of the Neumann disk), from McMahon's
  /// asymptotic guess.
  std::vector<double>
  bessel_j1_roots(const unsigned int n)
  {
    return newton_roots(
      n,
      [](const double x) { return std::cyl_bessel_j(1., x); },
      [](const double x) {
        return std::cyl_bessel_j(0., x) - std::cyl_bessel_j(1., x) / x;
      },
      [](const unsigned int k) {
        const double b = (k + 0.25) * M_PI;
        return b - 3. / (8. * b);
      });
  }

  /**
   * Crank (1975), the cylinder: concentration rise under a
   * constant influx F0 (mol/m^2/s) through r = a, in mol/m^3:
   * c - c0 = F0 a / D [2 D t/a^2 + r^2/(2a^2) - 1/4
   *                    - 2 sum exp(-D b_n^2 t) J0(r b_n) / (a^2 b_n^2 J0(a b_n))]
   */
  double
  crank_cylinder(const double r,
                 const double t,
                 const double a,
                 const double D,
                 const double F0,
                 const std::vector<double> &roots)
  {
    double sum = 0;
    for (const double x : roots) // x = a b_n
      sum += std::exp(-D * x * x * t / (a * a)) *
             std::cyl_bessel_j(0., x * r / a) / (x * x * std::cyl_bessel_j(0., x));
    return F0 * a / D *
           (2 * D * t / (a * a) + r * r / (2 * a * a) - 0.25 - 2 * sum);
  }

  /// Roots x_n of tan x = x (x > 0), the sphere's Neumann eigenvalues a alpha_n.
  std::vector<double>
  tan_roots(const unsigned int n)
  {
    return newton_roots(
      n,
      [](const double x) { return std::sin(x) - x * std::cos(x); },
      [](const double x) { return x * std::sin(x); },
      [](const unsigned int k) {
        const double b = (k + 0.5) * M_PI;
        return b - 1. / b;
      });
  }

  /**
   * Crank (1975), sphere of radius a under a constant influx F0:
   * c - c0 = F0 a / D [3 D t/a^2 + r^2/(2a^2) - 3/10
   *          - (2a/r) sum exp(-D x_n^2 t/a^2) sin(x_n r/a) / (x_n^2 sin x_n)]
   */
  double
  crank_sphere(const double r,
               const double t,
               const double a,
               const double D,
               const double F0,
               const std::vector<double> &roots)
  {
    double sum = 0;
    for (const double x : roots)
      {
        const double s = (r > 1e-12 * a) ? a / r * std::sin(x * r / a) : x;
        sum += std::exp(-D * x * x * t / (a * a)) * s / (x * x * std::sin(x));
      }
    return F0 * a / D *
           (3 * D * t / (a * a) + r * r / (2 * a * a) - 0.3 - 2 * sum);
  }

  ConditionalOStream quiet(std::cout, false);

  /// The mesh of @p p's geometry and the electrochemistry on it, set up
  /// (Electrochemistry keeps a copy of @p p).
  template <int dim>
  struct Electrode
  {
    parallel::distributed::Triangulation<dim> tria;
    Electrochemistry<dim>                     chem;

    explicit Electrode(const Parameters &p)
      : tria(MPI_COMM_WORLD)
      , chem((create_geometry(p.geometry, tria), p), tria, quiet)
    {
      chem.setup();
    }
  };

  template <int dim>
  double
  run_steps(Electrochemistry<dim> &chem,
            const double           current,
            const double           dt,
            const unsigned int     n)
  {
    unsigned int newton = 0;
    for (unsigned int k = 0; k < n; ++k)
      {
        const auto r = chem.solve_time_step(dt, current, Branch::discharge);
        REQUIRE(r.converged);
        newton += r.newton_iterations;
        chem.accept_step();
      }
    return double(newton) / n;
  }
} // namespace

namespace
{
  /**
   * Runs the particle of radius 2.5 um (disk in 2D, sphere in 3D) with
   * constant diffusivity D, a flat open-circuit potential and fast kinetics
   * under 1C: the influx is uniform. Returns the relative L2 error of
   * theta - theta0 at @p final_time against @p exact(r, influx), the
   * concentration rise in mol/m^3.
   */
  /// A planar film (2 um) on a 10 um electrolyte slab, 4 um wide, level 2.
  const std::string slab_geometry =
    "subsection Geometry\n set Dimension = 2\n set Type = layered\n"
    " set Separator thickness = 10\n set Layer thickness = 2\n"
    " set Box size = 4\n set Global refinements = 2\nend\n";

  /// Area resistance (Ohm m^2) of slab_geometry's 10 um separator at the
  /// operating temperature of @p p.
  double
  slab_electrolyte_resistance(const Parameters &p)
  {
    return 10e-6 / (p.electrolyte.conductivity *
                    materials::arrhenius_factor(p.electrolyte.activation_energy,
                                                p.operating.temperature,
                                                p.reference_temperature));
  }

  /// The particle of constant_flux_error: D = 1e-14 m^2/s, theta0 = 0.1.
  const std::string constant_diffusivity =
    "subsection Particle\n set Diffusivity pristine = 1e-14\n"
    " set Diffusivity converted = 1e-14\n set Anisotropy factors = 1,1,1\n"
    " set Initial Li content = 0.1\nend\n";

  template <int dim, typename Exact>
  double
  constant_flux_error(const unsigned int level,
                      const double       final_time,
                      const Exact       &exact,
                      const std::string &particle = constant_diffusivity,
                      const double       c_rate   = -1., // < 0: discharge
                      const unsigned int interface_refinements = 0,
                      const double       refinement_depth_um   = 0)
  {
    const Parameters p = testing::make_parameters(
      "subsection Geometry\n set Dimension = " + std::to_string(dim) +
      "\n set Global refinements = " + std::to_string(level) +
      "\n set Interface refinements = " +
      std::to_string(interface_refinements) +
      "\n set Interface refinement depth = " +
      std::to_string(refinement_depth_um) +
      "\nend\n"
      "subsection Electrolyte\n set Conductivity = 1e3\nend\n" + particle +
      "subsection Kinetics\n set Exchange current density = 100\n"
      " set Discharge open circuit table = 0:1.5, 1:1.5\nend\n"
      "subsection Solver\n set Newton tolerance = 1e-12\nend\n");
    const double theta0 = p.particle.initial_li_content;
    Electrode<dim> electrode(p);
    auto &chem = electrode.chem;

    const double current = c_rate * chem.theoretical_capacity() / 3600.;
    const double influx =
      -current / (constants::faraday * chem.get_interface_area());
    // backward Euler with dt ~ h^2: second order overall
    const unsigned int n_steps = 1 << (2 * (level + interface_refinements));
    run_steps(chem, current, final_time / n_steps, n_steps);

    // the flux is uniform and the stored Li is what the current says
    CHECK(chem.li_stored() ==
          Approx(theta0 * chem.get_max_li_concentration() *
                   chem.get_particle_volume() -
                 current * final_time / constants::faraday)
            .epsilon(1e-9));

    FEValues<dim> fe_values(chem.get_dof_handler().get_fe_collection()[0],
                            QGauss<dim>(3),
                            update_values | update_quadrature_points |
                              update_JxW_values);
    std::vector<double> theta(fe_values.n_quadrature_points);
    double              error2 = 0, norm2 = 0;
    for (const auto &cell : chem.get_dof_handler().active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == ids::particle)
        {
          fe_values.reinit(cell);
          fe_values[FEValuesExtractors::Scalar(0)].get_function_values(
            chem.get_solution(), theta);
          for (unsigned int q = 0; q < theta.size(); ++q)
            {
              const double rise =
                exact(fe_values.quadrature_point(q).norm(), influx) /
                chem.get_max_li_concentration();
              error2 += std::pow(theta[q] - theta0 - rise, 2) * fe_values.JxW(q);
              norm2 += rise * rise * fe_values.JxW(q);
            }
        }
    return std::sqrt(Utilities::MPI::sum(error2, MPI_COMM_WORLD) /
                     Utilities::MPI::sum(norm2, MPI_COMM_WORLD));
  }
} // namespace

TEST_CASE("Disk under constant flux converges to Crank's series solution")
{
  const double R = 2.5e-6, D = 1e-14, t = 0.05 * R * R / D;
  const auto   roots = bessel_j1_roots(80);
  std::vector<double> errors;
  for (unsigned int level = 2; level <= 4; ++level)
    errors.push_back(constant_flux_error<2>(level, t, [&](double r, double F0) {
      return crank_cylinder(r, t, R, D, F0, roots);
    }));
  for (unsigned int k = 1; k < errors.size(); ++k)
    std::cout << "Crank disk: level " << k + 2 << " relative L2 error "
              << errors[k] << ", order " << std::log2(errors[k - 1] / errors[k])
              << std::endl;
  // second order in h (Q1 in space, backward Euler with dt ~ h^2)
  CHECK(std::log2(errors[1] / errors[2]) > 1.7);
  CHECK(std::log2(errors[0] / errors[1]) > 1.5);
  CHECK(errors.back() < 0.01);
}

TEST_CASE("Interface refinement: the surface layer of a disk under constant "
          "flux resolved with hanging nodes inside the particle")
{
  // Crank's disk at a short time (diffusion depth 0.1 R): the error sits
  // in the surface layer, which two interface refinements of level 2
  // resolve as well as level 4 does with 4x the cells; the stored Li
  // equals the charge passed (inside constant_flux_error) with the
  // hanging-node constraints
  const double R = 2.5e-6, D = 1e-14, t = 0.01 * R * R / D;
  const auto   roots = bessel_j1_roots(200);
  const auto   exact = [&](double r, double F0) {
    return crank_cylinder(r, t, R, D, F0, roots);
  };
  const double coarse  = constant_flux_error<2>(2, t, exact);
  const double refined = constant_flux_error<2>(2, t, exact, constant_diffusivity, -1., 2);
  const double fine    = constant_flux_error<2>(4, t, exact);
  std::cout << "Crank disk, t = 0.01 R^2/D: level 2 " << coarse
            << ", level 2 + 2 interface refinements " << refined << ", level 4 "
            << fine << std::endl;
  CHECK(refined < 0.5 * coarse);
  CHECK(refined < 1.5 * fine);
}

TEST_CASE("Interface refinement depth: the refined band reaches as deep as "
          "the diffusion")
{
  // Crank's disk at t = 0.05 R^2/D: the Li has diffused about 0.2 R =
  // 0.56 um deep, past the one-cell band (0.3 um at level 2). Two
  // refinements of the band 1 um deep resolve it as level 4 does; the
  // one-cell band does not
  const double R = 2.5e-6, D = 1e-14, t = 0.05 * R * R / D;
  const auto   roots = bessel_j1_roots(80);
  const auto   exact = [&](double r, double F0) {
    return crank_cylinder(r, t, R, D, F0, roots);
  };
  const double band = constant_flux_error<2>(2, t, exact, constant_diffusivity, -1., 2);
  const double deep =
    constant_flux_error<2>(2, t, exact, constant_diffusivity, -1., 2, 1.0);
  const double fine = constant_flux_error<2>(4, t, exact);
  std::cout << "Crank disk, t = 0.05 R^2/D: level 2 + 2 refinements of the "
               "one-cell band "
            << band << ", of the band 1 um deep " << deep << ", level 4 "
            << fine << std::endl;
  CHECK(deep < 1.5 * fine);
  CHECK(deep < 0.5 * band);
}

TEST_CASE("Sphere under constant flux converges to Crank's series solution")
{
  const double R = 2.5e-6, D = 1e-14, t = 0.05 * R * R / D;
  const auto   roots = tan_roots(80);
  std::vector<double> errors;
  for (unsigned int level = 1; level <= 3; ++level)
    errors.push_back(constant_flux_error<3>(level, t, [&](double r, double F0) {
      return crank_sphere(r, t, R, D, F0, roots);
    }));
  for (unsigned int k = 1; k < errors.size(); ++k)
    std::cout << "Crank sphere: level " << k + 1 << " relative L2 error "
              << errors[k] << ", order " << std::log2(errors[k - 1] / errors[k])
              << std::endl;
  CHECK(std::log2(errors[1] / errors[2]) > 1.7);
  CHECK(errors.back() < 0.03);
}

TEST_CASE("Irreversible conversion: a converted disk delithiates with the "
          "converted diffusivity")
{
  // a disk lithiated to theta0 = 1 (so converted: xi = 1 everywhere) and
  // charged at 5C: with Particle/Irreversible conversion its transport is
  // that of the converted phase, D_c, wherever the Li content falls, and
  // the Li content follows Crank's solution for D_c; with the diffusivity
  // following theta alone, D falls by (D_c/D_p)^(theta - 1) where Li
  // leaves (to 0.4 D_c at theta = 0.87 here) and the solution does not
  const double R = 2.5e-6, D = 1e-14, t = 0.05 * R * R / D;
  const auto   roots = bessel_j1_roots(80);
  const auto   exact = [&](double r, double F0) {
    return crank_cylinder(r, t, R, D, F0, roots);
  };
  const auto particle = [](const bool irreversible) {
    return std::string("subsection Particle\n set Diffusivity pristine = 1e-17\n"
                       " set Diffusivity converted = 1e-14\n"
                       " set Anisotropy factors = 1,1,1\n"
                       " set Initial Li content = 1\n"
                       " set Irreversible conversion = ") +
           (irreversible ? "true" : "false") + "\nend\n";
  };
  const double irreversible = constant_flux_error<2>(4, t, exact, particle(true), 5.);
  const double reversible = constant_flux_error<2>(4, t, exact, particle(false), 5.);
  std::cout << "charge of a converted disk against Crank with D_c: relative L2 "
               "error "
            << irreversible << " (irreversible conversion), " << reversible
            << " (diffusivity from theta)" << std::endl;
  // the same accuracy as the constant-D disk at this level
  CHECK(irreversible < 0.01);
  CHECK(reversible > 10 * irreversible);
}

TEST_CASE("Electrolyte slab: ohmic drop and its Arrhenius temperature scaling")
{
  const double thickness = 10e-6, width = 4e-6, i0 = 1.;
  std::vector<double> drops;
  for (const double T : {298.15, 333.15})
    {
      const Parameters p = testing::make_parameters(
        slab_geometry +
        "subsection Operating conditions\n set Temperature = " +
        std::to_string(T) +
        "\nend\n"
        "subsection Kinetics\n set Exchange current density = 1\n"
        " set Exchange current activation energy = 0\n"
        " set Discharge open circuit table = 0:1.5, 1:1.5\nend\n"
        "subsection Solver\n set Newton tolerance = 1e-13\nend\n");
      Electrode<2> electrode(p);
      auto &chem = electrode.chem;
      const double current = -10. * chem.theoretical_capacity() / 3600.;
      run_steps(chem, current, 1e-3, 1);

      const double f   = constants::faraday / (constants::gas_constant * T);
      const double i   = current / width; // uniform on the planar interface
      const double eta = 2. / f * std::asinh(i / (2. * i0));
      const double drop = 1.5 + eta - chem.cell_voltage();
      const double sigma =
        p.electrolyte.conductivity *
        materials::arrhenius_factor(p.electrolyte.activation_energy, T, 298.15);
      CHECK(drop == Approx(-current * thickness / (sigma * width)).epsilon(1e-7));
      CHECK(chem.interfacial_resistance() == Approx(1. / (f * i0)).epsilon(1e-12));
      drops.push_back(drop);
    }
  // seed: 9.493 kJ/mol
  CHECK(drops[0] / drops[1] ==
        Approx(std::exp(9493. / constants::gas_constant *
                        (1. / 298.15 - 1. / 333.15)))
          .epsilon(1e-7));
}

TEST_CASE("Sparse LU on a singular Jacobian: the step fails and is not "
          "kept")
{
  // The transport's Newton system is factorised by KLU (the 2D default).
  // With no electrolyte conductance the rows of the slab's inner
  // electrolyte nodes are zero: the Jacobian is singular and KLU cannot
  // factorise it (on 1 and 2 ranks: every rank takes the same branch).
  // The step must come back not converged, with the linear solver named,
  // instead of throwing or returning a non-finite state, and rejecting it
  // must leave the accepted state untouched. The same slab with its
  // conductivity is the control: one step converges.
  Parameters p = testing::make_parameters(
    slab_geometry +
    "subsection Kinetics\n set Discharge open circuit table = 0:1.5, 1:1.5\nend\n"
    "subsection Solver\n set Linear solver = direct\nend\n");
  const double dt = 10.; // s
  {
    Electrode<2> control(p);
    const double current = -0.1 * control.chem.theoretical_capacity() / 3600.;
    const auto   r = control.chem.solve_time_step(dt, current, Branch::discharge);
    CHECK(r.converged);
  }
  p.electrolyte.conductivity = 0.;
  Electrode<2> electrode(p);
  auto        &chem     = electrode.chem;
  const double current  = -0.1 * chem.theoretical_capacity() / 3600.;
  const double stored   = chem.li_stored();
  const auto   r        = chem.solve_time_step(dt, current, Branch::discharge);
  std::cout << "singular Jacobian: converged " << r.converged << ", failure '"
            << r.failure << "'" << std::endl;
  CHECK_FALSE(r.converged);
  CHECK(r.failure == "linear solver did not converge");
  chem.reject_step();
  CHECK(chem.li_stored() == stored);
  CHECK(std::isfinite(chem.cell_voltage()));
}

TEST_CASE("Open-circuit shift by the stress: Omega sigma_h / F")
{
  // The planar film of the slab test (flat open-circuit curve) under a
  // uniform hydrostatic stress of -1 GPa, without the stress factor on
  // the transport (V* = 0): the conversion's volume per Li, Omega = 9.6
  // cm^3/mol, lowers the equilibrium potential by Omega |sigma_h| / F =
  // 99.5 mV, and with it the cell voltage at the same current
  std::vector<double> voltages;
  for (const double omega : {0., 9.6})
    {
      const Parameters p = testing::make_parameters(
        slab_geometry +
        "subsection Particle\n set Li migration activation volume = 0\n"
        " set Conversion volume per Li = " +
        std::to_string(omega) +
        "\nend\n"
        "subsection Kinetics\n set Exchange current density = 1\n"
        " set Discharge open circuit table = 0:1.5, 1:1.5\nend\n"
        "subsection Solver\n set Newton tolerance = 1e-13\nend\n");
      Electrode<2> electrode(p);
      auto        &chem = electrode.chem;
      std::fill(chem.hydrostatic_stresses().begin(),
                chem.hydrostatic_stresses().end(), -1e9);
      run_steps(chem, -chem.theoretical_capacity() / 3600., 1e-3, 1);
      voltages.push_back(chem.cell_voltage());
    }
  std::cout << "open-circuit shift at -1 GPa: " << voltages[1] - voltages[0]
            << " V" << std::endl;
  CHECK(voltages[1] - voltages[0] ==
        Approx(-9.6e-6 * 1e9 / constants::faraday).epsilon(1e-8));
}

TEST_CASE("Impedance of an electrolyte slab with a Butler-Volmer interface "
          "and a double layer: R_el + (R_ct || C_dl)",
          "[impedance]")
{
  // the layered cell at rest (eta = 0) with a flat open-circuit potential
  // (so the Li content does not act back on the interface): per interface
  // area Z = L / sigma + R_ct / (1 + i omega R_ct C_dl), R_ct = RT / (F i0)
  const double i0 = 1., C_dl = 0.1;
  const Parameters p = testing::make_parameters(
    slab_geometry +
    "subsection Kinetics\n set Exchange current density = 1\n"
    " set Double layer capacitance = 0.1\n"
    " set Discharge open circuit table = 0:1.5, 1:1.5\nend\n");
  Electrode<2> electrode(p);
  auto &chem = electrode.chem;
  const double T     = p.operating.temperature;
  const double R_ct  = constants::gas_constant * T / (constants::faraday * i0);
  const double R_el  = slab_electrolyte_resistance(p);
  const std::vector<double> frequencies = {0.1, 10., 62., 600., 1e4, 1e6};
  const auto                z           = chem.impedance(frequencies);
  for (unsigned int k = 0; k < frequencies.size(); ++k)
    {
      const double               omega = 2 * M_PI * frequencies[k];
      const std::complex<double> exact =
        R_el + R_ct / std::complex<double>(1., omega * R_ct * C_dl);
      std::cout << "slab impedance at " << frequencies[k] << " Hz: " << z[k]
                << " ohm m^2 (exact " << exact << ")" << std::endl;
      CHECK(std::abs(z[k] - exact) < 1e-9 * std::abs(exact));
    }
}

TEST_CASE("Impedance of a spherical particle with fast kinetics: spherical "
          "diffusion")
{
  // at rest at theta = 0.5 on a linear open-circuit potential (dU/dtheta =
  // -1 V), no double layer, fast kinetics and a conducting electrolyte:
  // per interface area Z = R_ct + Z_d, the finite-space spherical
  // diffusion impedance
  //   Z_d = -dU/dtheta R / (F c_max D) tanh(z) / (z - tanh z),
  //   z = R sqrt(i omega / D)
  const double R = 2.5e-6, D = 1e-14, i0 = 1e3;
  const Parameters p = testing::make_parameters(
    "subsection Geometry\n set Dimension = 3\n set Global refinements = 3\nend\n"
    "subsection Electrolyte\n set Conductivity = 1e3\nend\n"
    "subsection Particle\n set Diffusivity pristine = 1e-14\n"
    " set Diffusivity converted = 1e-14\n set Anisotropy factors = 1,1,1\n"
    " set Initial Li content = 0.5\nend\n"
    "subsection Kinetics\n set Exchange current density = 1e3\n"
    " set Double layer capacitance = 0\n"
    " set Discharge open circuit table = 0:2.0, 1:1.0\nend\n");
  Electrode<3> electrode(p);
  auto &chem = electrode.chem;
  const double T    = p.operating.temperature;
  const double R_ct = constants::gas_constant * T / (constants::faraday * i0);
  const double c    = chem.get_max_li_concentration();
  std::vector<double> frequencies;
  // |z| = R sqrt(omega / D): from the capacitive limit to a penetration
  // depth of a quarter radius (each a direct solve of the 3D system)
  for (const double z : {0.5, 1.5, 4.})
    frequencies.push_back(z * z * D / (R * R) / (2 * M_PI));
  const auto z_fe = chem.impedance(frequencies);
  for (unsigned int k = 0; k < frequencies.size(); ++k)
    {
      const std::complex<double> z =
        R * std::sqrt(std::complex<double>(0., 2 * M_PI * frequencies[k] / D));
      const std::complex<double> exact =
        R_ct + R / (constants::faraday * c * D) * std::tanh(z) / (z - std::tanh(z));
      std::cout << "sphere impedance at " << frequencies[k] << " Hz (|z| "
                << std::abs(z) << "): " << z_fe[k] << " ohm m^2 (exact " << exact
                << ")" << std::endl;
      CHECK(std::abs(z_fe[k] - exact) < 0.02 * std::abs(exact));
    }
}

TEST_CASE("Impedance after a rest: the spectrum of the relaxed cell is the "
          "one of a fresh cell with its Li content",
          "[impedance]")
{
  // A disk whose collector-facing quarter is ion-blocked, on a linear
  // open-circuit potential (dU/dtheta = -2 V) and constant diffusivity,
  // discharged at 2C for 10 minutes: its surface Li is uneven. Right after
  // the discharge (the potentials relaxed at zero current, the Li held)
  // the faces' open-circuit potentials differ, local currents run between
  // them, and the spectrum linearised there is not the cell's at rest.
  // Relaxed (Electrochemistry::relax, as Simulator::write_impedance does)
  // for ten diffusion times R^2/D the Li is uniform again, and the
  // spectrum must be the one of a fresh cell started at that uniform Li
  // content (an independent state), to the solvers' tolerance; restored,
  // the cell is the one before the relaxation.
  const auto text = [](const double theta0) {
    std::ostringstream t;
    t << std::setprecision(17)
      << "subsection Geometry\n set Dimension = 2\n set Global refinements = 3\nend\n"
         "subsection Particle\n set Initial Li content = "
      << theta0
      << "\n set Diffusivity pristine = 1e-14\n set Diffusivity converted = 1e-14\n"
         " set Anisotropy factors = 1, 1, 1\nend\n"
         "subsection Kinetics\n set Exchange current density = 1\n"
         " set Discharge open circuit table = 0:3.0, 1:1.0\n"
         " set Ion-blocked fraction = 0.25\n set Ion-blocked direction = 1, 0, 0\nend\n"
         "subsection Solver\n set Newton tolerance = 1e-12\nend\n";
    return t.str();
  };
  const std::vector<double> frequencies = {1e-3, 1e-2, 0.1, 1., 10., 100.};
  const auto spectrum = [&](Electrochemistry<2> &chem) {
    const auto r = chem.solve_time_step(1e-3, 0., Branch::discharge);
    REQUIRE(r.converged);
    const auto z = chem.impedance(frequencies);
    chem.reject_step();
    return z;
  };
  const auto largest_difference = [](const std::vector<std::complex<double>> &a,
                                     const std::vector<std::complex<double>> &b) {
    double worst = 0;
    for (unsigned int k = 0; k < a.size(); ++k)
      worst = std::max(worst, std::abs(a[k] - b[k]) / std::abs(b[k]));
    return worst;
  };

  Electrode<2> electrode(testing::make_parameters(text(0.2)));
  auto        &chem = electrode.chem;
  run_steps(chem, -2. * chem.theoretical_capacity() / 3600., 30., 20);
  const auto   right_after = spectrum(chem);
  const double R = 2.5e-6, D = 1e-14;
  // Electrochemistry::relax, as Simulator::write_impedance uses it, then
  // back to the state before (the run goes on from there)
  const auto   before    = chem.accepted_state();
  const double li_before = chem.li_stored();
  const auto   relaxed   = chem.relax(10. * R * R / D, 1., 1e-3, Branch::discharge);
  REQUIRE(relaxed.converged);
  CHECK(relaxed.time == Approx(10. * R * R / D).epsilon(1e-12));
  const auto   rested = spectrum(chem);
  const double theta  = chem.li_stored() * constants::faraday /
                       chem.theoretical_capacity();
  CHECK(theta == Approx(0.2 + 2. * 600. / 3600.).epsilon(1e-9)); // no Li lost at rest
  chem.restore(before);
  CHECK(chem.li_stored() == li_before);
  const auto again = spectrum(chem);
  for (unsigned int k = 0; k < frequencies.size(); ++k)
    CHECK(again[k] == right_after[k]);

  Electrode<2> fresh_electrode(testing::make_parameters(text(theta)));
  const auto   fresh = spectrum(fresh_electrode.chem);
  for (unsigned int k = 0; k < frequencies.size(); ++k)
    std::cout << "spectrum at " << frequencies[k] << " Hz: right after the discharge "
              << right_after[k] << ", after the rest " << rested[k] << ", fresh "
              << fresh[k] << " ohm m^2" << std::endl;
  CHECK(largest_difference(rested, fresh) < 1e-6);
  // and the rest matters: right after the discharge the spectrum is off
  // (by 4.2 %: the local currents' overpotentials raise the kinetics'
  // differential conductance)
  CHECK(largest_difference(right_after, fresh) > 0.02);
}

TEST_CASE("Side reaction: its charge leaves the Li balance and passivates at "
          "its capacity; its layer's resistance in series with the kinetics",
          "[impedance]")
{
  // at rest (zero applied current) with the open-circuit potential (0.9 V)
  // below the side reaction's (1.0 V): the reduction runs, fed by Li that
  // leaves the particle (the interface current balances), until its layer
  // is complete. The Li lost equals the side charge / F at every step
  // (conservation), and the side charge ends at the side capacity. Its
  // layer (resistivity rho, V per mole of electrons) then has the area
  // resistance r_f = rho Q V / (F A), in series with the kinetics: R_int
  // = R_ct + r_f and Z = R_el + (R_ct + r_f) || C_dl.
  const double     rho = 5e5, V = 17.2e-6, i0 = 10, C_dl = 0.1;
  const Parameters p   = testing::make_parameters(
    slab_geometry +
    "subsection Particle\n set Initial Li content = 0.5\nend\n"
    "subsection Kinetics\n set Exchange current density = 10\n"
    " set Side reaction exchange current density = 1\n"
    " set Side reaction capacity = 2\n"
    " set Side reaction film resistivity = 5e5\n"
    " set Double layer capacitance = 0.1\n"
    " set Discharge open circuit table = 0:0.9, 1:0.9\nend\n"
    "subsection Solver\n set Newton tolerance = 1e-13\nend\n");
  Electrode<2> electrode(p);
  auto &chem = electrode.chem;
  const double li0      = chem.li_stored();
  const double capacity = 2 * 3.6 * 1e3 * chem.particle_mass(); // C/m
  double       first    = 0;
  for (unsigned int k = 1; k <= 300; ++k)
    {
      const auto r = chem.solve_time_step(1., 0., Branch::discharge);
      REQUIRE(r.converged);
      chem.accept_step();
      if (k == 1)
        first = chem.side_reaction_charge();
      CHECK(li0 - chem.li_stored() ==
            Approx(chem.side_reaction_charge() / constants::faraday)
              .epsilon(1e-8));
    }
  std::cout << "side reaction: " << first << " C/m in the first second, "
            << chem.side_reaction_charge() << " C/m after 300 s (capacity "
            << capacity << ")" << std::endl;
  CHECK(first > 0.01 * capacity); // it runs
  CHECK(chem.side_reaction_charge() == Approx(capacity).epsilon(1e-3));
  CHECK(chem.side_reaction_current() == Approx(0.).margin(1e-6 * first));

  const double T    = p.operating.temperature;
  const double R_ct = constants::gas_constant * T / (constants::faraday * i0);
  const double r_f  = rho * chem.side_reaction_charge() * V /
                     (constants::faraday * chem.get_interface_area());
  const double R_el = slab_electrolyte_resistance(p);
  std::cout << "side reaction's layer: r_f " << r_f << " ohm m^2 (R_ct " << R_ct
            << ")" << std::endl;
  CHECK(r_f > R_ct); // the layer matters here
  CHECK(chem.film_resistance() == Approx(r_f).epsilon(1e-12));
  CHECK(chem.interfacial_resistance() == Approx(R_ct + r_f).epsilon(1e-12));
  const std::vector<double> frequencies = {0.01, 1., 30., 1e3, 1e5};
  const auto                z           = chem.impedance(frequencies);
  for (unsigned int k = 0; k < frequencies.size(); ++k)
    {
      const double               omega = 2 * M_PI * frequencies[k];
      const std::complex<double> exact =
        R_el + (R_ct + r_f) / std::complex<double>(1., omega * (R_ct + r_f) * C_dl);
      std::cout << "slab with layer at " << frequencies[k] << " Hz: " << z[k]
                << " ohm m^2 (exact " << exact << ")" << std::endl;
      CHECK(std::abs(z[k] - exact) < 1e-4 * std::abs(exact));
    }
}

namespace
{
  /// A 2 um FeS2 layer on a 2 um separator (2D, level 2) with fast
  /// transport and kinetics at C/5: a cell that converts fully in
  /// seconds. @p time_stepping: the entries of its 'Time stepping';
  /// @p operating: more entries of its 'Operating conditions'.
  Parameters
  fast_layered_cell(const std::string &time_stepping,
                    const std::string &operating = "")
  {
    return testing::make_parameters(
      "subsection Geometry\n set Dimension = 2\n set Type = layered\n"
      " set Separator thickness = 2\n set Layer thickness = 2\n"
      " set Box size = 2\n set Global refinements = 2\nend\n"
      "subsection Operating conditions\n set C rate = 0.2\n" + operating +
      "end\n"
      "subsection Particle\n set Diffusivity pristine = 1e-12\n"
      " set Diffusivity converted = 1e-12\nend\n"
      "subsection Kinetics\n set Exchange current density = 100\nend\n"
      "subsection Time stepping\n" + time_stepping + "end\n");
  }

  /// The 'Time stepping' entries of a run whose step adapts between
  /// @p minimum and @p maximum (s), starting at @p initial, aiming at
  /// @p target_change (V) per step.
  std::string
  time_step_bounds(const double minimum,
                   const double initial,
                   const double maximum,
                   const double target_change)
  {
    return " set Minimum time step = " + std::to_string(minimum) +
           "\n set Initial time step = " + std::to_string(initial) +
           "\n set Maximum time step = " + std::to_string(maximum) +
           "\n set Target voltage change = " + std::to_string(target_change) +
           "\n";
  }
} // namespace

TEST_CASE("Charge conservation and the theoretical capacity")
{
  const Parameters p = fast_layered_cell(" set Maximum time step = 200\n");
  Simulator<2> simulator(p, MPI_COMM_WORLD, false);
  simulator.run();

  const auto  &stats   = simulator.statistics();
  const double li0     = stats.value(0, "li_stored_mol");
  const double li_full = simulator.electrochemistry().get_max_li_concentration() *
                         simulator.electrochemistry().get_particle_volume();
  for (std::size_t row = 0; row < stats.n_rows(); ++row)
    CHECK(stats.value(row, "li_stored_mol") - li0 ==
          Approx(stats.value(row, "charge_passed_C") / constants::faraday)
            .margin(1e-10 * li_full));

  // 4 F rho / M = 893.6 mAh/g; the cutoff leaves < 1 % unconverted
  const double theoretical = 4 * constants::faraday / 0.11998 / 3.6 / 1e3;
  CHECK(theoretical == Approx(893.6).epsilon(2e-4));
  const double discharge = simulator.cycles().value(0, "discharge_capacity_mAh_g");
  std::cout << "full discharge: " << discharge << " mAh/g of " << theoretical
            << std::endl;
  CHECK(discharge == Approx(theoretical).epsilon(0.01));
  CHECK(discharge < theoretical);
}

namespace
{
  /// Depth below the surface, along the unit vector @p direction from the
  /// particle centre, where theta - theta0 falls to half its surface value.
  double
  half_depth(const Electrochemistry<2> &chem,
             const Tensor<1, 2>        &direction,
             const double               R,
             const double               theta0,
             const double               level = -1) // theta - theta0; -1: half the surface's
  {
    hp::MappingCollection<2> mapping(MappingQ1<2>{});
    auto theta_at = [&](const double r) {
      Vector<double> v(2);
      VectorTools::point_value(mapping, chem.get_dof_handler(), chem.get_solution(),
                               Point<2>(r * direction), v);
      return v[0] - theta0;
    };
    // just inside the surface: a point on it may be found in the electrolyte
    const double r0      = R * (1 - 1e-4);
    const double surface = theta_at(r0);
    const double target  = level < 0 ? 0.5 * surface : level;
    double       r_prev = r0, v_prev = surface;
    for (double r = r0; r > 0.2 * R; r -= 1e-3 * R)
      {
        const double v = theta_at(r);
        if (v < target)
          return R - (r + (r_prev - r) * (target - v) / (v_prev - v));
        r_prev = r;
        v_prev = v;
      }
    return R;
  }
} // namespace

TEST_CASE("Anisotropic front: depth ratio is sqrt of the diffusivity ratio")
{
  if (Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) > 1)
    return; // point evaluation below is serial
  const double R = 2.5e-6, theta0 = 0.02;
  std::vector<std::pair<double, double>> depths; // (x, y)
  for (const std::string euler : {"0, 0, 0", "90, 0, 0"})
    {
      const Parameters p = testing::make_parameters(
        "subsection Geometry\n set Dimension = 2\n set Global refinements = 5\n"
        "end\n"
        "subsection Electrolyte\n set Conductivity = 1e3\nend\n"
        "subsection Particle\n set Diffusivity pristine = 2e-15\n"
        " set Diffusivity converted = 2e-14\n set Anisotropy factors = 1, 0.25, 1\n"
        " set Euler angles = " + euler +
        "\n set Initial Li content = 0.02\nend\n"
        "subsection Kinetics\n set Exchange current density = 1e4\n"
        " set Discharge open circuit table = 0:2.0, 1:1.0\nend\n");
      Electrode<2> electrode(p);
      auto &chem = electrode.chem;
      const double current = -30. * chem.theoretical_capacity() / 3600.;
      run_steps(chem, current, 5. / 40, 40);
      depths.emplace_back(half_depth(chem, Tensor<1, 2>({1., 0.}), R, theta0),
                          half_depth(chem, Tensor<1, 2>({0., 1.}), R, theta0));
      // Electrochemistry::converted_depths (what statistics.csv reports)
      // against this point search, at a level both axes cross
      const auto reported = chem.converted_depths(theta0 + 0.05);
      for (unsigned int d = 0; d < 2; ++d)
        {
          Tensor<1, 2> axis;
          axis[d] = 1.;
          const double searched = half_depth(chem, axis, R, theta0, 0.05);
          INFO("axis " << d);
          CHECK(reported[d] == Approx(searched).epsilon(0.02));
        }
      CHECK(reported[2] == 0.);
      std::cout << "Euler " << euler << ": depth x " << depths.back().first
                << " m, y " << depths.back().second << " m, ratio "
                << depths.back().first / depths.back().second << std::endl;
    }
  // fast axis a along x, slow axis b along y: ratio sqrt(1 / 0.25). The
  // layers must be thin: at the slow axis the tangential direction is the
  // fast one, and the lateral inflow grows like 12 (depth / R)^2 (measured
  // 1.89 at this mesh, 1.91 one level finer).
  CHECK(depths[0].first / depths[0].second == Approx(2.).epsilon(0.1));
  CHECK(depths[0].first < 0.1 * R);
  // rotating the crystal by 90 degrees swaps the axes (the mesh is symmetric)
  CHECK(depths[1].first == Approx(depths[0].second).epsilon(1e-3));
  CHECK(depths[1].second == Approx(depths[0].first).epsilon(1e-3));
}

TEST_CASE("Contact factor zero on half the interface: that half carries nothing")
{
  const Parameters p = testing::make_parameters(
    "subsection Geometry\n set Dimension = 2\n set Global refinements = 3\nend\n"
    "subsection Particle\n set Initial Li content = 0.3\nend\n"
    "subsection Solver\n set Newton tolerance = 1e-12\nend\n");
  Electrode<2> electrode(p);
  auto &chem = electrode.chem;
  const double current = -0.5 * chem.theoretical_capacity() / 3600.;
  const double r_full  = chem.interfacial_resistance();

  // the half x < 0 (towards the Li side) loses contact
  const auto points = chem.interface_points();
  for (unsigned int k = 0; k < points.size(); ++k)
    if (points[k].position[0] < 0)
      chem.contact_factors()[k] = 0.;
  run_steps(chem, current, 1., 3);

  double lost = 0, kept = 0;
  for (const auto &point : chem.interface_points())
    (point.position[0] < 0 ? lost : kept) += point.current_density * point.JxW;
  lost = Utilities::MPI::sum(lost, MPI_COMM_WORLD);
  kept = Utilities::MPI::sum(kept, MPI_COMM_WORLD);
  CHECK(lost == 0.);
  CHECK(kept == Approx(current).epsilon(1e-9));
  // the mesh is symmetric in x: exactly half the area remains
  CHECK(chem.contact_fraction() == Approx(0.5).epsilon(1e-12));
  CHECK(chem.interfacial_resistance() == Approx(2. * r_full).epsilon(1e-12));
}

namespace
{
  /// Sets the contact factor to 0 at the interface points whose position
  /// satisfies @p cut; returns the interface area (all ranks).
  template <typename Predicate>
  double
  cut_contact(Electrochemistry<2> &chem, const Predicate &cut)
  {
    const auto points = chem.interface_points();
    double     area   = 0;
    for (unsigned int k = 0; k < points.size(); ++k)
      {
        area += points[k].JxW;
        if (cut(points[k].position))
          chem.contact_factors()[k] = 0.;
      }
    return Utilities::MPI::sum(area, MPI_COMM_WORLD);
  }
} // namespace

TEST_CASE("Ion-blocked cap: no Li+ crosses it, the kinetics as with no "
          "contact there, the electrons pass; a liquid reaches it",
          "[cap]")
{
  // the disk of the previous test with the electronic contact on: (a) a
  // quarter of its surface ion-blocked around +x, (b) the same points out
  // of contact instead. The 32 faces of its circle end at multiples of
  // 11.25 degrees, so the cap of f = 1/4 (half angle 45 degrees) is the
  // points within 45 degrees of +x, a quarter of the area.
  const double r_e = 0.01;
  const auto   text = [&](const std::string &extra) {
    return "subsection Geometry\n set Dimension = 2\n set Global refinements = 3\nend\n"
           "subsection Particle\n set Initial Li content = 0.3\nend\n"
           "subsection Kinetics\n set Electronic contact resistance = " +
           std::to_string(r_e) + "\n" + extra +
           "end\nsubsection Solver\n set Newton tolerance = 1e-12\nend\n";
  };
  const auto in_cap = [](const Point<2> &x) {
    return std::abs(std::atan2(x[1], x[0])) < 0.25 * numbers::PI;
  };
  std::vector<double> voltages, li;
  double              current = 0, area = 0, r_full = 0;
  for (const bool blocked : {true, false})
    {
      const Parameters p = testing::make_parameters(
        text(blocked ? " set Ion-blocked fraction = 0.25\n"
                       " set Ion-blocked direction = 1, 0, 0\n" :
                       ""));
      Electrode<2> electrode(p);
      auto        &chem = electrode.chem;
      current           = -0.5 * chem.theoretical_capacity() / 3600.;
      area = cut_contact(chem, [&](const Point<2> &x) { return !blocked && in_cap(x); });
      if (!blocked)
        r_full = chem.interfacial_resistance() * 0.75;
      // the ionic contact is the rest of the surface; the electronic
      // contact is all of it with the cap, three quarters without
      CHECK(chem.contact_fraction() == Approx(0.75).epsilon(1e-12));
      CHECK(chem.electronic_contact_fraction() ==
            Approx(blocked ? 1. : 0.75).epsilon(1e-12));
      run_steps(chem, current, 1., 3);
      double cap = 0, rest = 0;
      for (const auto &point : chem.interface_points())
        (in_cap(point.position) ? cap : rest) += point.current_density * point.JxW;
      CHECK(Utilities::MPI::sum(cap, MPI_COMM_WORLD) == 0.);
      CHECK(Utilities::MPI::sum(rest, MPI_COMM_WORLD) == Approx(current).epsilon(1e-9));
      voltages.push_back(chem.cell_voltage());
      li.push_back(chem.li_stored());
    }
  // the particle sees the same kinetics; the cell voltage differs by the
  // electronic drop over the quarter that conducts electrons only
  CHECK(li[0] == Approx(li[1]).epsilon(1e-13));
  CHECK(voltages[0] - voltages[1] ==
        Approx(current / area * r_e * (1. - 1. / 0.75)).epsilon(1e-9));

  // a cap that passes no electrons either: the cell is the one whose
  // contact factor is 0 there
  {
    Electrode<2> electrode(testing::make_parameters(
      text(" set Ion-blocked fraction = 0.25\n"
           " set Ion-blocked direction = 1, 0, 0\n"
           " set Ion-blocked cap conducts electrons = false\n")));
    auto &chem = electrode.chem;
    CHECK(chem.electronic_contact_fraction() == Approx(1.).epsilon(1e-12));
    CHECK(chem.electronic_resistance() == Approx(r_e / 0.75).epsilon(1e-12));
    run_steps(chem, current, 1., 3);
    CHECK(chem.li_stored() == Approx(li[1]).epsilon(1e-13));
    CHECK(chem.cell_voltage() == Approx(voltages[1]).epsilon(1e-12));
  }

  // the cap's edge spread over 22.5 degrees (two faces each side of 45
  // degrees): the ionic access rises linearly in the angle from 33.75 to
  // 56.25 degrees, taken at each face's normal (the kinetics' faces are
  // straight: the angle of the chord's midpoint), 1/4 and 3/4 on the two
  // faces each side; with no electrons through the cap the cell is the
  // one whose contact factor is that access
  {
    const double width = 22.5 * numbers::PI / 180.;
    const auto   access_at = [&](const Point<2> &midpoint) {
      const double angle = std::abs(std::atan2(midpoint[1], midpoint[0]));
      return std::max(0., std::min(1., 0.5 - (0.25 * numbers::PI - angle) / width));
    };
    std::vector<std::vector<double>> densities;
    std::vector<double>              spread_voltages;
    for (const bool spread : {true, false})
      {
        Electrode<2> electrode(testing::make_parameters(text(
          spread ? " set Ion-blocked fraction = 0.25\n"
                   " set Ion-blocked edge width = 22.5\n"
                   " set Ion-blocked cap conducts electrons = false\n" :
                   "")));
        auto      &chem   = electrode.chem;
        const auto points = chem.interface_points();
        const unsigned int nq = chem.face_quadrature_size();
        std::vector<double> access(points.size());
        for (unsigned int k = 0; k < points.size(); k += nq)
          {
            Point<2> midpoint;
            for (unsigned int q = 0; q < nq; ++q)
              midpoint += points[k + q].position / double(nq);
            std::fill(access.begin() + k, access.begin() + k + nq, access_at(midpoint));
          }
        if (!spread)
          std::copy(access.begin(), access.end(), chem.contact_factors().begin());
        // the blocked area is still a quarter (the ramp is symmetric)
        CHECK(chem.contact_fraction() == Approx(0.75).epsilon(1e-12));
        run_steps(chem, current, 1., 3);
        densities.emplace_back();
        double inner = 0;
        const auto solved = chem.interface_points();
        for (unsigned int k = 0; k < solved.size(); ++k)
          {
            densities.back().push_back(solved[k].current_density);
            if (access[k] == 0.)
              inner += std::abs(solved[k].current_density);
          }
        CHECK(Utilities::MPI::sum(inner, MPI_COMM_WORLD) == 0.);
        spread_voltages.push_back(chem.cell_voltage());
      }
    double largest = 0, deviation = 0;
    for (unsigned int k = 0; k < densities[0].size(); ++k)
      {
        largest   = std::max(largest, std::abs(densities[1][k]));
        deviation = std::max(deviation, std::abs(densities[0][k] - densities[1][k]));
      }
    largest   = Utilities::MPI::max(largest, MPI_COMM_WORLD);
    deviation = Utilities::MPI::max(deviation, MPI_COMM_WORLD);
    std::cout << "spread cap edge: current density deviation " << deviation / largest
              << ", voltage " << spread_voltages[0] - spread_voltages[1] << " V" << std::endl;
    CHECK(deviation < 1e-9 * largest);
    CHECK(spread_voltages[0] == Approx(spread_voltages[1]).epsilon(1e-12));
  }

  // the same cap behind a liquid electrolyte: reached everywhere
  const Parameters liquid = testing::make_parameters(
    text(" set Ion-blocked fraction = 0.25\n") +
    "subsection Electrolyte\n set Type = liquid\nend\n");
  Electrode<2> wetted(liquid);
  CHECK(wetted.chem.contact_fraction() == Approx(1.).epsilon(1e-12));
  CHECK(wetted.chem.interfacial_resistance() == Approx(r_full).epsilon(1e-12));
}

namespace
{
  /// The 2D disk (level 3, Li content 0.3) behind an electronic contact
  /// resistance @p r (Ohm m^2), Newton to 1e-12.
  Parameters
  disk_with_contact_resistance(const double r)
  {
    return testing::make_parameters(
      "subsection Geometry\n set Dimension = 2\n set Global refinements = 3\nend\n"
      "subsection Particle\n set Initial Li content = 0.3\nend\n"
      "subsection Kinetics\n set Electronic contact resistance = " +
      std::to_string(r) +
      "\nend\n"
      "subsection Solver\n set Newton tolerance = 1e-12\nend\n");
  }
} // namespace

TEST_CASE("Electronic contact: a series resistance r_e / f in the cell "
          "voltage and the impedance, nothing in the particle")
{
  // the disk of the previous test with half its interface out of contact,
  // without and with r_e = 0.01 Ohm m^2: the particle's potential and
  // state are the same, the voltage lies lower on discharge by
  // I / A * r_e / f and every impedance higher by r_e / f, f = 1/2
  const double r_e = 0.01;
  std::vector<double> voltages, li;
  std::vector<std::vector<std::complex<double>>> spectra;
  const std::vector<double> frequencies = {1e-3, 1., 1e3};
  double current = 0, area = 0;
  for (const double r : {0., r_e})
    {
      const Parameters p = disk_with_contact_resistance(r);
      Electrode<2> electrode(p);
      auto        &chem = electrode.chem;
      current           = -0.5 * chem.theoretical_capacity() / 3600.;
      area = cut_contact(chem, [](const Point<2> &x) { return x[0] < 0; });
      CHECK(chem.electronic_resistance() == Approx(2. * r).margin(1e-15));
      run_steps(chem, current, 1., 3);
      voltages.push_back(chem.cell_voltage());
      li.push_back(chem.li_stored());
      spectra.push_back(chem.impedance(frequencies));
    }
  std::cout << "electronic contact drop: " << voltages[1] - voltages[0]
            << " V" << std::endl;
  CHECK(li[1] == Approx(li[0]).epsilon(1e-13));
  CHECK(voltages[1] - voltages[0] ==
        Approx(current / area * 2. * r_e).epsilon(1e-9));
  for (unsigned int k = 0; k < frequencies.size(); ++k)
    {
      CHECK(spectra[1][k].real() - spectra[0][k].real() ==
            Approx(2. * r_e).epsilon(1e-9));
      CHECK(spectra[1][k].imag() == Approx(spectra[0][k].imag()).epsilon(1e-9));
    }
}

TEST_CASE("Potential control: a step held at the voltage a galvanostatic "
          "step reached draws that step's current and gives its state",
          "[potentiostatic]")
{
  // The disk with half its interface out of contact, without and with the
  // electronic contact's series resistance: after three galvanostatic
  // steps, a fourth at current I ends at voltage V; the same step held at
  // V instead (potentiostatic, from the same accepted state) must draw I
  // and store the same Li, to the Newton tolerance. The two controls are
  // different rows of one bordered system (the current's or the
  // voltage's), so each checks the other.
  for (const double r : {0., 0.01})
    {
      const Parameters p = disk_with_contact_resistance(r);
      Electrode<2> electrode(p);
      auto        &chem    = electrode.chem;
      const double current = -0.5 * chem.theoretical_capacity() / 3600.;
      cut_contact(chem, [](const Point<2> &x) { return x[0] < 0; });
      run_steps(chem, current, 1., 3);

      REQUIRE(chem.solve_time_step(1., current, Branch::discharge).converged);
      const double voltage = chem.cell_voltage(), li = chem.li_stored();
      chem.reject_step();
      const auto held = chem.solve_time_step_at_voltage(1., voltage, Branch::discharge);
      REQUIRE(held.converged);
      std::cout << "potential control (r_e " << r << "): " << chem.step_current()
                << " A/m against " << current << ", " << held.newton_iterations
                << " Newton iterations" << std::endl;
      CHECK(chem.step_current() == Approx(current).epsilon(1e-8));
      CHECK(chem.li_stored() == Approx(li).epsilon(1e-10));
      CHECK(chem.cell_voltage() == Approx(voltage).epsilon(1e-12));
      // and held 10 mV lower it draws more
      chem.reject_step();
      REQUIRE(chem.solve_time_step_at_voltage(1., voltage - 0.01, Branch::discharge)
                .converged);
      CHECK(chem.step_current() < 1.05 * current);
    }
}

namespace
{
  /// Two disks (radius 1.2 um at y = -1.6, 0.8 um at y = 1.6) in one box
  /// (meshes/two_particles_2d.msh), an electrolyte without resistance,
  /// i0 = 0.1 A/m^2, the open-circuit potential @p ocv (default flat at
  /// 1.8 V), D = 1e-14 m^2/s.
  Parameters
  two_particles(const double       electronic_resistance,
                const std::string &ocv = "0:1.8, 1:1.8")
  {
    return testing::make_parameters(
      "subsection Geometry\n set Dimension = 2\n set Type = gmsh file\n"
      " set Mesh file = " SSBSIM_SOURCE_DIR "/meshes/two_particles_2d.msh\n"
      " set Global refinements = 1\nend\n"
      "subsection Electrolyte\n set Conductivity = 1e3\nend\n"
      "subsection Particle\n set Li migration activation volume = 0\n"
      " set Conversion volume per Li = 10\n"
      " set Diffusivity pristine = 1e-14\n set Diffusivity converted = 1e-14\n"
      "end\n"
      "subsection Kinetics\n set Exchange current density = 0.1\n"
      " set Discharge open circuit table = " + ocv + "\n"
      " set Electronic contact resistance = " +
      std::to_string(electronic_resistance) +
      "\nend\n"
      "subsection Solver\n set Newton tolerance = 1e-13\nend\n");
  }

  /// Interface length of the disk below y = 0 (a) and above (b), m.
  template <int dim>
  std::array<double, 2>
  disk_interfaces(const Electrochemistry<dim> &chem)
  {
    std::array<double, 2> length = {{0., 0.}};
    for (const auto &point : chem.interface_points())
      length[point.position[1] > 0] += point.JxW;
    for (double &l : length)
      l = Utilities::MPI::sum(l, MPI_COMM_WORLD);
    return length;
  }
} // namespace

namespace
{
  /// Sphere-in-box cells of 'Particle radii' (empty: one of 'Particle
  /// radius' 1 um), electrochemistry with the electronic contact.
  std::string
  particle_text(const std::string &radii)
  {
    return std::string(
      "subsection Geometry\n set Dimension = 2\n set Global refinements = 1\n"
      " set Particle radius = 1\n set Particle radii = " + radii +
      "\n set Box size = 3\n set Separator thickness = 1\nend\n"
      "subsection Kinetics\n set Electronic contact resistance = 0.005\nend\n"
      "subsection Solver\n set Newton tolerance = 1e-13\nend\n");
  }

  Parameters
  particle_row(const std::string &radii)
  {
    return testing::make_parameters(particle_text(radii));
  }
} // namespace

TEST_CASE("A row of particles from 'Particle radii': one box each, merged; "
          "two equal particles behave as one")
{
  // Radii 1.2 and 0.8 um: the boxes share their face at y = 0 (merged:
  // no boundary there), each particle is the single cell's of its radius
  // shifted (capacities add up exactly).
  {
    Electrode<2> row(particle_row("1.2, 0.8"));
    Electrode<2> a(particle_row("1.2")), b(particle_row("0.8"));
    REQUIRE(row.chem.n_particles() == 2);
    CHECK(row.chem.separate_particle_potentials());
    CHECK(row.chem.theoretical_capacity() ==
          Approx(a.chem.theoretical_capacity() + b.chem.theoretical_capacity())
            .epsilon(1e-12));
    unsigned int inner_boundary_faces = 0;
    for (const auto &cell : row.tria.active_cell_iterators())
      for (const unsigned int f : cell->face_indices())
        if (cell->at_boundary(f) && std::abs(cell->face(f)->center()[1]) < 1e-9)
          ++inner_boundary_faces;
    CHECK(inner_boundary_faces == 0);
  }
  // Two equal particles side by side: the single cell is symmetric about
  // y = 0, so the row is two copies of it: each particle carries half the
  // cell's current at the single cell's voltage, step by step (the step
  // control sees the same voltages and takes the same steps; nonlinear
  // kinetics, diffusion and open-circuit curve of the defaults; 10
  // minutes of discharge, then of charge, at C/10).
  const std::string limit =
    "subsection Operating conditions\n set Maximum half cycle time = 600\nend\n"
    "subsection Output\n set Progress interval = 100000\nend\n";
  const auto run = [&](const std::string &radii) {
    auto simulator = std::make_unique<Simulator<2>>(
      testing::make_parameters(particle_text(radii) + limit), MPI_COMM_WORLD, false);
    simulator->run();
    return simulator;
  };
  const auto one = run(""), two = run("1, 1");
  const auto &s1 = one->statistics(), &s2 = two->statistics();
  REQUIRE(s1.n_rows() == s2.n_rows());
  double largest_difference = 0;
  for (std::size_t row = 0; row < s1.n_rows(); ++row)
    {
      largest_difference =
        std::max(largest_difference,
                 std::abs(s1.value(row, "voltage_V") - s2.value(row, "voltage_V")));
      CHECK(s2.value(row, "capacity_mAh_g") ==
            Approx(s1.value(row, "capacity_mAh_g")).epsilon(1e-8).margin(1e-12));
      CHECK(s2.value(row, "current_A") ==
            Approx(2 * s1.value(row, "current_A")).epsilon(1e-8).margin(1e-20));
    }
  const auto I = two->electrochemistry().particle_currents();
  REQUIRE(I.size() == 2);
  const double cell = s2.value(s2.n_rows() - 1, "current_A");
  std::cout << "row of two equal particles: " << s1.n_rows()
            << " steps, largest voltage difference to the single cell "
            << largest_difference << " V; particle currents " << I[0] << ", "
            << I[1] << " A/m of " << cell << std::endl;
  CHECK(largest_difference < 1e-8);
  CHECK(I[0] == Approx(0.5 * cell).epsilon(1e-8));
  CHECK(I[1] == Approx(0.5 * cell).epsilon(1e-8));
}

namespace
{
  /// A porous microsphere cell (the in-situ grown scenario's, coarse) or,
  /// with @p radii, a row of them.
  Parameters
  microsphere_row(const std::string &radii, const unsigned int seed)
  {
    return testing::make_parameters(
      "subsection Geometry\n set Dimension = 2\n set Type = porous microsphere\n"
      " set Particle radius = 2.5\n set Particle radii = " + radii +
      "\n set Grain radius = 0.5\n set Porosity = 0.3\n set Pore filling = 0.7\n"
      " set Random seed = " + std::to_string(seed) +
      "\n set Box size = 8\n set Global refinements = 0\nend\n"
      "subsection Kinetics\n set Electronic contact resistance = 0.005\nend\n");
  }

  /// Centres of the coarse cells of @p material_id (rounded to 1 nm), shifted by @p dy.
  std::set<std::pair<long, long>>
  coarse_centres(const Triangulation<2> &tria, const types::material_id material_id,
                 const double dy = 0)
  {
    std::set<std::pair<long, long>> centres;
    for (const auto &cell : tria.cell_iterators_on_level(0))
      if (cell->material_id() == material_id)
        centres.emplace(std::lround(cell->center()[0] * 1e9),
                        std::lround((cell->center()[1] + dy) * 1e9));
    return centres;
  }
} // namespace

TEST_CASE("A row of porous microspheres from 'Particle radii': microsphere k "
          "is the single one of seed 'Random seed' + k, shifted, and one "
          "particle behind its own electronic contact")
{
  // Seeds 3 and 4 (arrangements that differ): the row's microsphere 0 (y <
  // 0) is the single cell of seed 3 shifted by -4 um, microsphere 1 that
  // of seed 4 shifted by +4 um, grain for grain, pore for pore; the
  // capacities and interface areas add up, each microsphere is one
  // particle whose electrons come over its outer surface only, as in the
  // single cells.
  Electrode<2> row(microsphere_row("2.5, 2.5", 3));
  Electrode<2> a(microsphere_row("", 3)), b(microsphere_row("", 4));
  for (const auto material : {ids::particle, ids::electrolyte})
    {
      auto expected = coarse_centres(a.tria, material, -4e-6);
      for (const auto &c : coarse_centres(b.tria, material, 4e-6))
        expected.insert(c);
      CHECK((coarse_centres(row.tria, material) == expected));
    }
  CHECK_FALSE((coarse_centres(a.tria, ids::particle) ==
               coarse_centres(b.tria, ids::particle)));
  const auto free_faces = [](const Triangulation<2> &tria) {
    unsigned int n = 0;
    for (const auto &cell : tria.active_cell_iterators())
      for (const unsigned int f : cell->face_indices())
        n += cell->at_boundary(f) && cell->face(f)->boundary_id() == ids::free_surface;
    return n;
  };
  CHECK(free_faces(row.tria) == free_faces(a.tria) + free_faces(b.tria));
  CHECK(free_faces(a.tria) > 0);

  REQUIRE(row.chem.n_particles() == 2);
  CHECK(a.chem.n_particles() == 1);
  CHECK(row.chem.separate_particle_potentials());
  CHECK(row.chem.theoretical_capacity() ==
        Approx(a.chem.theoretical_capacity() + b.chem.theoretical_capacity())
          .epsilon(1e-12));
  const auto A = disk_interfaces(row.chem);
  CHECK(A[0] == Approx(a.chem.get_interface_area()).epsilon(1e-12));
  CHECK(A[1] == Approx(b.chem.get_interface_area()).epsilon(1e-12));
  // the electronic resistance r A / a_e over the whole interface A: the
  // touching network a_e of the row is the single cells' outer surfaces
  const double r = 0.005;
  const double network_a = r * A[0] / a.chem.electronic_resistance(),
               network_b = r * A[1] / b.chem.electronic_resistance();
  CHECK(network_a < 0.9 * A[0]); // the grown interfaces inside carry no electrons
  CHECK(row.chem.electronic_resistance() ==
        Approx(r * (A[0] + A[1]) / (network_a + network_b)).epsilon(1e-12));
}

TEST_CASE("Two particles, each behind its own electronic contact: at rest "
          "they exchange Li through R_ct + r_e in series")
{
  // Particle b's open-circuit potential lies delta higher (its hydrostatic
  // stress times Omega / F). At zero cell current the particles exchange
  // Li: each is R_ct / A_k (linear kinetics, delta << R T / F) in series
  // with its contact r_e / A_k, so I_a = -I_b = S_a S_b delta / (S_a +
  // S_b), S_k = A_k / (R_ct + r_e), and V = U + S_b delta / (S_a + S_b).
  // Without the contact resistance both sit at one potential (r_e = 0).
  const double delta = 2e-3, omega = 10e-6;
  const double R_ct  = constants::gas_constant * 298.15 / (constants::faraday * 0.1);
  for (const double r_e : {0., R_ct})
    {
      const Parameters p = two_particles(r_e);
      Electrode<2>     electrode(p);
      auto            &chem = electrode.chem;
      REQUIRE(chem.n_particles() == 2);
      CHECK(chem.separate_particle_potentials() == (r_e > 0));
      const auto A = disk_interfaces(chem);
      // the two disks' circumferences (polygons of the mesh: within 2 %)
      CHECK(A[0] == Approx(2 * numbers::PI * 1.2e-6).epsilon(0.02));
      CHECK(A[1] == Approx(2 * numbers::PI * 0.8e-6).epsilon(0.02));

      const unsigned int nq = 4; // QGauss<2>(2)
      auto              &sigma_h = chem.hydrostatic_stresses();
      for (const auto &cell : electrode.tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() == ids::particle &&
            cell->center()[1] > 0)
          for (unsigned int q = 0; q < nq; ++q)
            sigma_h[cell->active_cell_index() * nq + q] =
              delta * constants::faraday / omega;
      run_steps(chem, 0., 1., 1);

      double I_a = 0;
      for (const auto &point : chem.interface_points())
        if (point.position[1] < 0)
          I_a += point.current_density * point.JxW;
      I_a                = Utilities::MPI::sum(I_a, MPI_COMM_WORLD);
      const double S_a   = A[0] / (R_ct + r_e), S_b = A[1] / (R_ct + r_e);
      const double exact = S_a * S_b * delta / (S_a + S_b);
      std::cout << "r_e " << r_e << " Ohm m^2: exchange " << I_a
                << " A/m, linear series " << exact << std::endl;
      CHECK(I_a == Approx(exact).epsilon(1e-4));
      CHECK(chem.cell_voltage() - 1.8 ==
            Approx(S_b * delta / (S_a + S_b)).epsilon(1e-4));
      const auto I = chem.particle_currents();
      REQUIRE(I.size() == 2);
      CHECK(I[0] + I[1] == Approx(0.).margin(1e-9 * std::abs(I_a)));
      CHECK(std::max(I[0], I[1]) == Approx(I_a).epsilon(1e-9));
    }
}

TEST_CASE("Two particles behind their own electronic contacts: at rest their "
          "impedance is that of the two in parallel, under current each "
          "carries V = phi_s,k + I_k r_e / A_k")
{
  // The disks differ in size, so their Li storage per interface area
  // does too (R / 2): below about 0.1 Hz their impedances per area part.
  // Behind its own contact each particle is a branch of its own, r_e /
  // A_k in series with its (R_ct || C_dl) and storage, and the branches
  // add in parallel; at one shared potential the contact would be one
  // resistor in series with the particles in parallel, which differs.
  const double r_e = 0.05; // Ohm m^2
  const std::vector<double> frequencies = {1e-4, 1e-3, 1., 1e3};
  std::vector<std::vector<std::complex<double>>> spectra;
  // both particles in contact, then a alone (b out of contact), then b
  for (const int out : {-1, 1, 0})
    {
      const Parameters p = two_particles(r_e, "0:2.0, 1:1.0");
      Electrode<2>     electrode(p);
      auto            &chem   = electrode.chem;
      const auto       A      = disk_interfaces(chem);
      const auto       points = chem.interface_points();
      for (unsigned int k = 0; k < points.size(); ++k)
        if (out >= 0 && (points[k].position[1] > 0) == bool(out))
          chem.contact_factors()[k] = 0.;
      // at rest in the initial, uniform state: every run's kinetics
      // linearised at zero overpotential
      spectra.push_back(chem.impedance(frequencies));

      const double current = -0.5 * chem.theoretical_capacity() / 3600.;
      run_steps(chem, current, 10., 3);

      // the converted depths are measured in the larger disk (a) alone,
      // on rays from its centre: nothing when only b reacts, at most a's
      // radius when a does (rays from the centroid of both would reach
      // into b)
      const auto depth =
        chem.converted_depths(p.particle.initial_li_content + 1e-6);
      for (unsigned int d = 0; d < 2; ++d)
        if (out == 0)
          CHECK(depth[d] == 0.);
        else
          {
            CHECK(depth[d] > 0.);
            CHECK(depth[d] <= 1.2e-6 * (1 + 1e-9));
          }

      // which potential is which disk: the one whose current matches
      std::array<double, 2> I_disk = {{0., 0.}};
      for (const auto &point : chem.interface_points())
        I_disk[point.position[1] > 0] += point.current_density * point.JxW;
      for (double &i : I_disk)
        i = Utilities::MPI::sum(i, MPI_COMM_WORLD);
      const auto I = chem.particle_currents();
      CHECK(I[0] + I[1] == Approx(current).epsilon(1e-9));
      for (unsigned int k = 0; k < 2; ++k)
        {
          const unsigned int disk =
            std::abs(I[k] - I_disk[0]) < std::abs(I[k] - I_disk[1]) ? 0 : 1;
          INFO("out " << out << " particle " << k << " disk " << disk);
          CHECK(I[k] == Approx(I_disk[disk]).epsilon(1e-9).margin(1e-15));
          const double contact = chem.particle_contact_fractions()[k];
          if (int(disk) == out)
            {
              // nothing has reached it: its Li content is the initial one
              CHECK(I[k] == 0.);
              CHECK(contact == 0.);
              CHECK(chem.particle_li_contents()[k] ==
                    Approx(p.particle.initial_li_content).epsilon(1e-12));
            }
          else
            {
              CHECK(contact == Approx(1.).epsilon(1e-12));
              CHECK(chem.cell_voltage() ==
                    Approx(chem.particle_potential(k) + I[k] * r_e / A[disk])
                      .epsilon(1e-10));
            }
        }
    }
  // the admittances (per interface area: A / Z) of the two add up
  for (unsigned int f = 0; f < frequencies.size(); ++f)
    {
      const auto parallel = 1. / spectra[1][f] + 1. / spectra[2][f];
      INFO("frequency " << frequencies[f] << " Hz: Z " << spectra[0][f]
                        << ", a alone " << spectra[1][f] << ", b alone "
                        << spectra[2][f]);
      CHECK(std::abs(1. / spectra[0][f] - parallel) < 1e-6 * std::abs(parallel));
    }
  // what makes the test see the difference: at 1e-4 Hz each particle
  // is a capacitor of its volume (omega R^2 / D = 0.09 for a), so their
  // reactances stand as (0.8 / 1.2)^2, their storage per interface area
  // as 0.8 / 1.2
  const auto storage = [&](const unsigned int run) {
    return (spectra[run][0] - spectra[run].back()).imag();
  };
  CHECK(storage(1) / storage(2) == Approx(std::pow(0.8 / 1.2, 2)).epsilon(0.03));
}

TEST_CASE("Electronic contact of a porous microsphere: only its outer "
          "surface on the composite, not the electrolyte grown inside")
{
  // A 2D microsphere (box 4 um, grains of 0.5 um edge, radius 1.6 um,
  // pores 30 %, 70 % of them filled from outside). The faces the
  // electrons come through are told apart here independently of the
  // program: a face of the grain grid whose neighbour across it has its
  // centre outside the microsphere. With the contact on those faces
  // only, the electronic contact fraction is 1; with it halved there and
  // full inside, 1/2, and the series resistance r_e A / (A_outer / 2).
  const double     h = 0.5e-6, radius = 1.6e-6, r_e = 0.005;
  const Parameters p = testing::make_parameters(
    "subsection Geometry\n set Dimension = 2\n set Type = porous microsphere\n"
    " set Box size = 4\n set Separator thickness = 1\n set Particle radius = 1.6\n"
    " set Grain radius = 0.25\n set Porosity = 0.3\n set Pore filling = 0.7\n"
    " set Random seed = 1\n set Global refinements = 1\nend\n"
    "subsection Kinetics\n set Electronic contact resistance = 0.005\nend\n");
  Electrode<2> electrode(p);
  auto        &chem   = electrode.chem;
  const auto   points = chem.interface_points();
  std::vector<bool> outer(points.size());
  double            area = 0, outer_area = 0;
  for (unsigned int k = 0; k < points.size(); ++k)
    {
      // grid coordinates: the face lies on an integer line of one axis
      const Point<2> &x = points[k].position;
      const double    u[2] = {(x[0] + 2e-6) / h, (x[1] + 2e-6) / h};
      const unsigned int axis = std::abs(u[0] - std::round(u[0])) < 1e-6 ? 0 : 1;
      REQUIRE(std::abs(u[axis] - std::round(u[axis])) < 1e-6);
      for (const double side : {-0.5, 0.5})
        {
          Point<2> centre;
          for (unsigned int d = 0; d < 2; ++d)
            centre[d] = -2e-6 + h * (d == axis ? std::round(u[d]) + side :
                                                 std::floor(u[d]) + 0.5);
          if (centre.norm() >= radius)
            outer[k] = true;
        }
      area += points[k].JxW;
      outer_area += outer[k] ? points[k].JxW : 0.;
    }
  area       = Utilities::MPI::sum(area, MPI_COMM_WORLD);
  outer_area = Utilities::MPI::sum(outer_area, MPI_COMM_WORLD);
  std::cout << "microsphere: outer surface " << outer_area / area
            << " of the interface" << std::endl;
  REQUIRE(outer_area > 0.2 * area); // grown electrolyte inside, and
  REQUIRE(outer_area < 0.9 * area); // a surface on the composite

  auto &a = chem.contact_factors();
  for (unsigned int k = 0; k < points.size(); ++k)
    a[k] = outer[k] ? 1. : 0.;
  CHECK(chem.electronic_contact_fraction() == Approx(1.).epsilon(1e-12));
  CHECK(chem.contact_fraction() == Approx(outer_area / area).epsilon(1e-12));
  CHECK(chem.electronic_resistance() ==
        Approx(r_e * area / outer_area).epsilon(1e-12));

  for (unsigned int k = 0; k < points.size(); ++k)
    a[k] = outer[k] ? 0.5 : 1.;
  CHECK(chem.electronic_contact_fraction() == Approx(0.5).epsilon(1e-12));
  CHECK(chem.electronic_resistance() ==
        Approx(r_e * area / (0.5 * outer_area)).epsilon(1e-12));

  for (unsigned int k = 0; k < points.size(); ++k)
    a[k] = outer[k] ? 0. : 1.;
  CHECK(chem.electronic_contact_fraction() == 0.);
  CHECK(std::isinf(chem.electronic_resistance()));
}

TEST_CASE("Time step control: the adapted step stays within its bounds")
{
  // The step adapts to a target voltage change per step, but never below
  // 'Minimum time step' (below it the next failed solve would end the run
  // instead of cutting the step) nor above the maximum. With 100-900 s
  // and a target of 2 mV that the end of the discharge exceeds many times
  // over, the steps reach both bounds and stay between them.
  const double     minimum = 100, maximum = 900; // s
  const Parameters p       = fast_layered_cell(
    time_step_bounds(minimum, maximum, maximum, 0.002));
  Simulator<2> simulator(p, MPI_COMM_WORLD, false);
  simulator.run();
  const auto &stats = simulator.statistics();
  double      smallest = maximum, largest = minimum;
  for (std::size_t row = 1; row < stats.n_rows(); ++row)
    {
      smallest = std::min(smallest, stats.value(row, "time_step_s"));
      largest  = std::max(largest, stats.value(row, "time_step_s"));
    }
  std::cout << "time step bounds " << minimum << "-" << maximum << " s: "
            << stats.n_rows() - 1 << " steps between " << smallest << " and "
            << largest << " s" << std::endl;
  CHECK(smallest == minimum);
  CHECK(largest == maximum);
}

TEST_CASE("Time step control: a step past the cutoff counts its energy up to it")
{
  // A step that crosses the cutoff is landed on it by shortening; at the
  // minimum time step it cannot be, and is accepted past it. The cycler
  // stops the current at the cutoff, so that step's energy is counted with
  // the cutoff voltage at its end, not the overshoot (unbounded once the
  // electronic path is gone). With the step held at 900 s and a landing
  // tolerance of 0.1 mV (half the target voltage change), both cutoffs are
  // overshot; the mean voltages of cycles.csv must be the trapezoid rule
  // over the recorded steps with the last voltage replaced by the cutoff.
  // The cutoffs lie on the plateaus' ends (1.5 V, 2.15 V), where a held
  // step still converges (past the full conversion it cannot).
  const double     held = 900; // s
  const Parameters p    = fast_layered_cell(
    time_step_bounds(held, held, held, 0.0002),
    " set Lower cutoff voltage = 1.5\n set Upper cutoff voltage = 2.15\n");
  Simulator<2> simulator(p, MPI_COMM_WORLD, false);
  simulator.run();
  const auto &stats = simulator.statistics();

  // statistics.csv's half_cycle column: 1 discharge, 2 charge
  const std::array<std::pair<unsigned int, const char *>, 2> halves = {
    {{1, "mean_discharge_voltage_V"}, {2, "mean_charge_voltage_V"}}};
  const std::array<double, 2> cutoffs = {{p.operating.lower_cutoff_voltage,
                                          p.operating.upper_cutoff_voltage}};
  for (unsigned int h = 0; h < 2; ++h)
    {
      double energy = 0, moved = 0, voltage_before = 0, voltage_last = 0;
      double moved_last = 0; // C, by the last step
      for (std::size_t row = 1; row < stats.n_rows(); ++row)
        if (stats.value(row, "cycle") == 1 &&
            stats.value(row, "half_cycle") == halves[h].first)
          {
            if (moved == 0)
              voltage_before = stats.value(row - 1, "voltage_V");
            const double q = std::abs(stats.value(row, "current_A")) *
                             stats.value(row, "time_step_s");
            voltage_last = stats.value(row, "voltage_V");
            energy += 0.5 * (voltage_before + voltage_last) * q;
            moved += q;
            moved_last = q;
            voltage_before = voltage_last;
          }
      REQUIRE(moved > 0);
      const double overshoot = std::abs(voltage_last - cutoffs[h]);
      const double clipped =
        energy - 0.5 * (voltage_last - cutoffs[h]) * moved_last;
      std::cout << halves[h].second << ": overshoot " << overshoot
                << " V, mean voltage " << clipped / moved
                << " V, the overshoot's share " << (energy - clipped) / moved
                << " V" << std::endl;
      // the test tells the two apart: the overshoot moves the mean voltage
      // (1.5-2.2 V) by over 1e3 times the tolerance below
      CHECK(overshoot > 1e-3);
      CHECK(std::abs(clipped - energy) / moved > 1e-5);
      CHECK(simulator.cycles().value(0, halves[h].second) ==
            Approx(clipped / moved).epsilon(1e-8));
    }
}

namespace
{
  /// Volumes of the particle and electrolyte cells of a porous microsphere
  /// (box 4 um, separator 1 um, microsphere radius 1.6 um, grain edge
  /// 0.5 um: an 8^dim grid) and what is independent of the draw: the grid
  /// cells whose centre lies in the microsphere, counted here.
  template <int dim>
  struct Microstructure
  {
    double              particle = 0, electrolyte = 0, medium = 0, box = 0,
                        cell = 0;
    unsigned int        inside = 0, free_faces = 0, free_faces_outside = 0;
    std::vector<double> particle_centres; // x of every particle cell, sorted

    Microstructure(const double porosity, const double filling,
                   const unsigned int seed, const bool third_medium = false)
    {
      const Parameters p = testing::make_parameters(
        "subsection Geometry\n set Dimension = " + std::to_string(dim) +
        "\n set Type = porous microsphere\n set Box size = 4\n"
        " set Separator thickness = 1\n set Particle radius = 1.6\n"
        " set Grain radius = 0.25\n set Porosity = " + std::to_string(porosity) +
        "\n set Pore filling = " + std::to_string(filling) +
        "\n set Random seed = " + std::to_string(seed) +
        (third_medium ? "\n set Empty pores = third medium" : "") +
        "\n set Global refinements = 0\nend\n");
      parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
      create_geometry(p.geometry, tria);
      const double L = 4e-6, h = 0.5e-6;
      cell = std::pow(h, dim);
      box  = std::pow(L, dim - 1) * (L + 1e-6);
      for (unsigned int k = 0; k < std::pow(8, dim); ++k)
        {
          Point<dim>   c;
          unsigned int rest = k;
          for (unsigned int d = 0; d < dim; ++d, rest /= 8)
            c[d] = -0.5 * L + (rest % 8 + 0.5) * h;
          inside += (c.norm() < 1.6e-6);
        }
      for (const auto &c : tria.active_cell_iterators())
        if (c->is_locally_owned())
          {
            (c->material_id() == ids::particle     ? particle :
             c->material_id() == ids::third_medium ? medium :
                                                     electrolyte) += c->measure();
            if (c->material_id() == ids::particle)
              particle_centres.push_back(c->center()[0] + 7 * c->center()[1]);
            for (const unsigned int f : c->face_indices())
              if (c->at_boundary(f) &&
                  c->face(f)->boundary_id() == ids::free_surface)
                {
                  ++free_faces;
                  free_faces_outside += (c->face(f)->center().norm() > 1.6e-6 + h);
                }
          }
      particle    = Utilities::MPI::sum(particle, MPI_COMM_WORLD);
      electrolyte = Utilities::MPI::sum(electrolyte, MPI_COMM_WORLD);
      medium      = Utilities::MPI::sum(medium, MPI_COMM_WORLD);
      std::sort(particle_centres.begin(), particle_centres.end());
    }
  };

  template <int dim>
  void
  check_microstructure()
  {
    // every pore filled: the particle is the microsphere less its pores,
    // the grid's cells are all there but the closed pores
    const Microstructure<dim> full(0.3, 1., 7);
    const unsigned int        pores = std::lround(0.3 * full.inside);
    CHECK(full.particle / full.cell == Approx(full.inside - pores).epsilon(1e-12));
    const double closed = (full.box - full.particle - full.electrolyte) / full.cell;
    CHECK(closed == Approx(std::round(closed)).margin(1e-9));
    CHECK(closed < 0.5 * pores);
    CHECK(full.free_faces_outside == 0);
    CHECK((full.free_faces > 0) == (closed > 0.5));

    // nothing filled: no electrolyte inside the microsphere, every pore
    // (and any grain walled in by them) empty
    const Microstructure<dim> empty(0.3, 0., 7);
    CHECK(empty.electrolyte / empty.cell ==
          Approx(full.box / full.cell - full.inside).epsilon(1e-12));
    CHECK(empty.particle / empty.cell <= full.inside - pores + 1e-9);
    CHECK(empty.free_faces > 0);
    CHECK(empty.free_faces_outside == 0);
    CHECK(empty.medium == 0);

    // the same with the empty pores kept as third medium: every pore is a
    // medium cell, the grains and the electrolyte are those above (grains
    // walled in by pores are still removed: they could not react)
    const Microstructure<dim> medium(0.3, 0., 7, true);
    CHECK(medium.medium / medium.cell == Approx(pores).epsilon(1e-12));
    CHECK(medium.particle_centres == empty.particle_centres);
    CHECK(medium.electrolyte == Approx(empty.electrolyte).epsilon(1e-12));

    // half filled: exactly half of the pores (rounded) hold electrolyte
    const Microstructure<dim> half(0.3, 0.5, 7);
    CHECK(half.electrolyte / half.cell ==
          Approx(full.box / full.cell - full.inside + std::lround(0.5 * pores))
            .epsilon(1e-12));

    // the seed decides the draw, and only the seed
    const Microstructure<dim> again(0.3, 1., 7), other(0.3, 1., 8);
    CHECK(again.particle_centres == full.particle_centres);
    CHECK(other.particle_centres != full.particle_centres);
  }
} // namespace

TEST_CASE("Porous microsphere: porosity, pore filling and seed build the "
          "microstructure they say")
{
  SECTION("2D") { check_microstructure<2>(); }
  SECTION("3D") { check_microstructure<3>(); }
}

namespace
{
  /// Pairs of particle cells of a coarse mesh that meet only at a vertex
  /// or an edge: no path joins them through faces of particle cells that
  /// all hold the vertices the two share (a face shared outright is a
  /// contact). Counted from the mesh alone, not from the generator's grid.
  template <int dim>
  unsigned int
  corner_only_contacts(const Triangulation<dim> &tria)
  {
    std::map<unsigned int, std::set<unsigned int>> grains_at; // vertex -> cells
    for (const auto &c : tria.cell_iterators_on_level(0))
      if (c->material_id() == ids::particle)
        for (const unsigned int v : c->vertex_indices())
          grains_at[c->vertex_index(v)].insert(c->index());
    auto vertices = [&](const unsigned int k) {
      std::set<unsigned int> result;
      const typename Triangulation<dim>::cell_iterator c(&tria, 0, k);
      for (const unsigned int v : c->vertex_indices())
        result.insert(c->vertex_index(v));
      return result;
    };
    std::set<std::pair<unsigned int, unsigned int>> pairs;
    for (const auto &[vertex, cells] : grains_at)
      for (const unsigned int a : cells)
        for (const unsigned int b : cells)
          if (a < b)
            pairs.insert({a, b});
    unsigned int n = 0;
    for (const auto &[a, b] : pairs)
      {
        std::vector<unsigned int> common;
        const auto                va = vertices(a), vb = vertices(b);
        std::set_intersection(va.begin(), va.end(), vb.begin(), vb.end(),
                              std::back_inserter(common));
        if (common.size() == GeometryInfo<dim>::vertices_per_face)
          continue;
        std::set<unsigned int>    reached{a};
        std::vector<unsigned int> stack{a};
        while (!stack.empty() && reached.count(b) == 0)
          {
            const typename Triangulation<dim>::cell_iterator c(&tria, 0, stack.back());
            stack.pop_back();
            for (const unsigned int f : c->face_indices())
              if (!c->at_boundary(f) &&
                  c->neighbor(f)->material_id() == ids::particle &&
                  reached.count(c->neighbor_index(f)) == 0)
                {
                  const auto vm = vertices(c->neighbor_index(f));
                  if (std::includes(vm.begin(), vm.end(), common.begin(), common.end()))
                    {
                      reached.insert(c->neighbor_index(f));
                      stack.push_back(c->neighbor_index(f));
                    }
                }
          }
        n += (reached.count(b) == 0);
      }
    return n;
  }

  template <int dim>
  void
  check_corner_contacts(const std::string &geometry, const unsigned int n_seeds)
  {
    unsigned int kept_total = 0;
    for (unsigned int seed = 1; seed <= n_seeds; ++seed)
      {
        std::array<unsigned int, 2> contacts;
        std::array<double, 2>       particle = {{0, 0}};
        for (const unsigned int bridged : {0, 1})
          {
            const Parameters p = testing::make_parameters(
              "subsection Geometry\n set Dimension = " + std::to_string(dim) +
              "\n set Type = porous microsphere\n" + geometry +
              " set Random seed = " + std::to_string(seed) +
              "\n set Grain corner contacts = " + (bridged ? "bridged" : "kept") +
              "\n set Global refinements = 0\nend\n");
            parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
            create_geometry(p.geometry, tria);
            contacts[bridged] = corner_only_contacts(tria);
            for (const auto &c : tria.active_cell_iterators())
              if (c->material_id() == ids::particle)
                particle[bridged] += c->measure();
          }
        INFO(dim << "D, seed " << seed << ": " << contacts[0]
                 << " corner-only contacts as drawn");
        CHECK(contacts[1] == 0);
        kept_total += contacts[0];
        // bridging adds grains: the particle grows by whole cells or
        // stays (a seed without such contacts)
        CHECK(particle[1] >= particle[0] * (1 - 1e-12));
        CHECK((particle[1] > particle[0] * (1 + 1e-12)) == (contacts[0] > 0));
      }
    // the count finds the contacts that bridging removes (the draw makes
    // them: 10 in the 2D seeds 1-10)
    CHECK(kept_total > 0);
  }
} // namespace

TEST_CASE("Porous microsphere: 'Grain corner contacts = bridged' leaves no "
          "two grains that meet only at a vertex or an edge")
{
  // the in-situ grown scenario's microsphere (2D, seeds 1-10) and a 3D one
  // of 8^3 cells
  SECTION("2D")
  {
    check_corner_contacts<2>(" set Box size = 8\n set Particle radius = 2.5\n"
                             " set Grain radius = 0.5\n set Porosity = 0.3\n"
                             " set Pore filling = 0.7\n",
                             10);
  }
  SECTION("3D")
  {
    check_corner_contacts<3>(" set Box size = 4\n set Separator thickness = 1\n"
                             " set Particle radius = 1.6\n set Grain radius = 0.25\n"
                             " set Porosity = 0.3\n set Pore filling = 0.7\n",
                             3);
  }
}

namespace
{
  /// grain_colours() on microspheres of seeds 1..n_seeds: every grain has
  /// a colour, two particle cells that share a vertex of the coarse mesh
  /// (checked from the mesh, vertex by vertex) never the same one, and at
  /// most 2^dim colours are used (the bound of a grid of cubic grains);
  /// returns the largest number of colours used.
  template <int dim>
  unsigned int
  check_grain_colours(const std::string &geometry, const unsigned int n_seeds)
  {
    unsigned int most = 0;
    for (unsigned int seed = 1; seed <= n_seeds; ++seed)
      {
        const Parameters p = testing::make_parameters(
          "subsection Geometry\n set Dimension = " + std::to_string(dim) +
          "\n set Type = porous microsphere\n" + geometry +
          " set Random seed = " + std::to_string(seed) +
          "\n set Global refinements = 0\nend\n");
        parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
        create_geometry(p.geometry, tria);
        const auto colour = grain_colours(tria, particle_grains(tria, p.geometry));
        REQUIRE(colour.size() == tria.n_cells(0));
        std::map<unsigned int, std::vector<unsigned int>> at_vertex;
        unsigned int                                      n_colours = 0;
        for (const auto &c : tria.cell_iterators_on_level(0))
          {
            const unsigned int k = c->id().get_coarse_cell_id();
            if (c->material_id() != ids::particle)
              {
                CHECK(colour[k] == numbers::invalid_unsigned_int);
                continue;
              }
            REQUIRE(colour[k] != numbers::invalid_unsigned_int);
            n_colours = std::max(n_colours, colour[k] + 1);
            for (const unsigned int v : c->vertex_indices())
              at_vertex[c->vertex_index(v)].push_back(colour[k]);
          }
        unsigned int clashes = 0;
        for (auto &[vertex, colours] : at_vertex)
          {
            std::sort(colours.begin(), colours.end());
            clashes += std::adjacent_find(colours.begin(), colours.end()) !=
                       colours.end();
          }
        INFO(dim << "D, seed " << seed << ": " << n_colours << " colours");
        CHECK(clashes == 0);
        CHECK(n_colours <= (1u << dim));
        most = std::max(most, n_colours);
      }
    return most;
  }
} // namespace

TEST_CASE("Grain colours: grains that share a vertex differ, at most 2^dim "
          "colours",
          "[grains]")
{
  // the microspheres of the corner-contact test; a microsphere's grains
  // touch at vertices, so it needs more than two colours
  SECTION("2D")
  {
    CHECK(check_grain_colours<2>(" set Box size = 8\n set Particle radius = 2.5\n"
                                 " set Grain radius = 0.5\n set Porosity = 0.3\n"
                                 " set Pore filling = 0.7\n",
                                 10) > 2);
  }
  SECTION("3D")
  {
    CHECK(check_grain_colours<3>(" set Box size = 4\n set Separator thickness = 1\n"
                                 " set Particle radius = 1.6\n set Grain radius = 0.25\n"
                                 " set Porosity = 0.3\n set Pore filling = 0.7\n",
                                 3) > 4);
  }
}

TEST_CASE("Orientation per grain: each grain a rotated crystal, the "
          "rotations uniform, the assembly uses its grain's")
{
  // a 3D porous microsphere of ~760 grains (16^3 grid), axis factors
  // 1, 1, 10: every grain's tensor is a rotation of diag(1, 1, 10), the
  // same on all cells of the grain, and their mean over the grains is
  // isotropic, 4 I, as a uniform draw gives (a Phi drawn uniformly instead
  // of cos Phi would give 5.5 along z; the tolerance is 4 standard errors)
  const std::string microsphere =
    "subsection Geometry\n set Dimension = 3\n set Type = porous microsphere\n"
    " set Box size = 4\n set Separator thickness = 1\n set Particle radius = 1.6\n"
    " set Grain radius = 0.125\n set Porosity = 0.3\n set Random seed = 3\n"
    " set Global refinements = 0\nend\n";
  for (const std::string orientation : {"random per grain", "fixed"})
    {
      const Parameters p = testing::make_parameters(
        microsphere + "subsection Particle\n set Anisotropy factors = 1, 1, 10\n"
        " set Euler angles = 30, 40, 50\n set Orientation = " + orientation +
        "\nend\n");
      parallel::distributed::Triangulation<3> tria(MPI_COMM_WORLD);
      create_geometry(p.geometry, tria);
      Electrochemistry<3> chem(p, tria, quiet);
      const auto fixed = materials::LiDiffusivity<3>(
                           {1e-17, 1e-14, {{1., 1., 10.}}, {{30., 40., 50.}}})
                           .orientation_tensor();
      std::map<types::coarse_cell_id, SymmetricTensor<2, 3>> seen;
      SymmetricTensor<2, 3> mean;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() == ids::particle)
          {
            const auto &A = chem.orientation_tensor(cell->id());
            // invariants of diag(1, 1, 10)
            CHECK(trace(A) == Approx(12.).epsilon(1e-12));
            CHECK(second_invariant(A) == Approx(21.).epsilon(1e-12));
            CHECK(determinant(A) == Approx(10.).epsilon(1e-12));
            const auto grain = cell->id().get_coarse_cell_id();
            if (seen.count(grain) == 0)
              {
                seen[grain] = A;
                mean += A;
              }
            CHECK((A - seen[grain]).norm() < 1e-14);
            if (orientation == "fixed")
              CHECK((A - fixed).norm() < 1e-12);
          }
      // a microsphere's grains are its coarse particle cells
      CHECK(chem.n_grains() == seen.size());
      CHECK(seen.size() > 500);
      mean /= double(seen.size());
      if (orientation == "random per grain")
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            {
              INFO("mean orientation tensor " << mean);
              CHECK(std::abs(mean[i][j] - (i == j ? 4. : 0.)) < 0.45);
            }
    }

  // the assembly looks its cell's grain up: one particle (one grain) with
  // a random orientation runs exactly as with that orientation given
  std::vector<double> stored;
  const auto drawn = materials::random_euler_angles(1, 5)[0];
  for (const std::string &orientation :
       {std::string("set Orientation = random per grain"),
        "set Euler angles = " + std::to_string(drawn[0]) + ", " +
          std::to_string(drawn[1]) + ", " + std::to_string(drawn[2])})
    {
      const Parameters p = testing::make_parameters(
        "subsection Geometry\n set Dimension = 2\n set Global refinements = 3\n"
        " set Random seed = 5\nend\n"
        "subsection Electrolyte\n set Conductivity = 1e3\nend\n"
        "subsection Particle\n set Diffusivity pristine = 2e-15\n"
        " set Diffusivity converted = 2e-14\n set Anisotropy factors = 1, 0.1, 1\n"
        " set Initial Li content = 0.02\n " + orientation + "\nend\n"
        "subsection Kinetics\n set Exchange current density = 1e4\n"
        " set Discharge open circuit table = 0:2.0, 1:1.0\nend\n");
      Electrode<2> electrode(p);
      auto &chem = electrode.chem;
      CHECK(chem.n_grains() == 1);
      run_steps(chem, -30. * chem.theoretical_capacity() / 3600., 5. / 40, 40);
      const auto depths = chem.converted_depths(0.07);
      stored.insert(stored.end(), {chem.cell_voltage(), depths[0], depths[1]});
    }
  // the angles pass through the parameter text with 6 digits
  for (unsigned int k = 0; k < 3; ++k)
    CHECK(stored[k] == Approx(stored[k + 3]).epsilon(1e-5));
  CHECK(stored[1] != Approx(stored[2]).epsilon(0.05)); // anisotropic indeed
}
