#pragma once

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/index_set.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/hp/fe_collection.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <ssbsim/core/parameters.h>
#include <ssbsim/materials/butler_volmer.h>
#include <ssbsim/materials/diffusivity.h>
#include <ssbsim/materials/open_circuit.h>
#include <ssbsim/physics/regions.h>

#include <array>
#include <complex>
#include <memory>
#include <string>
#include <vector>

namespace dealii::GridTools
{
  template <int dim, int spacedim>
  class Cache;
}

namespace ssbsim
{
  /// Which open-circuit branch the interface reaction follows.
  enum class Branch
  {
    discharge,
    charge
  };

  /**
   * Li transport in the particle, ionic conduction in the electrolyte and
   * Butler-Volmer kinetics on their interface, under galvanostatic control
   * (PHYSICS.md section 2, doc/model.md).
   *
   * Unknowns: the Li content theta on particle cells and the electrolyte
   * potential phi_e on electrolyte cells (step-46: one hp::FECollection,
   * FE_Nothing where a field does not live), plus the particles' electronic
   * potentials: one phi_s for all, fixed by the total current; or, with
   * several particles behind their own electronic contacts (`Kinetics/
   * Electronic contact resistance` > 0), one phi_s,k per particle and the
   * cell voltage V, tied by V = phi_s,k + I_k r_e / a_e,k and sum I_k = I.
   * Each Newton step solves the bordered system [J B; C^T D] by 1 + (number
   * of potentials) sparse solves with the same AMG preconditioner and a
   * small dense one.
   *
   * Hooks for the mechanics: the hydrostatic stress at each particle
   * quadrature point (stress factor on the diffusivity) and the contact
   * factor at each interface quadrature point (multiplies the reaction).
   */
  template <int dim>
  class Electrochemistry
  {
  public:
    static constexpr unsigned int li_content_component            = 0;
    static constexpr unsigned int electrolyte_potential_component = 1;

    Electrochemistry(const Parameters                                &parameters,
                     dealii::parallel::distributed::Triangulation<dim> &tria,
                     dealii::ConditionalOStream                        &pcout);

    ~Electrochemistry();

    /// Distributes dofs, builds sparsity and the interface face list,
    /// and sets the initial state.
    void
    setup();

    struct StepResult
    {
      bool         converged          = false;
      unsigned int newton_iterations  = 0;
      unsigned int linear_iterations  = 0;
      /// filled by the coupled step (Simulator) when mechanics is on
      unsigned int mechanics_newton_iterations = 0;
      unsigned int mechanics_linear_iterations = 0;
      unsigned int coupling_iterations         = 1;
      /// attempts of this step rejected (solver failure, coupling not
      /// converged) before it was accepted with a shorter time step
      unsigned int rejected_attempts           = 0;
      /// root mean square over the particle of the change of the
      /// stress-factor exponent Omega sigma_h / R T over the step (the
      /// stress enters lagged by one step)
      double       stress_factor_change        = 0;
      std::string  failure;
    };

    /**
     * Advances from the last accepted state by @p time_step (s) with the
     * total current @p current (A; per metre of depth in 2D; negative on
     * discharge). The new state is kept until accept_step() or
     * reject_step().
     */
    StepResult
    solve_time_step(const double time_step,
                    const double current,
                    const Branch branch);

    /**
     * The same with the cell voltage held at @p voltage (V vs Li) instead
     * of the current: potentiostatic control, e.g. a particle of a
     * composite at the potential of its depth (doc/model.md section 8).
     * The current it draws is step_current(). One potential only: with
     * separate particle potentials the step fails (its failure says so).
     */
    StepResult
    solve_time_step_at_voltage(const double time_step,
                               const double voltage,
                               const Branch branch);

    /// Total current (A; per metre in 2D; negative on discharge) of the
    /// last solve: the one given, or under potential control the one
    /// drawn.
    double
    step_current() const
    {
      return last_step_current;
    }

    void
    accept_step();

    void
    reject_step();

    /// The accepted state: what accept_step() keeps (the fields, the
    /// potentials, the side reaction's charge, the converted extent).
    struct AcceptedState
    {
      dealii::TrilinosWrappers::MPI::Vector solution;
      std::vector<double>                   particle_potentials;
      double                                cell_potential;
      double                                electronic_drop;
      double                                side_charge;
      std::vector<double>                   converted_extent;
    };

    AcceptedState
    accepted_state() const;

    /// Returns to @p state (taken by accepted_state()) as the accepted
    /// and the current state.
    void
    restore(const AcceptedState &state);

    struct Relaxation
    {
      bool         converged = true;
      double       time      = 0; ///< s relaxed
      unsigned int steps     = 0;
      std::string  failure;
    };

    /// Rests the cell at zero current for @p duration (s) from the
    /// accepted state, accepting each step: steps from @p first_step,
    /// doubled after each accepted one, halved after a failed one down to
    /// @p minimum_step; the mechanical state (contact, stresses) is held.
    /// Not converged if a step of the minimum length failed (the state is
    /// then the last accepted one).
    Relaxation
    relax(const double duration,
          const double first_step,
          const double minimum_step,
          const Branch branch);

    /// Cell voltage (V vs Li): the particle's potential phi_s plus the
    /// drop over its electronic contact, I r_e / (A f), at the current of
    /// the last solve_time_step() (zero at rest and without the contact
    /// resistance); with separate particle potentials the unknown V.
    double
    cell_voltage() const
    {
      return separate_potentials ? cell_potential :
                                   particle_potentials[0] + electronic_drop;
    }

    /// Number of particles: the face-connected particle regions of the
    /// mesh (a porous microsphere is one: its grains are sintered into a
    /// secondary particle that conducts electrons).
    unsigned int
    n_particles() const
    {
      return particle_count;
    }

    /// Whether each particle has its own potential (several particles,
    /// each behind its own electronic contact) or all share one.
    bool
    separate_particle_potentials() const
    {
      return separate_potentials;
    }

    /// Electronic potential of particle @p k (V vs Li).
    double
    particle_potential(const unsigned int k) const
    {
      return particle_potentials[separate_potentials ? k : 0];
    }

    /// Reaction current of each particle (A, or A/m in 2D; < 0 on
    /// discharge; side reaction included) at the present state: they sum
    /// to the cell's current. Collective.
    std::vector<double>
    particle_currents() const;

    /// Mean Li content theta of each particle. Collective.
    std::vector<double>
    particle_li_contents() const;

    /// contact_fraction() of each particle's interface. Collective.
    std::vector<double>
    particle_contact_fractions() const;

    /// Resistance of the electronic contact times the interface area,
    /// r_e A / a_e, a_e the touching area of the faces on the conducting
    /// network: r_e / f for a dense particle (Ohm m^2; infinite when
    /// nothing touches, 0 without it). Collective.
    double
    electronic_resistance() const;

    /// Integral of the contact factor over the faces on the conducting
    /// network (electronic_weight) / their area: the share of the path the
    /// electrons take that touches. contact_fraction() for a dense
    /// particle; a microsphere's outer surface only. Collective.
    double
    electronic_contact_fraction() const;

    /// Li in the particle, mol (per metre in 2D).
    double
    li_stored() const;

    /// Mean Li content of the particle.
    double
    conversion_fraction() const
    {
      return li_stored() / (max_li_concentration * particle_volume);
    }

    /// Integral of the contact factor over the interface where the
    /// electrolyte touches it (not the ion-blocked caps) / interface area.
    double
    contact_fraction() const;

    /// Area-specific resistance of the linearised kinetics and the side
    /// reaction's layer over the contact area, (R_ct + r_f) / f, Ohm m^2.
    double
    interfacial_resistance() const;

    /// Charge of the particle at full conversion, C (per metre in 2D).
    double
    theoretical_capacity() const;

    /// Particle mass, kg (per metre in 2D).
    double
    particle_mass() const
    {
      return parameters.particle.density * particle_volume;
    }

    double
    get_particle_volume() const
    {
      return particle_volume;
    }

    /// The particle (from 0) of each coarse cell, by coarse-cell id
    /// (numbers::invalid_unsigned_int on electrolyte cells).
    const std::vector<unsigned int> &
    get_particle_of_coarse_cell() const
    {
      return particle_of_coarse_cell;
    }

    double
    get_interface_area() const
    {
      return interface_area;
    }

    const dealii::DoFHandler<dim> &
    get_dof_handler() const
    {
      return dof_handler;
    }

    /// The current state with ghost values, for output and evaluation.
    const dealii::TrilinosWrappers::MPI::Vector &
    get_solution() const
    {
      return relevant_solution;
    }

    const materials::LiDiffusivity<dim> &
    get_diffusivity() const
    {
      return diffusivity;
    }

    /// Orientation tensor Q diag(f) Q^T of the crystal of the grain the
    /// particle cell @p cell lies in (Particle/Orientation): the diffusivity
    /// there is D = g b times it.
    const dealii::SymmetricTensor<2, dim> &
    orientation_tensor(const dealii::CellId &cell) const
    {
      return grain_orientation[grain_of_coarse_cell[cell.get_coarse_cell_id()]];
    }

    /// Number of grains (crystals) of the particle(s).
    unsigned int
    n_grains() const
    {
      return grain_orientation.size();
    }

    /// Arrhenius factor applied to the diffusivity.
    double
    diffusivity_temperature_factor() const
    {
      return diffusivity_arrhenius;
    }

    double
    get_max_li_concentration() const
    {
      return max_li_concentration;
    }

    /// Position, weight (JxW) and reaction current density i (A/m^2,
    /// contact factor included) at each locally owned interface quadrature
    /// point, in the order of contact_factors().
    struct InterfacePoint
    {
      dealii::Point<dim> position;
      double             JxW;
      double             current_density;
    };

    std::vector<InterfacePoint>
    interface_points() const;

    /// Conversion extent xi = clamp(theta, 0, 1) at each quadrature point of
    /// the locally owned particle cells, indexed active_cell_index * n_q + q
    /// (the layout of hydrostatic_stresses() and of the mechanics).
    std::vector<double>
    conversion_extent_at_quadrature_points() const;

    /// What sets the swelling (and the moduli) of each particle
    /// quadrature point: the Li content theta plus @p kept (0..1) times
    /// the converted material that has been delithiated again,
    /// max(xi - theta, 0), xi the conversion history (with irreversible
    /// conversion; theta alone otherwise).
    std::vector<double>
    swelling_extent_at_quadrature_points(const double kept) const;

    /// Mean over the particle's volume of values at its quadrature points
    /// (the layout of conversion_extent_at_quadrature_points()).
    double
    particle_mean(const std::vector<double> &at_quadrature_points) const;

    /// Hook for the mechanics: contact factor a in [0,1] at each interface
    /// quadrature point, in the order of the interface face list.
    std::vector<double> &
    contact_factors()
    {
      return contact_factor;
    }

    const std::vector<double> &
    contact_factors() const
    {
      return contact_factor;
    }

    /// The ionic access chi in [0,1] at each interface quadrature point
    /// (0 on an ion-blocked cap, Kinetics/Ion-blocked fraction; 1 with a
    /// liquid), in the order of contact_factors(): the contact with the
    /// electrolyte is a chi.
    const std::vector<double> &
    ionic_accesses() const
    {
      return ionic_access;
    }

    /// The interface faces (owned particle side) in the order of
    /// contact_factors(), face_quadrature_size() points each.
    const std::vector<regions::InterfaceFace<dim>> &
    get_interface_faces() const
    {
      return interface_faces;
    }

    unsigned int
    face_quadrature_size() const
    {
      return face_quadrature.size();
    }

    /**
     * Converted depth along each sample axis (m; z is 0 in 2D): along the
     * rays from the particle's centroid (of the largest particle if the
     * mesh holds several) in +e_k and -e_k, the distance
     * from the particle surface inwards to where the Li content first
     * falls below @p threshold (linear interpolation between 200 samples
     * per ray), the mean of the two rays; the ray's length if it never
     * does, 0 if the surface is already below.
     */
    std::array<double, 3>
    converted_depths(const double threshold = 0.5) const;

    /// Total side-reaction current (A, or A/m in 2D; < 0) at the present
    /// state.
    double
    side_reaction_current() const;

    /// Charge the side reaction has consumed over the accepted steps (C,
    /// or C/m in 2D).
    double
    side_reaction_charge() const
    {
      return side_charge;
    }

    /// Area resistance (Ohm m^2) of the layer the side reaction has left
    /// on the touching interface, rho Q V / (F A) (Kinetics/Side reaction
    /// film resistivity, ... molar volume): in series with the kinetics of
    /// every touching point, lagged by one step (Q of the accepted steps).
    double
    film_resistance() const;

    /// Converted extent xi in [0,1] at each quadrature point of each
    /// locally owned particle cell, in active-cell order: the largest Li
    /// content of the accepted steps with `Particle/Irreversible
    /// conversion`, else 0.
    const std::vector<double> &
    converted_extents() const
    {
      return converted_extent;
    }

    /// Whether the converted extent is a history (`Particle/Irreversible
    /// conversion`).
    bool
    irreversible_conversion() const
    {
      return parameters.particle.irreversible_conversion;
    }

    /// Hook for the mechanics: hydrostatic stress (Pa) at each quadrature
    /// point of each locally owned particle cell, in active-cell order.
    std::vector<double> &
    hydrostatic_stresses()
    {
      return hydrostatic_stress;
    }

    /// Exponent Omega sigma_h / R T of the stress factor on the
    /// diffusivity, with sigma_h bounded by `Particle/Stress coupling
    /// limit`.
    double
    stress_factor_exponent(const double sigma_h) const;

    /// Root mean square, over the particle's quadrature points (all
    /// processes), of the change of the stress-factor exponent from
    /// hydrostatic_stresses() to @p sigma_h (same layout).
    double
    stress_factor_change(const std::vector<double> &sigma_h) const;

    dealii::types::global_dof_index
    n_dofs() const
    {
      return dof_handler.n_dofs();
    }

    /**
     * Small-signal impedance of the cell about the current state, per
     * interface area (ohm m^2): the discretised system linearised at the
     * current fields and particle potential and solved at each of
     * @p frequencies (Hz, > 0) in the real 2x2 block form of
     * (J + i omega M) du = -b dphi_s, with J the steady Jacobian, M the Li
     * storage and the double-layer charging C_dl a d(phi_s - phi_e)/dt at
     * the interface (a the contact factor), and the current perturbation
     * c.du + d dphi_s = dI; Z = dphi_s / dI times the interface area. The
     * mechanical state (contact, stresses) is held (a direct solve per
     * frequency: meant for the states a user asks for).
     */
    std::vector<std::complex<double>>
    impedance(const std::vector<double> &frequencies);

  private:
    struct Assembly;

    void
    setup_dofs();

    void
    setup_interface();

    void
    assemble(const double time_step, Assembly &out);

    /// solve_time_step() (@p potentiostatic false: @p value the current)
    /// and solve_time_step_at_voltage() (true: @p value the voltage).
    StepResult
    solve_controlled_step(const double time_step,
                          const double value,
                          const Branch branch,
                          const bool   potentiostatic);

    /// Side-reaction current density (A/m^2, < 0: cathodic) and its
    /// derivative by phi_s at interface point k (contact factor and
    /// passivation included); zero without a side reaction.
    materials::ButlerVolmer::Value
    side_reaction(const unsigned int k, const double phi_e) const;

    /// Shift of the open-circuit potential on interface face @p face by the
    /// particle's hydrostatic stress there, Omega sigma_h / F (V;
    /// Particle/Conversion volume per Li), the stress lagged like the
    /// diffusivity's.
    double
    open_circuit_stress_shift(const unsigned int face) const;

    /// Butler-Volmer current density and d i / d eta at interface point k,
    /// contact factor included, for the current phi_s.
    materials::ButlerVolmer::Value
    interface_reaction(const unsigned int k,
                       const double       theta,
                       const double       phi_e) const;

    /// Newton for the potentials (phi_s, or every phi_s,k and V) with the
    /// fields frozen: a cheap predictor for the start of a step.
    void
    predict_particle_potential(const double current);

    /// Number of potential unknowns: n_particles() with separate
    /// potentials, else 1.
    unsigned int
    n_potentials() const
    {
      return particle_potentials.size();
    }

    /// Which potential interface face @p face (index into the interface
    /// face list) sees.
    unsigned int
    potential_of(const unsigned int face) const
    {
      return separate_potentials ? particle_of_face[face] : 0;
    }

    /// Reaction current (side reaction included; A, or A/m in 2D) and its
    /// derivative by phi_s (A/V) summed over the interface faces of each
    /// group, group_of_face(face) in [0, @p n_groups). Collective.
    template <typename Group>
    std::array<std::vector<double>, 2>
    interface_currents(const unsigned int n_groups,
                       const Group       &group_of_face) const;

    /// Electronic conductance a_e,k / r_e of each particle's contact at
    /// the present contact factors (S, or S/m in 2D). Collective.
    std::vector<double>
    electronic_conductances() const;

    /**
     * The dense part of a Newton step with separate potentials: given
     * the particles' currents I_k and d I_k / d phi_s,k (d), the coupling
     * (c_k . J^-1 b_l) (cx) and (c_k . J^-1 (-R)) (cx0), the electronic
     * conductances G_k and the cell current I, the updates of phi_s,k and,
     * last, of V.
     */
    std::vector<double>
    potential_update(const std::vector<double>              &currents,
                     const std::vector<double>              &d,
                     const std::vector<std::vector<double>> &cx,
                     const std::vector<double>              &cx0,
                     const std::vector<double>              &conductance,
                     const double                            current) const;

    /// Calls f(q_index_global, JxW, theta, phi_e) at every interface
    /// quadrature point of the locally owned particle cells.
    template <typename F>
    void
    for_each_interface_point(const F &f) const;

    const materials::OpenCircuitCurve &
    open_circuit() const
    {
      return branch == Branch::discharge ? ocv_discharge : ocv_charge;
    }

    /// a copy, not a reference: a caller may pass a temporary
    const Parameters                                   parameters;
    dealii::parallel::distributed::Triangulation<dim> &triangulation;
    dealii::ConditionalOStream                        &pcout;
    MPI_Comm                                           mpi_communicator;

    dealii::hp::FECollection<dim> fe_collection;
    dealii::DoFHandler<dim>       dof_handler;
    dealii::QGauss<dim>           cell_quadrature;
    dealii::QGauss<dim - 1>       face_quadrature;

    dealii::IndexSet                  locally_owned_dofs;
    dealii::IndexSet                  locally_relevant_dofs;
    dealii::AffineConstraints<double> update_constraints;

    dealii::TrilinosWrappers::SparseMatrix jacobian;
    dealii::TrilinosWrappers::SparseMatrix preconditioner_matrix;
    dealii::TrilinosWrappers::MPI::Vector  solution;          // owned
    dealii::TrilinosWrappers::MPI::Vector  old_solution;      // owned
    dealii::TrilinosWrappers::MPI::Vector  relevant_solution; // ghosted
    dealii::TrilinosWrappers::MPI::Vector  relevant_old_solution;
    /// phi_s (one) or phi_s,k (separate potentials), V vs Li
    std::vector<double>                    particle_potentials{0.};
    std::vector<double>                    old_particle_potentials{0.};
    double cell_potential     = 0; ///< V, the unknown with separate potentials
    double old_cell_potential = 0;
    unsigned int particle_count      = 1;
    bool         separate_potentials = false;
    /// particle of each interface face (index into interface_faces) and
    /// of each coarse cell (invalid_unsigned_int on electrolyte cells)
    std::vector<unsigned int> particle_of_face;
    std::vector<unsigned int> particle_of_coarse_cell;
    /// the particle converted_depths() measures: the largest
    unsigned int imaged_particle = 0;
    double electronic_drop     = 0; ///< V, I r_e / (A f) of the last solve
    double last_step_current   = 0; ///< A, of the last solve
    double old_electronic_drop = 0; ///< V, of the last accepted step

    std::vector<regions::InterfaceFace<dim>> interface_faces;
    std::vector<double>        contact_factor;
    /// JxW of the interface points on the conducting network (electronic
    /// contact), 0 elsewhere
    std::vector<double>        electronic_weight;
    double                     network_area = 0; ///< sum of electronic_weight
    /// 0 at the interface points of the ion-blocked caps (Kinetics/
    /// Ion-blocked fraction), 1 elsewhere
    std::vector<double>        ionic_access;
    /// Fraction of interface point @p k in contact with the electrolyte:
    /// the contact factor where the electrolyte touches the surface, 0 on
    /// an ion-blocked cap. The reaction, the double layer and the contact
    /// fraction see it; the electronic contact sees the contact factor.
    double
    ionic_contact(const unsigned int k) const
    {
      return contact_factor[k] * ionic_access[k];
    }
    std::vector<double>        hydrostatic_stress;
    dealii::Point<dim>  particle_centroid; ///< m, of the particle cells
    /// grain of each coarse cell (particle_grains) and its crystal's
    /// orientation tensor
    std::vector<unsigned int>                    grain_of_coarse_cell;
    std::vector<dealii::SymmetricTensor<2, dim>> grain_orientation;
    std::vector<double> particle_extent;   ///< m, reach along +e_0, -e_0, +e_1, ...
    /// the locally owned cells' bounding-box tree (and the mapping it
    /// uses) that converted_depths() locates its samples with, built once
    std::unique_ptr<dealii::GridTools::Cache<dim, dim>> cell_locator;
    double side_charge         = 0; ///< C consumed by the side reaction
    double attempted_time_step = 0; ///< s, of the last solve_time_step
    /// converted extent xi (largest accepted Li content) per particle
    /// quadrature point, active-cell order; 0 unless irreversible
    std::vector<double>        converted_extent;

    materials::LiDiffusivity<dim> diffusivity;
    materials::ButlerVolmer       kinetics;
    materials::OpenCircuitCurve   ocv_discharge;
    materials::OpenCircuitCurve   ocv_charge;
    Branch                        branch = Branch::discharge;

    double temperature;
    double max_li_concentration;   // mol/m^3
    double conductivity;           // S/m at the cell temperature
    double exchange_current;       // A/m^2 at the cell temperature
    double diffusivity_arrhenius;  // factor
    double particle_volume = 0;    // m^3
    double interface_area  = 0;    // m^2
  };
} // namespace ssbsim
