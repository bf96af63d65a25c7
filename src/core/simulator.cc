#include <deal.II/base/utilities.h>

#include <ssbsim/core/geometry.h>
#include <ssbsim/core/simulator.h>
#include <ssbsim/materials/constants.h>
#include <ssbsim/materials/diffusivity.h>

#include <cmath>
#include <csignal>
#include <iostream>
#include <limits>
#include <iomanip>
#include <sstream>

namespace ssbsim
{
  using namespace dealii;

  namespace
  {
    volatile std::sig_atomic_t pending_stop_signal = 0;

    extern "C" void
    on_stop_signal(const int signal)
    {
      pending_stop_signal = signal;
    }

    /// name of a Simulator::HalfCycleId (rest, discharge, charge)
    const char *
    half_cycle_name(const unsigned int kind)
    {
      static const char *names[] = {"rest", "discharge", "charge"};
      return names[kind];
    }

    /// The resolved particle's area resistance in series with the
    /// kinetics of its touching part (Ohm m^2): its electronic contact,
    /// r_e A / a_e times the contact fraction (r_e for a dense particle),
    /// and its reduction layer; the contact's part 0 where nothing
    /// touches (the share is 0 there). Collective.
    template <int dim>
    double
    resolved_series_resistance(const Electrochemistry<dim> &chem)
    {
      const double f          = chem.contact_fraction();
      const double electronic = chem.electronic_resistance() * f;
      return (f > 0 && std::isfinite(electronic) ? electronic : 0.) +
             chem.film_resistance();
    }
  } // namespace

  void
  catch_stop_signals()
  {
    struct sigaction action = {};
    action.sa_handler       = on_stop_signal;
    sigemptyset(&action.sa_mask);
    // interrupted system calls go on; a second signal ends the process
    action.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
  }

  int
  stop_signal_received()
  {
    return pending_stop_signal;
  }

  template <int dim>
  Simulator<dim>::Simulator(const Parameters &parameters,
                            MPI_Comm          comm,
                            const bool        output)
    : parameters(parameters)
    , mpi_communicator(comm)
    , output(output)
    , pcout(std::cout, Utilities::MPI::this_mpi_process(comm) == 0)
    , triangulation(comm)
    , statistics_table({"time_s",
                        "cycle",
                        "half_cycle",
                        "step",
                        "time_step_s",
                        "voltage_V",
                        "current_A",
                        "capacity_mAh_g",
                        "conversion_fraction",
                        "contact_fraction",
                        "interfacial_resistance_ohm_cm2",
                        "li_stored_mol",
                        "charge_passed_C",
                        "newton_iterations",
                        "linear_iterations",
                        "coupling_iterations",
                        "mechanics_newton_iterations",
                        "mechanics_linear_iterations",
                        "rejected_attempts",
                        "converted_depth_x_m",
                        "converted_depth_y_m",
                        "converted_depth_z_m",
                        "particle_volume_ratio",
                        "interfacial_resistance_ohm_g",
                        "electronic_contact_fraction",
                        "folded_cells",
                        "grain_boundary_damage",
                        "film_resistance_ohm_cm2"})
    , cycles_table({"cycle",
                    "discharge_capacity_mAh_g",
                    "charge_capacity_mAh_g",
                    "coulombic_efficiency",
                    "mean_discharge_voltage_V",
                    "mean_charge_voltage_V",
                    "hysteresis_V",
                    "contact_fraction_end_discharge",
                    "interfacial_resistance_end_discharge_ohm_cm2",
                    "side_reaction_discharge_mAh_g",
                    "interfacial_resistance_end_discharge_ohm_g",
                    "contact_fraction_end_charge"})
    , particles_table({"time_s",
                       "cycle",
                       "half_cycle",
                       "step",
                       "particle",
                       "current_A",
                       "potential_V",
                       "li_content",
                       "contact_fraction"})
  {
    const std::string microstructure =
      create_geometry(parameters.geometry, triangulation);
    pcout << "ssbsim: " << dim << "D, " << triangulation.n_global_active_cells()
          << " cells on " << Utilities::MPI::n_mpi_processes(comm)
          << " MPI rank(s)" << std::endl;
    if (!microstructure.empty())
      pcout << "   " << microstructure << std::endl;
    chemistry =
      std::make_unique<Electrochemistry<dim>>(parameters, triangulation, pcout);
    chemistry->setup();

    const auto &m = parameters.mechanics;
    if (m.enabled)
      {
        typename Mechanics<dim>::Materials materials;
        materials.pristine = materials::NeoHookean<dim>::from_young_poisson(
          m.young_pristine, m.poisson_pristine);
        materials.converted = materials::NeoHookean<dim>::from_young_poisson(
          m.young_converted, m.poisson_converted);
        materials.electrolyte = materials::NeoHookean<dim>::from_young_poisson(
          m.young_electrolyte, m.poisson_electrolyte);
        const bool liquid             = parameters.electrolyte.liquid;
        materials.electrolyte_plastic = m.electrolyte_plastic && !liquid;
        materials.wetting_electrolyte = liquid;
        materials.electrolyte_plasticity =
          materials::J2Plasticity::from_young_poisson(
            m.young_electrolyte, m.poisson_electrolyte,
            m.electrolyte_yield_stress, m.electrolyte_hardening);
        materials.electrolyte_plasticity.creep_rate = m.electrolyte_creep_rate;
        materials.electrolyte_plasticity.creep_stress =
          m.electrolyte_creep_stress;
        materials.electrolyte_plasticity.creep_exponent =
          m.electrolyte_creep_exponent;
        materials.electrolyte_plasticity.porosity = m.electrolyte_porosity;
        materials.electrolyte_plasticity.compaction_pressure =
          m.electrolyte_compaction_pressure;
        materials.electrolyte_plasticity.compaction_hardening =
          m.electrolyte_compaction_hardening;
        materials.third_medium = materials::NeoHookean<dim>::from_young_poisson(
          m.third_medium_stiffness * m.young_electrolyte, 0.3);
        materials.third_medium_regularisation =
          m.third_medium_regularisation * materials.electrolyte.mu;
        materials.particle_plastic       = m.particle_plastic;
        materials.pristine_yield_stress  = m.pristine_yield_stress;
        materials.converted_yield_stress = m.converted_yield_stress;
        materials.particle_hardening     = m.particle_hardening;
        materials.swelling = m.volume_expansion;
        const auto &w      = m.swelling_anisotropy;
        materials.isotropic_swelling = m.isotropic_swelling(dim);
        if (!materials.isotropic_swelling)
          {
            const Tensor<2, 3> Q =
              materials::crystal_rotation(parameters.particle.euler_angles);
            double sum = 0;
            for (unsigned int d = 0; d < dim; ++d)
              sum += w[d];
            for (unsigned int i = 0; i < dim; ++i)
              {
                materials.swelling_exponents[i] = w[i] / sum;
                for (unsigned int j = 0; j < dim; ++j)
                  materials.swelling_axes[i][j] = Q[i][j];
              }
          }
        materials.cohesive = {m.penalty_stiffness,
                              m.normal_strength,
                              m.shear_strength,
                              m.mode_I_energy,
                              m.mode_II_energy,
                              m.bk_exponent,
                              m.contact_smoothing,
                              m.friction_coefficient,
                              m.friction_viscosity};
        materials.interface_intact = m.interface_intact;
        if (m.grain_boundaries_cohesive)
          {
            materials.grain_colour_of_coarse_cell = grain_colours(
              triangulation, particle_grains(triangulation, parameters.geometry));
            materials.grain_boundary = materials.cohesive;
            materials.grain_boundary.normal_strength = m.grain_normal_strength;
            materials.grain_boundary.shear_strength  = m.grain_shear_strength;
            materials.grain_boundary.mode_I_energy   = m.grain_mode_I_energy;
            materials.grain_boundary.mode_II_energy  = m.grain_mode_II_energy;
          }
        materials.closure_gap      = m.closure_gap;
        materials.contact_hardness = m.contact_hardness;
        materials.bonded_part_bridging = m.bonded_part_bridging;
        materials.contact_per_face = m.contact_per_face;
        materials.initially_debonded_fraction = m.initially_debonded_fraction;
        materials.particle_of_coarse_cell =
          chemistry->get_particle_of_coarse_cell();
        for (unsigned int d = 0; d < dim; ++d)
          materials.debonded_direction[d] = m.debonded_direction[d];
        materials.mapping_degree   = m.geometry_degree;
        materials.interface_viscosity = m.interface_viscosity;
        materials.residual_contact    = m.residual_contact;
        materials.residual_stiffness  = m.residual_stiffness;
        materials.interface_damping   = m.interface_damping;
        materials.linear_tolerance    = m.linear_tolerance;
        materials.keep_preconditioner = m.keep_preconditioner;
        materials.direct_solver = parameters.solver.direct_linear_solver(dim);
        materials.reuse_factorization = m.reuse_factorization;
        materials.f_bar               = m.f_bar;
        mechanics =
          std::make_unique<Mechanics<dim>>(materials, triangulation, pcout);
        // Li side held, the other faces symmetry planes (or free), the
        // stack pressure on the current collector
        mechanics->setup(
          Mechanics<dim>::cell_supports(parameters.operating.lateral_faces_free),
          std::pow(chemistry->get_particle_volume(), 1. / dim));
        mechanics->set_pressure(ids::current_collector,
                                parameters.operating.stack_pressure);
      }
    accepted_contact = chemistry->contact_factors();
    accepted_stress  = chemistry->hydrostatic_stresses();
    if (parameters.electrode.embeds_resolved_particle())
      {
        // refused at validation (check_geometry)
        AssertThrow(!chemistry->separate_particle_potentials(),
                    ExcMessage("the embedded particle needs one potential"));
        composite       = std::make_unique<PorousElectrode>(electrode_data(parameters));
        composite_trial = std::make_unique<PorousElectrode>(*composite);
        composite_record.add(*composite, 0., 0.);
        pcout << "   the particle inside the composite at "
              << parameters.electrode.resolved_particle_depth * 1e6
              << " um from the separator (" << parameters.electrode.thickness * 1e6
              << " um, homogenised; electrode.csv)" << std::endl;
      }
    if (output)
      writer = std::make_unique<SolutionWriter<dim>>(
        parameters.output.directory, comm);
  }

  template <int dim>
  void
  Simulator<dim>::run()
  {
    const auto &chem = *chemistry;
    pcout << "   particle: volume " << chem.get_particle_volume()
          << (dim == 3 ? " m^3" : " m^2") << ", mass " << chem.particle_mass()
          << (dim == 3 ? " kg" : " kg/m") << ", capacity "
          << chem.theoretical_capacity() << (dim == 3 ? " C" : " C/m")
          << ", interface area " << chem.get_interface_area()
          << (dim == 3 ? " m^2" : " m^2/m") << std::endl;

    run_timer.restart();
    write_cycles(); // the header: a run stopped early leaves no stale rows
    if (mechanics)
      press_pristine_cell();
    typename Electrochemistry<dim>::StepResult initial;
    initial.converged = true;
    record(0, rest, 0., 0., initial);
    write_solution();
    // the reference the spectra after the discharges are compared with:
    // the pristine cell is at rest (uniform Li content, no current)
    if (parameters.impedance.after_discharge)
      write_impedance("pristine");

    const auto &op = parameters.operating;
    // with several particles: each one's Li content and contact, for the
    // log at the ends of the half cycles
    const auto particles = [&]() {
      const auto        &chem = *chemistry;
      std::ostringstream line;
      const auto  list = [&](const std::vector<double> &values) {
        for (unsigned int k = 0; k < values.size(); ++k)
          line << (k ? " / " : " ") << values[k];
      };
      if (chem.n_particles() > 1)
        {
          line << std::setprecision(3) << "Li content";
          list(chem.particle_li_contents());
          line << ", contact";
          list(chem.particle_contact_fractions());
        }
      return line.str();
    };
    for (unsigned int cycle = 1; cycle <= op.number_of_cycles; ++cycle)
      {
        const HalfCycle   d = run_half_cycle(cycle, discharge);
        const std::string after_discharge = particles();
        if (parameters.impedance.after_discharge)
          write_impedance("cycle" + std::to_string(cycle) + "-discharge");
        if (op.rest_time > 0)
          run_half_cycle(cycle, rest);
        const HalfCycle c = run_half_cycle(cycle, charge);
        if (op.rest_time > 0)
          run_half_cycle(cycle, rest);

        // a discharge that ended at once (the cutoff reached in its first
        // step) has no capacity to compare the charge with
        const double efficiency =
          d.ended_at_once ? std::numeric_limits<double>::quiet_NaN() :
                            c.capacity / d.capacity;
        cycles_table.add_row({double(cycle),
                              d.capacity,
                              c.capacity,
                              efficiency,
                              d.mean_voltage,
                              c.mean_voltage,
                              c.mean_voltage - d.mean_voltage,
                              d.contact_fraction,
                              d.resistance,
                              d.side_capacity,
                              d.resistance_mass,
                              c.contact_fraction});
        write_cycles();
        pcout << "cycle " << cycle << ": discharge " << std::fixed
              << std::setprecision(1) << d.capacity << " mAh/g, charge "
              << c.capacity << " mAh/g, efficiency " << std::setprecision(3)
              << efficiency
              << ", hysteresis " << c.mean_voltage - d.mean_voltage << " V"
              << std::defaultfloat << std::endl;
        if (chemistry->n_particles() > 1)
          pcout << "   particles 0-" << chemistry->n_particles() - 1
                << " at the end of the discharge: " << after_discharge
                << ";\n   at the end of the charge: " << particles() << std::endl;
      }
    report_timings();
    if (output)
      pcout << "ssbsim: results in " << parameters.output.directory
            << "/ (statistics.csv, cycles.csv"
            << (chemistry->n_particles() > 1 ? ", particles.csv" : "")
            << (parameters.output.write_solution ?
                  (mechanics ? ", solution.pvd, interface.pvd" : ", solution.pvd") :
                  "")
            << ")" << std::endl;
  }

  template <int dim>
  typename Simulator<dim>::HalfCycle
  Simulator<dim>::run_half_cycle(const unsigned int cycle,
                                 const HalfCycleId  kind)
  {
    const auto &op  = parameters.operating;
    const auto &ts  = parameters.time_stepping;
    auto       &chem = *chemistry;

    if (kind != rest)
      branch = (kind == discharge) ? Branch::discharge : Branch::charge;
    const double sign    = (kind == discharge) ? -1. : (kind == charge) ? 1. : 0.;
    const double current = sign * op.c_rate * chem.theoretical_capacity() /
                           constants::seconds_per_hour;
    const double duration =
      (kind == rest) ? op.rest_time : op.maximum_half_cycle_time;
    const double cutoff =
      (kind == discharge) ? op.lower_cutoff_voltage : op.upper_cutoff_voltage;
    const double cutoff_tolerance = 0.5 * ts.target_voltage_change;
    const double grams            = 1e3 * chem.particle_mass();

    double time_step = ts.initial_time_step;
    const double side_charge_before = chem.side_reaction_charge(); // C
    double elapsed = 0, moved = 0, energy = 0; // s, C, J
    // inside the composite the cutoff is the composite's (the cell's)
    // voltage, and the particle draws what its potential gives
    if (composite)
      composite_current = sign * composite->c_rate_current(op.c_rate);
    const double composite_grams = composite_grams_per_area(parameters);
    double       composite_moved = 0; // C/m^2 of electrode
    const auto   cell_voltage    = [&]() {
      return composite ? composite_trial->voltage() : chem.cell_voltage();
    };
    if (composite)
      *composite_trial = *composite;
    if (composite && parameters.electrode.interface_state_from_resolved)
      {
        if (pristine_contact <= 0)
          pristine_contact = chem.contact_fraction();
        resolved_content_start = chem.conversion_fraction();
        resolved_path.assign(1, {{0., chem.contact_fraction() / pristine_contact,
                                  resolved_series_resistance(chem)}});
        layer_content_start.resize(composite->n_layers());
        for (unsigned int i = 0; i < layer_content_start.size(); ++i)
          layer_content_start[i] = composite->mean_li_content(i);
      }
    double voltage_before  = cell_voltage();
    double particle_before = chem.cell_voltage();
    double contact_before = chem.contact_fraction();
    unsigned int rejected_attempts = 0;
    bool   reached_cutoff = false;
    bool   contact_lost   = false;
    unsigned int accepted = 0;
    typename Electrochemistry<dim>::StepResult result;

    while (!reached_cutoff && elapsed < duration * (1. - 1e-12))
      {
        check_stop_signal();
        time_step = std::min(time_step, duration - elapsed);
        Timer attempt;
        // an attempt that is not kept: its time and count go to the
        // report, the state back to the last accepted step
        const auto discard_attempt = [&]() {
          timings.rejected += attempt.wall_time();
          ++timings.attempts_rejected;
          reject_step();
        };
        // extrapolated within a half cycle only: the current turns at its start
        result    = coupled_step(time_step, current, accepted > 0);
        result.rejected_attempts = rejected_attempts;
        if (!result.converged)
          {
            ++rejected_attempts;
            discard_attempt();
            if (time_step <= ts.minimum_time_step * (1. + 1e-12))
              throw RunFailure(
                "the run stopped at t = " + std::to_string(time) + " s (cycle " +
                std::to_string(cycle) + "): " + result.failure +
                " at the minimum time step " +
                std::to_string(ts.minimum_time_step) +
                " s ('Time stepping/Minimum time step'); results so far are in '" +
                parameters.output.directory + "'");
            time_step = std::max(0.5 * time_step, ts.minimum_time_step);
            pcout << "   step " << step + 1 << ": " << result.failure
                  << ", time step cut to " << time_step << " s" << std::endl;
            continue;
          }

        // the lagged stress factor changed too much over this step (root
        // mean square of its exponent's change): redo it shorter, a
        // first-order lag is accurate only for small changes
        const double stress_target = ts.target_stress_factor_change;
        if (result.stress_factor_change > 3. * stress_target &&
            time_step > 2. * ts.minimum_time_step)
          {
            ++rejected_attempts;
            discard_attempt();
            time_step = std::max(ts.minimum_time_step,
                                 time_step * std::max(0.2, stress_target /
                                                             result.stress_factor_change));
            pcout << "   step " << step + 1 << ": stress factor exponent changed by "
                  << result.stress_factor_change << " (rms), time step cut to "
                  << time_step << " s" << std::endl;
            continue;
          }

        const double voltage = cell_voltage();
        // the voltage the cycler sees at the end of the step: it stops
        // the current at the cutoff, so a step accepted past it (at the
        // minimum time step, where it is not landed) counts its energy up
        // to the cutoff; past it the voltage is unbounded once the
        // electronic contact is gone
        double voltage_end = voltage;
        if (kind != rest &&
            ((kind == discharge && voltage < cutoff) ||
             (kind == charge && voltage > cutoff)))
          {
            const bool overshot = std::abs(voltage - cutoff) > cutoff_tolerance;
            if (overshot && time_step > 2. * ts.minimum_time_step)
              {
                // land on the cutoff: shorten the step by linear interpolation
                discard_attempt();
                const double fraction =
                  (voltage_before - cutoff) / (voltage_before - voltage);
                time_step = std::max(ts.minimum_time_step,
                                     time_step *
                                       std::clamp(fraction, 0.05, 0.9));
                continue;
              }
            if (overshot)
              voltage_end = cutoff;
            reached_cutoff = true;
          }
        // the contact collapsing: the half cycle ends as at the cutoff
        // (Operating conditions/Contact fraction cutoff)
        const double contact = chem.contact_fraction();
        if (kind != rest && contact < op.contact_cutoff &&
            contact < contact_before)
          reached_cutoff = contact_lost = true;
        contact_before = contact;

        accept_step();
        ++accepted;
        rejected_attempts = 0;
        ++step;
        time += time_step;
        elapsed += time_step;
        last_time_step = time_step;
        // the particle's current: the C-rate's, or inside the composite
        // what it drew at the potential of its depth
        const double drawn = composite ? chem.step_current() : current;
        moved += std::abs(drawn) * time_step;
        energy += composite ?
                    0.5 * (chem.cell_voltage() + particle_before) * std::abs(drawn) * time_step :
                    0.5 * (voltage_end + voltage_before) * std::abs(drawn) * time_step;
        charge_passed -= drawn * time_step;
        if (composite)
          {
            *composite = *composite_trial;
            if (parameters.electrode.interface_state_from_resolved)
              resolved_path.push_back(
                {{std::max(resolved_path.back()[0],
                           std::abs(chem.conversion_fraction() - resolved_content_start)),
                  chem.contact_fraction() / pristine_contact,
                  resolved_series_resistance(chem)}});
            composite_moved += std::abs(composite_current) * time_step;
            composite_record.add(*composite, time, composite_moved / 3.6 / composite_grams);
          }

        Timer writing;
        record(cycle, kind, drawn, moved / 3.6 / grams, result);
        // spectra at the depths of discharge this step passed
        if (kind == discharge)
          for (const double q : parameters.impedance.depths_of_discharge)
            if (q > (moved - std::abs(current) * time_step) / 3.6 / grams &&
                q <= moved / 3.6 / grams)
              {
                std::ostringstream name;
                name << "cycle" << cycle << "-dod" << q;
                write_impedance(name.str());
              }
        if (step % parameters.output.progress_interval == 0)
          progress(cycle, kind, moved / 3.6 / grams, result);
        if (parameters.output.solution_interval > 0 &&
            step % parameters.output.solution_interval == 0)
          write_solution();
        timings.output += writing.wall_time();

        // aim at the target voltage change per step, and at the target
        // change of the stress factor's exponent
        const double change =
          std::max(std::abs(voltage - voltage_before),
                   std::abs(chem.cell_voltage() - particle_before));
        double       factor = ts.voltage_step_factor(change);
        if (result.stress_factor_change > 0)
          factor = std::min(factor,
                            std::clamp(0.9 * stress_target /
                                         result.stress_factor_change,
                                       0.5, 1.5));
        // within the bounds: below the minimum the next failed solve
        // would end the run instead of cutting the step
        time_step = std::clamp(time_step * factor, ts.minimum_time_step,
                               ts.maximum_time_step);
        voltage_before  = voltage;
        particle_before = chem.cell_voltage();
      }
    if (composite && output)
      rank0_output(mpi_communicator,
                   [&]() { composite_record.write(parameters.output.directory); });

    progress(cycle, kind, moved / 3.6 / grams, result);
    if (kind != rest && !reached_cutoff)
      warn("cycle " + std::to_string(cycle) + ": the half cycle ended after "
           "'Operating conditions/Maximum half cycle time' = " +
           std::to_string(duration) + " s without reaching the cutoff " +
           std::to_string(cutoff) + " V");
    if (contact_lost)
      {
        std::ostringstream line; // its own format, not the stream's state
        line << "   cycle " << cycle << ' ' << half_cycle_name(kind)
             << " ended at contact fraction " << std::setprecision(3)
             << chem.contact_fraction()
             << " < 'Operating conditions/Contact fraction cutoff' = "
             << op.contact_cutoff << " (the particle has separated)";
        pcout << line.str() << std::endl;
      }
    const bool ended_at_once = reached_cutoff && accepted == 1;
    if (ended_at_once && contact_lost)
      warn("cycle " + std::to_string(cycle) + ": the " +
           half_cycle_name(kind) +
           " ended at once: the contact fraction fell below "
           "'Operating conditions/Contact fraction cutoff' in its first step");
    else if (ended_at_once)
      warn("cycle " + std::to_string(cycle) + ": the " +
           (kind == discharge ?
              "discharge ended at once (the cell voltage fell below "
              "'Operating conditions/Lower cutoff voltage' in its first "
              "step): no coulombic efficiency, mean voltage or hysteresis "
              "(nan in cycles.csv)" :
              "charge ended at once (the cell voltage rose above "
              "'Operating conditions/Upper cutoff voltage' in its first "
              "step): no mean voltage or hysteresis (nan in cycles.csv)"));
    if (last_output_step != step)
      write_solution();

    // charge-weighted; a rest, which passes none, reports the cell
    // voltage. A half cycle that ended at once passed no charge worth a
    // mean voltage: its one step's energy is the rest voltage and the
    // cutoff's
    double mean_voltage = chem.cell_voltage();
    if (ended_at_once)
      mean_voltage = std::numeric_limits<double>::quiet_NaN();
    else if (moved > 0)
      mean_voltage = energy / moved;
    return {moved / 3.6 / grams,
            mean_voltage,
            chem.contact_fraction(),
            chem.interfacial_resistance() * 1e4,
            mass_specific(chem.interfacial_resistance()),
            ended_at_once,
            (chem.side_reaction_charge() - side_charge_before) / 3.6 / grams};
  }

  template <int dim>
  double
  Simulator<dim>::mass_specific(const double area_specific) const
  {
    const auto &chem = *chemistry;
    return area_specific / chem.get_interface_area() *
           (1e3 * chem.particle_mass());
  }

  template <int dim>
  void
  Simulator<dim>::write_cycles() const
  {
    if (output)
      rank0_output(mpi_communicator, [&]() {
        cycles_table.write(parameters.output.directory + "/cycles.csv");
      });
  }

  template <int dim>
  void
  Simulator<dim>::write_impedance(const std::string &name)
  {
    Timer      timer;
    const auto frequencies = parameters.impedance.frequencies();
    // the cell relaxed at open circuit first, as it rests before it is
    // measured (the electrochemistry alone, the mechanical state held);
    // the run goes on from the state before it (doc/model.md section 4)
    const auto   before     = chemistry->accepted_state();
    const double relaxation = parameters.impedance.relaxation_time;
    const auto   relaxed    = chemistry->relax(relaxation,
                                          parameters.time_stepping.initial_time_step,
                                          parameters.time_stepping.minimum_time_step,
                                          branch);
    if (!relaxed.converged)
      warn("the impedance " + name + " is about the state " +
           std::to_string(relaxed.time) + " s into its relaxation of " +
           std::to_string(relaxation) + " s: a zero-current step at the minimum "
           "time step did not converge (" + relaxed.failure + ")");
    // about the state at rest: the potentials at zero current after a step
    // of the minimum length (the Li content does not move in it), which is
    // then discarded
    const auto rest_state = chemistry->solve_time_step(
      parameters.time_stepping.minimum_time_step, 0., branch);
    if (!rest_state.converged)
      warn("the impedance " + name + " is about the state under current: "
           "the zero-current potentials did not converge (" +
           rest_state.failure + ")");
    const auto z = chemistry->impedance(frequencies);
    chemistry->reject_step();
    chemistry->restore(before);
    if (output)
      rank0_output(mpi_communicator, [&]() {
        CsvTable table({"frequency_Hz",
                        "z_real_ohm_cm2",
                        "z_imag_ohm_cm2",
                        "z_real_ohm_g",
                        "z_imag_ohm_g"});
        for (unsigned int k = 0; k < z.size(); ++k)
          table.add_row({frequencies[k],
                         1e4 * z[k].real(),
                         1e4 * z[k].imag(),
                         mass_specific(z[k].real()),
                         mass_specific(z[k].imag())});
        table.write(parameters.output.directory + "/eis/eis-" + name + ".csv");
      });
    std::ostringstream line;
    line << std::setprecision(4) << "   impedance " << name << ": "
         << frequencies.size() << " frequencies, |Z| "
         << 1e4 * std::abs(z.front()) << " to " << 1e4 * std::abs(z.back())
         << " ohm cm^2, relaxed " << relaxed.time << " s at open circuit in "
         << relaxed.steps << " steps (" << std::setprecision(2)
         << timer.wall_time() << " s)";
    pcout << line.str() << std::endl;
  }

  template <int dim>
  void
  Simulator<dim>::warn(const std::string &message) const
  {
    if (Utilities::MPI::this_mpi_process(mpi_communicator) == 0)
      std::cerr << "ssbsim: warning: " << message << std::endl;
  }

  template <int dim>
  void
  Simulator<dim>::check_stop_signal() const
  {
    const int signal =
      Utilities::MPI::max(int(stop_signal_received()), mpi_communicator);
    if (signal != 0)
      throw Interrupted(signal,
                        std::string("the run was stopped by ") +
                          (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                          " at t = " + std::to_string(time) +
                          " s; results so far are in '" +
                          parameters.output.directory + "'");
  }

  template <int dim>
  typename Electrochemistry<dim>::StepResult
  Simulator<dim>::coupled_step(const double time_step,
                               const double current,
                               const bool   extrapolate)
  {
    auto &chem = *chemistry;
    typename Electrochemistry<dim>::StepResult result;
    // inside the composite: the composite's step (one particle does not
    // change it), then the particle at the potential of its depth
    double held = 0;
    if (composite)
      {
        *composite_trial = *composite;
        if (parameters.electrode.interface_state_from_resolved)
          hand_resolved_state_to_composite();
        if (!composite_trial->step(time_step, composite_current))
          {
            result.failure = "the composite's Newton iteration did not converge";
            return result;
          }
        held = composite_trial->voltage() -
               composite_trial->electrolyte_potential_at(
                 parameters.electrode.resolved_particle_depth);
      }
    const unsigned int iterations =
      mechanics ? parameters.mechanics.max_coupling_iterations : 1;
    unsigned int mechanics_newton = 0, mechanics_linear = 0;
    for (unsigned int k = 1; k <= iterations; ++k)
      {
        const unsigned int linear = result.linear_iterations;
        Timer              timer;
        result = composite ? chem.solve_time_step_at_voltage(time_step, held, branch) :
                             chem.solve_time_step(time_step, current, branch);
        timings.electrochemistry += timer.wall_time();
        result.linear_iterations += linear;
        result.coupling_iterations = k;
        if (!result.converged || !mechanics)
          return result;

        mechanics->conversion_extent() = chem.swelling_extent_at_quadrature_points(
          parameters.mechanics.kept_swelling());
        timer.restart();
        if (k == 1)
          mechanics->predict(time_step,
                             extrapolate &&
                               parameters.mechanics.extrapolate_displacement);
        const auto m = mechanics->solve(true, time_step);
        timings.mechanics += timer.wall_time();
        result.linear_iterations += m.linear_iterations;
        result.mechanics_newton_iterations = mechanics_newton +=
          m.newton_iterations;
        result.mechanics_linear_iterations = mechanics_linear +=
          m.linear_iterations;
        if (!m.converged)
          {
            result.converged = false;
            result.failure   = m.failure;
            return result;
          }
        // the largest change of a contact factor: a step is accepted only
        // when no interface point still switches between conducting and
        // not; otherwise the caller cuts it
        const std::vector<double> contact = mechanics->contact_factors();
        double                    change  = 0;
        for (unsigned int i = 0; i < contact.size(); ++i)
          change =
            std::max(change, std::abs(contact[i] - chem.contact_factors()[i]));
        chem.contact_factors() = contact;
        change = Utilities::MPI::max(change, mpi_communicator);
        if (change < parameters.mechanics.coupling_tolerance)
          break;
        if (k == iterations)
          {
            result.converged = false;
            result.failure   = "staggered coupling did not converge (contact "
                             "factors still change by " +
                             std::to_string(change) + ")";
            return result;
          }
      }
    // the stress factor's sigma_h enters the kinetics lagged by one step
    // (taken up in accept_step): iterated within the step, the stiff
    // feedback of its exponential (more Li, more swelling, more
    // compression, slower Li) makes the staggered loop oscillate
    // (measured: 6 of 6 iterations at 5 s steps). The lag is first order
    // in the time step, so the step is controlled by the change of the
    // factor's exponent Omega sigma_h / R T over the step
    // (run_half_cycle), its root mean square over the particle's
    // quadrature points: its largest value is set by the few points next
    // to the interface whose stress jumps with the contact and friction
    // state, not by the front. Without that control the 2D capacity moved
    // from 822 to 770 to 744 mAh/g at maximum steps of 120, 60 and 30 s.
    pending_stress              = mechanics->hydrostatic_stress();
    // under-relaxed: the lag alone lets the stress of the converted shell
    // alternate from step to step (an explicit coupling beyond its
    // stability limit)
    const double relaxation = parameters.particle.stress_relaxation;
    if (relaxation < 1.)
      for (unsigned int i = 0; i < pending_stress.size(); ++i)
        pending_stress[i] = accepted_stress[i] +
                            relaxation * (pending_stress[i] - accepted_stress[i]);
    result.stress_factor_change = chem.stress_factor_change(pending_stress);
    return result;
  }

  template <int dim>
  void
  Simulator<dim>::hand_resolved_state_to_composite()
  {
    // the path's moved content never decreases: the first point past the
    // layer's, interpolated from the one before
    const unsigned int  n = composite->n_layers();
    std::vector<double> factors(n), resistances(n);
    for (unsigned int i = 0; i < n; ++i)
      {
        const double moved =
          std::abs(composite->mean_li_content(i) - layer_content_start[i]);
        std::array<double, 3> state = resolved_path.back(); // not that far yet
        for (unsigned int k = 1; k < resolved_path.size(); ++k)
          if (resolved_path[k][0] >= moved)
            {
              const auto  &a = resolved_path[k - 1], &b = resolved_path[k];
              const double w = (b[0] > a[0]) ? (moved - a[0]) / (b[0] - a[0]) : 1.;
              for (unsigned int j = 1; j < 3; ++j)
                state[j] = a[j] + w * (b[j] - a[j]);
              break;
            }
        factors[i]     = state[1];
        resistances[i] = state[2];
      }
    composite_trial->set_interface_state(factors, resistances);
  }



  template <int dim>
  void
  Simulator<dim>::accept_step()
  {
    chemistry->accept_step();
    if (mechanics)
      mechanics->accept();
    accepted_contact = chemistry->contact_factors();
    if (mechanics)
      chemistry->hydrostatic_stresses() = pending_stress;
    accepted_stress = chemistry->hydrostatic_stresses();
  }

  template <int dim>
  void
  Simulator<dim>::press_pristine_cell()
  {
    const auto m =
      mechanics->solve(true, parameters.time_stepping.initial_time_step);
    if (!m.converged)
      throw std::runtime_error(
        "the pristine cell under Operating conditions/Stack pressure = " +
        std::to_string(parameters.operating.stack_pressure / 1e6) +
        " MPa did not converge before the first step (" + m.failure +
        "); a lower stack pressure or a finer interface mesh may help");
    mechanics->accept();
    chemistry->contact_factors() = mechanics->contact_factors();
    accepted_contact             = chemistry->contact_factors();
    pcout << "   pristine cell under " << parameters.operating.stack_pressure / 1e6
          << " MPa: contact fraction " << chemistry->contact_fraction()
          << ", interfacial resistance "
          << chemistry->interfacial_resistance() * 1e4 << " ohm cm^2"
          << std::endl;
  }

  template <int dim>
  void
  Simulator<dim>::reject_step()
  {
    chemistry->reject_step();
    chemistry->contact_factors()     = accepted_contact;
    chemistry->hydrostatic_stresses() = accepted_stress;
  }

  template <int dim>
  void
  Simulator<dim>::report_timings() const
  {
    const double total = run_timer.wall_time();
    const auto   share = [total](const double t) {
      std::ostringstream s;
      s << std::fixed << std::setprecision(0) << 100. * t / total << " %";
      return s.str();
    };
    pcout << "wall time " << std::fixed << std::setprecision(1) << total
          << " s: " << step << " accepted steps ("
          << std::setprecision(3) << total / std::max(1u, step)
          << " s per step), " << timings.attempts_rejected
          << " rejected attempts (" << share(timings.rejected)
          << "); electrochemistry " << share(timings.electrochemistry);
    if (mechanics)
      {
        const auto &m = mechanics->timings();
        pcout << ", mechanics " << share(timings.mechanics) << " (assembly "
              << share(m.assembly) << ", "
              << (parameters.solver.direct_linear_solver(dim) ?
                    "LU factorisations " :
                    "AMG set-ups ")
              << m.preconditioner_builds << ": " << share(m.preconditioner)
              << ", linear solves " << share(m.linear_solver) << ")";
      }
    pcout << ", output " << share(timings.output) << std::defaultfloat
          << std::endl;
  }

  template <int dim>
  void
  Simulator<dim>::record(
    const unsigned int                                cycle,
    const HalfCycleId                                 kind,
    const double                                      current,
    const double                                      capacity,
    const typename Electrochemistry<dim>::StepResult &result)
  {
    const auto &chem = *chemistry;
    const auto depth = chem.converted_depths();
    statistics_table.add_row({time,
                              double(cycle),
                              double(kind),
                              double(step),
                              last_time_step,
                              chem.cell_voltage(),
                              current,
                              capacity,
                              chem.conversion_fraction(),
                              chem.contact_fraction(),
                              chem.interfacial_resistance() * 1e4,
                              chem.li_stored(),
                              charge_passed,
                              double(result.newton_iterations),
                              double(result.linear_iterations),
                              double(result.coupling_iterations),
                              double(result.mechanics_newton_iterations),
                              double(result.mechanics_linear_iterations),
                              double(result.rejected_attempts),
                              depth[0],
                              depth[1],
                              depth[2],
                              particle_volume_ratio(),
                              mass_specific(chem.interfacial_resistance()),
                              chem.electronic_contact_fraction(),
                              double(folded_cells()),
                              mechanics ?
                                mechanics->grain_boundary_averages().damage :
                                0.,
                              chem.film_resistance() * 1e4});
    if (output)
      rank0_output(mpi_communicator, [&]() {
        statistics_table.append_last_row(parameters.output.directory +
                                         "/statistics.csv");
      });
    if (chem.n_particles() > 1)
      {
        const auto currents = chem.particle_currents();
        const auto contents = chem.particle_li_contents();
        const auto contacts = chem.particle_contact_fractions();
        for (unsigned int k = 0; k < chem.n_particles(); ++k)
          {
            particles_table.add_row({time,
                                     double(cycle),
                                     double(kind),
                                     double(step),
                                     double(k),
                                     currents[k],
                                     chem.particle_potential(k),
                                     contents[k],
                                     contacts[k]});
            if (output)
              rank0_output(mpi_communicator, [&]() {
                particles_table.append_last_row(parameters.output.directory +
                                                "/particles.csv");
              });
          }
      }
  }

  template <int dim>
  unsigned int
  Simulator<dim>::folded_cells()
  {
    if (!mechanics)
      return 0;
    const auto folds = mechanics->folded_cells();
    if (folds.count > 0 && folds.count >= 2 * folds_reported)
      {
        pcout << "   step " << step << ": warning: " << folds.count
              << " cell(s) folded at a corner (det F = "
              << folds.smallest_jacobian << " at a vertex of the "
              << (folds.material == ids::particle     ? "particle" :
                  folds.material == ids::third_medium ? "third-medium" :
                                                        "electrolyte")
              << " cell centred at (";
        for (unsigned int d = 0; d < dim; ++d)
          pcout << (d > 0 ? ", " : "") << folds.where[d] * 1e6;
        if (folds.material == ids::third_medium)
          pcout << ") um in the reference configuration): the squeezed "
                   "third medium of a closing pore distorts past its "
                   "regularisation at a vertex; its quadrature points keep "
                   "J > 0, so the pore's faces still press on each other "
                   "(statistics.csv, folded_cells)"
                << std::endl;
        else
          pcout << ") um in the reference configuration): faces of one body "
                   "(an empty pore's, a re-entrant corner's) run into each "
                   "other, and the model has no contact between them; the "
                   "material overlaps there (statistics.csv, folded_cells)"
                << std::endl;
        folds_reported = folds.count;
      }
    return folds.count;
  }

  template <int dim>
  double
  Simulator<dim>::particle_volume_ratio() const
  {
    if (mechanics)
      return mechanics->particle_volume_ratio();
    const auto &pm = parameters.mechanics;
    return 1. + pm.volume_expansion *
                  chemistry->particle_mean(
                    chemistry->swelling_extent_at_quadrature_points(
                      pm.kept_swelling()));
  }

  template <int dim>
  void
  Simulator<dim>::progress(
    const unsigned int                                cycle,
    const HalfCycleId                                 kind,
    const double                                      capacity,
    const typename Electrochemistry<dim>::StepResult &result) const
  {
    pcout << "step " << std::setw(5) << step << "  t = " << std::setw(9)
          << std::fixed << std::setprecision(1) << time << " s  cycle " << cycle
          << " " << std::setw(9) << half_cycle_name(kind) << "  V = "
          << std::setprecision(4) << chemistry->cell_voltage() << " V  Q = "
          << std::setprecision(1) << std::setw(6) << capacity
          << " mAh/g  Newton " << result.newton_iterations;
    // Krylov iterations only where there are any (Solver/Linear solver)
    const bool direct = parameters.solver.direct_linear_solver(dim);
    if (!direct)
      pcout << "  linear " << result.linear_iterations;
    if (mechanics)
      {
        pcout << "  (mechanics: Newton " << result.mechanics_newton_iterations;
        if (!direct)
          pcout << ", CG " << result.mechanics_linear_iterations;
        pcout << ", coupling " << result.coupling_iterations << ")";
      }
    pcout << std::defaultfloat << std::endl;
  }

  template <int dim>
  void
  Simulator<dim>::write_solution()
  {
    last_output_step = step;
    if (output && parameters.output.write_solution)
      writer->write(*chemistry, mechanics.get(), time);
  }

  template class Simulator<2>;
  template class Simulator<3>;
} // namespace ssbsim
