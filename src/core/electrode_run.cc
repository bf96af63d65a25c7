#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>

#include <ssbsim/core/electrode_run.h>
#include <ssbsim/core/material_set.h>
#include <ssbsim/core/output.h>
#include <ssbsim/core/simulator.h>
#include <ssbsim/materials/constants.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

namespace ssbsim
{
  PorousElectrode::Data
  electrode_data(const Parameters &p)
  {
    const double T     = p.operating.temperature;
    const double T_ref = p.reference_temperature;
    PorousElectrode::Data d;
    d.thickness            = p.electrode.thickness;
    d.separator_thickness  = p.geometry.separator_thickness;
    d.active_fraction      = p.electrode.active_fraction;
    d.electrolyte_fraction = p.electrode.electrolyte_fraction;
    d.bruggeman_exponent   = p.electrode.bruggeman_exponent;
    d.reacting_share       = p.electrode.reacting_share;
    d.conductivity =
      p.electrolyte.conductivity *
      materials::arrhenius_factor(p.electrolyte.activation_energy, T, T_ref);
    d.particle_radius = p.electrode.particle_radius > 0 ?
                          p.electrode.particle_radius :
                          p.geometry.particle_radii.front(); // never empty
    d.layers                  = p.electrode.layers;
    d.shells                  = p.electrode.shells;
    d.max_concentration       = p.particle.max_li_concentration();
    d.initial_li_content      = p.particle.initial_li_content;
    d.irreversible_conversion = p.particle.irreversible_conversion;
    d.diffusivity             = diffusivity_data(p.particle);
    d.diffusivity_factor = materials::arrhenius_factor(
      p.particle.diffusion_activation_energy, T, T_ref);
    d.exchange_current =
      p.kinetics.exchange_current_density *
      materials::arrhenius_factor(p.kinetics.activation_energy, T, T_ref);
    d.temperature = T;
    d.kinetics.anodic_transfer_coefficient =
      p.kinetics.anodic_transfer_coefficient;
    d.kinetics.cathodic_transfer_coefficient =
      p.kinetics.cathodic_transfer_coefficient;
    d.discharge_branch = open_circuit_branch(p.kinetics, true);
    d.charge_branch    = open_circuit_branch(p.kinetics, false);
    if (p.mechanics.enabled)
      {
        const auto  &m = p.mechanics;
        const double E = m.young_electrolyte, nu = m.poisson_electrolyte;
        d.activation_volume   = p.particle.migration_activation_volume;
        d.shell_yield_stress  = m.particle_plastic ? m.converted_yield_stress : 0;
        d.volume_expansion    = m.volume_expansion;
        d.confinement_modulus = 2 * E / (1 + nu);
        d.confinement_limit =
          m.electrolyte_plastic ?
            2 * m.electrolyte_yield_stress / 3 *
              (1 + std::log(E / (3 * (1 - nu) * m.electrolyte_yield_stress))) :
            std::numeric_limits<double>::max();
        d.stack_pressure = p.operating.stack_pressure;
        d.stress_limit   = p.particle.stress_coupling_limit;
      }
    return d;
  }



  double
  composite_grams_per_area(const Parameters &p)
  {
    return 1e3 * p.electrode.active_fraction * p.electrode.thickness *
           p.particle.density;
  }



  CompositeRecord::CompositeRecord()
    : cell({"time_s", "capacity_mAh_g", "voltage_V", "li_content"})
    , layers({"time_s",
              "capacity_mAh_g",
              "depth_m",
              "electrolyte_potential_V",
              "current_A_m2",
              "li_content",
              "surface_li_content",
              "converted_depth_m"})
  {}



  void
  CompositeRecord::add(const PorousElectrode &electrode,
                       const double           time,
                       const double           capacity)
  {
    cell.add_row({time, capacity, electrode.voltage(), electrode.mean_li_content()});
    for (unsigned int i = 0; i < electrode.n_layers(); ++i)
      layers.add_row({time,
                      capacity,
                      electrode.layer_depth(i),
                      electrode.electrolyte_potential(i),
                      electrode.interface_current(i),
                      electrode.mean_li_content(i),
                      electrode.surface_li_content(i),
                      electrode.converted_depth(i)});
  }



  void
  CompositeRecord::write(const std::string &directory) const
  {
    layers.write(directory + "/electrode-layers.csv");
    cell.write(directory + "/electrode.csv");
  }



  void
  run_homogenised_electrode(const Parameters &p, MPI_Comm comm)
  {
    const auto &ts = p.time_stepping;
    const auto &op = p.operating;
    dealii::ConditionalOStream pcout(
      std::cout, dealii::Utilities::MPI::this_mpi_process(comm) == 0);

    PorousElectrode electrode(electrode_data(p));
    const double    current = -electrode.c_rate_current(op.c_rate);
    const double    grams   = composite_grams_per_area(p);
    const double    tolerance = 0.5 * ts.target_voltage_change;

    CompositeRecord table;
    auto record = [&]() {
      table.add(electrode, electrode.time(), -current * electrode.time() / 3.6 / grams);
    };
    record();

    pcout << "ssbsim: homogenised electrode, " << p.electrode.thickness * 1e6
          << " um, " << electrode.n_layers() << " layers, "
          << std::abs(current) * 0.1 << " mA/cm^2 (C/"
          << 1. / op.c_rate << ")" << std::endl;

    double       dt    = ts.initial_time_step;
    unsigned int steps = 0;
    while (electrode.time() < op.maximum_half_cycle_time)
      {
        const PorousElectrode before = electrode;
        const double          v0     = electrode.voltage();
        const bool            ok     = electrode.step(dt, current);
        const bool overshot =
          ok && electrode.voltage() < op.lower_cutoff_voltage - tolerance;
        if (!ok || overshot)
          {
            electrode = before;
            if (dt <= ts.minimum_time_step * (1 + 1e-12))
              {
                if (overshot)
                  break; // the cutoff within one minimum step: ends here
                throw RunFailure(
                  "the homogenised electrode's Newton iteration did not "
                  "converge at the minimum time step (" +
                  std::to_string(ts.minimum_time_step) + " s) at t = " +
                  std::to_string(electrode.time()) + " s");
              }
            dt = std::max(0.5 * dt, ts.minimum_time_step);
            continue;
          }
        record();
        ++steps;
        if (steps % 50 == 0)
          pcout << "  t = " << std::setprecision(5) << electrode.time()
                << " s, " << table.last("capacity_mAh_g")
                << " mAh/g, " << electrode.voltage() << " V" << std::endl;
        if (electrode.voltage() < op.lower_cutoff_voltage)
          break;
        const double change = std::abs(electrode.voltage() - v0);
        dt = std::clamp(
          dt * ts.voltage_step_factor(change),
          ts.minimum_time_step,
          ts.maximum_time_step);
      }

    rank0_output(comm, [&]() { table.write(p.output.directory); });
    pcout << "ssbsim: homogenised electrode discharged "
          << table.last("capacity_mAh_g") << " mAh/g in "
          << steps << " steps, " << electrode.voltage() << " V at the end; "
          << p.output.directory << "/electrode.csv, electrode-layers.csv"
          << std::endl;
  }
} // namespace ssbsim
