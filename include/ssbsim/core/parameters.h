#pragma once

#include <deal.II/base/parameter_handler.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssbsim
{
  /**
   * A mistake in the user's input: bad file, unknown parameter, value out of
   * range, impossible combination. The message is one line that names the
   * parameter and what is allowed; the command line prints it and exits 1.
   */
  class UserError : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /**
   * Parameters, one small struct per topic (step-44 style). Every value is
   * stored in SI units; the parameter file uses the units named in each
   * entry's documentation (um, MPa, kJ/mol, S/cm, ...) and parse() converts.
   */
  namespace parameters
  {
    struct Geometry
    {
      enum class Type
      {
        sphere_in_box,
        porous_microsphere,
        layered,
        gmsh_file
      };
      unsigned int dimension;
      Type         type;
      double       particle_radius;      // m
      /// sphere in box: one particle per box, side by side along y (m);
      /// one entry, 'Particle radius', unless 'Particle radii' is given
      std::vector<double> particle_radii;
      double       box_size;             // m
      double       separator_thickness;  // m
      double       layer_thickness;      // m
      double       grain_radius;         // m, porous microsphere
      double       porosity;             // -, porous microsphere
      double       pore_filling;         // -, porous microsphere
      /// porous microsphere: empty pores kept as third-medium cells
      /// (ids::third_medium) instead of removed
      bool         third_medium_pores = false;
      /// porous microsphere: a pore where two grains meet only at a vertex
      /// (3D: or an edge) of the grid becomes a grain ('Grain corner
      /// contacts = bridged')
      bool         bridge_corner_contacts = false;
      unsigned int random_seed;          // porous microsphere
      unsigned int global_refinements;
      unsigned int interface_refinements;
      double       interface_refinement_depth; // m, into the particle
      std::string  mesh_file;
      double       mesh_length_unit;     // m per mesh unit

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm,
                        const std::string        &input_directory);
    };

    struct OperatingConditions
    {
      double       temperature;           // K
      double       c_rate;                // 1/h
      double       lower_cutoff_voltage;  // V
      double       upper_cutoff_voltage;  // V
      unsigned int number_of_cycles;
      double       rest_time;             // s
      double       maximum_half_cycle_time; // s
      double       stack_pressure;          // Pa
      bool         lateral_faces_free;      // false: symmetry planes
      double       contact_cutoff;          // dimensionless, 0: off

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Electrolyte
    {
      bool   liquid = false;         // wets every surface, bears no load
      double conductivity;           // S/m at the reference temperature
      double activation_energy;      // J/mol

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Particle
    {
      double                density;              // kg/m^3
      double                molar_mass;           // kg/mol
      unsigned int          electrons;            // per formula unit
      double                initial_li_content;   // theta
      bool                  irreversible_conversion; // xi = max theta
      double                d_pristine;           // m^2/s
      double                d_converted;          // m^2/s
      double                diffusion_activation_energy; // J/mol
      std::array<double, 3> axis_factors;
      std::array<double, 3> euler_angles;         // degrees
      bool                  random_orientation;   // per grain, seeded
      double                blocking_factor;
      double                blocking_onset;
      double                blocking_width;
      bool                  blocking_history; // b(max(theta, xi))
      double                migration_activation_volume; // m^3/mol
      double                reaction_volume;             // m^3/mol of Li
      double stress_coupling_limit; // Pa
      double stress_relaxation;     // (0, 1]; 1: plain lag

      /// mol/m^3 of Li at theta = 1
      double
      max_li_concentration() const
      {
        return electrons * density / molar_mass;
      }

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Kinetics
    {
      double      exchange_current_density; // A/m^2 at the reference T
      double      double_layer_capacitance; // F/m^2
      double      electronic_contact_resistance; // Ohm m^2 of contact area
      double      side_exchange_current;     // A/m^2; 0: no side reaction
      double      side_potential;            // V vs Li
      double      side_transfer_coefficient; // cathodic alpha
      double      side_capacity;             // mAh/g
      double      side_film_resistivity;     // Ohm m; 0: no film resistance
      double      side_film_molar_volume;    // m^3 per mol of electrons
      double      activation_energy;        // J/mol
      double      anodic_transfer_coefficient;
      double      cathodic_transfer_coefficient;
      std::vector<double>   ion_blocked_fraction; // per particle (or one)
      std::array<double, 3> ion_blocked_direction; // x, y, z
      bool                  ion_blocked_electronic; // the cap passes electrons
      double                ion_blocked_edge_width; // rad (input: degrees)
      std::string discharge_table;
      std::string discharge_file;
      std::string charge_table;
      std::string charge_file;

      /// Whether @p particle_count particles sit at potentials of their
      /// own: each behind its own electronic contact, so only with one.
      bool
      separate_particle_potentials(const unsigned int particle_count) const
      {
        return particle_count > 1 && electronic_contact_resistance > 0;
      }

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm,
                        const std::string        &input_directory);
    };

    struct TimeStepping
    {
      double initial_time_step;    // s
      double minimum_time_step;    // s
      double maximum_time_step;    // s
      double target_voltage_change; // V
      double target_stress_factor_change; // dimensionless

      /// Factor of the next time step after a step that moved the voltage
      /// by @p change (V): aims at 0.9 of the target change, within 0.5
      /// and 1.5 of the last step (1.5 when the voltage did not move).
      double
      voltage_step_factor(const double change) const
      {
        return change > 0 ?
                 std::clamp(0.9 * target_voltage_change / change, 0.5, 1.5) :
                 1.5;
      }

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Solver
    {
      double       newton_tolerance;
      unsigned int max_newton_iterations;
      double       linear_tolerance;
      unsigned int max_linear_iterations;
      double       memory_per_rank; // bytes; 0: the node's available memory
      std::string  linear_solver;   // automatic, iterative or direct

      /// whether the Newton systems are solved by sparse LU (else by
      /// AMG-preconditioned Krylov): "automatic" picks LU in 2D
      bool
      direct_linear_solver(const unsigned int dim) const
      {
        return linear_solver == "direct" ||
               (linear_solver == "automatic" && dim == 2);
      }

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Mechanics
    {
      bool   enabled;
      double young_pristine, poisson_pristine;       // Pa, -
      double young_converted, poisson_converted;     // Pa, -
      double young_electrolyte, poisson_electrolyte; // Pa, -
      double volume_expansion;                       // beta
      double charged_expansion;                      // kept on delithiation
      bool   electrolyte_plastic;
      double electrolyte_yield_stress;               // Pa
      double electrolyte_hardening;                  // Pa
      double electrolyte_creep_rate;                 // 1/s
      double electrolyte_creep_stress;               // Pa
      double electrolyte_creep_exponent;             // -
      double electrolyte_porosity;                   // -
      double electrolyte_compaction_pressure;        // Pa
      double electrolyte_compaction_hardening;       // Pa
      double third_medium_stiffness;                 // E / E_electrolyte
      double third_medium_regularisation;            // alpha / mu_electrolyte
      bool   particle_plastic;
      double pristine_yield_stress;  // Pa
      double converted_yield_stress; // Pa
      double particle_hardening;     // Pa
      std::array<double, 3> swelling_anisotropy;     // weights a, b, c
      double normal_strength, shear_strength;        // Pa
      double mode_I_energy, mode_II_energy;          // J/m^2
      double bk_exponent;
      /// grain boundaries inside a particle (Mechanics/Grain boundaries):
      /// cohesive (true) or continuous, and their law
      bool   grain_boundaries_cohesive;
      double grain_normal_strength, grain_shear_strength; // Pa
      double grain_mode_I_energy, grain_mode_II_energy;   // J/m^2
      double friction_coefficient;                   // -
      double penalty_stiffness;                      // Pa/m
      double friction_viscosity;                     // s
      double closure_gap;                            // m
      double contact_hardness;                       // Pa
      bool   bonded_part_bridging;                   // contact of 1 - d
      bool   contact_per_face;
      std::vector<double> initially_debonded_fraction; // per particle (or one)
      std::array<double, 3> debonded_direction;      // x, y, z
      unsigned int geometry_degree;
      double contact_smoothing;                      // m
      double interface_viscosity;                    // s
      double residual_stiffness;                     // Pa/m
      double interface_damping;                      // Pa s/m
      double linear_tolerance;                       // relative
      bool   f_bar;                                  // mean dilatation
      bool   keep_preconditioner;                    // across time steps
      bool   reuse_factorization; // the LU as CG/GMRES's preconditioner
      bool   extrapolate_displacement; // Newton's initial guess, per step
      double residual_contact;
      bool   interface_intact;
      double coupling_tolerance;
      unsigned int max_coupling_iterations;

      /// Fraction r of the conversion swelling that delithiated converted
      /// material keeps: charged / full volume expansion.
      double
      kept_swelling() const
      {
        return volume_expansion > 0 ? charged_expansion / volume_expansion : 0.;
      }

      /// Whether 'Swelling anisotropy' stretches every in-plane (2D) or
      /// every (3D) direction alike.
      bool
      isotropic_swelling(const unsigned int dim) const
      {
        const auto &w = swelling_anisotropy;
        return w[0] == w[1] && (dim == 2 || w[1] == w[2]);
      }

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Output
    {
      std::string  directory;
      unsigned int solution_interval; // steps; 0: only at half-cycle ends
      bool         write_solution;
      unsigned int progress_interval; // steps

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    /// The composite cathode homogenised around the particle
    /// (PorousElectrode; run by ssbsim --electrode).
    struct Electrode
    {
      double       thickness;            // m
      double       active_fraction;      // -
      double       electrolyte_fraction; // -
      double       bruggeman_exponent;   // -
      double       reacting_share;       // -
      /// radius of the homogenised particles (m); 0: Geometry's first
      /// particle radius (electrode_data() resolves it)
      double       particle_radius;
      unsigned int layers;
      unsigned int shells;
      /// the resolved cell's particle inside the composite at this depth
      /// from the separator (m), under the potential of its depth; < 0:
      /// the resolved cell alone under the C-rate's current
      double       resolved_particle_depth;
      /// the homogenised particles take the resolved particle's contact and
      /// series resistance (Electrode/Interface state = resolved particle)
      bool         interface_state_from_resolved;

      bool
      embeds_resolved_particle() const
      {
        return resolved_particle_depth >= 0;
      }

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };

    struct Impedance
    {
      bool         after_discharge;
      double       relaxation_time; // s at open circuit before each spectrum
      std::vector<double> depths_of_discharge; // mAh/g, ascending
      double       minimum_frequency; // Hz
      double       maximum_frequency; // Hz
      unsigned int points_per_decade;

      bool
      enabled() const
      {
        return after_discharge || !depths_of_discharge.empty();
      }

      /// The frequencies (Hz), logarithmically spaced, both ends included.
      std::vector<double> frequencies() const;

      static void declare(dealii::ParameterHandler &prm);
      void        parse(dealii::ParameterHandler &prm);
    };
  } // namespace parameters

  struct Parameters
  {
    parameters::Geometry            geometry;
    parameters::OperatingConditions operating;
    parameters::Electrolyte         electrolyte;
    parameters::Particle            particle;
    parameters::Kinetics            kinetics;
    parameters::TimeStepping        time_stepping;
    parameters::Solver              solver;
    parameters::Mechanics           mechanics;
    parameters::Output              output;
    parameters::Impedance           impedance;
    parameters::Electrode           electrode;
    double                          reference_temperature; // K

    static void declare(dealii::ParameterHandler &prm);

    /// Reads every value from @p prm, converts to SI units and checks the
    /// combinations; throws UserError naming the parameter.
    void parse(dealii::ParameterHandler &prm,
               const std::string        &input_directory);
  };

  /**
   * Reads @p filename into @p prm (declared with Parameters::declare), then
   * applies the overrides "Section/Sub/Name=value" in order. Every deal.II
   * error is turned into a one-line UserError.
   */
  void
  read_parameter_file(dealii::ParameterHandler       &prm,
                      const std::string              &filename,
                      const std::vector<std::string> &overrides);
} // namespace ssbsim

namespace ssbsim
{
  /// The essential text of an exception (deal.II's "additional information"
  /// or what()) on one line.
  std::string
  one_line_message(const std::exception &e);
} // namespace ssbsim
