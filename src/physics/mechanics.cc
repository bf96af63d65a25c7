#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>
#include <deal.II/fe/mapping_q_cache.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_gmres.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_solver.h>
#include <deal.II/numerics/vector_tools.h>

#include <ssbsim/core/geometry.h>
#include <ssbsim/physics/mechanics.h>
#include <ssbsim/physics/regions.h>

#include <Teuchos_ParameterList.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <vector>

namespace ssbsim
{
  using namespace dealii;

  /// The sparse LU (regions::direct_settings(): KLU, gathered on one
  /// rank) of the matrix it was built from, applied to later matrices'
  /// Krylov solves as their preconditioner: the Newton matrices of a
  /// step, and of the steps after it, differ from it by the change of
  /// the plastic tangent and the interface's secant, so it solves them
  /// in a few iterations, each a pair of triangular solves, where a new
  /// factorisation costs as much as ten of them.
  class KeptFactorization
  {
  public:
    explicit KeptFactorization(const TrilinosWrappers::SparseMatrix &matrix)
      : control(1, 0)
      , direct(control, regions::direct_settings())
    {
      direct.initialize(matrix);
    }

    void
    vmult(TrilinosWrappers::MPI::Vector       &dst,
          const TrilinosWrappers::MPI::Vector &src) const
    {
      direct.solve(dst, src);
    }

  private:
    // SolverDirect::solve() is not const; the factors it applies are not
    // changed by it
    mutable SolverControl                  control;
    mutable TrilinosWrappers::SolverDirect direct;
  };

  namespace
  {
    using regions::electrolyte_fe;
    using regions::third_medium_fe;

    /// the displacement field of a cell with FE index @p fe_index: the
    /// electrolyte's (block 1), the particle's (block 0, which the third
    /// medium shares) or that of grain colour c >= 1 (FE index
    /// third_medium_fe + c, block c + 1)
    template <int dim>
    FEValuesExtractors::Vector
    displacement_of(const unsigned int fe_index)
    {
      return FEValuesExtractors::Vector(
        fe_index == electrolyte_fe  ? dim :
        fe_index <= third_medium_fe ? 0 :
                                      (fe_index - 1) * dim);
    }

    /// One FEFaceValues per element of the hp collection.
    template <int dim>
    std::vector<std::unique_ptr<FEFaceValues<dim>>>
    face_values_per_element(const Mapping<dim>          &mapping,
                            const hp::FECollection<dim> &fe_collection,
                            const Quadrature<dim - 1>   &quadrature,
                            const UpdateFlags            flags)
    {
      std::vector<std::unique_ptr<FEFaceValues<dim>>> values;
      for (unsigned int k = 0; k < fe_collection.size(); ++k)
        values.push_back(std::make_unique<FEFaceValues<dim>>(mapping, fe_collection[k],
                                                             quadrature, flags));
      return values;
    }

    /// One FEValues per element of the hp collection: a cell with active
    /// FE index k is evaluated with element [k] (the particle, the
    /// electrolyte, the third medium; every element, however many)
    template <int dim>
    std::vector<std::unique_ptr<FEValues<dim>>>
    values_per_element(const Mapping<dim>           &mapping,
                       const hp::FECollection<dim>  &fe_collection,
                       const Quadrature<dim>        &quadrature,
                       const UpdateFlags             flags)
    {
      std::vector<std::unique_ptr<FEValues<dim>>> values;
      for (unsigned int k = 0; k < fe_collection.size(); ++k)
        values.push_back(
          std::make_unique<FEValues<dim>>(mapping, fe_collection[k], quadrature, flags));
      return values;
    }

    /// The axis a planar, axis-aligned face is normal to.
    template <typename FaceIterator>
    unsigned int
    normal_axis(const FaceIterator &face, const int dim)
    {
      for (int d = 0; d < dim; ++d)
        {
          double lo = face->vertex(0)[d], hi = lo;
          for (unsigned int v = 1; v < face->n_vertices(); ++v)
            {
              lo = std::min(lo, face->vertex(v)[d]);
              hi = std::max(hi, face->vertex(v)[d]);
            }
          if (hi - lo <= 1e-10 * face->diameter())
            return d;
        }
      AssertThrow(false,
                  ExcMessage("a normal-displacement support needs planar faces "
                             "normal to a coordinate axis"));
      return 0;
    }
  } // namespace

  template <int dim>
  Mechanics<dim>::Mechanics(const Materials                           &materials,
                            parallel::distributed::Triangulation<dim> &tria,
                            ConditionalOStream                        &pcout)
    : materials(materials)
    , triangulation(tria)
    , pcout(pcout)
    , mpi_communicator(tria.get_communicator())
    , dof_handler(tria)
    , cell_quadrature(2)
    , face_quadrature(2)
  {
    // the mapping's support points from the manifolds, computed once: the
    // transfinite manifold is expensive to query in every FEValues::reinit
    auto cache = std::make_unique<MappingQCache<dim>>(materials.mapping_degree);
    cache->initialize(MappingQ<dim>(materials.mapping_degree), tria);
    mapping = std::move(cache);
    for (const unsigned int c : materials.grain_colour_of_coarse_cell)
      if (c != numbers::invalid_unsigned_int)
        n_colours = std::max(n_colours, c + 1);
    // one block of dim components per body: the particle (grain colour
    // 0), the electrolyte, then grain colours 1, 2, ...; each element
    // carries one block and is FE_Nothing in the others (step-46)
    const FE_Q<dim>       q1(1);
    const FE_Nothing<dim> nothing;
    const auto            element = [&](const unsigned int block) {
      std::vector<const FiniteElement<dim> *> bases(n_colours + 1, &nothing);
      bases[block] = &q1;
      return FESystem<dim>(bases, std::vector<unsigned int>(n_colours + 1, dim));
    };
    fe_collection.push_back(element(0));
    fe_collection.push_back(element(1));
    // the third medium of the empty pores carries the particle's field:
    // the same element, so that the DoFHandler identifies the unknowns of
    // the vertices it shares with the grains (continuous there); with the
    // electrolyte it is in frictionless contact (medium_faces, assemble())
    fe_collection.push_back(element(0));
    for (unsigned int c = 1; c < n_colours; ++c)
      fe_collection.push_back(element(c + 1));
  }

  template <int dim>
  void
  Mechanics<dim>::assign_fe_indices()
  {
    const auto &colour = materials.grain_colour_of_coarse_cell;
    const auto  colour_of = [&](const auto &cell) {
      return colour.empty() ? 0u : colour[cell->id().get_coarse_cell_id()];
    };
    regions::assign_fe_by_material(dof_handler);
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == ids::particle)
        {
          AssertThrow(colour_of(cell) < n_colours,
                      ExcMessage("a particle cell without a grain colour"));
          cell->set_active_fe_index(fe_of_colour(colour_of(cell)));
        }
    // the grain boundaries, each once: from the grain of the lower colour
    grain_faces.clear();
    if (n_colours > 1)
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() == ids::particle)
          for (const unsigned int f : cell->face_indices())
            if (!cell->at_boundary(f) &&
                cell->neighbor(f)->material_id() == ids::particle &&
                colour_of(cell->neighbor(f)) > colour_of(cell))
              {
                AssertThrow(!cell->neighbor_is_coarser(f) &&
                              !cell->neighbor(f)->has_children(),
                            ExcMessage("grain boundaries must be conforming (no "
                                       "hanging nodes across them)"));
                grain_faces.push_back({cell, f});
              }
  }

  template <int dim>
  std::vector<typename Mechanics<dim>::Support>
  Mechanics<dim>::cell_supports(const bool lateral_faces_free)
  {
    std::vector<Support> supports = {{ids::li_side, Support::fixed}};
    if (!lateral_faces_free)
      supports.push_back({ids::other, Support::normal_fixed});
    return supports;
  }

  template <int dim>
  void
  Mechanics<dim>::setup(const std::vector<Support> &supports,
                        const double                length_scale)
  {
    assign_fe_indices();
    dof_handler.distribute_dofs(fe_collection);
    locally_owned_dofs = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, locally_relevant_dofs);

    constraints.clear();
    constraints.reinit(locally_relevant_dofs);
    DoFTools::make_hanging_node_constraints(dof_handler, constraints);
    std::vector<types::global_dof_index> face_dofs;
    this->supports = supports;
    for (const auto &support : supports)
      {
        if (support.kind == Support::fixed)
          {
            VectorTools::interpolate_boundary_values(
              dof_handler,
              support.boundary,
              Functions::ZeroFunction<dim>((n_colours + 1) * dim),
              constraints);
            continue;
          }
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned() || cell->is_ghost())
            for (const unsigned int f : cell->face_indices())
              if (cell->at_boundary(f) &&
                  cell->face(f)->boundary_id() == support.boundary)
                {
                  const auto        &fe   = cell->get_fe();
                  const unsigned int axis = normal_axis(cell->face(f), dim);
                  face_dofs.resize(fe.n_dofs_per_face(f));
                  cell->face(f)->get_dof_indices(face_dofs,
                                                 cell->active_fe_index());
                  for (unsigned int i = 0; i < face_dofs.size(); ++i)
                    if (fe.face_system_to_component_index(i, f).first % dim ==
                          axis &&
                        !constraints.is_constrained(face_dofs[i]) &&
                        locally_relevant_dofs.is_element(face_dofs[i]))
                      constraints.add_line(face_dofs[i]);
                }
      }
    // a liquid electrolyte has no displacement: its unknowns are held at 0
    if (materials.wetting_electrolyte)
      for (const auto &cell : dof_handler.active_cell_iterators())
        if ((cell->is_locally_owned() || cell->is_ghost()) &&
            cell->active_fe_index() == electrolyte_fe)
          {
            face_dofs.resize(cell->get_fe().n_dofs_per_cell());
            cell->get_dof_indices(face_dofs);
            for (const auto dof : face_dofs)
              if (!constraints.is_constrained(dof))
                constraints.add_line(dof);
          }
    constraints.close();

    interface_faces = regions::interface_faces(dof_handler);
    medium_faces =
      regions::faces_between(dof_handler, ids::third_medium, ids::electrolyte);
    setup_vertex_normals();

    DynamicSparsityPattern dsp(locally_relevant_dofs);
    DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
    regions::add_interface_couplings(interface_faces, constraints, dsp);
    regions::add_interface_couplings(medium_faces, constraints, dsp);
    regions::add_interface_couplings(grain_faces, constraints, dsp);
    SparsityTools::distribute_sparsity_pattern(dsp,
                                               locally_owned_dofs,
                                               mpi_communicator,
                                               locally_relevant_dofs);
    matrix.reinit(locally_owned_dofs, locally_owned_dofs, dsp, mpi_communicator);
    amg.reset();
    factorization.reset(); // it points into the old matrix
    solution.reinit(locally_owned_dofs, mpi_communicator);
    accepted_solution.reinit(locally_owned_dofs, mpi_communicator);
    accepted_rate.reinit(locally_owned_dofs, mpi_communicator);
    accepts = 0;
    relevant_solution.reinit(locally_owned_dofs,
                             locally_relevant_dofs,
                             mpi_communicator);
    xi.assign(triangulation.n_active_cells() * cell_quadrature.size(), 0.);
    plastic_state.assign(
      materials.electrolyte_plastic || materials.particle_plastic ? xi.size() : 0,
      {});
    trial_plastic_state = plastic_state;
    interface_state.assign(interface_faces.size() * face_quadrature.size(), {});
    debond_initial_cap();
    trial_interface_state = interface_state;
    accepted_jump.assign(interface_state.size(), Tensor<1, dim>());
    trial_jump = accepted_jump;
    grain_state.assign(grain_faces.size() * face_quadrature.size(), {});
    trial_grain_state = grain_state;
    accepted_grain_jump.assign(grain_state.size(), Tensor<1, dim>());
    trial_grain_jump = accepted_grain_jump;
    this->length_scale = length_scale;
    tolerance          = 1e-9 * length_scale;
    // residual norm (N in 3D, N/m in 2D) below which Newton has
    // converged: a nodal force that would strain the softest body by 1e-6
    // over the length scale, E_e L^(dim-1) 1e-6, and at most 1 % of the
    // weaker interface strength on the mean interface face, so that no
    // interface node is left with an unbalanced force of the order of
    // what the interface can carry
    // (the softest body that moves: a liquid electrolyte does not)
    const auto &e = materials.wetting_electrolyte ? materials.pristine :
                                                    materials.electrolyte;
    force_tolerance = 1e-6 * e.mu * (3 * e.lambda + 2 * e.mu) /
                      (e.lambda + e.mu) * std::pow(length_scale, dim - 1);
    double face_measure = 0;
    for (const auto &face : interface_faces)
      face_measure += face.cell->face(face.face)->measure();
    const double n_faces =
      Utilities::MPI::sum(double(interface_faces.size()), mpi_communicator);
    if (n_faces > 0)
      force_tolerance = std::min(
        force_tolerance,
        1e-2 *
          std::min(materials.cohesive.normal_strength,
                   materials.cohesive.shear_strength) *
          Utilities::MPI::sum(face_measure, mpi_communicator) / n_faces);
    pcout << "   mechanics: " << dof_handler.n_dofs() << " unknowns";
    if (n_colours > 1)
      pcout << ", " << grain_boundary_size().first
            << " grain-boundary faces between " << n_colours << " grain colours";
    pcout << std::endl;
  }

  template <int dim>
  std::pair<materials::NeoHookean<dim>, Tensor<2, dim>>
  Mechanics<dim>::material_at(const unsigned int fe_index,
                              const double       conversion) const
  {
    if (fe_index == third_medium_fe)
      return {materials.third_medium, materials::isotropic_swelling<dim>(1.)};
    if (!is_particle(fe_index))
      return {materials.electrolyte, materials::isotropic_swelling<dim>(1.)};
    const double x = std::clamp(conversion, 0., 1.);
    materials::NeoHookean<dim> law;
    law.mu = (1 - x) * materials.pristine.mu + x * materials.converted.mu;
    law.lambda =
      (1 - x) * materials.pristine.lambda + x * materials.converted.lambda;
    const double volume_ratio = swelling_volume_ratio(fe_index, x);
    return {law,
            materials.isotropic_swelling ?
              materials::isotropic_swelling<dim>(std::pow(volume_ratio, 1. / dim)) :
              materials::anisotropic_swelling<dim>(materials.swelling_axes,
                                                   materials.swelling_exponents,
                                                   volume_ratio)};
  }

  template <int dim>
  std::pair<materials::J2Plasticity, Tensor<2, dim>>
  Mechanics<dim>::plastic_law_at(const unsigned int fe_index,
                                 const double       conversion) const
  {
    if (!is_particle(fe_index))
      return {materials.electrolyte_plasticity,
              materials::isotropic_swelling<dim>(1.)};
    const auto [law, s] = material_at(fe_index, conversion);
    const double x      = std::clamp(conversion, 0., 1.);
    return {{law.mu,
             law.lambda + 2. * law.mu / 3.,
             (1 - x) * materials.pristine_yield_stress +
               x * materials.converted_yield_stress,
             materials.particle_hardening},
            s};
  }

  template <int dim>
  std::pair<Tensor<2, dim>, Tensor<4, dim>>
  Mechanics<dim>::stress_response(const unsigned int    fe_index,
                                  const unsigned int    index,
                                  const Tensor<2, dim> &F,
                                  const bool            with_tangent)
  {
    if (plastic(fe_index))
      {
        const auto [law, s] = plastic_law_at(fe_index, xi[index]);
        const auto r =
          law.evaluate(F, s, plastic_state[index], with_tangent, time_step);
        trial_plastic_state[index] = r.state;
        return {r.P, r.A};
      }
    const auto [law, s] = material_at(fe_index, xi[index]);
    return {law.stress(F, s), with_tangent ? law.tangent(F, s) : Tensor<4, dim>()};
  }

  template <int dim>
  Tensor<2, 3>
  Mechanics<dim>::cauchy_stress(const unsigned int    fe_index,
                                const unsigned int    index,
                                const Tensor<2, dim> &F) const
  {
    if (plastic(fe_index))
      {
        // the trial state is that of the last solve: re-evaluated at its
        // own F the return map is elastic and gives the converged stress
        const auto [law, s] = plastic_law_at(fe_index, xi[index]);
        return law.cauchy_stress(F, s, trial_plastic_state[index]);
      }
    const auto [law, s]          = material_at(fe_index, xi[index]);
    const Tensor<2, dim> sigma   = law.cauchy_stress(F, s);
    Tensor<2, 3>         sigma3;
    for (unsigned int i = 0; i < dim; ++i)
      for (unsigned int j = 0; j < dim; ++j)
        sigma3[i][j] = sigma[i][j];
    if (dim == 2)
      {
        // plane strain, F_e33 = 1: tau_33 = lambda ln J_e
        const double J_e = determinant(F) / determinant(s);
        sigma3[2][2]     = law.lambda * std::log(J_e) / J_e;
      }
    return sigma3;
  }

  template <int dim>
  void
  Mechanics<dim>::deformation_gradients(const std::vector<Tensor<2, dim>> &grad,
                                        const FEValues<dim>               &fv,
                                        const unsigned int                 fe_index,
                                        const unsigned int                 first,
                                        std::vector<Tensor<2, dim>>       &F,
                                        std::vector<Tensor<2, dim>>       &F_bar) const
  {
    const unsigned int nq = grad.size();
    F.resize(nq);
    F_bar.resize(nq);
    double swollen_volume = 0, current_volume = 0;
    for (unsigned int q = 0; q < nq; ++q)
      {
        F[q] = grad[q];
        for (unsigned int d = 0; d < dim; ++d)
          F[q][d][d] += 1.;
        swollen_volume +=
          swelling_volume_ratio(fe_index, xi[first + q]) * fv.JxW(q);
        current_volume += determinant(F[q]) * fv.JxW(q);
      }
    const double J_bar = current_volume / swollen_volume;
    for (unsigned int q = 0; q < nq; ++q)
      F_bar[q] = f_bar_on(fe_index) ?
                   std::pow(J_bar * swelling_volume_ratio(fe_index, xi[first + q]) /
                              determinant(F[q]),
                            1. / dim) *
                     F[q] :
                   F[q];
  }

  template <int dim>
  void
  Mechanics<dim>::regularise_third_medium(const FEValues<dim>               &fv,
                                          const std::vector<Tensor<2, dim>> &grad,
                                          const bool                   with_matrix,
                                          const std::vector<unsigned int> &component,
                                          FullMatrix<double>        &cell_matrix,
                                          Vector<double> &cell_residual) const
  {
    const double alpha = materials.third_medium_regularisation;
    if (alpha == 0)
      return;
    const unsigned int          nq = grad.size(), n = component.size();
    double                      volume = 0;
    Tensor<2, dim>              mean;
    std::vector<Tensor<1, dim>> mean_g(n);
    for (unsigned int q = 0; q < nq; ++q)
      {
        volume += fv.JxW(q);
        mean += grad[q] * fv.JxW(q);
        for (unsigned int i = 0; i < n; ++i)
          mean_g[i] += fv.shape_grad(i, q) * fv.JxW(q);
      }
    mean /= volume;
    for (auto &g : mean_g)
      g /= volume;
    // (G - <G>) integrates to zero against the constant <g_i>, so the
    // residual alpha int (G - <G>) : dG_i dV needs no mean of g_i
    for (unsigned int q = 0; q < nq; ++q)
      {
        const Tensor<2, dim> distortion = grad[q] - mean;
        for (unsigned int i = 0; i < n; ++i)
          {
            const Tensor<1, dim> g_i = fv.shape_grad(i, q);
            cell_residual(i) += alpha * (distortion[component[i]] * g_i) * fv.JxW(q);
            if (with_matrix)
              for (unsigned int j = 0; j < n; ++j)
                if (component[j] == component[i])
                  cell_matrix(i, j) += alpha * (g_i * fv.shape_grad(j, q)) * fv.JxW(q);
          }
      }
    if (with_matrix)
      for (unsigned int i = 0; i < n; ++i)
        for (unsigned int j = 0; j < n; ++j)
          if (component[j] == component[i])
            cell_matrix(i, j) -= alpha * volume * (mean_g[i] * mean_g[j]);
  }

  template <int dim>
  double
  Mechanics<dim>::swelling_volume_ratio(const unsigned int fe_index,
                                        const double       conversion) const
  {
    return is_particle(fe_index) ?
             1. + materials.swelling * std::clamp(conversion, 0., 1.) :
             1.;
  }

  template <int dim>
  void
  Mechanics<dim>::assemble(const bool                     with_matrix,
                           TrilinosWrappers::MPI::Vector &residual)
  {
    if (with_matrix)
      matrix = 0;
    residual.reinit(locally_owned_dofs, mpi_communicator);

    const auto values = values_per_element(*mapping, fe_collection, cell_quadrature,
                                           update_gradients | update_JxW_values);
    const unsigned int          nq = cell_quadrature.size();
    std::vector<Tensor<2, dim>> grad(nq);
    FullMatrix<double>          cell_matrix;
    Vector<double>              cell_residual;
    std::vector<types::global_dof_index> dofs;
    // every shape function is primitive: one displacement component c_i
    // with the scalar gradient g_i, so grad N_i = e_(c_i) (x) g_i and the
    // contractions run over that row only (the same sums without their
    // zero terms)
    std::vector<Tensor<1, dim>>          g;
    std::vector<Tensor<2, dim>>          B;
    std::vector<Tensor<2, dim>>          F, F_bar;
    // F-bar: tr(F^-1 dF) of each shape function i at each point q (b[q
    // n + i]), and the relative change of the cell's volume ratio (beta)
    std::vector<double>                  b;
    std::vector<double>                  beta;
    std::vector<std::vector<unsigned int>> component(fe_collection.size());
    for (unsigned int k = 0; k < fe_collection.size(); ++k)
      for (unsigned int i = 0; i < fe_collection[k].n_dofs_per_cell(); ++i)
        component[k].push_back(
          fe_collection[k].system_to_component_index(i).first -
          displacement_of<dim>(k).first_vector_component);

    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int k  = cell->active_fe_index();
          auto              &fv = *values[k];
          fv.reinit(cell);
          const auto         u = displacement_of<dim>(k);
          const unsigned int n = cell->get_fe().n_dofs_per_cell();
          cell_matrix.reinit(n, n);
          cell_residual.reinit(n);
          const auto        &c_of = component[k];
          const bool         plastic_cell = plastic(k);
          g.resize(n);
          B.resize(n);
          fv[u].get_function_gradients(relevant_solution, grad);
          const unsigned int first = cell->active_cell_index() * nq;
          deformation_gradients(grad, fv, k, first, F, F_bar);
          const bool   f_bar = f_bar_on(k) && with_matrix;
          if (f_bar)
            {
              // d J_bar / J_bar = sum_q J_q b_q JxW_q / sum_q J_q JxW_q
              b.resize(nq * n);
              beta.assign(n, 0.);
              double current_volume = 0;
              for (unsigned int q = 0; q < nq; ++q)
                {
                  const Tensor<2, dim> F_inv = invert(F[q]);
                  const double         w     = determinant(F[q]) * fv.JxW(q);
                  current_volume += w;
                  for (unsigned int i = 0; i < n; ++i)
                    {
                      const Tensor<1, dim> g_i = fv.shape_grad(i, q);
                      double               t   = 0;
                      for (unsigned int a = 0; a < dim; ++a)
                        t += F_inv[a][c_of[i]] * g_i[a];
                      b[q * n + i] = t;
                      beta[i] += t * w;
                    }
                }
              for (unsigned int i = 0; i < n; ++i)
                beta[i] /= current_volume;
            }
          for (unsigned int q = 0; q < nq; ++q)
            {
              const auto [P, A]             = stress_response(
                k, first + q, F_bar[q], with_matrix);
              const double         JxW = fv.JxW(q);
              // F-bar (de Souza Neto et al. 1996): the Cauchy stress of
              // F_bar = alpha F acts in the current volume J dV, so the
              // point's first Piola stress is J sigma(F_bar) F^-T =
              // gamma P(F_bar), gamma = alpha^(1 - dim); 1 without F-bar
              const double alpha =
                std::pow(determinant(F_bar[q]) / determinant(F[q]), 1. / dim);
              const double gamma = std::pow(alpha, 1. - dim);
              for (unsigned int i = 0; i < n; ++i)
                {
                  g[i] = fv.shape_grad(i, q);
                  cell_residual(i) += gamma * (P[c_of[i]] * g[i]) * JxW;
                }
              if (!with_matrix)
                continue;
              // B_i = grad N_i : A, the row c_i of A contracted with g_i
              for (unsigned int i = 0; i < n; ++i)
                {
                  const unsigned int c = c_of[i];
                  B[i]                 = 0;
                  for (unsigned int b = 0; b < dim; ++b)
                    B[i] += g[i][b] * A[c][b];
                }
              // a hyperelastic A has the major symmetry (the lower
              // triangle suffices); the algorithmic tangent of the J2
              // return map does not (mu_bar and the normal change with
              // F): all of it
              if (f_bar)
                {
                  // alpha = (J_bar J_sw / J)^(1/dim): d alpha = alpha (beta
                  // - b_q) / dim, d F_bar = alpha dF + d alpha F, d gamma =
                  // (1 - dim) gamma d alpha / alpha; unsymmetric (the
                  // cell's mean)
                  for (unsigned int i = 0; i < n; ++i)
                    {
                      const double volumetric =
                        ((1. - dim) * (P[c_of[i]] * g[i]) +
                         alpha * scalar_product(B[i], F[q])) /
                        dim;
                      for (unsigned int j = 0; j < n; ++j)
                        cell_matrix(i, j) +=
                          gamma *
                          (alpha * (B[i][c_of[j]] * g[j]) +
                           volumetric * (beta[j] - b[q * n + j])) *
                          JxW;
                    }
                  continue;
                }
              for (unsigned int i = 0; i < n; ++i)
                for (unsigned int j = 0; j <= (plastic_cell ? n - 1 : i); ++j)
                  cell_matrix(i, j) += (B[i][c_of[j]] * g[j]) * JxW;
            }
          if (with_matrix && !plastic_cell && !f_bar_on(k))
            for (unsigned int i = 0; i < n; ++i)
              for (unsigned int j = i + 1; j < n; ++j)
                cell_matrix(i, j) = cell_matrix(j, i);
          if (k == third_medium_fe)
            regularise_third_medium(fv, grad, with_matrix, c_of, cell_matrix,
                                    cell_residual);

          // dead-load pressure: traction -p N on the reference face
          if (pressure != 0 && cell->at_boundary())
            for (const unsigned int f : cell->face_indices())
              if (cell->at_boundary(f) &&
                  cell->face(f)->boundary_id() == pressure_boundary)
                {
                  FEFaceValues<dim> ffv(*mapping, cell->get_fe(), face_quadrature,
                                        update_values | update_normal_vectors |
                                          update_JxW_values);
                  ffv.reinit(cell, f);
                  for (unsigned int q = 0; q < face_quadrature.size(); ++q)
                    for (unsigned int i = 0; i < n; ++i)
                      cell_residual(i) += pressure * (ffv[u].value(i, q) *
                                                      ffv.normal_vector(q)) *
                                          ffv.JxW(q);
                }

          dofs.resize(n);
          cell->get_dof_indices(dofs);
          if (with_matrix)
            constraints.distribute_local_to_global(
              cell_matrix, cell_residual, dofs, matrix, residual);
          else
            constraints.distribute_local_to_global(cell_residual, dofs, residual);
        }

    // faces between two bodies (a particle grain or the third medium and
    // the electrolyte, or two grains of different colours), assembled once
    // per face from the first side: the traction t([[u]]) of traction(f,
    // q, [[u]], n, t, D) (D = dt/d[[u]]) acts on that side, -t on the
    // other
    const unsigned int nqf = face_quadrature.size();
    auto assemble_faces = [&](const std::vector<regions::InterfaceFace<dim>> &faces,
                              const auto &traction) {
      std::vector<Tensor<1, dim>>          u_a(nqf), u_b(nqf), N;
      FullMatrix<double>                   face_matrix;
      Vector<double>                       face_residual;
      std::vector<types::global_dof_index> face_dofs, b_dofs;
      for_each_face_pair(
        faces,
        update_values | update_normal_vectors | update_JxW_values,
        [&](const unsigned int       f,
            const auto              &cell,
            const auto              &neighbor,
            const FEFaceValues<dim> &a,
            const FEFaceValues<dim> &b) {
          const auto ua = displacement_of<dim>(cell->active_fe_index());
          const auto ub = displacement_of<dim>(neighbor->active_fe_index());
          const unsigned int na = a.dofs_per_cell, nt = na + b.dofs_per_cell;
          a[ua].get_function_values(relevant_solution, u_a);
          b[ub].get_function_values(relevant_solution, u_b);
          face_matrix.reinit(nt, nt);
          face_residual.reinit(nt);
          N.resize(nt);
          for (unsigned int q = 0; q < nqf; ++q)
            {
              Tensor<1, dim> t;
              Tensor<2, dim> D;
              traction(f, q, u_b[q] - u_a[q], a.normal_vector(q), t, D);
              const double JxW = a.JxW(q);
              for (unsigned int m = 0; m < nt; ++m)
                N[m] = m < na ? -a[ua].value(m, q) : b[ub].value(m - na, q);
              for (unsigned int m = 0; m < nt; ++m)
                {
                  face_residual(m) += (t * N[m]) * JxW;
                  if (with_matrix)
                    for (unsigned int l = 0; l < nt; ++l)
                      face_matrix(m, l) += (N[m] * (D * N[l])) * JxW;
                }
            }
          face_dofs.resize(na);
          b_dofs.resize(b.dofs_per_cell);
          cell->get_dof_indices(face_dofs);
          neighbor->get_dof_indices(b_dofs);
          face_dofs.insert(face_dofs.end(), b_dofs.begin(), b_dofs.end());
          if (with_matrix)
            constraints.distribute_local_to_global(
              face_matrix, face_residual, face_dofs, matrix, residual);
          else
            constraints.distribute_local_to_global(face_residual, face_dofs,
                                                   residual);
        });
    };

    // cohesive interface
    const auto &law = materials.cohesive;
    assemble_faces(
      interface_faces,
      [&](const unsigned int    f,
          const unsigned int    q,
          const Tensor<1, dim> &jump,
          const Tensor<1, dim> &normal,
          Tensor<1, dim>       &t,
          Tensor<2, dim>       &D) {
            if (materials.wetting_electrolyte)
              ; // the liquid carries no traction
            else if (materials.interface_intact)
              {
                t = law.stiffness * jump;
                for (unsigned int d = 0; d < dim; ++d)
                  D[d][d] = law.stiffness;
              }
            else
              {
                auto       state    = interface_state[f * nqf + q];
                const auto response = law.evaluate(
                  jump, normal, state, materials.interface_viscosity, time_step);
                t = response.traction;
                D = response.matrix;
                trial_interface_state[f * nqf + q] = state;
              }
            // residual spring, and viscous damping of the separation rate
            // (zero at rest): the Newton matrix gains damping/dt, so that a
            // cut time step always makes the step solvable
            const double damping = materials.interface_damping / time_step;
            t += materials.residual_stiffness * jump +
                 damping * (jump - accepted_jump[f * nqf + q]);
            for (unsigned int d = 0; d < dim; ++d)
              D[d][d] += materials.residual_stiffness + damping;
            trial_jump[f * nqf + q] = jump;
      });
    // the third medium presses on the electrolyte it borders: frictionless
    // contact, the interface's penalty stiffness on the overlap [[u]].n <
    // 0 (and the residual spring). Not a tie: the medium shares its
    // vertices with the grains, so a tie would bond the LPS to the grain
    // corners around a pore, past the cohesive interface
    if (!materials.wetting_electrolyte)
      assemble_faces(medium_faces,
                     [&](const unsigned int,
                         const unsigned int,
                         const Tensor<1, dim> &jump,
                         const Tensor<1, dim> &normal,
                         Tensor<1, dim>       &t,
                         Tensor<2, dim>       &D) {
                       t = materials.residual_stiffness * jump;
                       D = materials.residual_stiffness *
                           unit_symmetric_tensor<dim>();
                       const double overlap = jump * normal;
                       if (overlap < 0)
                         {
                           t += law.stiffness * overlap * normal;
                           D += law.stiffness * outer_product(normal, normal);
                         }
                     });

    // grain boundaries: the grain-boundary law, with the interface's
    // viscosity, damping and residual spring
    assemble_faces(grain_faces,
                   [&](const unsigned int    f,
                       const unsigned int    q,
                       const Tensor<1, dim> &jump,
                       const Tensor<1, dim> &normal,
                       Tensor<1, dim>       &t,
                       Tensor<2, dim>       &D) {
                     const unsigned int k     = f * nqf + q;
                     auto               state = grain_state[k];
                     const auto response = materials.grain_boundary.evaluate(
                       jump, normal, state, materials.interface_viscosity, time_step);
                     trial_grain_state[k] = state;
                     const double damping = materials.interface_damping / time_step;
                     t = response.traction + materials.residual_stiffness * jump +
                         damping * (jump - accepted_grain_jump[k]);
                     D = response.matrix;
                     for (unsigned int d = 0; d < dim; ++d)
                       D[d][d] += materials.residual_stiffness + damping;
                     trial_grain_jump[k] = jump;
                   });

    if (with_matrix)
      matrix.compress(VectorOperation::add);
    residual.compress(VectorOperation::add);
  }

  template <int dim>
  template <typename F>
  void
  Mechanics<dim>::for_each_face_pair(
    const std::vector<regions::InterfaceFace<dim>> &faces,
    const UpdateFlags                               flags,
    const F                                        &f) const
  {
    const auto first =
      face_values_per_element(*mapping, fe_collection, face_quadrature, flags);
    const auto second =
      face_values_per_element(*mapping, fe_collection, face_quadrature, update_values);
    for (unsigned int k = 0; k < faces.size(); ++k)
      {
        const auto &face     = faces[k];
        const auto  neighbor = face.cell->neighbor(face.face);
        auto       &a        = *first[face.cell->active_fe_index()];
        auto       &b        = *second[neighbor->active_fe_index()];
        a.reinit(face.cell, face.face);
        b.reinit(neighbor, face.cell->neighbor_of_neighbor(face.face));
        f(k, face.cell, neighbor, a, b);
      }
  }

  template <int dim>
  template <typename F>
  void
  Mechanics<dim>::for_each_jump(const std::vector<regions::InterfaceFace<dim>> &faces,
                                const F &f) const
  {
    const unsigned int          nq = face_quadrature.size();
    std::vector<Tensor<1, dim>> u_a(nq), u_b(nq);
    for_each_face_pair(
      faces,
      update_values | update_normal_vectors | update_JxW_values,
      [&](const unsigned int       k,
          const auto              &cell,
          const auto              &neighbor,
          const FEFaceValues<dim> &a,
          const FEFaceValues<dim> &b) {
        a[displacement_of<dim>(cell->active_fe_index())].get_function_values(
          relevant_solution, u_a);
        b[displacement_of<dim>(neighbor->active_fe_index())].get_function_values(
          relevant_solution, u_b);
        for (unsigned int q = 0; q < nq; ++q)
          f(k * nq + q, a.JxW(q), u_b[q] - u_a[q], a.normal_vector(q));
      });
  }

  template <int dim>
  template <typename F>
  void
  Mechanics<dim>::for_each_owned_vertex_unknown(const F &f) const
  {
    std::vector<types::global_dof_index> dofs;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const auto &fe = cell->get_fe();
          dofs.resize(fe.n_dofs_per_cell());
          cell->get_dof_indices(dofs);
          for (unsigned int i = 0; i < dofs.size(); ++i)
            if (locally_owned_dofs.is_element(dofs[i]))
              // Q1: the index within the base element is the vertex number
              f(dofs[i],
                fe.system_to_component_index(i).first,
                cell->vertex(fe.system_to_base_index(i).second));
        }
  }

  template <int dim>
  std::vector<double>
  Mechanics<dim>::rigid_body_modes() const
  {
    // per body: dim translations and dim(dim-1)/2 rotations, restricted to
    // that body's unknowns; coordinates scaled to O(1) for ML
    const unsigned int per_body = dim == 2 ? 3 : 6;
    const unsigned int n_local  = locally_owned_dofs.n_elements();
    std::vector<double> modes(n_local * (n_colours + 1) * per_body, 0.);
    const double scale = 1. / length_scale;

    for_each_owned_vertex_unknown([&](const types::global_dof_index dof,
                                      const unsigned int            c,
                                      const Point<dim>             &vertex) {
      const unsigned int body = c / dim, axis = c % dim;
      const Point<dim>   x    = scale * vertex;
      const auto         row  = locally_owned_dofs.index_within_set(dof);
      auto set = [&](const unsigned int mode, const double v) {
        modes[(body * per_body + mode) * n_local + row] = v;
      };
      set(axis, 1.);
      if (dim == 2)
        set(2, axis == 0 ? -x[1] : x[0]);
      else
        {
          // rotations about x, y, z: (0,-z,y), (z,0,-x), (-y,x,0)
          const double rx[3] = {0, -x[dim - 1], x[1]};
          const double ry[3] = {x[dim - 1], 0, -x[0]};
          const double rz[3] = {-x[1], x[0], 0};
          set(3, rx[axis]);
          set(4, ry[axis]);
          set(5, rz[axis]);
        }
    });
    return modes;
  }

  template <int dim>
  template <typename Preconditioner>
  void
  Mechanics<dim>::krylov_solve(SolverControl                       &control,
                               const TrilinosWrappers::MPI::Vector &rhs,
                               TrilinosWrappers::MPI::Vector       &x,
                               const Preconditioner &preconditioner) const
  {
    // sliding friction makes the interface matrix unsymmetric: GMRES,
    // right-preconditioned so that it measures the true residual like CG
    // (left preconditioning would measure the preconditioned one, smaller
    // by the stiffness, and stop at once)
    using GMRES = SolverGMRES<TrilinosWrappers::MPI::Vector>;
    if (symmetric_matrix())
      SolverCG<TrilinosWrappers::MPI::Vector>(control).solve(matrix, x, rhs,
                                                             preconditioner);
    else
      GMRES(control, GMRES::AdditionalData(100, true))
        .solve(matrix, x, rhs, preconditioner);
  }

  template <int dim>
  bool
  Mechanics<dim>::preconditioner_stale() const
  {
    if (materials.direct_solver)
      return !factorization ||
             krylov_last_iterations > materials.lu_refresh_iterations;
    return !amg || krylov_last_iterations > 2 * krylov_first_iterations;
  }

  template <int dim>
  void
  Mechanics<dim>::build_preconditioner(const bool use_rigid_body_modes)
  {
    ++timings_.preconditioner_builds;
    krylov_first_iterations = 0;
    krylov_last_iterations  = 0;
    if (materials.direct_solver)
      {
        factorization.reset(); // its factors freed before the new ones
        factorization = std::make_shared<KeptFactorization>(matrix);
        return;
      }
    amg = std::make_shared<TrilinosWrappers::PreconditionAMG>();
    const auto data      = regions::amg_settings();
    if (!use_rigid_body_modes)
      {
        amg->initialize(matrix, data);
        return;
      }
    // ML copies the modes during set-up
    std::vector<double>                 modes = rigid_body_modes();
    Teuchos::ParameterList              list;
    std::unique_ptr<Epetra_MultiVector> unused;
    data.set_parameters(list, unused, matrix);
    list.set("null space: type", "pre-computed");
    list.set("null space: dimension",
             int(modes.size() /
                 std::max<std::size_t>(1, locally_owned_dofs.n_elements())));
    list.set("null space: vectors", modes.data());
    list.set("PDE equations", dim);
    amg->initialize(matrix, list);
  }

  template <int dim>
  typename Mechanics<dim>::SolveResult
  Mechanics<dim>::solve(const bool use_rigid_body_modes, const double dt)
  {
    time_step = dt;
    SolveResult result;
    apply_boundary_values();
    auto &history = result.residual_norms; // per Newton iteration
    TrilinosWrappers::MPI::Vector residual, trial_residual, update(solution),
      trial(solution);
    Timer timer; // wall time of this process, no synchronisation
    const auto lap = [&timer](double &account) {
      account += timer.wall_time();
      timer.restart();
    };
    for (unsigned int it = 1; it <= 60; ++it)
      {
        result.newton_iterations = it;
        timer.restart();
        assemble(true, residual);
        lap(timings_.assembly);
        const double residual_norm = residual.l2_norm();
        if (!std::isfinite(residual_norm))
          {
            result.failure = "mechanics residual is not finite";
            return result;
          }

        // the preconditioner is kept while it works, across the Newton
        // iterations of a solve (and across time steps if asked): the
        // matrix changes little from one to the next (the interface
        // secant, the bulk tangent), and an ML set-up or a sparse LU costs
        // as much as several Krylov iterations with the kept one. The ML
        // hierarchy's fine level smooths with the current matrix. It is
        // rebuilt when it has become slow (preconditioner_stale()), and
        // before a solve that failed with a kept one is retried.
        SolverControl control(5000,
                              materials.linear_tolerance * residual_norm);
        residual *= -1.;
        if (it == 1 && !materials.keep_preconditioner)
          {
            amg.reset();
            factorization.reset();
          }
        if (materials.direct_solver && !materials.reuse_factorization)
          {
            // sparse LU of this matrix (KLU, gathered on one rank): exact
            ++timings_.preconditioner_builds;
            update = 0;
            TrilinosWrappers::SolverDirect direct(control,
                                                  regions::direct_settings());
            try
              {
                direct.solve(matrix, update, residual);
              }
            catch (const std::exception &)
              {
                update = std::numeric_limits<double>::quiet_NaN();
              }
            if (!std::isfinite(update.l2_norm()))
              {
                result.failure = "mechanics direct solver failed";
                return result;
              }
          }
        else
          for (bool fresh = false; !fresh;)
            {
              fresh = preconditioner_stale();
              if (fresh)
                {
                  bool built = true;
                  try
                    {
                      build_preconditioner(use_rigid_body_modes);
                    }
                  catch (const std::exception &)
                    {
                      built = false; // a singular matrix: no LU
                    }
                  // the LU is factorised on one rank: every rank takes
                  // the same branch
                  if (Utilities::MPI::min(built ? 1 : 0, mpi_communicator) == 0)
                    {
                      factorization.reset();
                      result.failure = "mechanics direct solver failed";
                      return result;
                    }
                  lap(timings_.preconditioner);
                }
              update = 0;
              // a kept LU that needs many iterations is not worth them:
              // give up early and factorise this matrix
              control.set_max_steps(!fresh && materials.direct_solver ?
                                      4 * materials.lu_refresh_iterations :
                                      5000);
              try
                {
                  if (materials.direct_solver)
                    krylov_solve(control, residual, update, *factorization);
                  else
                    krylov_solve(control, residual, update, *amg);
                  break;
                }
              catch (const SolverControl::NoConvergence &)
                {
                  amg.reset();
                  factorization.reset();
                  if (fresh)
                    {
                      result.failure = "mechanics linear solver did not converge";
                      return result;
                    }
                }
            }
        lap(timings_.linear_solver);
        result.linear_iterations += control.last_step();
        krylov_last_iterations = control.last_step();
        if (krylov_first_iterations == 0)
          krylov_first_iterations = krylov_last_iterations;
        constraints.distribute(update);

        // backtracking line search on the residual norm
        double alpha         = 1.;
        bool   sufficient    = false;
        for (; alpha > 1e-3; alpha *= 0.5)
          {
            trial = solution;
            trial.add(alpha, update);
            relevant_solution = trial;
            assemble(false, trial_residual);
            const double norm = trial_residual.l2_norm();
            if (std::isfinite(norm) &&
                (norm < (1. - 1e-4 * alpha) * residual_norm ||
                 residual_norm < 1e-300))
              {
                sufficient = true;
                break;
              }
          }
        lap(timings_.assembly);
        history.push_back(residual_norm);
        // no progress over ten iterations: give up now and let the caller
        // cut the time step (the interface damping grows as 1/dt) instead
        // of spending sixty iterations; a stalled solve is never accepted
        if (history.size() > 10 &&
            residual_norm > 0.9 * history[history.size() - 11])
          {
            result.failure = "mechanics Newton stalled";
            return result;
          }
        solution          = trial;
        relevant_solution = solution;
        // converged: the update is negligible, or the residual is below
        // the force tolerance. The second matters where the interface has
        // failed: a particle held only by the residual springs moves by
        // nanometres under forces far below the tolerance, and the damage
        // onset leaves kinks on which Newton stalls at small residuals.
        // A small update counts only if the line search found a decrease:
        // a failed search shrinks any update below the tolerance
        if ((sufficient && alpha * update.linfty_norm() < tolerance) ||
            residual_norm < force_tolerance)
          {
            result.converged = true;
            return result;
          }
      }
    result.failure = "mechanics Newton did not converge in 60 iterations";
    return result;
  }

  template <int dim>
  void
  Mechanics<dim>::set_support_value(const types::boundary_id boundary,
                                    const Tensor<1, dim>    &value)
  {
    for (auto &support : supports)
      if (support.boundary == boundary && support.kind == Support::fixed)
        support.value = value;
  }

  template <int dim>
  void
  Mechanics<dim>::apply_boundary_values()
  {
    for (const auto &support : supports)
      if (support.kind == Support::fixed && support.value.norm() > 0)
        {
          Vector<double> v((n_colours + 1) * dim);
          for (unsigned int i = 0; i < v.size(); ++i)
            v[i] = support.value[i % dim];
          std::map<types::global_dof_index, double> values;
          VectorTools::interpolate_boundary_values(
            dof_handler, support.boundary, Functions::ConstantFunction<dim>(v),
            values);
          for (const auto &[dof, value] : values)
            if (locally_owned_dofs.is_element(dof))
              solution[dof] = value;
        }
    solution.compress(VectorOperation::insert);
    relevant_solution = solution;
  }

  template <int dim>
  void
  Mechanics<dim>::set_displacement(const Function<dim> &particle,
                                   const Function<dim> &electrolyte)
  {
    Vector<double> value(dim);
    for_each_owned_vertex_unknown([&](const types::global_dof_index dof,
                                      const unsigned int            c,
                                      const Point<dim>             &vertex) {
      (c / dim == 1 ? electrolyte : particle).vector_value(vertex, value);
      solution[dof] = value[c % dim];
    });
    solution.compress(VectorOperation::insert);
    relevant_solution = solution;
  }

  template <int dim>
  double
  Mechanics<dim>::tangent_error(const Function<dim> &particle,
                                const Function<dim> &electrolyte,
                                const double         h)
  {
    const auto u = solution;
    set_displacement(particle, electrolyte);
    TrilinosWrappers::MPI::Vector direction = solution, residual, shifted, Kd;
    constraints.set_zero(direction);
    solution = u;
    relevant_solution = solution;
    const auto trial_interface = trial_interface_state;
    const auto trial_grain     = trial_grain_state;
    const auto trial_plastic   = trial_plastic_state;
    const auto jumps           = trial_jump;
    const auto grain_jumps     = trial_grain_jump;
    assemble(true, residual);
    Kd.reinit(residual);
    matrix.vmult(Kd, direction);
    solution.add(h, direction);
    relevant_solution = solution;
    assemble(false, shifted);
    shifted -= residual;
    shifted /= h;
    shifted -= Kd;
    solution          = u;
    relevant_solution = solution;
    trial_interface_state = trial_interface;
    trial_grain_state     = trial_grain;
    trial_plastic_state   = trial_plastic;
    trial_jump            = jumps;
    trial_grain_jump      = grain_jumps;
    return shifted.l2_norm() / Kd.l2_norm();
  }

  template <int dim>
  void
  Mechanics<dim>::accept()
  {
    if (accepts > 0)
      {
        accepted_rate = solution;
        accepted_rate -= accepted_solution;
        accepted_rate /= time_step;
      }
    accepted_solution = solution;
    ++accepts;
    interface_state     = trial_interface_state;
    accepted_jump       = trial_jump;
    grain_state         = trial_grain_state;
    accepted_grain_jump = trial_grain_jump;
    plastic_state       = trial_plastic_state;
  }

  template <int dim>
  void
  Mechanics<dim>::predict(const double dt, const bool extrapolate)
  {
    if (accepts == 0)
      return;
    solution = accepted_solution;
    if (extrapolate && accepts > 1)
      solution.add(dt, accepted_rate);
    relevant_solution = solution;
  }

  template <int dim>
  Tensor<1, dim>
  Mechanics<dim>::interface_traction(const unsigned int    k,
                                     const Tensor<1, dim> &jump,
                                     const Tensor<1, dim> &normal) const
  {
    if (materials.wetting_electrolyte)
      return materials.residual_stiffness * jump;
    return (materials.interface_intact ?
              materials.cohesive.stiffness * jump :
              materials.cohesive.traction_at_damage(
                jump, normal, trial_interface_state[k].viscous_damage,
                trial_interface_state[k])) +
           materials.residual_stiffness * jump;
  }

  template <int dim>
  std::vector<typename Mechanics<dim>::InterfacePoint>
  Mechanics<dim>::interface_points() const
  {
    std::vector<InterfacePoint> points(trial_interface_state.size());
    const std::vector<double>   per_face =
      materials.contact_per_face && !materials.wetting_electrolyte ?
        face_contact_factors() :
        std::vector<double>();
    const unsigned int nq = face_quadrature.size();
    for_each_interface_point([&](const unsigned int    k,
                                 const double,
                                 const Tensor<1, dim> &jump,
                                 const Tensor<1, dim> &normal) {
      auto &point = points[k];
      if (materials.wetting_electrolyte)
        {
          // wetted: no gap, no load, in contact (the jump is the particle's
          // displacement against a fixed frame, not a separation)
          point.contact = 1;
          return;
        }
      const Tensor<1, dim> t = interface_traction(k, jump, normal);
      point.gap                  = jump * normal;
      point.slip                 = (jump - point.gap * normal).norm();
      point.normal_traction      = t * normal;
      point.shear_traction       = (t - point.normal_traction * normal).norm();
      point.damage               = damage_at(k);
      point.debonded             = debonded_fraction(k);
      const double closure =
        materials.contact_per_face ?
          per_face[k / nq] :
          materials::contact_factor(point.gap, materials.closure_gap);
      point.contact =
        std::max(materials.residual_contact,
                 materials::interface_contact(closure,
                                              debonded_fraction(k),
                                              -point.normal_traction,
                                              materials.contact_hardness,
                                              materials.bonded_part_bridging));
    });
    return points;
  }

  template <int dim>
  std::vector<double>
  Mechanics<dim>::face_contact_factors() const
  {
    // the closure factor of the mean gap of a face's vertices along the
    // vertex normals (see setup_vertex_normals), without the floor
    std::vector<double> a(interface_faces.size());
    for (unsigned int f = 0; f < interface_faces.size(); ++f)
      {
        const auto         face = interface_faces[f].cell->face(interface_faces[f].face);
        const unsigned int fe   = interface_faces[f].cell->active_fe_index();
        double             gap  = 0;
        for (unsigned int v = 0; v < face->n_vertices(); ++v)
          {
            Tensor<1, dim> jump, normal;
            for (unsigned int d = 0; d < dim; ++d)
              {
                const auto p = face->vertex_dof_index(v, d, fe);
                jump[d] =
                  relevant_solution(face->vertex_dof_index(v, d, electrolyte_fe)) -
                  relevant_solution(p);
                normal[d] = vertex_normal(p);
              }
            gap += jump * normal / normal.norm() / face->n_vertices();
          }
        a[f] = materials::contact_factor(gap, materials.closure_gap);
      }
    return a;
  }

  template <int dim>
  void
  Mechanics<dim>::debond_initial_cap()
  {
    const auto &fractions = materials.initially_debonded_fraction;
    if (fractions.empty() ||
        !(*std::max_element(fractions.begin(), fractions.end()) > 0) ||
        materials.interface_intact || materials.wetting_electrolyte)
      return;
    const Tensor<1, dim> axis = materials.debonded_direction /
                                materials.debonded_direction.norm();
    const unsigned int nq = face_quadrature.size();
    for_each_interface_point([&](const unsigned int k,
                                 const double,
                                 const Tensor<1, dim> &,
                                 const Tensor<1, dim> &normal) {
      const auto        &owner = materials.particle_of_coarse_cell;
      const unsigned int particle =
        owner.empty() || fractions.size() == 1 ?
          0 :
          owner[interface_faces[k / nq].cell->id().get_coarse_cell_id()];
      AssertIndexRange(particle, fractions.size());
      if (regions::in_surface_cap(normal, axis, fractions[particle]))
        {
          auto &state          = interface_state[k];
          state.damage         = 1.;
          state.viscous_damage = 1.;
          state.strength_loss  = 1.;
        }
    });
  }

  template <int dim>
  void
  Mechanics<dim>::setup_vertex_normals()
  {
    // the area-weighted sum of the reference normals of the interface
    // faces around each interface vertex, stored in the entries of the
    // vertex's particle displacement unknowns (summed across processes)
    TrilinosWrappers::MPI::Vector sum;
    sum.reinit(locally_owned_dofs, locally_relevant_dofs, mpi_communicator,
               true);
    const auto values = face_values_per_element(*mapping, fe_collection, face_quadrature,
                                                update_normal_vectors | update_JxW_values);
    std::vector<types::global_dof_index> indices;
    std::vector<double>                  entries;
    for (const auto &face : interface_faces)
      {
        const unsigned int fe = face.cell->active_fe_index();
        auto              &fv = *values[fe];
        fv.reinit(face.cell, face.face);
        Tensor<1, dim> normal;
        for (unsigned int q = 0; q < face_quadrature.size(); ++q)
          normal += fv.normal_vector(q) * fv.JxW(q);
        const auto f = face.cell->face(face.face);
        for (unsigned int v = 0; v < f->n_vertices(); ++v)
          for (unsigned int d = 0; d < dim; ++d)
            {
              indices.push_back(f->vertex_dof_index(v, d, fe));
              entries.push_back(normal[d]);
            }
      }
    sum.add(indices, entries);
    sum.compress(VectorOperation::add);
    vertex_normal.reinit(locally_owned_dofs, locally_relevant_dofs,
                         mpi_communicator);
    vertex_normal = sum;
  }

  template <int dim>
  std::vector<InterfaceFaceData<dim>>
  Mechanics<dim>::interface_face_data() const
  {
    const auto         points = interface_points();
    const unsigned int nq     = face_quadrature.size();
    std::vector<InterfaceFaceData<dim>> faces(interface_faces.size());
    for (unsigned int k = 0; k < faces.size(); ++k)
      {
        auto       &out  = faces[k];
        const auto  face = interface_faces[k].cell->face(interface_faces[k].face);
        for (unsigned int v = 0; v < face->n_vertices(); ++v)
          {
            out.vertices.push_back(face->vertex(v));
            Tensor<1, dim> u;
            // particle FE: dim dofs per vertex, one per component
            for (unsigned int d = 0; d < dim; ++d)
              u[d] = relevant_solution(face->vertex_dof_index(
                v, d, interface_faces[k].cell->active_fe_index()));
            out.displacement.push_back(u);
          }
        for (unsigned int q = 0; q < nq; ++q)
          {
            const auto &p = points[k * nq + q];
            out.gap += p.gap / nq;
            out.slip += p.slip / nq;
            out.normal_traction += p.normal_traction / nq;
            out.shear_traction += p.shear_traction / nq;
            out.damage += p.damage / nq;
            out.debonded += p.debonded / nq;
            out.contact += p.contact / nq;
          }
      }
    return faces;
  }

  template <int dim>
  std::vector<double>
  Mechanics<dim>::contact_factors() const
  {
    std::vector<double> a;
    for (const auto &point : interface_points())
      a.push_back(point.contact);
    return a;
  }

  template <int dim>
  typename Mechanics<dim>::InterfaceAverages
  Mechanics<dim>::interface_averages() const
  {
    InterfaceAverages sum{};
    double            area = 0;
    for_each_interface_point([&](const unsigned int    k,
                                 const double          JxW,
                                 const Tensor<1, dim> &jump,
                                 const Tensor<1, dim> &normal) {
      sum.separation += jump * JxW;
      sum.traction += interface_traction(k, jump, normal) * JxW;
      sum.damage += damage_at(k) * JxW;
      area += JxW;
    });
    area = Utilities::MPI::sum(area, mpi_communicator);
    for (unsigned int d = 0; d < dim; ++d)
      {
        sum.separation[d] = Utilities::MPI::sum(sum.separation[d], mpi_communicator) / area;
        sum.traction[d] = Utilities::MPI::sum(sum.traction[d], mpi_communicator) / area;
      }
    sum.damage = Utilities::MPI::sum(sum.damage, mpi_communicator) / area;
    return sum;
  }

  template <int dim>
  typename Mechanics<dim>::InterfaceAverages
  Mechanics<dim>::grain_boundary_averages() const
  {
    InterfaceAverages sum{};
    double            area = 0;
    for_each_jump(grain_faces,
                  [&](const unsigned int    k,
                      const double          JxW,
                      const Tensor<1, dim> &jump,
                      const Tensor<1, dim> &normal) {
                    sum.separation += jump * JxW;
                    sum.traction += (materials.grain_boundary.traction_at_damage(
                                       jump, normal,
                                       trial_grain_state[k].viscous_damage,
                                       trial_grain_state[k]) +
                                     materials.residual_stiffness * jump) *
                                    JxW;
                    sum.damage += trial_grain_state[k].strength_loss * JxW;
                    area += JxW;
                  });
    area = Utilities::MPI::sum(area, mpi_communicator);
    if (area == 0)
      return {};
    for (unsigned int d = 0; d < dim; ++d)
      {
        sum.separation[d] =
          Utilities::MPI::sum(sum.separation[d], mpi_communicator) / area;
        sum.traction[d] = Utilities::MPI::sum(sum.traction[d], mpi_communicator) / area;
      }
    sum.damage = Utilities::MPI::sum(sum.damage, mpi_communicator) / area;
    return sum;
  }

  template <int dim>
  std::pair<unsigned int, unsigned int>
  Mechanics<dim>::grain_boundary_size() const
  {
    return {Utilities::MPI::sum(static_cast<unsigned int>(grain_faces.size()),
                                mpi_communicator),
            n_colours};
  }

  template <int dim>
  template <typename Callback>
  void
  Mechanics<dim>::for_each_cell_gradient(const Quadrature<dim> &quadrature,
                                         const UpdateFlags      flags,
                                         const bool             particle_only,
                                         const Callback        &f) const
  {
    const auto values =
      values_per_element(*mapping, fe_collection, quadrature, update_gradients | flags);
    std::vector<Tensor<2, dim>> grad(quadrature.size());
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() &&
          (!particle_only || is_particle(cell->active_fe_index())))
        {
          const unsigned int k = cell->active_fe_index();
          values[k]->reinit(cell);
          (*values[k])[displacement_of<dim>(k)].get_function_gradients(
            relevant_solution, grad);
          f(cell, *values[k], grad);
        }
  }

  template <int dim>
  template <typename Callback>
  void
  Mechanics<dim>::for_each_stress_point(const bool      particle_only,
                                        const Callback &f) const
  {
    const unsigned int          nq = cell_quadrature.size();
    std::vector<Tensor<2, dim>> F, F_bar;
    for_each_cell_gradient(
      cell_quadrature,
      update_JxW_values,
      particle_only,
      [&](const auto &cell, const FEValues<dim> &fv, const auto &grad) {
        const unsigned int k = cell->active_fe_index();
        deformation_gradients(grad, fv, k, cell->active_cell_index() * nq, F, F_bar);
        for (unsigned int q = 0; q < nq; ++q)
          {
            const unsigned int index = cell->active_cell_index() * nq + q;
            f(cell, index, cauchy_stress(k, index, F_bar[q]), F[q], fv.JxW(q));
          }
      });
  }

  template <int dim>
  std::vector<double>
  Mechanics<dim>::hydrostatic_stress(const bool particle_only) const
  {
    std::vector<double> sigma_h(triangulation.n_active_cells() *
                                  cell_quadrature.size(),
                                0.);
    for_each_stress_point(particle_only,
                          [&](const auto &,
                              const unsigned int  index,
                              const Tensor<2, 3> &sigma,
                              const Tensor<2, dim> &,
                              const double) {
                            sigma_h[index] = trace(sigma) / 3.;
                          });
    return sigma_h;
  }

  template <int dim>
  typename Mechanics<dim>::CellStress
  Mechanics<dim>::cell_stress() const
  {
    const unsigned int n = triangulation.n_active_cells();
    CellStress         out{dealii::Vector<float>(n), dealii::Vector<float>(n),
                   dealii::Vector<float>(n), dealii::Vector<float>(n),
                   dealii::Vector<float>(n)};
    std::vector<double> volume(n, 0.);
    for_each_stress_point(
      false,
      [&](const auto           &cell,
          const unsigned int    index,
          const Tensor<2, 3>   &sigma,
          const Tensor<2, dim> &F,
          const double          JxW) {
        const unsigned int c = cell->active_cell_index();
        // 3D stress: in 2D (plane strain) sigma_zz is included
        const double p   = trace(sigma) / 3.;
        Tensor<2, 3> dev = sigma;
        for (unsigned int d = 0; d < 3; ++d)
          dev[d][d] -= p;
        out.von_mises(c) += std::sqrt(1.5 * scalar_product(dev, dev)) * JxW;
        out.hydrostatic(c) += p * JxW;
        out.volume_ratio(c) += determinant(F) * JxW;
        const unsigned int fe = cell->active_fe_index();
        if (plastic(fe))
          {
            const auto &state = trial_plastic_state[index];
            out.plastic_strain(c) += state.equivalent_plastic_strain * JxW;
            if (fe == electrolyte_fe)
              out.porosity(c) +=
                materials.electrolyte_plasticity.porosity_of(state) * JxW;
          }
        volume[c] += JxW;
      });
    for (unsigned int c = 0; c < n; ++c)
      if (volume[c] > 0)
        {
          out.von_mises(c) /= volume[c];
          out.hydrostatic(c) /= volume[c];
          out.volume_ratio(c) /= volume[c];
          out.plastic_strain(c) /= volume[c];
          out.porosity(c) /= volume[c];
        }
    return out;
  }

  template <int dim>
  Tensor<2, dim>
  Mechanics<dim>::mean_stress(const types::material_id material,
                              const bool               kirchhoff) const
  {
    Tensor<2, dim> sum;
    double         volume = 0;
    for_each_stress_point(false,
                          [&](const auto           &cell,
                              const unsigned int,
                              const Tensor<2, 3>   &sigma,
                              const Tensor<2, dim> &F,
                              const double JxW) {
                            if (cell->material_id() != material)
                              return;
                            const double J = kirchhoff ? determinant(F) : 1.;
                            for (unsigned int i = 0; i < dim; ++i)
                              for (unsigned int j = 0; j < dim; ++j)
                                sum[i][j] += J * sigma[i][j] * JxW;
                            volume += JxW;
                          });
    for (unsigned int i = 0; i < dim; ++i)
      for (unsigned int j = 0; j < dim; ++j)
        sum[i][j] = Utilities::MPI::sum(sum[i][j], mpi_communicator);
    return sum / Utilities::MPI::sum(volume, mpi_communicator);
  }

  template <int dim>
  double
  Mechanics<dim>::particle_volume_ratio() const
  {
    double current = 0, reference = 0;
    for_each_stress_point(true, // the particle's cells only
                          [&](const auto &,
                              const unsigned int,
                              const Tensor<2, 3> &,
                              const Tensor<2, dim> &F,
                              const double          JxW) {
                            current += determinant(F) * JxW;
                            reference += JxW;
                          });
    return Utilities::MPI::sum(current, mpi_communicator) /
           Utilities::MPI::sum(reference, mpi_communicator);
  }

  template <int dim>
  typename Mechanics<dim>::FoldedCells
  Mechanics<dim>::folded_cells() const
  {
    // det F at the vertices: the trapezoidal rule's points
    FoldedCells local;
    for_each_cell_gradient(
      QTrapezoid<dim>(),
      update_default,
      false,
      [&](const auto &cell, const FEValues<dim> &, const auto &grad) {
        double smallest = std::numeric_limits<double>::max();
        for (const auto &g : grad)
          smallest =
            std::min(smallest, determinant(unit_symmetric_tensor<dim>() + g));
        local.count += smallest <= 0;
        if (smallest < local.smallest_jacobian)
          {
            local.smallest_jacobian = smallest;
            local.where             = cell->center();
            local.material          = cell->material_id();
          }
      });
    FoldedCells global;
    global.count = Utilities::MPI::sum(local.count, mpi_communicator);
    const auto extremes =
      Utilities::MPI::min_max_avg(local.smallest_jacobian, mpi_communicator);
    global.smallest_jacobian = extremes.min;
    const unsigned int owner = extremes.min_index;
    global.where =
      Utilities::MPI::broadcast(mpi_communicator, local.where, owner);
    global.material =
      Utilities::MPI::broadcast(mpi_communicator, local.material, owner);
    return global;
  }

  template class Mechanics<2>;
  template class Mechanics<3>;
} // namespace ssbsim
