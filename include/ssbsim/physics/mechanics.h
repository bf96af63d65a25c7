#pragma once

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/function.h>
#include <deal.II/base/index_set.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/mapping.h>
#include <deal.II/hp/fe_collection.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/vector.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <ssbsim/materials/cohesive.h>
#include <ssbsim/materials/hyperelastic.h>
#include <ssbsim/materials/plasticity.h>
#include <ssbsim/physics/regions.h>

#include <memory>
#include <string>
#include <vector>

namespace dealii::TrilinosWrappers
{
  class PreconditionAMG;
}

namespace ssbsim
{
  /// The sparse LU of one mechanics matrix, applied as a preconditioner
  /// (mechanics.cc)
  class KeptFactorization;

  /// Interface state on one particle/electrolyte face: its vertices
  /// (reference position), the particle-side displacement there, and the
  /// means of Mechanics::InterfacePoint over its quadrature points.
  template <int dim>
  struct InterfaceFaceData
  {
    std::vector<dealii::Point<dim>>     vertices;
    std::vector<dealii::Tensor<1, dim>> displacement;
    double gap = 0, slip = 0, normal_traction = 0, shear_traction = 0,
           damage = 0, debonded = 0, contact = 0;
    /// mean ionic access chi (0 on an ion-blocked cap), filled by the
    /// output from the electrochemistry
    double ionic_access = 1;
  };

  /**
   * Quasi-static finite-strain mechanics of the swelling particle in the
   * electrolyte (PHYSICS.md section 3; work in progress for issue 4).
   *
   * Two displacement fields, u_p on particle cells and u_e on electrolyte
   * cells (step-46: hp::FECollection with FE_Nothing), so the displacement
   * may jump across the interface; the interface carries springs of
   * stiffness k (Pa/m) between the two sides (the intact cohesive zone).
   * Total Lagrangian, F = I + grad u = F_e F_sw with F_sw from the
   * conversion extent xi at each particle quadrature point, compressible
   * neo-Hookean F_e with moduli mixed linearly in xi. Newton with
   * backtracking line search; CG with ML AMG given the rigid-body modes of
   * each body.
   */
  template <int dim>
  class Mechanics
  {
  public:
    struct Materials
    {
      materials::NeoHookean<dim> pristine;
      materials::NeoHookean<dim> converted;
      materials::NeoHookean<dim> electrolyte;
      /// the compliant fictitious solid of the empty pores (cells of
      /// ids::third_medium), and the penalty alpha (Pa) of its
      /// regularisation alpha/2 int |F - <F>_cell|^2 dV
      materials::NeoHookean<dim> third_medium = {0., 0.};
      double                     third_medium_regularisation = 0;
      /// true: the electrolyte is elastic-plastic (electrolyte_plasticity,
      /// whose elastic moduli replace `electrolyte`)
      bool                    electrolyte_plastic = false;
      materials::J2Plasticity electrolyte_plasticity = {};
      /// true: the particle is elastic-plastic too (J2 with the moduli of
      /// `pristine`/`converted` and a yield stress, all mixed linearly in
      /// xi, after the swelling: F = F_e F_p F_sw)
      bool   particle_plastic       = false;
      double pristine_yield_stress  = 5e9; ///< Pa
      double converted_yield_stress = 1e9; ///< Pa
      double particle_hardening     = 1e9; ///< Pa
      double swelling = 1.61; ///< beta: volume x (1 + beta) at xi = 1
      /// swelling frame: columns are the crystal axes (identity: sample
      /// axes) and the exponents e_i of the stretch (1 + beta xi)^e_i along
      /// them (sum 1; 1/dim each: isotropic)
      dealii::Tensor<2, dim> swelling_axes = dealii::unit_symmetric_tensor<dim>();
      double swelling_exponents[dim] = {};
      bool   isotropic_swelling      = true; ///< ignore the two above
      /// FeS2/LPS interface; its stiffness is the penalty, also in
      /// compression
      materials::CohesiveLaw cohesive = {1e17, 20e6, 30e6, 1., 3., 2.};
      bool   interface_intact = false; ///< true: no damage (a parameter switch)
      /// Grain boundaries that can open (`Mechanics/Grain boundaries`):
      /// the colour (0, 1, ...) of the grain of each coarse cell, by
      /// coarse-cell id (numbers::invalid_unsigned_int off the particle;
      /// grain_colours()), such that grains that share a vertex differ.
      /// Colour c carries its own displacement field, so the faces between
      /// grains of different colours are discontinuous and held by the
      /// cohesive law grain_boundary (with the interface's viscosity,
      /// damping and residual spring). Empty: each particle is one
      /// continuous body (one field).
      std::vector<unsigned int> grain_colour_of_coarse_cell;
      materials::CohesiveLaw    grain_boundary = {1e17, 20e6, 30e6, 1., 3., 2.};
      /// true: a liquid electrolyte that wets the particle and bears no
      /// load: its displacement unknowns are held at zero, the interface
      /// carries only the residual stiffness (which holds the particle's
      /// rigid-body motion at negligible traction), and every interface
      /// point is in contact
      bool   wetting_electrolyte = false;
      double closure_gap      = 10e-9; ///< gap at which contact is lost, m
      /// hardness H of the asperities of a debonded face (Pa): its
      /// conducting fraction is p / H (materials::asperity_contact);
      /// 0: a debonded face conducts wherever it is closed
      double contact_hardness = 0;
      /// true: the bonded part 1 - d of an interface point conducts
      /// whatever its mean gap (materials::interface_contact); false: the
      /// closure factor of the gap applies to the whole point
      bool bonded_part_bridging = false;
      /// true: one contact factor per interface face from the mean of its
      /// vertex gaps along the vertex normals; false: per quadrature point
      /// from its own gap
      bool contact_per_face = false;
      /// fraction of each particle's interface that starts debonded (the
      /// cap around debonded_direction, see debond_initial_cap()): one
      /// value for every particle or one per particle; empty or 0: bonded
      std::vector<double>    initially_debonded_fraction;
      dealii::Tensor<1, dim> debonded_direction;
      /// particle (from 0) of each coarse cell, by coarse-cell id (as
      /// Electrochemistry numbers them); empty: one particle
      std::vector<unsigned int> particle_of_coarse_cell;
      /// polynomial degree of the geometry (MappingQ): 2 follows the
      /// curved particle surface, so that faces sliding along it do not
      /// ride over the kinks of a faceted (degree 1) interface
      unsigned int mapping_degree = 1;
      double interface_viscosity = 0;  ///< damage regularisation time, s
      /// spring (Pa/m) added to the cohesive law everywhere on the
      /// interface: a fully debonded particle would otherwise float (its
      /// rigid-body motions unconstrained, the stiffness matrix singular)
      double residual_stiffness = 0;
      /// viscous traction c d[[u]]/dt on the interface (Pa s/m); 0: none
      double interface_damping = 0;
      /// relative residual reduction of each Krylov solve in Newton
      double linear_tolerance = 1e-10;
      /// keep the ML hierarchy across time steps (else: rebuilt at the
      /// first Newton iteration of each solve)
      bool keep_preconditioner = false;
      /// sparse LU (Amesos KLU) instead of ML AMG: the Newton systems
      /// solved with it
      bool direct_solver = false;
      /// with direct_solver: the LU of an earlier Newton matrix kept as
      /// the preconditioner of CG/GMRES (refactorised when a solve needs
      /// more than lu_refresh_iterations) instead of a factorisation of
      /// every Newton matrix
      bool reuse_factorization = true;
      /// Krylov iterations of a solve with the kept LU beyond which it is
      /// refactorised
      unsigned int lu_refresh_iterations = 10;
      /// true: F-bar (mean dilatation): each quadrature point's volume
      /// change beyond its swelling replaced by its cell's, F_bar = (J_bar
      /// J_sw / J)^(1/dim) F with J_bar = int J dV / int J_sw dV (see
      /// deformation_gradients(); de Souza Neto et al., Int. J. Solids
      /// Struct. 33 (1996) 3277): Q1 does not lock under isochoric plastic
      /// flow and its pressure does not oscillate inside the cell
      bool f_bar = true;
      /// floor of the contact factor: a fully debonded particle keeps this
      /// much conductance, so that the galvanostatic constraint stays
      /// solvable and the voltage runs to the cutoff instead of the solver
      /// failing
      double residual_contact = 1e-10;
    };

    /// Boundary conditions: all components fixed, or only the normal one
    /// (symmetry plane / roller; the face must be a plane normal to an axis).
    struct Support
    {
      enum Kind
      {
        fixed,        ///< u = value on the boundary
        normal_fixed  ///< u . n = 0 (planes normal to an axis)
      };
      dealii::types::boundary_id boundary;
      Kind                       kind;
      dealii::Tensor<1, dim>     value = {};
    };

    Mechanics(const Materials                                   &materials,
              dealii::parallel::distributed::Triangulation<dim> &tria,
              dealii::ConditionalOStream                        &pcout);

    /// The simulated cell's supports: its Li side (ids::li_side) held, the
    /// faces across the stack axis (ids::other) symmetry planes or, with
    /// @p lateral_faces_free, traction free (`Operating conditions/Lateral
    /// faces`).
    static std::vector<Support>
    cell_supports(const bool lateral_faces_free);

    /// @p length_scale (m) sets the absolute Newton tolerance on updates.
    void
    setup(const std::vector<Support> &supports, const double length_scale);

    /// Dead-load pressure (Pa, compressive positive) on a boundary.
    void
    set_pressure(const dealii::types::boundary_id boundary, const double p)
    {
      pressure_boundary = boundary;
      pressure          = p;
    }

    /// Conversion extent at each particle quadrature point, indexed
    /// active_cell_index * n_q + q (the layout Electrochemistry uses).
    std::vector<double> &
    conversion_extent()
    {
      return xi;
    }

    struct SolveResult
    {
      bool         converged         = false;
      unsigned int newton_iterations = 0;
      unsigned int linear_iterations = 0;
      std::string  failure;
      /// l2 norm of the residual at each Newton iterate (N in 3D, N/m in 2D)
      std::vector<double> residual_norms;
    };

    /// @p time_step (s) enters only the viscous regularisation of damage.
    SolveResult
    solve(const bool use_rigid_body_modes = true, const double time_step = 1.);

    /// Wall time (s, this process) spent in the parts of solve() so far.
    struct Timings
    {
      double assembly       = 0; ///< residuals and matrices, line search included
      double preconditioner = 0; ///< ML AMG set-up or sparse LU
      double linear_solver  = 0; ///< CG / GMRES, or the exact LU solves
      /// ML hierarchies set up or sparse LU factorisations (either kind)
      unsigned int preconditioner_builds = 0;
    };

    const Timings &
    timings() const
    {
      return timings_;
    }

    /// Makes the interface damage of the last solve irreversible history.
    void
    accept();

    /// The initial guess of the next solve, over a step of @p dt (s): the
    /// accepted displacement, moved on at the last accepted step's rate
    /// if @p extrapolate (linear extrapolation; the converged state does
    /// not depend on it, the Newton iterations do).
    void
    predict(double dt, bool extrapolate);

    /// Sets the displacement to @p particle on particle cells and to
    /// @p electrolyte on electrolyte cells (interpolated at the vertices),
    /// without solving: for tests of the interface kinematics.
    void
    set_displacement(const dealii::Function<dim> &particle,
                     const dealii::Function<dim> &electrolyte);

    /**
     * Verification of the Newton matrix K at the current displacement u:
     * the relative difference |(R(u + h d) - R(u)) / h - K d| / |K d| of
     * the assembled residual R along the direction @p particle /
     * @p electrolyte (interpolated as in set_displacement(), constrained
     * entries removed), from the last accepted history. Leaves u, the
     * history and the time step of the last solve unchanged.
     */
    double
    tangent_error(const dealii::Function<dim> &particle,
                  const dealii::Function<dim> &electrolyte,
                  const double                 h);

    /// Prescribed displacement of a `fixed` support (applied at the next
    /// solve).
    void
    set_support_value(const dealii::types::boundary_id boundary,
                      const dealii::Tensor<1, dim>    &value);

    /// Contact factor a = closure(gap) at each interface quadrature point
    /// (Li+ crosses where the solids touch, bonded or not), in the order
    /// Electrochemistry::contact_factors() uses.
    std::vector<double>
    contact_factors() const;

    /// State of one interface quadrature point after the last solve.
    struct InterfacePoint
    {
      double gap;             ///< normal opening [[u]].n, m (< 0: closed)
      double slip;            ///< tangential separation, m
      double normal_traction; ///< t.n on the particle side, Pa (> 0: tension)
      double shear_traction;  ///< |t - (t.n) n|, Pa
      double damage;          ///< strength loss D in [0,1]
      double debonded = 0;    ///< debonded fraction d in [0,1] (>= D)
      double contact;         ///< contact factor a in [residual, 1]
    };

    /// Every interface quadrature point, in the order of contact_factors().
    std::vector<InterfacePoint>
    interface_points() const;

    /// One entry per locally owned interface face (output).
    std::vector<InterfaceFaceData<dim>>
    interface_face_data() const;

    /// Damage as strength loss D = 1 - t_eq/t_0 (of the law, irreversible;
    /// see materials::CohesiveState::strength_loss) at each interface quadrature
    /// point of the last solve, in the order of contact_factors().
    std::vector<double>
    interface_damage() const
    {
      std::vector<double> d;
      for (unsigned int k = 0; k < trial_interface_state.size(); ++k)
        d.push_back(damage_at(k));
      return d;
    }

    /// Interface averages: separation [[u]] = u_e - u_p and traction on
    /// the particle side (Pa), and the mean damage (strength loss).
    struct InterfaceAverages
    {
      dealii::Tensor<1, dim> separation;
      dealii::Tensor<1, dim> traction;
      double                 damage;
    };

    InterfaceAverages
    interface_averages() const;

    /// The same averages over the grain boundaries (faces between grains
    /// of different colours, Materials::grain_colour_of_coarse_cell): the
    /// jump u_b - u_a from the grain a of the lower colour to b, the
    /// traction on a. All zero where there are none.
    InterfaceAverages
    grain_boundary_averages() const;

    /// Number of grain-boundary faces (all processes) and the number of
    /// grain colours (displacement fields of the particle).
    std::pair<unsigned int, unsigned int>
    grain_boundary_size() const;

    /// Cauchy hydrostatic stress tr(sigma)/3 (Pa) at each particle
    /// quadrature point (with @p particle_only false: at every point),
    /// same layout as conversion_extent(); zero at the points left out.
    std::vector<double>
    hydrostatic_stress(const bool particle_only = true) const;

    /// Cell means (over the reference volume) of the von Mises and
    /// hydrostatic Cauchy stress (Pa), of the volume ratio J = det F, of
    /// the equivalent plastic strain and of the electrolyte's porosity,
    /// indexed by active_cell_index (locally owned cells; 0 elsewhere).
    struct CellStress
    {
      dealii::Vector<float> von_mises;
      dealii::Vector<float> hydrostatic;
      dealii::Vector<float> volume_ratio;
      dealii::Vector<float> plastic_strain; ///< equivalent, electrolyte
      /// porosity left in the electrolyte (Electrolyte porosity: its pores
      /// compacted by the pressure); 0 in the particle
      dealii::Vector<float> porosity;
    };

    CellStress
    cell_stress() const;

    /// Average over the reference volume of the cells of @p material of
    /// the Cauchy stress, or (@p kirchhoff) of the Kirchhoff stress
    /// J sigma, whose integral over a body is int t (x) x da: zero for a
    /// body without surface tractions.
    dealii::Tensor<2, dim>
    mean_stress(const dealii::types::material_id material,
                const bool                       kirchhoff = false) const;

    /// Current volume of the particle over its reference volume,
    /// int J dV / V_0 over the particle cells.
    double
    particle_volume_ratio() const;

    /// Cells folded at a corner: det F = det(I + grad u) <= 0 at one of
    /// their vertices. A bilinear (trilinear) cell can fold there while
    /// det F stays positive at its quadrature points, where the faces of
    /// an empty pore or of a re-entrant corner run into each other: the
    /// model has no contact between the faces of one body, so such
    /// material overlaps (the result is wrong there, and further on the
    /// mechanics fails). Over all ranks.
    struct FoldedCells
    {
      unsigned int count = 0; ///< cells with det F <= 0 at a vertex
      double       smallest_jacobian = 1; ///< smallest det F at any vertex
      dealii::Point<dim> where; ///< reference centre of that cell, m
      dealii::types::material_id material = 0; ///< and its material id
    };

    FoldedCells
    folded_cells() const;

    const dealii::DoFHandler<dim> &
    get_dof_handler() const
    {
      return dof_handler;
    }

    const dealii::TrilinosWrappers::MPI::Vector &
    get_solution() const
    {
      return relevant_solution;
    }

    dealii::types::global_dof_index
    n_dofs() const
    {
      return dof_handler.n_dofs();
    }

  private:
    void
    assemble(const bool with_matrix, dealii::TrilinosWrappers::MPI::Vector &residual);

    /// Calls f(k, JxW, jump, normal) at each interface quadrature point k.
    template <typename F>
    void
    for_each_interface_point(const F &f) const
    {
      for_each_jump(interface_faces, f);
    }

    /// Calls f(k, JxW, jump, normal) at each quadrature point k of
    /// @p faces: jump = u(neighbour) - u(cell), normal out of the cell.
    template <typename F>
    void
    for_each_jump(const std::vector<regions::InterfaceFace<dim>> &faces,
                  const F                                        &f) const;

    /// Reinitialises an FEFaceValues of each side's element (the cell's
    /// with @p flags, the neighbour's with values) on each of @p faces,
    /// so that they see the same quadrature points in the same order,
    /// and calls f(k, cell, neighbour, cell_values, neighbour_values).
    template <typename F>
    void
    for_each_face_pair(const std::vector<regions::InterfaceFace<dim>> &faces,
                       const dealii::UpdateFlags                       flags,
                       const F                                        &f) const;

    /// A cell of the particle (any grain colour), not the electrolyte or
    /// the third medium: FE indices particle_fe and those past
    /// third_medium_fe (grain colours 1, 2, ...)
    static bool
    is_particle(const unsigned int fe_index)
    {
      return fe_index == regions::particle_fe || fe_index > regions::third_medium_fe;
    }

    /// The FE index of grain colour @p c.
    static unsigned int
    fe_of_colour(const unsigned int c)
    {
      return c == 0 ? regions::particle_fe : regions::third_medium_fe + c;
    }

    /// Sets the active FE index of the locally owned cells from their
    /// material and grain colour; lists the grain-boundary faces.
    void
    assign_fe_indices();

    /// Calls f(cell, fe_values, displacement gradients) on each locally
    /// owned cell (particle cells only if @p particle_only), with the
    /// FEValues of its element reinitialised at @p quadrature (gradients
    /// and the further @p flags).
    template <typename Callback>
    void
    for_each_cell_gradient(const dealii::Quadrature<dim> &quadrature,
                           const dealii::UpdateFlags      flags,
                           const bool                     particle_only,
                           const Callback                &f) const;

    /// Calls f(cell, index, Cauchy stress (3D: sigma_zz of plane strain
    /// included), F, JxW) at each quadrature point of the locally owned
    /// cells (particle cells only if @p particle_only); index =
    /// active_cell_index * n_q + q.
    template <typename Callback>
    void
    for_each_stress_point(const bool particle_only, const Callback &f) const;

    /// Damage (strength loss) at interface point @p k of the last solve;
    /// 0 with the interface held intact.
    double
    damage_at(const unsigned int k) const
    {
      return materials.interface_intact ? 0. :
                                          trial_interface_state[k].strength_loss;
    }

    /// Debonded fraction d of interface point @p k in the last solve: the
    /// part of its area that the cohesive-frictional law splits off into
    /// unilateral contact with friction (the regularised d its traction
    /// uses); 0 with the interface held intact.
    double
    debonded_fraction(const unsigned int k) const
    {
      return materials.interface_intact ? 0. :
                                          trial_interface_state[k].viscous_damage;
    }

    /// Traction (Pa) on the particle side at interface point @p k of the
    /// last solve, including the residual spring.
    dealii::Tensor<1, dim>
    interface_traction(const unsigned int            k,
                       const dealii::Tensor<1, dim> &jump,
                       const dealii::Tensor<1, dim> &normal) const;

    void
    apply_boundary_values();

    /**
     * Vertex normals of the interface for the contact factor per face: on
     * a faceted (Q1) interface, sliding by s along one facet moves a
     * vertex by s sin(theta) off the next facet (theta the kink angle
     * between them), an artificial gap of tens of nanometres at the slips
     * of the coupled runs. Measured along the mean normal of the faces
     * around the vertex, a tangential slip along the smooth surface makes
     * no gap to first order.
     */
    void
    setup_vertex_normals();

    /**
     * The initially debonded cap (Materials::initially_debonded_fraction,
     * the fraction f of the point's particle): every interface point
     * whose outward particle normal n has
     * n . a >= cos(phi) with the unit axis a starts fully damaged
     * (d = d_v = D = 1), phi the half angle of a cap that is the
     * fraction f of a circle (2D: phi = pi f) or of a sphere (3D:
     * cos(phi) = 1 - 2 f).
     */
    void
    debond_initial_cap();

    /// F-bar on the cells of FE index @p fe_index: not in the third
    /// medium, whose pointwise ln J barrier is what stops a closing pore
    /// (with J averaged over the cell a Gauss point could pass J = 0; the
    /// medium is compressible and does not lock)
    bool
    f_bar_on(const unsigned int fe_index) const
    {
      return materials.f_bar && fe_index != regions::third_medium_fe;
    }

    /// The Newton matrix is symmetric (CG) unless the interface can damage
    /// or slide.
    bool
    symmetric_matrix() const
    {
      // damage growth and sliding friction make the interface tangent
      // unsymmetric, and so does the J2 return map
      // and F-bar (the volumetric part couples the cell's points)
      return materials.interface_intact && !materials.particle_plastic &&
             !materials.electrolyte_plastic && !materials.f_bar &&
             n_colours == 1;
    }

    std::vector<double>
    rigid_body_modes() const;

    /// A new preconditioner of the current matrix: its sparse LU with
    /// materials.direct_solver, else an ML hierarchy (with the rigid-body
    /// modes of each body as its near null space if asked)
    void
    build_preconditioner(bool use_rigid_body_modes);

    /// Whether the kept preconditioner must be rebuilt before the next
    /// Krylov solve: none yet, or its last solve took too many iterations
    /// (AMG: twice those of its first solve; the LU: more than
    /// lu_refresh_iterations, where a factorisation costs less than the
    /// iterations it saves)
    bool
    preconditioner_stale() const;

    /// CG (a symmetric matrix) or right-preconditioned GMRES on the
    /// current matrix: x = matrix^-1 rhs to the control's tolerance
    template <typename Preconditioner>
    void
    krylov_solve(dealii::SolverControl                       &control,
                 const dealii::TrilinosWrappers::MPI::Vector &rhs,
                 dealii::TrilinosWrappers::MPI::Vector       &x,
                 const Preconditioner &preconditioner) const;

    /// Calls f(dof, component, vertex) for each locally owned unknown of
    /// the locally owned cells (Q1: every unknown sits at a vertex);
    /// components 0..dim-1 are the particle's (grain colour 0),
    /// dim..2dim-1 the electrolyte's, (c+1)dim.. those of grain colour c.
    template <typename F>
    void
    for_each_owned_vertex_unknown(const F &f) const;

    /// Closure factor 1 - S(g / g_c) of each interface face from the mean
    /// gap of its vertices along the vertex normals (no floor, no
    /// asperity factor: interface_points() applies them).
    std::vector<double>
    face_contact_factors() const;

    /// The elastic law and swelling stretch tensor F_sw at conversion
    /// extent xi on a cell with FE index @p fe_index (moduli mixed linearly
    /// in xi).
    std::pair<materials::NeoHookean<dim>, dealii::Tensor<2, dim>>
    material_at(const unsigned int fe_index, const double conversion) const;

    /// First Piola-Kirchhoff stress and (if @p with_tangent) dP/dF at the
    /// quadrature point @p index of a cell with FE index @p fe_index; an
    /// elastic-plastic electrolyte point writes its updated state to the
    /// trial history.
    std::pair<dealii::Tensor<2, dim>, dealii::Tensor<4, dim>>
    stress_response(const unsigned int            fe_index,
                    const unsigned int            index,
                    const dealii::Tensor<2, dim> &F,
                    const bool                    with_tangent);

    /// Cauchy stress (3D; plane strain includes sigma_zz) of the last solve.
    dealii::Tensor<2, 3>
    cauchy_stress(const unsigned int            fe_index,
                  const unsigned int            index,
                  const dealii::Tensor<2, dim> &F) const;

    bool
    plastic(const unsigned int fe_index) const
    {
      return is_particle(fe_index)               ? materials.particle_plastic :
             fe_index == regions::electrolyte_fe ? materials.electrolyte_plastic :
                                                   false;
    }

    /// The elastic-plastic law of a body and its swelling stretch at the
    /// conversion extent @p conversion (only if plastic(fe_index)).
    std::pair<materials::J2Plasticity, dealii::Tensor<2, dim>>
    plastic_law_at(const unsigned int fe_index, const double conversion) const;

    /// The deformation gradients F = I + grad u of a cell's quadrature
    /// points (@p grad, weights @p JxW; body @p fe_index, points from
    /// @p first in the layout of conversion_extent()) into @p F, and the
    /// ones the constitutive laws see into @p F_bar: F itself, or with
    /// Materials::f_bar (J_bar J_sw / J)^(1/dim) F, where J_bar = int J dV
    /// / int J_sw dV is the cell's volume change beyond its swelling (the
    /// swelling J_sw varies inside a cell at the front and is no
    /// constraint; the elastic-plastic volume change is).
    void
    deformation_gradients(const std::vector<dealii::Tensor<2, dim>> &grad,
                          const dealii::FEValues<dim, dim>          &JxW,
                          const unsigned int                         fe_index,
                          const unsigned int                         first,
                          std::vector<dealii::Tensor<2, dim>>       &F,
                          std::vector<dealii::Tensor<2, dim>>       &F_bar) const;

    /// Adds the third medium's regularisation alpha/2 int |G - <G>|^2 dV
    /// (G = Grad u, <G> its mean over the cell; Faltus, Amato and Horak
    /// 2026) to a third-medium cell's residual and, with @p with_matrix,
    /// its (constant) stiffness alpha (int g_i . g_j dV - V <g_i> . <g_j>)
    /// between shape functions of one component. It vanishes for any
    /// affine displacement: it penalises only the distortion within a
    /// cell. @p grad: Grad u at the quadrature points of @p fv;
    /// @p component: the displacement component of each shape function.
    void
    regularise_third_medium(const dealii::FEValues<dim, dim>          &fv,
                            const std::vector<dealii::Tensor<2, dim>> &grad,
                            const bool                                 with_matrix,
                            const std::vector<unsigned int>           &component,
                            dealii::FullMatrix<double>                &cell_matrix,
                            dealii::Vector<double> &cell_residual) const;

    /// det of the swelling stretch of body @p fe_index at the conversion
    /// extent @p conversion: 1 + beta xi, 1 in the electrolyte.
    double
    swelling_volume_ratio(const unsigned int fe_index,
                          const double       conversion) const;

    Materials                                          materials;
    dealii::parallel::distributed::Triangulation<dim> &triangulation;
    dealii::ConditionalOStream                        &pcout;
    MPI_Comm                                           mpi_communicator;

    /// the geometry of the cells (degree Materials::mapping_degree)
    std::unique_ptr<dealii::Mapping<dim>> mapping;
    dealii::hp::FECollection<dim> fe_collection;
    dealii::DoFHandler<dim>       dof_handler;
    dealii::QGauss<dim>           cell_quadrature;
    dealii::QGauss<dim - 1>       face_quadrature;

    dealii::IndexSet                  locally_owned_dofs;
    dealii::IndexSet                  locally_relevant_dofs;
    dealii::AffineConstraints<double> constraints;

    dealii::TrilinosWrappers::SparseMatrix matrix;
    dealii::TrilinosWrappers::MPI::Vector  solution;
    dealii::TrilinosWrappers::MPI::Vector  relevant_solution;
    /// the displacement at the last accept() and its rate over that step
    /// (m/s; known after two accepts)
    dealii::TrilinosWrappers::MPI::Vector  accepted_solution;
    dealii::TrilinosWrappers::MPI::Vector  accepted_rate;
    unsigned int                           accepts = 0;
    /// per interface vertex, in its particle displacement entries: the
    /// area-weighted sum of the adjacent interface faces' normals
    dealii::TrilinosWrappers::MPI::Vector  vertex_normal;
    /// grain colours (displacement fields of the particle), >= 1
    unsigned int n_colours = 1;

    std::vector<regions::InterfaceFace<dim>> interface_faces;
    /// faces of the third medium on the electrolyte (frictionless contact)
    std::vector<regions::InterfaceFace<dim>> medium_faces;
    std::vector<materials::CohesiveState> interface_state;       // accepted
    std::vector<materials::CohesiveState> trial_interface_state; // last solve
    std::vector<dealii::Tensor<1, dim>>   accepted_jump; // [[u]] at accept()
    std::vector<dealii::Tensor<1, dim>>   trial_jump;    // [[u]], last solve
    /// faces between grains of different colours, from the grain of the
    /// lower colour, and their cohesive history (as the interface's)
    std::vector<regions::InterfaceFace<dim>> grain_faces;
    std::vector<materials::CohesiveState>    grain_state;
    std::vector<materials::CohesiveState>    trial_grain_state;
    std::vector<dealii::Tensor<1, dim>>      accepted_grain_jump;
    std::vector<dealii::Tensor<1, dim>>      trial_grain_jump;
    std::vector<Support>                  supports;
    std::vector<double>        xi;
    /// plastic history per quadrature point (same layout as xi; used on
    /// electrolyte cells when they are elastic-plastic)
    Timings                              timings_;
    /// the AMG hierarchy of the mechanics matrix, built at the first
    /// Newton iteration of a solve (kept across time steps with
    /// keep_preconditioner) and kept while its Krylov iteration count
    /// stays below twice the count of its first solve (shared_ptr: the
    /// type stays incomplete in this header)
    std::shared_ptr<dealii::TrilinosWrappers::PreconditionAMG> amg;
    /// with materials.direct_solver instead of amg: the sparse LU of the
    /// matrix it was built from, kept while it preconditions the Krylov
    /// solves of later matrices in few iterations (shared_ptr: the type
    /// is local to mechanics.cc)
    std::shared_ptr<KeptFactorization> factorization;
    /// Krylov iterations of the first and of the last solve with the kept
    /// preconditioner (either kind)
    unsigned int krylov_first_iterations = 0;
    unsigned int krylov_last_iterations  = 0;
    std::vector<materials::PlasticState> plastic_state;       // accepted
    std::vector<materials::PlasticState> trial_plastic_state; // last solve
    double                     tolerance        = 1e-14;
    double                     force_tolerance  = 0;
    double                     length_scale     = 1.;
    double                     time_step        = 1.;
    dealii::types::boundary_id pressure_boundary = 0;
    double                     pressure          = 0;
  };
} // namespace ssbsim
