#pragma once

#include <deal.II/base/types.h>
#include <deal.II/distributed/tria.h>

#include <ssbsim/core/parameters.h>

#include <cmath>
#include <string>
#include <vector>

namespace ssbsim
{
  /// Material and boundary ids every mesh must carry (meshes/README.md).
  namespace ids
  {
    constexpr dealii::types::material_id particle    = 1;
    constexpr dealii::types::material_id electrolyte = 2;
    /// empty pore kept as a compliant fictitious solid (third-medium
    /// contact): the mechanics' particle field, nothing in the transport
    constexpr dealii::types::material_id third_medium = 3;

    constexpr dealii::types::boundary_id other             = 0;
    constexpr dealii::types::boundary_id li_side           = 1;
    constexpr dealii::types::boundary_id current_collector = 2;
    /// surfaces of closed (empty) pores: traction free, no flux
    constexpr dealii::types::boundary_id free_surface = 3;

    constexpr dealii::types::manifold_id interface_sphere = 1;
    constexpr dealii::types::manifold_id transfinite      = 2;
  } // namespace ids

  /**
   * Builds the mesh described by @p geometry (coarse mesh, then global
   * refinement) with the ids above, in metres, and checks that it carries
   * both materials and a Li-side boundary on the electrolyte; throws
   * UserError naming the parameter otherwise. Returns a one-line
   * description of a generated microstructure (empty for the others).
   */
  template <int dim>
  std::string
  create_geometry(const parameters::Geometry                    &geometry,
                  dealii::parallel::distributed::Triangulation<dim> &tria);

  /**
   * The grain each coarse cell of @p tria belongs to (numbered from 0 in
   * coarse-cell order; numbers::invalid_unsigned_int on electrolyte
   * cells), indexed by coarse-cell id (CellId::get_coarse_cell_id). A grain is one primary grain (one
   * coarse cell) of a porous microsphere, else one face-connected particle
   * of the mesh. The coarse mesh is the same on every process, so is this.
   */
  template <int dim>
  std::vector<unsigned int>
  particle_grains(const dealii::Triangulation<dim> &tria,
                  const parameters::Geometry       &geometry);

  /**
   * The particle each coarse cell of @p tria belongs to, indexed like
   * particle_grains() (numbers::invalid_unsigned_int on electrolyte
   * cells): a face-connected particle of the mesh, or a porous
   * microsphere's grains all of one particle, the microsphere of the row
   * they lie in (microsphere_of). Each particle is one equipotential when
   * the particles sit behind their own electronic contacts.
   */
  template <int dim>
  std::vector<unsigned int>
  particle_of_coarse_cells(const dealii::Triangulation<dim> &tria,
                           const parameters::Geometry       &geometry);

  /// The number of particles of particle_of_coarse_cells() (at least 1).
  unsigned int
  particle_count(const std::vector<unsigned int> &particle_of_coarse_cell);

  /**
   * A colour (0, 1, ...) for each grain of @p grain_of_coarse_cell (as
   * particle_grains() numbers them), indexed like it by coarse-cell id
   * (numbers::invalid_unsigned_int off the particle): two grains whose
   * coarse cells share a vertex get different colours (greedy, in grain
   * order: at most 4 on a 2D grid of square grains, 8 in 3D). Each colour
   * is one displacement field of the mechanics (`Mechanics/Grain
   * boundaries = cohesive`).
   */
  template <int dim>
  std::vector<unsigned int>
  grain_colours(const dealii::Triangulation<dim>  &tria,
                const std::vector<unsigned int>   &grain_of_coarse_cell);

  /// Centre of particle k of the row of boxes of 'Particle radii' (sphere
  /// in box or porous microsphere): side by side along y, the row centred
  /// on y = 0; one particle sits at the origin.
  template <int dim>
  inline dealii::Point<dim>
  row_centre(const parameters::Geometry &geometry, const unsigned int k)
  {
    dealii::Point<dim> centre;
    centre[1] = (k - 0.5 * (geometry.particle_radii.size() - 1.)) * geometry.box_size;
    return centre;
  }

  /**
   * The porous microsphere of the row (0, 1, ...) inside which a coarse
   * cell whose centre is @p coarse_centre lies (a grain, a pore, or
   * electrolyte grown into a pore), numbers::invalid_unsigned_int if it
   * lies in the surrounding composite. The rule the geometry builds the
   * microspheres by, and the one the physics reads them back with (the
   * composite's carbon lies only outside; each microsphere is one
   * particle, its grains at one potential).
   */
  template <int dim>
  inline unsigned int
  microsphere_of(const dealii::Point<dim>   &coarse_centre,
                 const parameters::Geometry &geometry)
  {
    const auto   n = geometry.particle_radii.size();
    const double s = coarse_centre[1] / geometry.box_size + 0.5 * (n - 1.);
    if (s < -0.5 || s >= n - 0.5)
      return dealii::numbers::invalid_unsigned_int;
    const auto k = static_cast<unsigned int>(std::lround(s));
    return coarse_centre.distance(row_centre<dim>(geometry, k)) <
               geometry.particle_radii[k] ?
             k :
             dealii::numbers::invalid_unsigned_int;
  }

  /// Whether a coarse cell lies inside any microsphere (microsphere_of).
  template <int dim>
  inline bool
  within_microsphere(const dealii::Point<dim>   &coarse_centre,
                     const parameters::Geometry &geometry)
  {
    return microsphere_of(coarse_centre, geometry) !=
           dealii::numbers::invalid_unsigned_int;
  }

  /// The particle's centre: where the built-in sphere sits, else the
  /// centroid of the particle cells.
  template <int dim>
  dealii::Point<dim>
  particle_centre(const dealii::Triangulation<dim> &tria, MPI_Comm comm);

  /// The centroid of the cells of one particle, @p particle, of those that
  /// @p particle_of_coarse_cell (indexed by coarse-cell id) numbers.
  template <int dim>
  dealii::Point<dim>
  particle_centre(const dealii::Triangulation<dim>  &tria,
                  MPI_Comm                           comm,
                  const std::vector<unsigned int>   &particle_of_coarse_cell,
                  const unsigned int                 particle);
} // namespace ssbsim
