#pragma once

#include <deal.II/base/numbers.h>
#include <deal.II/base/tensor.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_solver.h>

#include <vector>

namespace ssbsim
{
  /**
   * Fields on the particle and the electrolyte (step-46): every solver uses
   * an hp::FECollection whose element 0 lives on particle cells and element
   * 1 on electrolyte cells, and couples the two across their interface.
   */
  namespace regions
  {
    constexpr unsigned int particle_fe    = 0;
    constexpr unsigned int electrolyte_fe = 1;
    /// third-medium cells (ids::third_medium): every collection has a
    /// third element, FE_Nothing in the transport, the particle's
    /// displacement field in the mechanics (continuous with the grains)
    constexpr unsigned int third_medium_fe = 2;

    /// A face of a locally owned particle cell whose neighbour is
    /// electrolyte; each interface face appears once.
    template <int dim>
    struct InterfaceFace
    {
      typename dealii::DoFHandler<dim>::active_cell_iterator cell;
      unsigned int                                           face;
    };

    /// Reinitialises @p particle_face and @p electrolyte_face (FEFaceValues)
    /// on each of @p faces from both sides, so that they see the same
    /// quadrature points in the same order, and calls f(face_index,
    /// particle_cell, electrolyte_cell).
    template <int dim, typename FaceValues, typename F>
    void
    for_each_interface_face(const std::vector<InterfaceFace<dim>> &faces,
                            FaceValues                            &particle_face,
                            FaceValues                            &electrolyte_face,
                            const F                               &f)
    {
      for (unsigned int k = 0; k < faces.size(); ++k)
        {
          const auto &face     = faces[k];
          const auto  neighbor = face.cell->neighbor(face.face);
          particle_face.reinit(face.cell, face.face);
          electrolyte_face.reinit(neighbor,
                                  face.cell->neighbor_of_neighbor(face.face));
          f(k, face.cell, neighbor);
        }
    }

    /// Whether a point of a particle's surface with outward unit normal
    /// @p normal lies in the cap of area fraction @p fraction around the
    /// unit vector @p axis: its normal makes an angle below phi with the
    /// axis, phi = pi f on a circle (2D), cos phi = 1 - 2 f on a sphere
    /// (3D). f = 0: no point.
    template <int dim>
    inline bool
    in_surface_cap(const dealii::Tensor<1, dim> &normal,
                   const dealii::Tensor<1, dim> &axis,
                   const double                  fraction)
    {
      const double cos_phi =
        dim == 2 ? std::cos(dealii::numbers::PI * fraction) : 1. - 2. * fraction;
      return fraction > 0 && normal * axis >= cos_phi;
    }

    /// The share of a surface point in the cap of in_surface_cap() whose
    /// edge is spread over the angle @p width (radians), centred on the
    /// sharp edge phi: 1 where the normal's angle to @p axis is below
    /// phi - width / 2, 0 above phi + width / 2, linear in the angle
    /// between (on a circle the cap's area stays the fraction f as long as
    /// the ramp fits in [0, pi]). width = 0: in_surface_cap() as 0 or 1.
    template <int dim>
    inline double
    surface_cap_share(const dealii::Tensor<1, dim> &normal,
                      const dealii::Tensor<1, dim> &axis,
                      const double                  fraction,
                      const double                  width)
    {
      if (!(fraction > 0))
        return 0.;
      if (!(width > 0))
        return in_surface_cap(normal, axis, fraction) ? 1. : 0.;
      const double phi =
        dim == 2 ? dealii::numbers::PI * fraction : std::acos(1. - 2. * fraction);
      const double angle = std::acos(std::max(-1., std::min(1., normal * axis)));
      return std::max(0., std::min(1., 0.5 + (phi - angle) / width));
    }

    /// Sets the active FE index of the locally owned cells from their
    /// material id.
    template <int dim>
    void
    assign_fe_by_material(dealii::DoFHandler<dim> &dof_handler);

    /// The interface faces seen from the locally owned particle cells, in
    /// active-cell order (the order every interface quantity is stored in).
    /// Throws if the interface is not conforming.
    template <int dim>
    std::vector<InterfaceFace<dim>>
    interface_faces(const dealii::DoFHandler<dim> &dof_handler);

    /// The faces of the locally owned cells of material @p from whose
    /// neighbour has material @p to, in active-cell order; throws if one
    /// is not conforming. interface_faces() is (particle, electrolyte).
    template <int dim>
    std::vector<InterfaceFace<dim>>
    faces_between(const dealii::DoFHandler<dim> &dof_handler,
                  const dealii::types::material_id from,
                  const dealii::types::material_id to);

    /// Adds the couplings between the unknowns of the two cells of each
    /// interface face (rows owned elsewhere are sent to their owners by
    /// SparsityTools::distribute_sparsity_pattern afterwards).
    template <int dim>
    void
    add_interface_couplings(const std::vector<InterfaceFace<dim>>   &faces,
                            const dealii::AffineConstraints<double> &constraints,
                            dealii::DynamicSparsityPattern          &dsp);

    /// The ML settings all solvers start from (Q1, smoothed aggregation).
    dealii::TrilinosWrappers::PreconditionAMG::AdditionalData
    amg_settings();

    /// The sparse LU all direct solves use (Amesos KLU; a distributed
    /// matrix is gathered on one rank).
    dealii::TrilinosWrappers::SolverDirect::AdditionalData
    direct_settings();
  } // namespace regions
} // namespace ssbsim
