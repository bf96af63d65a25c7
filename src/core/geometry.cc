#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_in.h>
#include <deal.II/grid/grid_reordering.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/grid/manifold_lib.h>
#include <deal.II/grid/tria.h>

#include <ssbsim/core/geometry.h>

#include <cmath>
#include <fstream>

namespace ssbsim
{
  using namespace dealii;

  namespace
  {
    /**
     * Coarse mesh of a ball of radius R centred in the cube [-L/2, L/2]^dim:
     * a central cube of half width a, 2 dim particle cells between it and
     * the sphere, 2 dim electrolyte cells between the sphere and the box,
     * and, if the separator is thicker than zero, one electrolyte cell on
     * the box face x = -L/2 towards the Li side.
     *
     * Each shell cell is written so that its local axes run along the global
     * ones (positive Jacobian without reordering): along the shell
     * direction d the local coordinate goes from the more negative to the
     * more positive layer.
     */
    template <int dim>
    void
    sphere_in_box_coarse(const parameters::Geometry &g, Triangulation<dim> &tria)
    {
      const double R = g.particle_radius;
      const double L = g.box_size;
      // layer half widths measured along a coordinate axis
      const double layer[3] = {0.35 * R, R / std::sqrt(double(dim)), 0.5 * L};

      std::vector<Point<dim>>    vertices;
      std::vector<CellData<dim>> cells;
      const unsigned int         nv = GeometryInfo<dim>::vertices_per_cell;

      // vertex of layer l at sign pattern s (bit e of s: + along axis e)
      auto corner = [&](const unsigned int l, const unsigned int s) {
        Point<dim> p;
        for (unsigned int e = 0; e < dim; ++e)
          p[e] = ((s >> e) & 1 ? 1. : -1.) * layer[l];
        return p;
      };
      for (unsigned int l = 0; l < 3; ++l)
        for (unsigned int s = 0; s < nv; ++s)
          vertices.push_back(corner(l, s));
      auto index = [&](const unsigned int l, const unsigned int s) {
        return l * nv + s;
      };

      CellData<dim> centre;
      for (unsigned int s = 0; s < nv; ++s)
        centre.vertices[s] = index(0, s);
      centre.material_id = ids::particle;
      cells.push_back(centre);

      for (unsigned int shell = 0; shell < 2; ++shell)
        for (unsigned int d = 0; d < dim; ++d)
          for (const int sign : {-1, +1})
            {
              CellData<dim> c;
              for (unsigned int v = 0; v < nv; ++v)
                {
                  const bool         outer_bit = (v >> d) & 1;
                  const bool         outer = (sign > 0) ? outer_bit : !outer_bit;
                  unsigned int       s     = v;
                  // along d the sign is fixed by the side of the shell
                  s = (sign > 0) ? (s | (1u << d)) : (s & ~(1u << d));
                  c.vertices[v] = index(shell + (outer ? 1 : 0), s);
                }
              c.material_id = (shell == 0) ? ids::particle : ids::electrolyte;
              cells.push_back(c);
            }

      if (g.separator_thickness > 0)
        {
          // cell on x = -L/2, extruded towards -x
          const unsigned int first_new = vertices.size();
          for (unsigned int s = 0; s < nv; ++s)
            if (!(s & 1))
              {
                Point<dim> p = corner(2, s);
                p[0] -= g.separator_thickness;
                vertices.push_back(p);
              }
          CellData<dim> c;
          unsigned int  k = 0;
          for (unsigned int v = 0; v < nv; ++v)
            c.vertices[v] = (v & 1) ? index(2, v & ~1u) : first_new + (k++);
          c.material_id = ids::electrolyte;
          cells.push_back(c);
        }

      // deal.II needs the line (2D) and face (3D) orientations of the
      // coarse mesh to be consistent
      GridTools::consistently_order_cells(cells);
      tria.create_triangulation(vertices, cells, SubCellData());

      for (const auto &cell : tria.active_cell_iterators())
        {
          cell->set_all_manifold_ids(ids::transfinite);
          for (const unsigned int f : cell->face_indices())
            {
              if (cell->face(f)->at_boundary())
                {
                  const double x = cell->face(f)->center()[0];
                  cell->face(f)->set_boundary_id(
                    std::abs(x - (-0.5 * L - g.separator_thickness)) <
                        1e-8 * L ?
                      ids::li_side :
                    std::abs(x - 0.5 * L) < 1e-8 * L ? ids::current_collector :
                                                       ids::other);
                }
            }
        }
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->material_id() == ids::particle)
          for (const unsigned int f : cell->face_indices())
            if (!cell->at_boundary(f) &&
                cell->neighbor(f)->material_id() == ids::electrolyte)
              cell->face(f)->set_all_manifold_ids(ids::interface_sphere);
    }

    template <int dim>
    void
    layered_coarse(const parameters::Geometry &g, Triangulation<dim> &tria)
    {
      const double le = g.separator_thickness, lp = g.layer_thickness,
                   w  = g.box_size;
      const double h  = std::min({le, lp, w});
      const unsigned int ne = std::max(1, int(std::round(le / h)));
      const unsigned int np = std::max(1, int(std::round(lp / h)));
      std::vector<unsigned int> repetitions(dim, std::max(1, int(std::round(w / h))));
      repetitions[0] = ne + np;
      Point<dim> p0, p1;
      p1[0] = le + lp;
      for (unsigned int d = 1; d < dim; ++d)
        p1[d] = w;
      GridGenerator::subdivided_hyper_rectangle(tria, repetitions, p0, p1);
      for (const auto &cell : tria.active_cell_iterators())
        {
          cell->set_material_id(cell->center()[0] > le ? ids::particle :
                                                         ids::electrolyte);
          for (const unsigned int f : cell->face_indices())
            if (cell->face(f)->at_boundary())
              {
                const double x = cell->face(f)->center()[0];
                cell->face(f)->set_boundary_id(
                  std::abs(x) < 1e-8 * p1[0]            ? ids::li_side :
                  std::abs(x - p1[0]) < 1e-8 * p1[0] ? ids::current_collector :
                                                       ids::other);
              }
        }
    }

    template <int dim>
    void
    gmsh_coarse(const parameters::Geometry &g, Triangulation<dim> &tria)
    {
      GridIn<dim> grid_in;
      grid_in.attach_triangulation(tria);
      std::ifstream in(g.mesh_file);
      try
        {
          grid_in.read_msh(in);
        }
      catch (const std::exception &e)
        {
          throw UserError("parameter 'Geometry/Mesh file': cannot read '" +
                          g.mesh_file + "' as a " + std::to_string(dim) +
                          "D gmsh mesh (is 'Geometry/Dimension' right?): " +
                          one_line_message(e));
        }
      // deal.II reads triangles and tetrahedra as simplex cells; the
      // discretisation here is tensor-product (FE_Q) and would fail deep
      // inside (a segmentation fault) on any other cell
      if (!tria.all_reference_cells_are_hyper_cube())
        throw UserError("parameter 'Geometry/Mesh file': '" + g.mesh_file +
                        "' contains cells that are not " +
                        (dim == 2 ? "quadrilaterals" : "hexahedra") +
                        "; ssbsim needs an all-" +
                        (dim == 2 ? "quadrilateral" : "hexahedral") +
                        " mesh (gmsh: Mesh.RecombineAll = 1 and "
                        "Mesh.SubdivisionAlgorithm, see meshes/README.md)");
      GridTools::scale(g.mesh_length_unit, tria);
    }

    template <int dim>
    void
    check_ids(const Triangulation<dim> &tria, const std::string &what)
    {
      bool has_particle = false, has_electrolyte = false, has_li_side = false;
      for (const auto &cell : tria.active_cell_iterators())
        {
          const auto m = cell->material_id();
          if (m != ids::particle && m != ids::electrolyte)
            throw UserError(what + ": cell material id " + std::to_string(m) +
                            " found; allowed are " +
                            std::to_string(ids::particle) + " (particle) and " +
                            std::to_string(ids::electrolyte) +
                            " (electrolyte), see meshes/README.md");
          has_particle |= (m == ids::particle);
          has_electrolyte |= (m == ids::electrolyte);
          for (const unsigned int f : cell->face_indices())
            if (cell->at_boundary(f) &&
                cell->face(f)->boundary_id() == ids::li_side)
              {
                if (m != ids::electrolyte)
                  throw UserError(what + ": the Li-side boundary (id " +
                                  std::to_string(ids::li_side) +
                                  ") must lie on electrolyte cells");
                has_li_side = true;
              }
        }
      if (!has_particle || !has_electrolyte || !has_li_side)
        throw UserError(
          what + ": the mesh needs particle cells (material id " +
          std::to_string(ids::particle) + "), electrolyte cells (material id " +
          std::to_string(ids::electrolyte) +
          ") and a Li-side boundary (boundary id " +
          std::to_string(ids::li_side) + "); see meshes/README.md");
    }
  } // namespace

  template <int dim>
  void
  create_geometry(const parameters::Geometry                    &geometry,
                  parallel::distributed::Triangulation<dim> &tria)
  {
    Triangulation<dim> coarse;
    std::string        what;
    switch (geometry.type)
      {
        case parameters::Geometry::Type::sphere_in_box:
          sphere_in_box_coarse(geometry, coarse);
          what = "parameter 'Geometry/Type' = sphere in box";
          break;
        case parameters::Geometry::Type::layered:
          layered_coarse(geometry, coarse);
          what = "parameter 'Geometry/Type' = layered";
          break;
        case parameters::Geometry::Type::gmsh_file:
          gmsh_coarse(geometry, coarse);
          what = "parameter 'Geometry/Mesh file' '" + geometry.mesh_file + "'";
          break;
      }
    check_ids(coarse, what);

    tria.copy_triangulation(coarse);
    if (geometry.type == parameters::Geometry::Type::sphere_in_box)
      {
        tria.set_manifold(ids::interface_sphere, SphericalManifold<dim>());
        TransfiniteInterpolationManifold<dim> transfinite;
        transfinite.initialize(tria);
        tria.set_manifold(ids::transfinite, transfinite);
      }
    tria.refine_global(geometry.global_refinements);
  }

  template <int dim>
  Point<dim>
  particle_centre(const Triangulation<dim> &tria, MPI_Comm comm)
  {
    Point<dim> sum;
    double     volume = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() == ids::particle)
        {
          sum += cell->measure() * cell->center();
          volume += cell->measure();
        }
    volume = Utilities::MPI::sum(volume, comm);
    for (unsigned int d = 0; d < dim; ++d)
      sum[d] = Utilities::MPI::sum(sum[d], comm);
    return sum / volume;
  }

  template void
  create_geometry<2>(const parameters::Geometry &,
                     parallel::distributed::Triangulation<2> &);
  template void
  create_geometry<3>(const parameters::Geometry &,
                     parallel::distributed::Triangulation<3> &);
  template Point<2>
  particle_centre(const Triangulation<2> &, MPI_Comm);
  template Point<3>
  particle_centre(const Triangulation<3> &, MPI_Comm);
} // namespace ssbsim
