#include <deal.II/base/utilities.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/grid/grid_tools_cache.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/numerics/rtree.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_gmres.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_solver.h>
#include <deal.II/lac/trilinos_sparsity_pattern.h>
#include <deal.II/numerics/vector_tools.h>

#include <ssbsim/core/material_set.h>
#include <ssbsim/core/geometry.h>
#include <ssbsim/materials/constants.h>
#include <ssbsim/physics/electrochemistry.h>
#include <ssbsim/physics/regions.h>

#include <Epetra_CrsMatrix.h>
#include <Epetra_Vector.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ssbsim
{
  using namespace dealii;

  namespace
  {
    const FEValuesExtractors::Scalar li_content(0);
    const FEValuesExtractors::Scalar electrolyte_potential(1);

    using regions::electrolyte_fe;
    using regions::particle_fe;
  } // namespace

  template <int dim>
  struct Electrochemistry<dim>::Assembly
  {
    TrilinosWrappers::MPI::Vector residual;
    /// per potential k: b_k = dR/d phi_s,k, c_k = dI_k/du, the current
    /// I_k of the interface it drives and d_k = dI_k/d phi_s,k
    std::vector<TrilinosWrappers::MPI::Vector> d_residual_d_phi_s; // b
    std::vector<TrilinosWrappers::MPI::Vector> d_current_d_u;      // c
    std::vector<double>                        particle_current;   // I_k
    std::vector<double>                        d_current_d_phi_s;  // d
  };

  template <int dim>
  Electrochemistry<dim>::Electrochemistry(
    const Parameters                          &parameters,
    parallel::distributed::Triangulation<dim> &tria,
    ConditionalOStream                        &pcout)
    : parameters(parameters)
    , triangulation(tria)
    , pcout(pcout)
    , mpi_communicator(tria.get_communicator())
    , dof_handler(tria)
    , cell_quadrature(2)
    , face_quadrature(2)
  {
    fe_collection.push_back(
      FESystem<dim>(FE_Q<dim>(1), 1, FE_Nothing<dim>(), 1));
    fe_collection.push_back(
      FESystem<dim>(FE_Nothing<dim>(), 1, FE_Q<dim>(1), 1));
    // third medium (empty pores): no Li, no ions
    fe_collection.push_back(
      FESystem<dim>(FE_Nothing<dim>(), 1, FE_Nothing<dim>(), 1));

    const auto  &p     = parameters;
    const double T     = p.operating.temperature;
    const double T_ref = p.reference_temperature;
    temperature        = T;
    max_li_concentration = p.particle.max_li_concentration();
    conductivity = p.electrolyte.conductivity *
                   materials::arrhenius_factor(p.electrolyte.activation_energy,
                                               T,
                                               T_ref);
    exchange_current =
      p.kinetics.exchange_current_density *
      materials::arrhenius_factor(p.kinetics.activation_energy, T, T_ref);
    diffusivity_arrhenius = materials::arrhenius_factor(
      p.particle.diffusion_activation_energy, T, T_ref);

    diffusivity = materials::LiDiffusivity<dim>(diffusivity_data(p.particle));

    // one crystal per grain: the given orientation, or a seeded random one
    grain_of_coarse_cell = particle_grains(tria, p.geometry);
    unsigned int n_grains = 0;
    for (const unsigned int g : grain_of_coarse_cell)
      if (g != numbers::invalid_unsigned_int)
        n_grains = std::max(n_grains, g + 1);
    const auto angles =
      p.particle.random_orientation ?
        materials::random_euler_angles(n_grains, p.geometry.random_seed) :
        std::vector<std::array<double, 3>>(n_grains, p.particle.euler_angles);
    for (const auto &a : angles)
      grain_orientation.push_back(diffusivity.orientation_tensor(a));

    kinetics.anodic_transfer_coefficient =
      p.kinetics.anodic_transfer_coefficient;
    kinetics.cathodic_transfer_coefficient =
      p.kinetics.cathodic_transfer_coefficient;

    ocv_discharge = open_circuit_branch(p.kinetics, true);
    ocv_charge    = open_circuit_branch(p.kinetics, false);
  }

  template <int dim>
  Electrochemistry<dim>::~Electrochemistry() = default;

  template <int dim>
  void
  Electrochemistry<dim>::setup()
  {
    setup_dofs();
    setup_interface();

    // initial state: uniform Li content, electrolyte at the Li potential,
    // particle at open circuit
    solution = 0;
    std::vector<types::global_dof_index> dofs;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
        {
          dofs.resize(cell->get_fe().n_dofs_per_cell());
          cell->get_dof_indices(dofs);
          for (const auto i : dofs)
            if (locally_owned_dofs.is_element(i))
              solution[i] = parameters.particle.initial_li_content;
        }
    solution.compress(VectorOperation::insert);
    old_solution          = solution;
    relevant_solution     = solution;
    relevant_old_solution = solution;
    branch                = Branch::discharge;
    cell_potential = ocv_discharge.value(parameters.particle.initial_li_content);
    particle_potentials.assign(separate_potentials ? particle_count : 1,
                               cell_potential);
    old_particle_potentials = particle_potentials;
    old_cell_potential      = cell_potential;
  }

  template <int dim>
  void
  Electrochemistry<dim>::setup_dofs()
  {
    regions::assign_fe_by_material(dof_handler);
    dof_handler.distribute_dofs(fe_collection);

    locally_owned_dofs = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, locally_relevant_dofs);

    update_constraints.clear();
    update_constraints.reinit(locally_relevant_dofs);
    DoFTools::make_hanging_node_constraints(dof_handler, update_constraints);
    VectorTools::interpolate_boundary_values(
      dof_handler,
      ids::li_side,
      Functions::ZeroFunction<dim>(2),
      update_constraints,
      fe_collection.component_mask(electrolyte_potential));
    update_constraints.close();

    solution.reinit(locally_owned_dofs, mpi_communicator);
    old_solution.reinit(locally_owned_dofs, mpi_communicator);
    relevant_solution.reinit(locally_owned_dofs,
                             locally_relevant_dofs,
                             mpi_communicator);
    relevant_old_solution.reinit(locally_owned_dofs,
                                 locally_relevant_dofs,
                                 mpi_communicator);
  }

  template <int dim>
  void
  Electrochemistry<dim>::setup_interface()
  {
    interface_faces = regions::interface_faces(dof_handler);

    // sparsity: cell couplings plus theta (particle side) x phi_e
    // (electrolyte side) on the interface faces
    DynamicSparsityPattern dsp(locally_relevant_dofs);
    DoFTools::make_sparsity_pattern(dof_handler, dsp, update_constraints, false);
    regions::add_interface_couplings(interface_faces, update_constraints, dsp);
    SparsityTools::distribute_sparsity_pattern(dsp,
                                               locally_owned_dofs,
                                               mpi_communicator,
                                               locally_relevant_dofs);
    jacobian.reinit(locally_owned_dofs,
                    locally_owned_dofs,
                    dsp,
                    mpi_communicator);
    // the AMG's block-diagonal matrix, only where AMG is used (the
    // sparse LU factorises the Jacobian itself)
    if (!parameters.solver.direct_linear_solver(dim))
      preconditioner_matrix.reinit(locally_owned_dofs,
                                   locally_owned_dofs,
                                   dsp,
                                   mpi_communicator);

    const unsigned int nq_face = face_quadrature.size();
    contact_factor.assign(interface_faces.size() * nq_face, 1.);
    hydrostatic_stress.assign(triangulation.n_active_cells() *
                                cell_quadrature.size(),
                              0.);
    // a particle that starts lithiated was converted
    converted_extent.assign(hydrostatic_stress.size(),
                            parameters.particle.irreversible_conversion ?
                              parameters.particle.initial_li_content :
                              0.);

    // volume and interface area as the quadrature sees them, so that
    // capacities and stored Li are consistent to round-off
    FEValues<dim> fe_values(fe_collection[particle_fe],
                            cell_quadrature,
                            update_JxW_values);
    double        volume = 0;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == ids::particle)
        {
          fe_values.reinit(cell);
          for (unsigned int q = 0; q < cell_quadrature.size(); ++q)
            volume += fe_values.JxW(q);
        }
    particle_volume = Utilities::MPI::sum(volume, mpi_communicator);

    const bool microsphere = parameters.geometry.type ==
                             parameters::Geometry::Type::porous_microsphere;
    // the particles: face-connected particle regions; a porous
    // microsphere's grains are one particle, the microsphere of the row
    // they lie in
    particle_of_coarse_cell = particle_of_coarse_cells(triangulation, parameters.geometry);
    particle_count          = ssbsim::particle_count(particle_of_coarse_cell);

    // the particle the converted depths are measured in: the largest (the
    // one the paper images; the only one, mostly)
    std::vector<double> volumes(particle_count, 0.);
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == ids::particle)
        volumes[particle_of_coarse_cell[cell->id().get_coarse_cell_id()]] +=
          cell->measure();
    Utilities::MPI::sum(volumes, mpi_communicator, volumes);
    imaged_particle =
      std::max_element(volumes.begin(), volumes.end()) - volumes.begin();
    // its centroid and its extent along +-e_k from there, the rays of
    // converted_depths()
    particle_centroid =
      particle_count == 1 ?
        particle_centre(triangulation, mpi_communicator) :
        particle_centre(triangulation, mpi_communicator, particle_of_coarse_cell,
                        imaged_particle);
    particle_extent.assign(2 * dim, 0.);
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == ids::particle &&
          particle_of_coarse_cell[cell->id().get_coarse_cell_id()] ==
            imaged_particle)
        for (const unsigned int v : cell->vertex_indices())
          for (unsigned int d = 0; d < dim; ++d)
            {
              const double x     = cell->vertex(v)[d] - particle_centroid[d];
              double      &reach = particle_extent[2 * d + (x < 0)];
              reach              = std::max(reach, std::abs(x));
            }
    MPI_Allreduce(MPI_IN_PLACE, particle_extent.data(), particle_extent.size(),
                  MPI_DOUBLE, MPI_MAX, mpi_communicator);
    cell_locator = std::make_unique<GridTools::Cache<dim, dim>>(
      triangulation, StaticMappingQ1<dim>::mapping);

    // the two sides must see the same quadrature points in the same order
    FEFaceValues<dim> particle_face(fe_collection[particle_fe],
                                    face_quadrature,
                                    update_quadrature_points |
                                      update_JxW_values |
                                      update_normal_vectors);
    FEFaceValues<dim> electrolyte_face(fe_collection[electrolyte_fe],
                                       face_quadrature,
                                       update_quadrature_points);
    double            area = 0;
    // the faces over which electrons reach the particle: all of a dense
    // particle's; of a porous microsphere only those on the surrounding
    // composite, not on the electrolyte grown inside it (no conducting
    // network there: the grains pass electrons on through their own
    // contacts), by the geometry's own rule for its coarse cells.
    electronic_weight.assign(contact_factor.size(), 0.);
    // the ion-blocked cap of each particle (Kinetics/Ion-blocked
    // fraction): the surface on the composite's other solids, not on the
    // solid electrolyte; a liquid reaches it
    ionic_access.assign(contact_factor.size(), 1.);
    const auto    &blocked = parameters.kinetics.ion_blocked_fraction;
    Tensor<1, dim> blocked_axis;
    for (unsigned int d = 0; d < dim; ++d)
      blocked_axis[d] = parameters.kinetics.ion_blocked_direction[d];
    if (blocked_axis.norm() > 0)
      blocked_axis /= blocked_axis.norm();
    regions::for_each_interface_face(
      interface_faces, particle_face, electrolyte_face,
      [&](const unsigned int k, const auto &cell, const auto &neighbor) {
        auto coarse = typename Triangulation<dim>::cell_iterator(neighbor);
        while (coarse->level() > 0)
          coarse = coarse->parent();
        const bool network =
          !microsphere ||
          !within_microsphere<dim>(coarse->center(), parameters.geometry);
        const double f =
          parameters.electrolyte.liquid || blocked.empty() ? 0. :
          blocked[blocked.size() == 1 ?
                    0 :
                    particle_of_coarse_cell[cell->id().get_coarse_cell_id()]];
        for (unsigned int q = 0; q < nq_face; ++q)
          {
            area += particle_face.JxW(q);
            electronic_weight[k * nq_face + q] = network ? particle_face.JxW(q) : 0.;
            const double blocked_share = regions::surface_cap_share(
              particle_face.normal_vector(q), blocked_axis, f,
              parameters.kinetics.ion_blocked_edge_width);
            ionic_access[k * nq_face + q] = 1. - blocked_share;
            if (!parameters.kinetics.ion_blocked_electronic)
              electronic_weight[k * nq_face + q] *= 1. - blocked_share;
            AssertThrow(particle_face.quadrature_point(q).distance(
                          electrolyte_face.quadrature_point(q)) <
                          1e-8 * cell->diameter(),
                        ExcMessage("interface quadrature points do not "
                                   "match across the particle surface"));
          }
      });
    interface_area = Utilities::MPI::sum(area, mpi_communicator);

    particle_of_face.resize(interface_faces.size());
    for (unsigned int k = 0; k < interface_faces.size(); ++k)
      particle_of_face[k] =
        particle_of_coarse_cell[interface_faces[k].cell->id().get_coarse_cell_id()];
    separate_potentials =
      parameters.kinetics.separate_particle_potentials(particle_count);
    network_area   = Utilities::MPI::sum(std::accumulate(electronic_weight.begin(),
                                                       electronic_weight.end(),
                                                       0.),
                                       mpi_communicator);

    pcout << "   electrochemistry: " << dof_handler.n_dofs() << " unknowns + "
          << (separate_potentials ?
                std::to_string(particle_count + 1) +
                  " (the particles' potentials and the cell voltage), " :
                std::string("1 (particle potential), "))
          << Utilities::MPI::sum(interface_faces.size(), mpi_communicator)
          << " interface faces" << std::endl;
    if (particle_count > 1)
      pcout << "   " << particle_count << " particles, "
            << (separate_potentials ?
                  "each at its own potential behind its own electronic contact" :
                  "at one potential (no electronic contact resistance)")
            << std::endl;
    if (parameters.kinetics.electronic_contact_resistance > 0 && microsphere)
      pcout << "   electronic contact over "
            << 100. * network_area / interface_area
            << " % of the interface (the microsphere's outer surface)"
            << std::endl;
  }

  template <int dim>
  template <typename F>
  void
  Electrochemistry<dim>::for_each_interface_point(const F &f) const
  {
    FEFaceValues<dim> particle_face(fe_collection[particle_fe],
                                    face_quadrature,
                                    update_values | update_JxW_values);
    FEFaceValues<dim> electrolyte_face(fe_collection[electrolyte_fe],
                                       face_quadrature,
                                       update_values);
    const unsigned int  nq = face_quadrature.size();
    std::vector<double> theta(nq), phi_e(nq);
    regions::for_each_interface_face(interface_faces, particle_face, electrolyte_face,
                            [&](const unsigned int k, const auto &, const auto &) {
      particle_face[li_content].get_function_values(relevant_solution, theta);
      electrolyte_face[electrolyte_potential].get_function_values(
        relevant_solution, phi_e);
      for (unsigned int q = 0; q < nq; ++q)
        f(k * nq + q, particle_face.JxW(q), theta[q], phi_e[q]);
    });
  }

  template <int dim>
  void
  Electrochemistry<dim>::assemble(const double time_step, Assembly &out)
  {
    const bool with_amg = !parameters.solver.direct_linear_solver(dim);
    jacobian = 0;
    if (with_amg)
      preconditioner_matrix = 0;
    out.residual.reinit(locally_owned_dofs, mpi_communicator);
    const unsigned int n_phi = n_potentials();
    out.d_residual_d_phi_s.resize(n_phi);
    out.d_current_d_u.resize(n_phi);
    for (unsigned int g = 0; g < n_phi; ++g)
      {
        out.d_residual_d_phi_s[g].reinit(locally_owned_dofs, mpi_communicator);
        out.d_current_d_u[g].reinit(locally_owned_dofs, mpi_communicator);
      }
    out.particle_current.assign(n_phi, 0.);
    out.d_current_d_phi_s.assign(n_phi, 0.);

    const double c     = max_li_concentration;

    FEValues<dim> particle_values(fe_collection[particle_fe],
                                  cell_quadrature,
                                  update_values | update_gradients |
                                    update_JxW_values);
    FEValues<dim> electrolyte_values(fe_collection[electrolyte_fe],
                                     cell_quadrature,
                                     update_gradients | update_JxW_values);
    const unsigned int nq = cell_quadrature.size();
    std::vector<double>         theta(nq), theta_old(nq);
    std::vector<Tensor<1, dim>> grad_theta(nq);

    FullMatrix<double>                   cell_matrix;
    Vector<double>                       cell_residual;
    std::vector<types::global_dof_index> dofs;

    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int n = cell->get_fe().n_dofs_per_cell();
          cell_matrix.reinit(n, n);
          cell_residual.reinit(n);
          dofs.resize(n);
          cell->get_dof_indices(dofs);

          if (cell->active_fe_index() == particle_fe)
            {
              particle_values.reinit(cell);
              const auto &fv = particle_values;
              const auto &A  = orientation_tensor(cell->id());
              fv[li_content].get_function_values(relevant_solution, theta);
              fv[li_content].get_function_values(relevant_old_solution,
                                                 theta_old);
              fv[li_content].get_function_gradients(relevant_solution,
                                                    grad_theta);
              for (unsigned int q = 0; q < nq; ++q)
                {
                  const double sigma_h =
                    hydrostatic_stress[cell->active_cell_index() * nq + q];
                  // stress factor exp(Omega sigma_h / R T); the optional
                  // bound on sigma_h (Particle/Stress coupling limit) is
                  // off by default: plasticity bounds the stresses
                  const double factor =
                    diffusivity_arrhenius *
                    std::exp(stress_factor_exponent(sigma_h));
                  const double xi =
                    converted_extent[cell->active_cell_index() * nq + q];
                  const double g  = factor * diffusivity.scalar(theta[q], xi);
                  const double dg =
                    factor * diffusivity.scalar_derivative(theta[q], xi);
                  const Tensor<1, dim> A_grad = A * grad_theta[q];
                  const double         JxW    = fv.JxW(q);
                  for (unsigned int i = 0; i < n; ++i)
                    {
                      const double         w_i      = fv.shape_value(i, q);
                      const Tensor<1, dim> grad_w_i = fv.shape_grad(i, q);
                      cell_residual(i) +=
                        (c * (theta[q] - theta_old[q]) / time_step * w_i +
                         c * g * (A_grad * grad_w_i)) *
                        JxW;
                      for (unsigned int j = 0; j < n; ++j)
                        {
                          const double w_j = fv.shape_value(j, q);
                          cell_matrix(i, j) +=
                            (c / time_step * w_i * w_j +
                             c * (dg * w_j * A_grad +
                                  g * (A * fv.shape_grad(j, q))) *
                               grad_w_i) *
                            JxW;
                        }
                    }
                }
            }
          else if (cell->active_fe_index() == electrolyte_fe)
            {
              electrolyte_values.reinit(cell);
              const auto &fv = electrolyte_values;
              fv[electrolyte_potential].get_function_gradients(
                relevant_solution, grad_theta);
              for (unsigned int q = 0; q < nq; ++q)
                for (unsigned int i = 0; i < n; ++i)
                  {
                    cell_residual(i) += conductivity *
                                        (grad_theta[q] * fv.shape_grad(i, q)) *
                                        fv.JxW(q);
                    for (unsigned int j = 0; j < n; ++j)
                      cell_matrix(i, j) +=
                        conductivity *
                        (fv.shape_grad(j, q) * fv.shape_grad(i, q)) * fv.JxW(q);
                  }
            }
          update_constraints.distribute_local_to_global(
            cell_matrix, cell_residual, dofs, jacobian, out.residual);
          if (with_amg)
            update_constraints.distribute_local_to_global(cell_matrix,
                                                          dofs,
                                                          preconditioner_matrix);
        }

    // interface: Butler-Volmer, assembled once from the particle side
    FEFaceValues<dim> particle_face(fe_collection[particle_fe],
                                    face_quadrature,
                                    update_values | update_JxW_values);
    FEFaceValues<dim> electrolyte_face(fe_collection[electrolyte_fe],
                                       face_quadrature,
                                       update_values);
    const unsigned int nqf = face_quadrature.size();
    std::vector<double> phi_e(nqf);
    const unsigned int  np = fe_collection[particle_fe].n_dofs_per_cell();
    const unsigned int  ne = fe_collection[electrolyte_fe].n_dofs_per_cell();
    const unsigned int  nt = np + ne;
    FullMatrix<double>  face_matrix(nt, nt);
    Vector<double>      face_residual(nt), face_b(nt), face_c(nt);
    std::vector<types::global_dof_index> face_dofs(nt), particle_dofs(np),
      neighbor_dofs(ne);
    const auto          &ocv = open_circuit();
    const double         F   = constants::faraday;

    theta.resize(nqf);
    regions::for_each_interface_face(interface_faces, particle_face, electrolyte_face,
                            [&](const unsigned int k, const auto &cell,
                                const auto &neighbor) {
        particle_face[li_content].get_function_values(relevant_solution, theta);
        electrolyte_face[electrolyte_potential].get_function_values(
          relevant_solution, phi_e);

        face_matrix   = 0;
        face_residual = 0;
        face_b        = 0;
        face_c        = 0;
        for (unsigned int q = 0; q < nqf; ++q)
          {
            const double dU  = ocv.derivative(theta[q]);
            const auto   bv  = interface_reaction(k * nqf + q, theta[q], phi_e[q]);
            const double i   = bv.current;
            const double di  = bv.d_current_d_eta;
            const double JxW = particle_face.JxW(q);
            // the side reaction: in the current, not in the Li balance
            const auto   sr  = side_reaction(k * nqf + q, phi_e[q]);
            out.particle_current[potential_of(k)] += (i + sr.current) * JxW;
            out.d_current_d_phi_s[potential_of(k)] +=
              (di + sr.d_current_d_eta) * JxW;

            // local shape values: first np particle (theta), then ne
            // electrolyte (phi_e) functions; d eta/d theta = -dU,
            // d eta/d phi_e = -1
            auto shape = [&](const unsigned int m) {
              return m < np ?
                       particle_face[li_content].value(m, q) :
                       electrolyte_face[electrolyte_potential].value(m - np, q);
            };
            for (unsigned int m = 0; m < nt; ++m)
              {
                const double s_m = shape(m);
                // theta rows: +i/F w; phi_e rows: -i v
                const double row = (m < np ? 1. / F : -1.) * s_m * JxW;
                face_residual(m) += i * row;
                face_b(m) += di * row;
                const double d_eta_m = (m < np ? -dU : -1.) * s_m;
                face_c(m) += di * d_eta_m * JxW;
                for (unsigned int l = 0; l < nt; ++l)
                  face_matrix(m, l) +=
                    di * (l < np ? -dU : -1.) * shape(l) * row;
                if (m >= np && sr.d_current_d_eta != 0)
                  {
                    // phi_e rows and d/d phi_e only: d eta_side/d phi_e = -1
                    face_residual(m) += sr.current * row;
                    face_b(m) += sr.d_current_d_eta * row;
                    face_c(m) -= sr.d_current_d_eta * s_m * JxW;
                    for (unsigned int l = np; l < nt; ++l)
                      face_matrix(m, l) -= sr.d_current_d_eta * shape(l) * row;
                  }
              }
          }
        cell->get_dof_indices(particle_dofs);
        std::copy(particle_dofs.begin(), particle_dofs.end(), face_dofs.begin());
        neighbor->get_dof_indices(neighbor_dofs);
        std::copy(neighbor_dofs.begin(),
                  neighbor_dofs.end(),
                  face_dofs.begin() + np);
        update_constraints.distribute_local_to_global(
          face_matrix, face_residual, face_dofs, jacobian, out.residual);
        // the preconditioner sees each field on its own (block diagonal):
        // AMG then never aggregates theta and phi_e nodes together
        if (with_amg)
          {
            for (unsigned int m = 0; m < nt; ++m)
              for (unsigned int l = 0; l < nt; ++l)
                if ((m < np) != (l < np))
                  face_matrix(m, l) = 0;
            update_constraints.distribute_local_to_global(face_matrix,
                                                          face_dofs,
                                                          preconditioner_matrix);
          }
        update_constraints.distribute_local_to_global(
          face_b, face_dofs, out.d_residual_d_phi_s[potential_of(k)]);
        update_constraints.distribute_local_to_global(
          face_c, face_dofs, out.d_current_d_u[potential_of(k)]);
      });

    jacobian.compress(VectorOperation::add);
    if (with_amg)
      preconditioner_matrix.compress(VectorOperation::add);
    out.residual.compress(VectorOperation::add);
    for (unsigned int g = 0; g < n_phi; ++g)
      {
        out.d_residual_d_phi_s[g].compress(VectorOperation::add);
        out.d_current_d_u[g].compress(VectorOperation::add);
      }
    Utilities::MPI::sum(out.particle_current, mpi_communicator,
                        out.particle_current);
    Utilities::MPI::sum(out.d_current_d_phi_s, mpi_communicator,
                        out.d_current_d_phi_s);
  }

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::electronic_conductances() const
  {
    // a_e,k / r_e: the touching part of each particle's faces on the
    // conducting network
    std::vector<double> conductance(n_potentials(), 0.);
    const unsigned int  nq = face_quadrature.size();
    for (unsigned int k = 0; k < contact_factor.size(); ++k)
      conductance[potential_of(k / nq)] += contact_factor[k] * electronic_weight[k];
    Utilities::MPI::sum(conductance, mpi_communicator, conductance);
    for (double &g : conductance)
      g /= parameters.kinetics.electronic_contact_resistance;
    return conductance;
  }

  template <int dim>
  template <typename Group>
  std::array<std::vector<double>, 2>
  Electrochemistry<dim>::interface_currents(const unsigned int n_groups,
                                            const Group       &group_of_face) const
  {
    std::vector<double> current(n_groups, 0.), derivative(n_groups, 0.);
    const unsigned int  nq = face_quadrature.size();
    for_each_interface_point([&](const unsigned int k,
                                 const double       JxW,
                                 const double       theta,
                                 const double       phi_e) {
      const auto bv = interface_reaction(k, theta, phi_e);
      const auto sr = side_reaction(k, phi_e);
      current[group_of_face(k / nq)] += (bv.current + sr.current) * JxW;
      derivative[group_of_face(k / nq)] +=
        (bv.d_current_d_eta + sr.d_current_d_eta) * JxW;
    });
    Utilities::MPI::sum(current, mpi_communicator, current);
    Utilities::MPI::sum(derivative, mpi_communicator, derivative);
    return {{current, derivative}};
  }

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::particle_currents() const
  {
    return interface_currents(particle_count, [&](const unsigned int face) {
      return particle_of_face[face];
    })[0];
  }

  namespace
  {
    /// Per particle: the sum over the processes of @p numerator over that
    /// of @p denominator (each process's parts).
    std::vector<double>
    ratios_of_sums(std::vector<double>        numerator,
                   std::vector<double>        denominator,
                   const MPI_Comm             comm)
    {
      Utilities::MPI::sum(numerator, comm, numerator);
      Utilities::MPI::sum(denominator, comm, denominator);
      for (unsigned int k = 0; k < numerator.size(); ++k)
        numerator[k] /= denominator[k];
      return numerator;
    }

    /// Largest absolute value of @p v (0 if empty).
    double
    largest_magnitude(const std::vector<double> &v)
    {
      double largest = 0;
      for (const double x : v)
        largest = std::max(largest, std::abs(x));
      return largest;
    }

    /// In the first @p n rows of the small dense system A x = b, a row
    /// that is all zero belongs to a particle out of every contact:
    /// nothing fixes its potential and nothing depends on it, so its
    /// update is set to 0 (A_kk = 1, b_k = 0).
    template <typename T>
    void
    keep_unconstrained(std::vector<std::vector<T>> &A,
                       std::vector<T>              &b,
                       const unsigned int           n)
    {
      for (unsigned int k = 0; k < n; ++k)
        if (std::all_of(A[k].begin(), A[k].end(), [](const T &a) {
              return a == T(0);
            }))
          A[k][k] = 1., b[k] = 0.;
    }

    /// Solves the small dense system A x = b (b is overwritten with x) by
    /// Gaussian elimination with partial pivoting; false if A is singular.
    template <typename T>
    bool
    solve_dense(std::vector<std::vector<T>> A, std::vector<T> &b)
    {
      const unsigned int n = b.size();
      for (unsigned int c = 0; c < n; ++c)
        {
          unsigned int pivot = c;
          for (unsigned int r = c + 1; r < n; ++r)
            if (std::abs(A[r][c]) > std::abs(A[pivot][c]))
              pivot = r;
          if (!(std::abs(A[pivot][c]) > 0))
            return false;
          std::swap(A[pivot], A[c]);
          std::swap(b[pivot], b[c]);
          for (unsigned int r = c + 1; r < n; ++r)
            {
              const T factor = A[r][c] / A[c][c];
              for (unsigned int j = c; j < n; ++j)
                A[r][j] -= factor * A[c][j];
              b[r] -= factor * b[c];
            }
        }
      for (unsigned int c = n; c-- > 0;)
        {
          for (unsigned int j = c + 1; j < n; ++j)
            b[c] -= A[c][j] * b[j];
          b[c] /= A[c][c];
        }
      return true;
    }
  } // namespace

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::potential_update(
    const std::vector<double>              &currents,
    const std::vector<double>              &d,
    const std::vector<std::vector<double>> &cx,
    const std::vector<double>              &cx0,
    const std::vector<double>              &conductance,
    const double                            current) const
  {
    // unknowns d phi_s,k (k < N) and dV (last). Particle k's electrons
    // cross its contact: I_k(u, phi_s,k) = G_k (V - phi_s,k); the
    // collector takes them all: sum_k G_k (V - phi_s,k) = I. Linearised
    // with du = x0 - sum_l x_l d phi_s,l
    const unsigned int               n = currents.size();
    std::vector<std::vector<double>> A(n + 1, std::vector<double>(n + 1, 0.));
    std::vector<double>              rhs(n + 1, 0.);
    for (unsigned int k = 0; k < n; ++k)
      {
        const double drop = cell_potential - particle_potentials[k];
        for (unsigned int l = 0; l < n; ++l)
          A[k][l] = -cx[k][l];
        A[k][k] += d[k] + conductance[k];
        A[k][n] = -conductance[k];
        rhs[k]  = -(currents[k] - conductance[k] * drop) - cx0[k];
        A[n][k] = -conductance[k];
        A[n][n] += conductance[k];
        rhs[n] -= conductance[k] * drop;
      }
    rhs[n] += current;
    keep_unconstrained(A, rhs, n);
    if (!solve_dense(A, rhs))
      return {};
    return rhs;
  }

  template <int dim>
  void
  Electrochemistry<dim>::predict_particle_potential(const double current)
  {
    const unsigned int n_phi = n_potentials();
    const auto         conductance =
      separate_potentials ? electronic_conductances() : std::vector<double>();
    const std::vector<std::vector<double>> no_coupling(
      n_phi, std::vector<double>(n_phi, 0.));
    for (unsigned int it = 0; it < 50; ++it)
      {
        const auto [g, dg] =
          interface_currents(n_phi, [&](const unsigned int face) {
            return potential_of(face);
          });
        std::vector<double> delta;
        if (!separate_potentials)
          {
            if (!(dg[0] > 0))
              return;
            delta = {-(g[0] - current) / dg[0]};
          }
        else
          delta = potential_update(g, dg, no_coupling,
                                   std::vector<double>(n_phi, 0.), conductance,
                                   current);
        const double largest = largest_magnitude(delta);
        if (delta.empty() || !std::isfinite(largest))
          return;
        const double scale = std::min(1., 0.25 / std::max(largest, 1e-300));
        for (unsigned int k = 0; k < n_phi; ++k)
          particle_potentials[k] += scale * delta[k];
        if (separate_potentials)
          cell_potential += scale * delta[n_phi];
        if (scale * largest < 1e-12)
          return;
      }
  }

  template <int dim>
  typename Electrochemistry<dim>::StepResult
  Electrochemistry<dim>::solve_time_step(const double time_step,
                                         const double current,
                                         const Branch new_branch)
  {
    return solve_controlled_step(time_step, current, new_branch, false);
  }

  template <int dim>
  typename Electrochemistry<dim>::StepResult
  Electrochemistry<dim>::solve_time_step_at_voltage(const double time_step,
                                                    const double voltage,
                                                    const Branch new_branch)
  {
    return solve_controlled_step(time_step, voltage, new_branch, true);
  }

  template <int dim>
  typename Electrochemistry<dim>::StepResult
  Electrochemistry<dim>::solve_controlled_step(const double time_step,
                                               const double value,
                                               const Branch new_branch,
                                               const bool   potentiostatic)
  {
    branch = new_branch;
    StepResult result;
    attempted_time_step = time_step;
    // galvanostatic: the current; potentiostatic: the voltage, and the
    // current follows (its first guess: the last accepted step's)
    double       current = potentiostatic ? last_step_current : value;
    const double voltage = value;
    if (potentiostatic && separate_potentials)
      {
        result.failure = "potential control needs one potential for all "
                         "particles (no separate electronic contacts)";
        return result;
      }

    solution            = old_solution;
    relevant_solution   = solution;
    particle_potentials = old_particle_potentials;
    cell_potential      = old_cell_potential;
    const auto conductance =
      separate_potentials ? electronic_conductances() : std::vector<double>();
    if (separate_potentials &&
        std::accumulate(conductance.begin(), conductance.end(), 0.) == 0)
      {
        result.failure = "no particle touches the conducting network";
        return result;
      }
    // the series resistance of the electronic contact at this contact
    // state, per the current (Ohm; one potential only)
    // (collective: computed once)
    const double r_e    = electronic_resistance();
    const double series = r_e / interface_area;
    if (potentiostatic)
      {
        if (!std::isfinite(series))
          {
            result.failure = "no electronic path: nothing touches";
            return result;
          }
        particle_potentials[0] = voltage - current * series;
      }
    else
      predict_particle_potential(current);
    // one potential: the series drop over the electronic contact at this
    // contact state (the particle's own solve does not see it: it is
    // outside the cell's unknowns, a resistor between the particle and
    // the collector); separate potentials carry their drops in V
    electronic_drop =
      separate_potentials ? 0. : current / interface_area * r_e;
    if (!std::isfinite(electronic_drop)) // nothing touches: no path at all
      electronic_drop =
        current == 0 ? 0. : std::copysign(std::numeric_limits<double>::max(), current);

    const double tolerance = parameters.solver.newton_tolerance;
    const unsigned int n_phi = n_potentials();
    Assembly     system;
    TrilinosWrappers::MPI::Vector scaling(locally_owned_dofs, mpi_communicator);
    TrilinosWrappers::MPI::Vector x0(scaling), rhs(scaling);
    std::vector<TrilinosWrappers::MPI::Vector> x(n_phi, scaling);

    for (unsigned int it = 1; it <= parameters.solver.max_newton_iterations;
         ++it)
      {
        result.newton_iterations = it;
        assemble(time_step, system);

        // symmetric Jacobi scaling S J S: theta rows (mol/s) and phi_e rows
        // (A) differ by many orders of magnitude; AMG and GMRES's stopping
        // test want them balanced
        for (const auto i : locally_owned_dofs)
          {
            const double d = std::abs(jacobian.diag_element(i));
            scaling[i]     = (d > 0 && std::isfinite(d)) ? 1. / std::sqrt(d) : 1.;
          }
        scaling.compress(VectorOperation::insert);
        const Epetra_Vector &s = *scaling.trilinos_vector()(0);
        const auto scale = [&s](TrilinosWrappers::SparseMatrix &matrix) {
          auto &epetra = const_cast<Epetra_CrsMatrix &>(matrix.trilinos_matrix());
          epetra.LeftScale(s);
          epetra.RightScale(s);
        };
        const bool direct = parameters.solver.direct_linear_solver(dim);
        scale(jacobian);
        if (!direct) // the LU does not need the AMG's matrix (assemble())
          scale(preconditioner_matrix);

        // sparse LU: factorised once, solved for the residual and each
        // particle's potential column; else AMG on the preconditioner
        // matrix and GMRES
        SolverControl direct_control(1, 0);
        TrilinosWrappers::SolverDirect lu(direct_control,
                                          regions::direct_settings());
        TrilinosWrappers::PreconditionAMG amg;
        bool factorised = true;
        if (direct)
          try
            {
              lu.initialize(jacobian);
            }
          catch (const std::exception &)
            {
              factorised = false; // a singular Jacobian: cut the step
            }
        else
          amg.initialize(preconditioner_matrix, regions::amg_settings());
        // every rank takes the same branch below
        factorised = Utilities::MPI::min(factorised ? 1 : 0, mpi_communicator) == 1;

        auto solve = [&](const TrilinosWrappers::MPI::Vector &b,
                         TrilinosWrappers::MPI::Vector       &x) {
          TrilinosWrappers::MPI::Vector scaled_b(b);
          scaled_b.scale(scaling);
          x = 0;
          const double norm = scaled_b.l2_norm();
          if (norm == 0)
            return true;
          if (direct)
            {
              if (!factorised)
                return false;
              try
                {
                  lu.solve(x, scaled_b);
                }
              catch (const std::exception &)
                {
                  // seen by every rank through the norm below
                  x = std::numeric_limits<double>::quiet_NaN();
                }
              x.scale(scaling);
              return std::isfinite(x.l2_norm());
            }
          SolverControl control(parameters.solver.max_linear_iterations,
                                parameters.solver.linear_tolerance * norm);
          SolverGMRES<TrilinosWrappers::MPI::Vector> gmres(
            control,
            SolverGMRES<TrilinosWrappers::MPI::Vector>::AdditionalData(100));
          try
            {
              gmres.solve(jacobian, x, scaled_b, amg);
            }
          catch (const SolverControl::NoConvergence &)
            {
              result.linear_iterations += control.last_step();
              return false;
            }
          result.linear_iterations += control.last_step();
          x.scale(scaling);
          return true;
        };

        rhs = system.residual;
        rhs *= -1.;
        bool solved = solve(rhs, x0);
        for (unsigned int g = 0; g < n_phi && solved; ++g)
          solved = solve(system.d_residual_d_phi_s[g], x[g]);
        if (!solved)
          {
            result.failure = "linear solver did not converge";
            return result;
          }

        // the potentials' updates from the bordered rows
        std::vector<double> delta;
        double              linear_current = current; // after the update
        if (!separate_potentials)
          {
            // the current linearised in the potential's update delta,
            // the fields following it: I0 + delta dI
            const double dI =
              system.d_current_d_phi_s[0] - system.d_current_d_u[0] * x[0];
            const double I0 =
              system.particle_current[0] + system.d_current_d_u[0] * x0;
            // galvanostatic: I0 + delta dI = I (written as it was before
            // the potential control, to round-off: the regression
            // references follow it); potentiostatic: phi_s + delta + (I0
            // + delta dI) series = V
            delta = {potentiostatic ?
                       (voltage - particle_potentials[0] - I0 * series) /
                         (1 + dI * series) :
                       (-(system.particle_current[0] - current) -
                        system.d_current_d_u[0] * x0) /
                         dI};
            linear_current = I0 + delta[0] * dI;
          }
        else
          {
            std::vector<std::vector<double>> cx(n_phi, std::vector<double>(n_phi));
            std::vector<double>              cx0(n_phi);
            for (unsigned int k = 0; k < n_phi; ++k)
              {
                cx0[k] = system.d_current_d_u[k] * x0;
                for (unsigned int l = 0; l < n_phi; ++l)
                  cx[k][l] = system.d_current_d_u[k] * x[l];
              }
            delta = potential_update(system.particle_current,
                                     system.d_current_d_phi_s, cx, cx0,
                                     conductance, current);
            if (delta.empty())
              {
                result.failure = "the particles' potentials are undetermined";
                return result;
              }
          }
        for (unsigned int g = 0; g < n_phi; ++g)
          x0.add(-delta[g], x[g]); // x0 is now the field update
        update_constraints.distribute(x0);

        const double largest     = largest_magnitude(delta);
        const double update_norm = std::max(x0.linfty_norm(), largest);
        if (!std::isfinite(update_norm) || !std::isfinite(largest))
          {
            result.failure = "Newton update is not finite";
            return result;
          }
        // damping: the kinetics are exponential in the overpotential
        const double alpha =
          std::min({1., 0.2 / std::max(largest, 1e-300),
                    0.3 / std::max(x0.linfty_norm(), 1e-300)});
        solution.add(alpha, x0);
        for (unsigned int g = 0; g < n_phi; ++g)
          particle_potentials[g] += alpha * delta[g];
        if (separate_potentials)
          cell_potential += alpha * delta[n_phi];
        relevant_solution = solution;

        if (potentiostatic)
          {
            // the linearised current after the damped update: the
            // assembled one moved the fraction alpha of the way to the
            // full update's (exact at convergence, where alpha = 1)
            current = system.particle_current[0] +
                      alpha * (linear_current - system.particle_current[0]);
            electronic_drop = voltage - particle_potentials[0];
          }
        if (alpha == 1. && update_norm < tolerance)
          {
            last_step_current = current;
            result.converged  = true;
            return result;
          }
      }
    result.failure = "Newton did not converge in " +
                     std::to_string(parameters.solver.max_newton_iterations) +
                     " iterations";
    return result;
  }

  template <int dim>
  std::vector<std::complex<double>>
  Electrochemistry<dim>::impedance(const std::vector<double> &frequencies)
  {
    // steady Jacobian J, b, c, d at the current state (the storage term
    // c_max/dt vanishes with an infinite step); the fields are not moved.
    // With one potential the electronic contact is a resistor in series
    // with all of it; with separate potentials it is inside the particles'
    // rows below.
    const double       electronic = electronic_resistance();
    const unsigned int n_phi      = n_potentials();
    Assembly           system;
    assemble(std::numeric_limits<double>::max(), system);

    // M: the Li storage c_max (w_i, w_j) on the particle, the double layer
    // C_dl a (v_m, v_l) on the phi_e rows of the interface; and the double
    // layer's parts of b, c, d (their imaginary parts over omega), per
    // potential
    TrilinosWrappers::SparseMatrix mass;
    mass.reinit(jacobian);
    mass = 0;
    std::vector<TrilinosWrappers::MPI::Vector> b_dl(
      n_phi, TrilinosWrappers::MPI::Vector(locally_owned_dofs, mpi_communicator));
    auto                c_dl = b_dl;
    std::vector<double> d_dl(n_phi, 0.);
    {
      FEValues<dim> fv(fe_collection[particle_fe], cell_quadrature,
                       update_values | update_JxW_values);
      const unsigned int n = fe_collection[particle_fe].n_dofs_per_cell();
      FullMatrix<double> cell_matrix(n, n);
      std::vector<types::global_dof_index> dofs(n);
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
          {
            fv.reinit(cell);
            cell_matrix = 0;
            for (unsigned int q = 0; q < cell_quadrature.size(); ++q)
              for (unsigned int i = 0; i < n; ++i)
                for (unsigned int j = 0; j < n; ++j)
                  cell_matrix(i, j) += max_li_concentration *
                                       fv[li_content].value(i, q) *
                                       fv[li_content].value(j, q) * fv.JxW(q);
            cell->get_dof_indices(dofs);
            update_constraints.distribute_local_to_global(cell_matrix, dofs, mass);
          }
    }
    const double C_dl = parameters.kinetics.double_layer_capacitance;
    {
      FEFaceValues<dim> particle_face(fe_collection[particle_fe], face_quadrature,
                                      update_JxW_values);
      FEFaceValues<dim> electrolyte_face(fe_collection[electrolyte_fe],
                                         face_quadrature, update_values);
      const unsigned int ne  = fe_collection[electrolyte_fe].n_dofs_per_cell();
      const unsigned int nqf = face_quadrature.size();
      FullMatrix<double> face_matrix(ne, ne);
      Vector<double>     face_b(ne), face_c(ne);
      std::vector<types::global_dof_index> dofs(ne);
      regions::for_each_interface_face(interface_faces, particle_face, electrolyte_face,
                              [&](const unsigned int k, const auto &,
                                  const auto &neighbor) {
          face_matrix = 0;
          face_b      = 0;
          face_c      = 0;
          for (unsigned int q = 0; q < nqf; ++q)
            {
              const double w = C_dl * ionic_contact(k * nqf + q) *
                               particle_face.JxW(q);
              d_dl[potential_of(k)] += w;
              for (unsigned int m = 0; m < ne; ++m)
                {
                  const double v_m =
                    electrolyte_face[electrolyte_potential].value(m, q);
                  // phi_e rows carry -i v: d/d phi_s of -C_dl a dphi/dt
                  face_b(m) -= w * v_m;
                  face_c(m) -= w * v_m;
                  for (unsigned int l = 0; l < ne; ++l)
                    face_matrix(m, l) +=
                      w * v_m * electrolyte_face[electrolyte_potential].value(l, q);
                }
            }
          neighbor->get_dof_indices(dofs);
          update_constraints.distribute_local_to_global(face_matrix, dofs, mass);
          update_constraints.distribute_local_to_global(face_b, dofs,
                                                        b_dl[potential_of(k)]);
          update_constraints.distribute_local_to_global(face_c, dofs,
                                                        c_dl[potential_of(k)]);
        });
    }
    mass.compress(VectorOperation::add);
    for (unsigned int g = 0; g < n_phi; ++g)
      {
        b_dl[g].compress(VectorOperation::add);
        c_dl[g].compress(VectorOperation::add);
      }
    Utilities::MPI::sum(d_dl, mpi_communicator, d_dl);

    // the real block form [J, -wM; wM, J] on the unknowns (re, im)
    const types::global_dof_index n = dof_handler.n_dofs();
    IndexSet                      owned(2 * n);
    owned.add_indices(locally_owned_dofs);
    owned.add_indices(locally_owned_dofs, n);
    owned.compress();
    TrilinosWrappers::SparsityPattern pattern(owned, mpi_communicator);
    for (const auto r : locally_owned_dofs)
      for (auto entry = jacobian.begin(r); entry != jacobian.end(r); ++entry)
        for (const types::global_dof_index shift_r : {types::global_dof_index(0), n})
          for (const types::global_dof_index shift_c : {types::global_dof_index(0), n})
            pattern.add(r + shift_r, entry->column() + shift_c);
    pattern.compress();
    TrilinosWrappers::SparseMatrix block;
    block.reinit(pattern);
    TrilinosWrappers::MPI::Vector rhs(owned, mpi_communicator), x(rhs);

    const auto conductance =
      separate_potentials ? electronic_conductances() : std::vector<double>();
    std::vector<std::complex<double>> z;
    for (const double frequency : frequencies)
      {
        const double omega = 2 * numbers::PI * frequency;
        block              = 0;
        for (const auto r : locally_owned_dofs)
          {
            auto m = mass.begin(r);
            for (auto j = jacobian.begin(r); j != jacobian.end(r); ++j, ++m)
              {
                const auto col = j->column();
                block.set(r, col, j->value());
                block.set(r + n, col + n, j->value());
                block.set(r, col + n, -omega * m->value());
                block.set(r + n, col, omega * m->value());
              }
          }
        block.compress(VectorOperation::insert);
        SolverControl                  control(1, 0);
        TrilinosWrappers::SolverDirect direct(
          control, regions::direct_settings());
        direct.initialize(block);
        // the particles' admittances Y_kl = dI_k / d phi_s,l:
        // d_k delta_kl - c_k . (J + i omega M)^-1 b_l, with c = c_J +
        // i omega c_dl, b = b_J + i omega b_dl, d = d_J + i omega d_dl
        using complex = std::complex<double>;
        std::vector<std::vector<complex>> Y(n_phi, std::vector<complex>(n_phi));
        for (unsigned int l = 0; l < n_phi; ++l)
          {
            for (const auto r : locally_owned_dofs)
              {
                rhs[r]     = system.d_residual_d_phi_s[l][r];
                rhs[r + n] = omega * b_dl[l][r];
              }
            rhs.compress(VectorOperation::insert);
            direct.solve(x, rhs);
            for (unsigned int k = 0; k < n_phi; ++k)
              {
                complex cx = 0;
                for (const auto r : locally_owned_dofs)
                  cx += complex(system.d_current_d_u[k][r], omega * c_dl[k][r]) *
                        complex(x[r], x[r + n]);
                cx = {Utilities::MPI::sum(cx.real(), mpi_communicator),
                      Utilities::MPI::sum(cx.imag(), mpi_communicator)};
                Y[k][l] = -cx;
              }
            Y[l][l] += complex(system.d_current_d_phi_s[l], omega * d_dl[l]);
          }
        if (!separate_potentials)
          {
            z.push_back(interface_area / Y[0][0] + electronic);
            continue;
          }
        // behind the contacts: dI_k = G_k (dV - d phi_s,k) = sum_l Y_kl
        // d phi_s,l, so (Y + G) d phi_s = G dV and the cell takes
        // dI = sum_k G_k (dV - d phi_s,k)
        auto                 A = Y;
        std::vector<complex> response(n_phi);
        for (unsigned int k = 0; k < n_phi; ++k)
          {
            A[k][k] += conductance[k];
            response[k] = conductance[k];
          }
        keep_unconstrained(A, response, n_phi);
        complex admittance = 0;
        if (solve_dense(A, response))
          for (unsigned int k = 0; k < n_phi; ++k)
            admittance += conductance[k] * (1. - response[k]);
        z.push_back(interface_area / admittance);
      }
    return z;
  }

  template <int dim>
  void
  Electrochemistry<dim>::accept_step()
  {
    old_solution           = solution;
    relevant_old_solution  = solution;
    old_particle_potentials = particle_potentials;
    old_cell_potential      = cell_potential;
    old_electronic_drop    = electronic_drop;
    // the side reaction's charge (C, > 0), at the end-of-step rate
    if (parameters.kinetics.side_exchange_current > 0)
      side_charge -= side_reaction_current() * attempted_time_step;
    if (parameters.particle.irreversible_conversion)
      {
        const auto theta = conversion_extent_at_quadrature_points();
        for (unsigned int k = 0; k < theta.size(); ++k)
          converted_extent[k] = std::max(converted_extent[k], theta[k]);
      }
  }

  template <int dim>
  double
  Electrochemistry<dim>::open_circuit_stress_shift(const unsigned int face) const
  {
    const double omega = parameters.particle.reaction_volume;
    if (omega == 0)
      return 0.;
    // the particle cell's mean hydrostatic stress (its quadrature points'
    // mean: with Mechanics/F-bar the cell's pressure)
    const unsigned int nq    = cell_quadrature.size();
    const unsigned int first = interface_faces[face].cell->active_cell_index() * nq;
    double             sigma_h = 0;
    for (unsigned int q = 0; q < nq; ++q)
      sigma_h += hydrostatic_stress[first + q];
    return omega * sigma_h / nq / constants::faraday;
  }

  template <int dim>
  double
  Electrochemistry<dim>::stress_factor_exponent(const double sigma_h) const
  {
    const double bound = parameters.particle.stress_coupling_limit;
    return parameters.particle.migration_activation_volume *
           std::clamp(sigma_h, -bound, bound) /
           (constants::gas_constant * temperature);
  }

  template <int dim>
  double
  Electrochemistry<dim>::stress_factor_change(const std::vector<double> &sigma_h) const
  {
    // the difference of the bounded stresses times Omega / R T (not the
    // difference of two exponents: the same number to round-off, but the
    // time-step control downstream is sensitive to round-off)
    const double bound = parameters.particle.stress_coupling_limit;
    const double scale = parameters.particle.migration_activation_volume /
                         (constants::gas_constant * temperature);
    const unsigned int nq  = cell_quadrature.size();
    double             sum = 0, points = 0;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
        for (unsigned int q = 0; q < nq; ++q)
          {
            const unsigned int k = cell->active_cell_index() * nq + q;
            const double       change =
              scale * (std::clamp(sigma_h[k], -bound, bound) -
                       std::clamp(hydrostatic_stress[k], -bound, bound));
            sum += change * change;
            points += 1;
          }
    sum    = Utilities::MPI::sum(sum, mpi_communicator);
    points = Utilities::MPI::sum(points, mpi_communicator);
    return points > 0 ? std::sqrt(sum / points) : 0.;
  }

  template <int dim>
  void
  Electrochemistry<dim>::reject_step()
  {
    solution           = old_solution;
    relevant_solution  = solution;
    particle_potentials = old_particle_potentials;
    cell_potential      = old_cell_potential;
    electronic_drop    = old_electronic_drop;
  }

  template <int dim>
  typename Electrochemistry<dim>::AcceptedState
  Electrochemistry<dim>::accepted_state() const
  {
    return {old_solution,     old_particle_potentials, old_cell_potential,
            old_electronic_drop, side_charge,          converted_extent};
  }

  template <int dim>
  void
  Electrochemistry<dim>::restore(const AcceptedState &state)
  {
    old_solution            = state.solution;
    relevant_old_solution   = state.solution;
    old_particle_potentials = state.particle_potentials;
    old_cell_potential      = state.cell_potential;
    old_electronic_drop     = state.electronic_drop;
    side_charge             = state.side_charge;
    converted_extent        = state.converted_extent;
    reject_step(); // the current state is the accepted one
  }

  template <int dim>
  typename Electrochemistry<dim>::Relaxation
  Electrochemistry<dim>::relax(const double duration,
                               const double first_step,
                               const double minimum_step,
                               const Branch branch)
  {
    Relaxation result;
    double     step = std::max(first_step, minimum_step);
    while (result.time < duration * (1. - 1e-12))
      {
        const double dt = std::min(step, duration - result.time);
        const auto   r  = solve_time_step(dt, 0., branch);
        if (!r.converged)
          {
            reject_step();
            if (dt <= minimum_step)
              {
                result.converged = false;
                result.failure   = r.failure;
                return result;
              }
            step = std::max(0.5 * dt, minimum_step);
            continue;
          }
        accept_step();
        result.time += dt;
        ++result.steps;
        step = 2. * dt;
      }
    return result;
  }

  template <int dim>
  double
  Electrochemistry<dim>::li_stored() const
  {
    FEValues<dim> fe_values(fe_collection[particle_fe],
                            cell_quadrature,
                            update_values | update_JxW_values);
    std::vector<double> theta(cell_quadrature.size());
    double              sum = 0;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
        {
          fe_values.reinit(cell);
          fe_values[li_content].get_function_values(relevant_solution, theta);
          for (unsigned int q = 0; q < theta.size(); ++q)
            sum += theta[q] * fe_values.JxW(q);
        }
    return max_li_concentration * Utilities::MPI::sum(sum, mpi_communicator);
  }

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::particle_li_contents() const
  {
    FEValues<dim> fe_values(fe_collection[particle_fe],
                            cell_quadrature,
                            update_values | update_JxW_values);
    std::vector<double> theta(cell_quadrature.size());
    std::vector<double> li(particle_count, 0.), volume(particle_count, 0.);
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
        {
          const unsigned int k =
            particle_of_coarse_cell[cell->id().get_coarse_cell_id()];
          fe_values.reinit(cell);
          fe_values[li_content].get_function_values(relevant_solution, theta);
          for (unsigned int q = 0; q < theta.size(); ++q)
            {
              li[k] += theta[q] * fe_values.JxW(q);
              volume[k] += fe_values.JxW(q);
            }
        }
    return ratios_of_sums(li, volume, mpi_communicator);
  }

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::particle_contact_fractions() const
  {
    std::vector<double> touching(particle_count, 0.), area(particle_count, 0.);
    const unsigned int  nq = face_quadrature.size();
    for_each_interface_point(
      [&](const unsigned int k, const double JxW, const double, const double) {
        touching[particle_of_face[k / nq]] += ionic_contact(k) * JxW;
        area[particle_of_face[k / nq]] += JxW;
      });
    return ratios_of_sums(touching, area, mpi_communicator);
  }

  template <int dim>
  std::vector<typename Electrochemistry<dim>::InterfacePoint>
  Electrochemistry<dim>::interface_points() const
  {
    std::vector<InterfacePoint> points;
    FEFaceValues<dim>           geometry(fe_collection[particle_fe],
                               face_quadrature,
                               update_quadrature_points);
    for_each_interface_point([&](const unsigned int k,
                                 const double       JxW,
                                 const double       theta,
                                 const double       phi_e) {
      const unsigned int nq = face_quadrature.size();
      if (k % nq == 0)
        geometry.reinit(interface_faces[k / nq].cell, interface_faces[k / nq].face);
      points.push_back({geometry.quadrature_point(k % nq),
                        JxW,
                        interface_reaction(k, theta, phi_e).current});
    });
    return points;
  }

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::conversion_extent_at_quadrature_points() const
  {
    const unsigned int  nq = cell_quadrature.size();
    std::vector<double> xi(triangulation.n_active_cells() * nq, 0.);
    FEValues<dim>       fe_values(fe_collection[particle_fe],
                            cell_quadrature,
                            update_values);
    std::vector<double> theta(nq);
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
        {
          fe_values.reinit(cell);
          fe_values[li_content].get_function_values(relevant_solution, theta);
          for (unsigned int q = 0; q < nq; ++q)
            xi[cell->active_cell_index() * nq + q] =
              std::clamp(theta[q], 0., 1.);
        }
    return xi;
  }

  template <int dim>
  std::vector<double>
  Electrochemistry<dim>::swelling_extent_at_quadrature_points(
    const double kept) const
  {
    auto s = conversion_extent_at_quadrature_points();
    if (parameters.particle.irreversible_conversion && kept > 0)
      for (unsigned int k = 0; k < s.size(); ++k)
        s[k] += kept * std::max(converted_extent[k] - s[k], 0.);
    return s;
  }

  template <int dim>
  double
  Electrochemistry<dim>::particle_mean(
    const std::vector<double> &at_quadrature_points) const
  {
    const unsigned int nq = cell_quadrature.size();
    FEValues<dim>      fe_values(fe_collection[particle_fe],
                            cell_quadrature,
                            update_JxW_values);
    double             sum = 0, volume = 0;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->active_fe_index() == particle_fe)
        {
          fe_values.reinit(cell);
          for (unsigned int q = 0; q < nq; ++q)
            {
              sum += at_quadrature_points[cell->active_cell_index() * nq + q] *
                     fe_values.JxW(q);
              volume += fe_values.JxW(q);
            }
        }
    return Utilities::MPI::sum(sum, mpi_communicator) /
           Utilities::MPI::sum(volume, mpi_communicator);
  }

  template <int dim>
  materials::ButlerVolmer::Value
  Electrochemistry<dim>::side_reaction(const unsigned int k,
                                       const double       phi_e) const
  {
    const auto  &kin = parameters.kinetics;
    if (kin.side_exchange_current <= 0)
      return {0., 0.};
    // passivation: the rate falls with the charge consumed so far
    const double capacity = kin.side_capacity * 3.6 * 1e3 * particle_mass();
    const double left     = std::max(0., 1. - side_charge / capacity);
    const double f = constants::faraday / (constants::gas_constant * temperature);
    const double a = kin.side_transfer_coefficient * f;
    const double e = std::exp(
      std::min(-a * (particle_potentials[potential_of(k / face_quadrature.size())] -
                     phi_e - kin.side_potential),
               200.));
    const double i0 = ionic_contact(k) * left * kin.side_exchange_current;
    return {-i0 * e, a * i0 * e};
  }

  template <int dim>
  std::array<double, 3>
  Electrochemistry<dim>::converted_depths(const double threshold) const
  {
    const Point<dim>          &centroid = particle_centroid;
    const std::vector<double> &extent   = particle_extent;

    // the Li content along the rays, each sample from the rank that owns
    // it (-1: outside the particle, or not here)
    const unsigned int      n = 200;
    const auto &mapping     = cell_locator->get_mapping();
    const auto &owned_boxes = cell_locator->get_locally_owned_cell_bounding_boxes_rtree();
    std::vector<std::pair<BoundingBox<dim>,
                          typename Triangulation<dim>::active_cell_iterator>>
                        hits;
    std::vector<double> samples(2 * dim * (n + 1), -1.);
    Vector<double>      local;
    for (unsigned int ray = 0; ray < 2 * dim; ++ray)
      for (unsigned int j = 0; j <= n; ++j)
        {
          // strictly inside the extent, and off the axis by a small
          // irrational amount: the samples never sit on a cell face (the
          // symmetric meshes have faces along the axes), so every one is
          // found by exactly one owner whatever the partition
          Point<dim> p = centroid;
          for (unsigned int d = 0; d < dim; ++d)
            p[d] += 1e-4 * std::sqrt(2. + d) * extent[ray];
          p[ray / 2] = centroid[ray / 2] +
                       (ray % 2 ? -1. : 1.) * extent[ray] * (j + 0.5) / (n + 1);
          // the locally owned particle cell that holds p, if any: the
          // owned cells' bounding boxes narrow the search
          hits.clear();
          owned_boxes.query(boost::geometry::index::intersects(p),
                            std::back_inserter(hits));
          for (const auto &hit : hits)
            {
              const auto &cell = hit.second;
              if (cell->material_id() != ids::particle ||
                  particle_of_coarse_cell[cell->id().get_coarse_cell_id()] !=
                    imaged_particle)
                continue;
              Point<dim> unit;
              try
                {
                  unit = mapping.transform_real_to_unit_cell(cell, p);
                }
              catch (const typename Mapping<dim>::ExcTransformationFailed &)
                {
                  continue;
                }
              if (!GeometryInfo<dim>::is_inside_unit_cell(unit, 1e-10))
                continue;
              const typename DoFHandler<dim>::active_cell_iterator dof_cell(
                &triangulation, cell->level(), cell->index(), &dof_handler);
              const auto &fe = dof_cell->get_fe();
              local.reinit(fe.n_dofs_per_cell());
              dof_cell->get_dof_values(relevant_solution, local);
              double theta = 0;
              for (unsigned int i = 0; i < fe.n_dofs_per_cell(); ++i)
                if (fe.system_to_component_index(i).first == 0)
                  theta += local[i] * fe.shape_value_component(i, unit, 0);
              samples[ray * (n + 1) + j] = std::max(theta, -0.5);
              break;
            }
        }
    MPI_Allreduce(MPI_IN_PLACE, samples.data(), samples.size(), MPI_DOUBLE,
                  MPI_MAX, mpi_communicator);

    // from the outermost sample in the particle inwards to the first
    // crossing of the threshold, measured from the extent (the surface)
    std::array<double, 3> depth = {{0., 0., 0.}};
    for (unsigned int ray = 0; ray < 2 * dim; ++ray)
      {
        const double *v    = &samples[ray * (n + 1)];
        const auto    at   = [&](const double j) {
          return extent[ray] * (j + 0.5) / (n + 1);
        };
        int top = n;
        while (top >= 0 && v[top] == -1.)
          --top;
        double d = 0;
        if (top >= 0 && v[top] >= threshold)
          {
            d = extent[ray]; // converted all the way in
            for (int j = top - 1; j >= 0; --j)
              if (v[j] != -1. && v[j] < threshold && v[j + 1] != -1.)
                {
                  d = extent[ray] -
                      at(j + (threshold - v[j]) / (v[j + 1] - v[j]));
                  break;
                }
          }
        depth[ray / 2] += 0.5 * d;
      }
    return depth;
  }

  template <int dim>
  double
  Electrochemistry<dim>::side_reaction_current() const
  {
    double sum = 0;
    for_each_interface_point(
      [&](const unsigned int k, const double JxW, const double, const double phi_e) {
        sum += side_reaction(k, phi_e).current * JxW;
      });
    return Utilities::MPI::sum(sum, mpi_communicator);
  }

  template <int dim>
  materials::ButlerVolmer::Value
  Electrochemistry<dim>::interface_reaction(const unsigned int k,
                                            const double       theta,
                                            const double       phi_e) const
  {
    // per touching area: the layer's resistance is that of the part that
    // touches, the current through it j = i / a
    const auto bv = kinetics.evaluate_behind_film(
      exchange_current,
      particle_potentials[potential_of(k / face_quadrature.size())] - phi_e -
        open_circuit().value(theta) -
        open_circuit_stress_shift(k / face_quadrature.size()),
      temperature,
      film_resistance());
    return {ionic_contact(k) * bv.current, ionic_contact(k) * bv.d_current_d_eta};
  }

  template <int dim>
  double
  Electrochemistry<dim>::film_resistance() const
  {
    const auto &kin = parameters.kinetics;
    return kin.side_film_resistivity * side_charge * kin.side_film_molar_volume /
           (constants::faraday * interface_area);
  }

  template <int dim>
  double
  Electrochemistry<dim>::contact_fraction() const
  {
    double sum = 0;
    for_each_interface_point(
      [&](const unsigned int k, const double JxW, const double, const double) {
        sum += ionic_contact(k) * JxW;
      });
    return Utilities::MPI::sum(sum, mpi_communicator) / interface_area;
  }

  template <int dim>
  double
  Electrochemistry<dim>::electronic_resistance() const
  {
    const double r = parameters.kinetics.electronic_contact_resistance;
    if (r == 0)
      return 0;
    // the touching part of the network's faces, a_e: r_e A / a_e per unit
    // interface area A (r_e / f for a dense particle, whose network is its
    // whole interface)
    const double touching = electronic_contact_fraction() * network_area;
    return touching > 0 ? r * interface_area / touching :
                          std::numeric_limits<double>::infinity();
  }

  template <int dim>
  double
  Electrochemistry<dim>::electronic_contact_fraction() const
  {
    double touching = 0;
    for (unsigned int k = 0; k < contact_factor.size(); ++k)
      touching += contact_factor[k] * electronic_weight[k];
    return Utilities::MPI::sum(touching, mpi_communicator) / network_area;
  }

  template <int dim>
  double
  Electrochemistry<dim>::interfacial_resistance() const
  {
    // the linearised kinetics conduct only over the contact area
    const double fraction = contact_fraction();
    return fraction > 0 ?
             (kinetics.charge_transfer_resistance(exchange_current, temperature) +
              film_resistance()) /
               fraction :
             std::numeric_limits<double>::infinity();
  }

  template <int dim>
  double
  Electrochemistry<dim>::theoretical_capacity() const
  {
    return constants::faraday * max_li_concentration * particle_volume;
  }

  template class Electrochemistry<2>;
  template class Electrochemistry<3>;
} // namespace ssbsim
