#pragma once

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>

#include <ssbsim/core/electrode_run.h>
#include <ssbsim/core/output.h>
#include <ssbsim/core/parameters.h>
#include <ssbsim/physics/electrochemistry.h>
#include <ssbsim/physics/mechanics.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssbsim
{
  /// A run that cannot go on (Newton fails at the minimum time step). The
  /// results written so far stay; the command line exits with code 2.
  class RunFailure : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /// The run was stopped by SIGINT or SIGTERM (caught between time steps,
  /// on all ranks together). The results written so far stay; the command
  /// line exits with 128 + the signal number, as a shell reports a process
  /// ended by it.
  class Interrupted : public std::runtime_error
  {
  public:
    Interrupted(const int signal, const std::string &message)
      : std::runtime_error(message)
      , signal(signal)
    {}

    const int signal;
  };

  /// From now on SIGINT and SIGTERM stop a run after its current time step
  /// (Interrupted); a second one ends the process at once.
  void
  catch_stop_signals();

  /// The signal caught by catch_stop_signals(), 0 if none.
  int
  stop_signal_received();

  /**
   * Owns the mesh and the physics, runs the galvanostatic cycling protocol
   * (discharge to the lower cutoff, charge to the upper, optional rests,
   * N cycles) with adaptive time steps, and writes statistics.csv,
   * cycles.csv and the field output.
   */
  template <int dim>
  class Simulator
  {
  public:
    /// @p output false: nothing is written (tests that only need numbers).
    Simulator(const Parameters &parameters,
              MPI_Comm          comm,
              const bool        output = true);

    void
    run();

    const CsvTable &
    statistics() const
    {
      return statistics_table;
    }

    const CsvTable &
    cycles() const
    {
      return cycles_table;
    }

    const Electrochemistry<dim> &
    electrochemistry() const
    {
      return *chemistry;
    }

  private:
    struct HalfCycle
    {
      double capacity;         // mAh/g
      double mean_voltage;     // V
      double contact_fraction; // at the end
      double resistance;       // Ohm cm^2 at the end
      double resistance_mass;  // Ohm g at the end
      bool   ended_at_once;    // the cutoff reached in the first step
      double side_capacity;    // mAh/g consumed by the side reaction
    };

    enum HalfCycleId : unsigned int
    {
      rest      = 0,
      discharge = 1,
      charge    = 2
    };

    HalfCycle
    run_half_cycle(const unsigned int cycle, const HalfCycleId kind);

    void
    record(const unsigned int cycle,
           const HalfCycleId  kind,
           const double       current,
           const double       capacity,
           const typename Electrochemistry<dim>::StepResult &result);

    /// Particle volume over its initial volume: int J dV / V_0 with
    /// mechanics; without, the stress-free swelling 1 + beta <s> of the
    /// swelling extent s (the converted Li content plus the kept part of
    /// delithiated converted material).
    double
    particle_volume_ratio() const;

    /// Cells folded at a corner (Mechanics::folded_cells; 0 without
    /// mechanics). Warns on the log when the count first exceeds 0 and
    /// each time it doubles, naming where.
    unsigned int
    folded_cells();

    /// An interface-area-specific quantity (ohm m^2) as resistance times
    /// active mass (ohm g): what a cell with one gram of FeS2 of this
    /// architecture shows, so that architectures of different interfacial
    /// area per mass compare (the paper's cells hold the same loading).
    double
    mass_specific(const double area_specific) const;

    void
    progress(const unsigned int cycle, const HalfCycleId kind,
             const double capacity,
             const typename Electrochemistry<dim>::StepResult &result) const;

    void
    write_solution();

    /// cycles.csv anew (rank 0), its header alone before the first cycle
    void
    write_cycles() const;

    /// The impedance spectrum of the present state to eis/eis-@p name.csv.
    void
    write_impedance(const std::string &name);

    /// "ssbsim: warning: ..." on rank 0's stderr
    void
    warn(const std::string &message) const;

    /// Throws Interrupted, on every rank, when any rank caught a signal.
    void
    check_stop_signal() const;

    /// One time step: electrochemistry, then (if enabled) mechanics and the
    /// interface state, iterated until the contact factors settle. The
    /// mechanics starts from the displacement extrapolated at the last
    /// accepted step's rate if @p extrapolate (and Mechanics/Extrapolate
    /// displacement), else from the accepted one.
    typename Electrochemistry<dim>::StepResult
    coupled_step(const double time_step, const double current, const bool extrapolate);

    /// Electrode/Interface state = resolved particle: each composite
    /// layer's share factor and series resistance, the resolved
    /// particle's contact over its pristine one and its series resistance
    /// per touching area where it had moved as much Li through this half
    /// cycle as the layer has (its latest where it has not moved that
    /// much yet); the composite takes them for its next step.
    void
    hand_resolved_state_to_composite();

    void
    accept_step();

    /// The pristine cell pressed: the mechanics solved under the stack
    /// pressure before any Li moves, its contact handed to the kinetics,
    /// so that the first row's contact and interfacial resistance are
    /// those of the cell the first impedance would measure (an
    /// initially debonded cap conducts only where the load presses it).
    void
    press_pristine_cell();

    void
    reject_step();

    /// One line of where the wall time went (rank 0's clock).
    void
    report_timings() const;

    /// Wall time (s) of this process in the parts of the run.
    struct Timings
    {
      double electrochemistry = 0; ///< solve_time_step, all attempts
      double mechanics        = 0; ///< Mechanics::solve, all attempts
      double rejected         = 0; ///< attempts that were cut or redone
      double output           = 0; ///< statistics rows and field output
      unsigned int attempts_rejected = 0;
    };
    Timings       timings;
    dealii::Timer run_timer;

    /// a copy, not a reference: a caller may pass a temporary
    const Parameters                                   parameters;
    MPI_Comm                                           mpi_communicator;
    const bool                                         output;
    dealii::ConditionalOStream                         pcout;
    dealii::parallel::distributed::Triangulation<dim>  triangulation;
    std::unique_ptr<Electrochemistry<dim>>             chemistry;
    std::unique_ptr<Mechanics<dim>>                    mechanics;
    /// the homogenised composite around the particle (Electrode/Resolved
    /// particle depth): accepted, and the step being tried
    std::unique_ptr<PorousElectrode>                   composite, composite_trial;
    CompositeRecord                                    composite_record;
    double composite_current = 0; ///< A/m^2 of electrode, this half cycle
    /// the resolved particle's path through this half cycle (Electrode/
    /// Interface state = resolved particle): the Li content it has moved
    /// since the half cycle began, its contact over pristine_contact and
    /// its series resistance per touching area (Ohm m^2: electronic
    /// contact and reduction layer), at every accepted step; the layers'
    /// and its own content when the half cycle began
    std::vector<std::array<double, 3>>                 resolved_path;
    std::vector<double>                                layer_content_start;
    double                                             resolved_content_start = 0;
    double                                             pristine_contact = 0;
    std::vector<double>                                accepted_contact;
    std::vector<double>                                accepted_stress;
    /// sigma_h of the last mechanics solve, for the next step's kinetics
    std::vector<double>                                pending_stress;
    std::unique_ptr<SolutionWriter<dim>>               writer;
    CsvTable                                           statistics_table;
    CsvTable                                           cycles_table;
    /// with several particles: each particle's current, potential, Li
    /// content and contact at every step (particles.csv)
    CsvTable                                           particles_table;

    double       time             = 0;
    double       last_time_step   = 0;
    double       charge_passed    = 0; // C, net, positive on discharge
    unsigned int step             = 0;
    unsigned int folds_reported   = 0; ///< folded cells last warned of
    unsigned int last_output_step = 0;
    Branch       branch           = Branch::discharge;
  };
} // namespace ssbsim
