#include <deal.II/base/exceptions.h>

#include <ssbsim/core/geometry.h>
#include <ssbsim/physics/regions.h>

namespace ssbsim::regions
{
  using namespace dealii;

  template <int dim>
  void
  assign_fe_by_material(DoFHandler<dim> &dof_handler)
  {
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        cell->set_active_fe_index(
          cell->material_id() == ids::particle     ? particle_fe :
          cell->material_id() == ids::third_medium ? third_medium_fe :
                                                     electrolyte_fe);
  }

  template <int dim>
  std::vector<InterfaceFace<dim>>
  faces_between(const DoFHandler<dim>     &dof_handler,
                const types::material_id from,
                const types::material_id to)
  {
    std::vector<InterfaceFace<dim>> faces;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == from)
        for (const unsigned int f : cell->face_indices())
          if (!cell->at_boundary(f) && cell->neighbor(f)->material_id() == to)
            {
              AssertThrow(!cell->neighbor_is_coarser(f) &&
                            !cell->neighbor(f)->has_children(),
                          ExcMessage("the faces between two materials "
                                     "(particle, electrolyte, third medium) "
                                     "must be conforming (no hanging nodes "
                                     "across them)"));
              faces.push_back({cell, f});
            }
    return faces;
  }

  template <int dim>
  std::vector<InterfaceFace<dim>>
  interface_faces(const DoFHandler<dim> &dof_handler)
  {
    return faces_between(dof_handler, ids::particle, ids::electrolyte);
  }

  template <int dim>
  void
  add_interface_couplings(const std::vector<InterfaceFace<dim>> &faces,
                          const AffineConstraints<double>       &constraints,
                          DynamicSparsityPattern                &dsp)
  {
    std::vector<types::global_dof_index> dofs, neighbor_dofs;
    for (const auto &face : faces)
      {
        const auto neighbor = face.cell->neighbor(face.face);
        dofs.resize(face.cell->get_fe().n_dofs_per_cell());
        neighbor_dofs.resize(neighbor->get_fe().n_dofs_per_cell());
        face.cell->get_dof_indices(dofs);
        neighbor->get_dof_indices(neighbor_dofs);
        dofs.insert(dofs.end(), neighbor_dofs.begin(), neighbor_dofs.end());
        constraints.add_entries_local_to_global(dofs, dsp, false);
      }
  }

  TrilinosWrappers::PreconditionAMG::AdditionalData
  amg_settings()
  {
    TrilinosWrappers::PreconditionAMG::AdditionalData data;
    data.elliptic              = true;
    data.higher_order_elements = false;
    data.smoother_sweeps       = 2;
    data.aggregation_threshold = 1e-4;
    return data;
  }

  TrilinosWrappers::SolverDirect::AdditionalData
  direct_settings()
  {
    return TrilinosWrappers::SolverDirect::AdditionalData(false, "Amesos_Klu");
  }

  template void assign_fe_by_material(DoFHandler<2> &);
  template void assign_fe_by_material(DoFHandler<3> &);
  template std::vector<InterfaceFace<2>> interface_faces(const DoFHandler<2> &);
  template std::vector<InterfaceFace<3>> interface_faces(const DoFHandler<3> &);
  template std::vector<InterfaceFace<2>>
  faces_between(const DoFHandler<2> &, types::material_id, types::material_id);
  template std::vector<InterfaceFace<3>>
  faces_between(const DoFHandler<3> &, types::material_id, types::material_id);
  template void add_interface_couplings(const std::vector<InterfaceFace<2>> &,
                                        const AffineConstraints<double> &,
                                        DynamicSparsityPattern &);
  template void add_interface_couplings(const std::vector<InterfaceFace<3>> &,
                                        const AffineConstraints<double> &,
                                        DynamicSparsityPattern &);
} // namespace ssbsim::regions
