#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_in.h>
#include <deal.II/grid/grid_reordering.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/grid/manifold_lib.h>
#include <deal.II/grid/tria.h>

#include <ssbsim/core/geometry.h>

#include <cmath>
#include <array>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <sstream>

namespace ssbsim
{
  using namespace dealii;

  namespace
  {
    /// Boundary id of a box face at x: the Li side at x_li, the current
    /// collector at x_cc (within tol), else @p elsewhere.
    types::boundary_id
    box_face_id(const double             x,
                const double             x_li,
                const double             x_cc,
                const double             tol,
                const types::boundary_id elsewhere = ids::other)
    {
      return std::abs(x - x_li) < tol ? ids::li_side :
             std::abs(x - x_cc) < tol ? ids::current_collector :
                                        elsewhere;
    }

    /// Manifold of the interface of particle k of a row of boxes (the
    /// first: ids::interface_sphere; the others after ids::transfinite,
    /// which all the boxes' cells share).
    types::manifold_id
    sphere_manifold_id(const unsigned int k)
    {
      return k == 0 ? ids::interface_sphere : ids::transfinite + k;
    }

    /// Boundary ids of a row of boxes of 'Particle radii' (row_centre): by
    /// their x the Li side (beyond the separator) and the current
    /// collector; the row's other outer faces; and the boundary faces
    /// inside the row, which bound the empty pores of a porous microsphere
    /// (a sphere in box has none).
    template <int dim>
    void
    label_box_faces(const parameters::Geometry &g, Triangulation<dim> &tria)
    {
      const double L = g.box_size;
      const double half_row[3] = {0, 0.5 * L * g.particle_radii.size(), 0.5 * L};
      for (const auto &cell : tria.active_cell_iterators())
        for (const unsigned int f : cell->face_indices())
          if (cell->face(f)->at_boundary())
            {
              const Point<dim> c      = cell->face(f)->center();
              bool             on_box = false;
              for (unsigned int d = 1; d < dim; ++d)
                on_box |= std::abs(std::abs(c[d]) - half_row[d]) < 1e-8 * L;
              cell->face(f)->set_boundary_id(
                box_face_id(c[0], -0.5 * L - g.separator_thickness, 0.5 * L,
                            1e-8 * L, on_box ? ids::other : ids::free_surface));
            }
    }

    /// The boxes of 'Particle radii' side by side along y, box k built by
    /// build_box(k, box) around its particle at row_centre(k), merged at
    /// their shared faces (one box: built in place), then labelled
    /// (label_box_faces: the merge keeps the manifold ids, not the
    /// boundary ids).
    template <int dim, typename BuildBox>
    void
    box_row_coarse(const parameters::Geometry &g,
                   Triangulation<dim>         &tria,
                   const BuildBox             &build_box)
    {
      const unsigned int n = g.particle_radii.size();
      if (n == 1)
        build_box(0, tria);
      else
        {
          std::vector<std::unique_ptr<Triangulation<dim>>> boxes;
          std::vector<const Triangulation<dim> *>          parts;
          for (unsigned int k = 0; k < n; ++k)
            {
              boxes.push_back(std::make_unique<Triangulation<dim>>());
              build_box(k, *boxes.back());
              parts.push_back(boxes.back().get());
            }
          GridGenerator::merge_triangulations(parts, tria, 1e-8 * g.box_size, true);
        }
      label_box_faces(g, tria);
    }

    /**
     * Coarse mesh of a ball of radius R (particle k of 'Particle radii')
     * centred in the cube [-L/2, L/2]^dim, then shifted to row_centre(k):
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
    sphere_in_box_coarse(const parameters::Geometry &g,
                         Triangulation<dim>         &tria,
                         const unsigned int          k = 0)
    {
      const double R = g.particle_radii[k];
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
        cell->set_all_manifold_ids(ids::transfinite);
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->material_id() == ids::particle)
          for (const unsigned int f : cell->face_indices())
            if (!cell->at_boundary(f) &&
                cell->neighbor(f)->material_id() == ids::electrolyte)
              cell->face(f)->set_all_manifold_ids(sphere_manifold_id(k));
      GridTools::shift(row_centre<dim>(g, k), tria);
    }

    /// The spheres in boxes of 'Particle radii' side by side along y.
    template <int dim>
    void
    sphere_row_coarse(const parameters::Geometry &g, Triangulation<dim> &tria)
    {
      box_row_coarse(g, tria, [&](const unsigned int k, Triangulation<dim> &box) {
        sphere_in_box_coarse(g, box, k);
      });
    }


    /**
     * Face-connected groups of the grain cells of a block of 2^n_bits
     * cells (cell b of the block is cells[b]; two cells of a block are face
     * neighbours when their b differ in one bit): group[b] is the group of
     * grain cell b, -1 for the others. Returns the number of groups.
     */
    unsigned int
    grain_groups(const std::array<unsigned int, 8>       &cells,
                 const unsigned int                       n_bits,
                 const std::function<bool(unsigned int)> &is_grain,
                 std::array<int, 8>                      &group)
    {
      group.fill(-1);
      int n_groups = 0;
      for (unsigned int b = 0; b < (1u << n_bits); ++b)
        if (is_grain(cells[b]) && group[b] < 0)
          {
            std::vector<unsigned int> stack{b};
            group[b] = n_groups;
            while (!stack.empty())
              {
                const unsigned int a = stack.back();
                stack.pop_back();
                for (unsigned int s = 0; s < n_bits; ++s)
                  {
                    const unsigned int m = a ^ (1u << s);
                    if (is_grain(cells[m]) && group[m] < 0)
                      {
                        group[m] = n_groups;
                        stack.push_back(m);
                      }
                  }
              }
            ++n_groups;
          }
      return n_groups;
    }


    /**
     * Grains that meet only at a vertex (in 3D also only along an edge) of
     * a grid of count[0] x count[1] (x count[2]) cells, numbered x fastest:
     * in each block of the cells around a vertex or an edge, the grain
     * cells must be one face-connected group within the block. Where they
     * are not, the pore cell of the block that touches most of the
     * separate groups through faces (the first of equals) is made a grain,
     * until no block changes. Returns the number of cells made grains and
     * the number of blocks whose grains still meet only at a corner (no
     * pore beside them).
     */
    template <int dim>
    std::pair<unsigned int, unsigned int>
    bridge_corner_contacts(const std::array<unsigned int, 3>          &count,
                           const std::function<bool(unsigned int)>   &is_grain,
                           const std::function<bool(unsigned int)>   &is_pore,
                           const std::function<void(unsigned int)>   &make_grain)
    {
      // the directions a block spans: the cells around an edge along the
      // missing direction (3D), or around a vertex (all directions)
      std::vector<std::vector<unsigned int>> spans;
      if (dim == 2)
        spans = {{0, 1}};
      else
        spans = {{0, 1}, {0, 2}, {1, 2}, {0, 1, 2}};
      unsigned int n_changed = 0, n_split = 0;
      bool         changed = true;
      while (changed)
        {
          changed = false;
          n_split = 0;
          for (const auto &span : spans)
            {
              // the block's first cell runs over the grid less the last
              // layer along the spanned directions
              std::array<unsigned int, 3> first_count = count;
              for (const unsigned int d : span)
                first_count[d] -= 1;
              const unsigned int n_block = 1u << span.size();
              for (unsigned int c2 = 0; c2 < first_count[2]; ++c2)
                for (unsigned int c1 = 0; c1 < first_count[1]; ++c1)
                  for (unsigned int c0 = 0; c0 < first_count[0]; ++c0)
                    {
                      std::array<unsigned int, 8> cells;
                      for (unsigned int b = 0; b < n_block; ++b)
                        {
                          std::array<unsigned int, 3> c = {{c0, c1, c2}};
                          for (unsigned int s = 0; s < span.size(); ++s)
                            c[span[s]] += (b >> s) & 1;
                          cells[b] = c[0] + count[0] * (c[1] + count[1] * c[2]);
                        }
                      // bridge the block's separate groups, a pore at a time
                      while (true)
                        {
                          std::array<int, 8> group;
                          const unsigned int n_groups =
                            grain_groups(cells, span.size(), is_grain, group);
                          if (n_groups < 2)
                            break;
                          int          best = -1;
                          unsigned int best_touched = 1;
                          for (unsigned int b = 0; b < n_block; ++b)
                            if (is_pore(cells[b]))
                              {
                                std::set<int> touched;
                                for (unsigned int s = 0; s < span.size(); ++s)
                                  if (group[b ^ (1u << s)] >= 0)
                                    touched.insert(group[b ^ (1u << s)]);
                                if (touched.size() > best_touched)
                                  {
                                    best         = b;
                                    best_touched = touched.size();
                                  }
                              }
                          if (best < 0)
                            {
                              ++n_split;
                              break;
                            }
                          make_grain(cells[best]);
                          ++n_changed;
                          changed = true;
                        }
                    }
            }
        }
      return {n_changed, n_split};
    }


    /**
     * Coarse mesh of a porous microsphere (secondary particle of radius R)
     * in the box [-L/2, L/2]^dim with the separator layer on x = -L/2: a
     * grid of n^dim cubic cells of edge h = L/n, n = round(L / 2 r_g), each
     * cell one primary grain where its centre lies inside the
     * microsphere, electrolyte outside. A fraction 'Porosity' of the
     * microsphere's cells, drawn with the seeded Mersenne twister, are
     * pores. The electrolyte grown in situ from a precursor that
     * infiltrates from the outside fills them breadth first through
     * faces, up to a fraction 'Pore filling' of them; the rest (the
     * deepest open pores and every closed one) are removed: empty pores,
     * whose faces get ids::free_surface (label_box_faces), or with 'Empty
     * pores = third medium' kept as cells of ids::third_medium. Groups of
     * grains that touch no electrolyte (walled in by empty pores) would
     * float, unreachable by Li: they are removed too. Pyrite grows as
     * cubes, so cubic grains are its habit, not only a meshing choice.
     * Microsphere k of 'Particle radii' (radius particle_radii[k], seed
     * 'Random seed' + k) in its box shifted to row_centre(k).
     */
    template <int dim>
    std::string
    porous_microsphere_coarse(const parameters::Geometry &g,
                              Triangulation<dim>         &tria,
                              const unsigned int          k_row = 0)
    {
      const double       L = g.box_size;
      const double       y_shift = row_centre<dim>(g, k_row)[1];
      const unsigned int n =
        std::max(2u, static_cast<unsigned int>(std::lround(L / (2 * g.grain_radius))));
      const double       h = L / n;
      const unsigned int n_sep = std::max(
        1u, static_cast<unsigned int>(std::lround(g.separator_thickness / h)));
      const unsigned int nx = n + n_sep; // cells along x, separator first

      // cells in lexicographic order (x fastest); state of each
      enum State : unsigned char
      {
        electrolyte,
        grain,
        pore,
        removed
      };
      std::array<unsigned int, 3> count = {{nx, n, dim == 3 ? n : 1}};
      const unsigned int n_cells = count[0] * count[1] * count[2];
      auto cell_of = [&](const std::array<unsigned int, 3> &c) {
        return c[0] + count[0] * (c[1] + count[1] * c[2]);
      };
      auto coords_of = [&](unsigned int k) {
        std::array<unsigned int, 3> c;
        c[0] = k % count[0];
        c[1] = (k / count[0]) % count[1];
        c[2] = k / (count[0] * count[1]);
        return c;
      };
      // grid lines: x through the separator's n_sep layers, then the box;
      // y (and z) across the box
      std::vector<double> x(nx + 1), y(n + 1);
      for (unsigned int i = 0; i <= nx; ++i)
        x[i] = i <= n_sep ? -0.5 * L - g.separator_thickness +
                              i * g.separator_thickness / n_sep :
                            -0.5 * L + (i - n_sep) * h;
      for (unsigned int j = 0; j <= n; ++j)
        y[j] = -0.5 * L + j * h;
      auto centre_of = [&](const unsigned int k) {
        const auto c = coords_of(k);
        Point<dim> p;
        p[0] = 0.5 * (x[c[0]] + x[c[0] + 1]);
        for (unsigned int d = 1; d < dim; ++d)
          p[d] = 0.5 * (y[c[d]] + y[c[d] + 1]);
        return p;
      };

      auto shifted = [&](Point<dim> p) {
        p[1] += y_shift;
        return p;
      };

      std::vector<State>        state(n_cells, electrolyte);
      std::vector<unsigned int> inside;
      for (unsigned int k = 0; k < n_cells; ++k)
        if (coords_of(k)[0] >= n_sep && microsphere_of(shifted(centre_of(k)), g) == k_row)
          {
            state[k] = grain;
            inside.push_back(k);
          }
      // Fisher-Yates with the raw mt19937 stream (std::shuffle and the
      // distributions are implementation defined; this is reproducible)
      std::mt19937 random(g.random_seed + k_row);
      for (unsigned int i = inside.size(); i > 1; --i)
        std::swap(inside[i - 1], inside[random() % i]);
      unsigned int n_pores = std::lround(g.porosity * inside.size());
      for (unsigned int i = 0; i < n_pores; ++i)
        state[inside[i]] = pore;
      std::pair<unsigned int, unsigned int> bridged = {0, 0};
      if (g.bridge_corner_contacts)
        {
          bridged = bridge_corner_contacts<dim>(
            count, [&](const unsigned int k) { return state[k] == grain; },
            [&](const unsigned int k) { return state[k] == pore; },
            [&](const unsigned int k) { state[k] = grain; });
          n_pores -= bridged.first;
        }

      // face neighbours of cell k (within the grid)
      auto neighbours = [&](const unsigned int k) {
        std::vector<unsigned int> result;
        const auto                c = coords_of(k);
        for (unsigned int d = 0; d < dim; ++d)
          for (const int step : {-1, +1})
            {
              auto m = c;
              if ((step < 0 && c[d] == 0) || (step > 0 && c[d] + 1 == count[d]))
                continue;
              m[d] += step;
              result.push_back(cell_of(m));
            }
        return result;
      };
      // the grown electrolyte infiltrates from the outside: breadth first
      // through the pores, until a fraction 'Pore filling' of them is
      // filled; the deepest open pores and the closed ones stay empty
      const unsigned int n_fill = std::lround(g.pore_filling * n_pores);
      unsigned int       n_open = 0;
      std::deque<unsigned int> front;
      for (unsigned int k = 0; k < n_cells; ++k)
        if (state[k] == electrolyte)
          front.push_back(k);
      while (!front.empty() && n_open < n_fill)
        {
          const unsigned int k = front.front();
          front.pop_front();
          for (const unsigned int m : neighbours(k))
            if (state[m] == pore && n_open < n_fill)
              {
                state[m] = electrolyte;
                front.push_back(m);
                ++n_open;
              }
        }
      unsigned int n_empty = 0, n_isolated = 0;
      for (unsigned int k = 0; k < n_cells; ++k)
        if (state[k] == pore)
          {
            if (!g.third_medium_pores)
              state[k] = removed;
            ++n_empty;
          }
      // groups of grains without an electrolyte face
      std::vector<bool> visited(n_cells, false);
      for (const unsigned int seed : inside)
        if (state[seed] == grain && !visited[seed])
          {
            std::vector<unsigned int> members{seed}, stack{seed};
            visited[seed] = true;
            bool wetted = false;
            while (!stack.empty())
              {
                const unsigned int k = stack.back();
                stack.pop_back();
                for (const unsigned int m : neighbours(k))
                  if (state[m] == electrolyte)
                    wetted = true;
                  else if (state[m] == grain && !visited[m])
                    {
                      visited[m] = true;
                      members.push_back(m);
                      stack.push_back(m);
                    }
              }
            if (!wetted)
              for (const unsigned int k : members)
                {
                  state[k] = removed;
                  ++n_isolated;
                }
          }

      // vertices of the grid, cells of the kept states
      std::array<unsigned int, 3> vcount = {{nx + 1, n + 1, dim == 3 ? n + 1 : 1}};
      std::vector<Point<dim>>     vertices;
      for (unsigned int kz = 0; kz < vcount[2]; ++kz)
        for (unsigned int j = 0; j < vcount[1]; ++j)
          for (unsigned int i = 0; i < vcount[0]; ++i)
            {
              Point<dim> p;
              p[0] = x[i];
              p[1] = y[j] + y_shift;
              if (dim == 3)
                p[dim - 1] = y[kz];
              vertices.push_back(p);
            }
      std::vector<CellData<dim>> cells;
      for (unsigned int k = 0; k < n_cells; ++k)
        if (state[k] != removed)
          {
            const auto    c = coords_of(k);
            CellData<dim> cell;
            for (unsigned int v = 0; v < GeometryInfo<dim>::vertices_per_cell; ++v)
              {
                const unsigned int i = c[0] + (v & 1), j = c[1] + ((v >> 1) & 1),
                                   kz = dim == 3 ? c[2] + ((v >> 2) & 1) : 0;
                cell.vertices[v] = i + vcount[0] * (j + vcount[1] * kz);
              }
            cell.material_id = state[k] == grain ? ids::particle :
                               state[k] == pore  ? ids::third_medium :
                                                   ids::electrolyte;
            cells.push_back(cell);
          }
      SubCellData no_subcells;
      GridTools::delete_unused_vertices(vertices, cells, no_subcells);
      tria.create_triangulation(vertices, cells, no_subcells);

      std::ostringstream line;
      line << "porous microsphere of " << n << "^" << dim << " cells of "
           << h * 1e6 << " um, " << inside.size()
           << " in the microsphere: " << inside.size() - n_pores - n_isolated
           << " grains, " << n_open << " pores filled with electrolyte, "
           << n_empty << " empty"
           << (g.third_medium_pores ? " (kept as third medium)" : "");
      if (n_isolated > 0)
        line << ", " << n_isolated << " grains walled in by them removed";
      if (g.bridge_corner_contacts)
        {
          line << ", " << bridged.first
               << " pores made grains to bridge grains that met only at a corner";
          if (bridged.second > 0)
            line << ", " << bridged.second
                 << " such contacts left (no pore beside them)";
        }
      return line.str();
    }

    /// The porous microspheres of 'Particle radii' side by side along y;
    /// their descriptions, one line each.
    template <int dim>
    std::string
    microsphere_row_coarse(const parameters::Geometry &g, Triangulation<dim> &tria)
    {
      const unsigned int n = g.particle_radii.size();
      std::string        description;
      box_row_coarse(g, tria, [&](const unsigned int k, Triangulation<dim> &box) {
        const std::string line = porous_microsphere_coarse(g, box, k);
        description += n == 1 ? line :
                                (k > 0 ? "\n   " : "") + std::string("microsphere ") +
                                  std::to_string(k) + " (seed " +
                                  std::to_string(g.random_seed + k) + "): " + line;
      });
      return description;
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
              cell->face(f)->set_boundary_id(box_face_id(
                cell->face(f)->center()[0], 0., p1[0], 1e-8 * p1[0]));
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
          if (m != ids::particle && m != ids::electrolyte &&
              m != ids::third_medium)
            throw UserError(what + ": cell material id " + std::to_string(m) +
                            " found; allowed are " +
                            std::to_string(ids::particle) + " (particle), " +
                            std::to_string(ids::electrolyte) +
                            " (electrolyte) and " +
                            std::to_string(ids::third_medium) +
                            " (third medium of empty pores), see "
                            "meshes/README.md");
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
  std::string
  create_geometry(const parameters::Geometry                    &geometry,
                  parallel::distributed::Triangulation<dim> &tria)
  {
    Triangulation<dim> coarse;
    std::string        what, description;
    switch (geometry.type)
      {
        case parameters::Geometry::Type::sphere_in_box:
          sphere_row_coarse(geometry, coarse);
          what = "parameter 'Geometry/Type' = sphere in box";
          break;
        case parameters::Geometry::Type::porous_microsphere:
          description = microsphere_row_coarse(geometry, coarse);
          what = "parameter 'Geometry/Type' = porous microsphere";
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
        for (unsigned int k = 0; k < geometry.particle_radii.size(); ++k)
          tria.set_manifold(sphere_manifold_id(k),
                            SphericalManifold<dim>(row_centre<dim>(geometry, k)));
        TransfiniteInterpolationManifold<dim> transfinite;
        transfinite.initialize(tria);
        tria.set_manifold(ids::transfinite, transfinite);
      }
    tria.refine_global(geometry.global_refinements);
    // the band of cells that have a face on the interface after the
    // global refinements, from both sides, refined as a whole each time:
    // every interface face is refined from both sides and stays
    // conforming, and the band keeps its thickness (one cell of the
    // global level) while its cells shrink
    if (geometry.interface_refinements > 0)
      {
        std::set<CellId>        band;
        std::vector<Point<dim>> interface_centres;
        for (const auto &cell : tria.active_cell_iterators())
          if (!cell->is_artificial())
            for (const unsigned int f : cell->face_indices())
              if (!cell->at_boundary(f) &&
                  cell->neighbor(f)->material_id() != cell->material_id())
                {
                  band.insert(cell->id());
                  if (cell->is_locally_owned() &&
                      cell->material_id() == ids::particle)
                    interface_centres.push_back(cell->face(f)->center());
                }
        // the particle cells within the depth of any interface face (of
        // every process)
        const double depth = geometry.interface_refinement_depth;
        if (depth > 0)
          {
            std::vector<Point<dim>> all;
            for (const auto &part :
                 Utilities::MPI::all_gather(tria.get_communicator(),
                                            interface_centres))
              all.insert(all.end(), part.begin(), part.end());
            for (const auto &cell : tria.active_cell_iterators())
              if (!cell->is_artificial() && cell->material_id() == ids::particle)
                for (const auto &x : all)
                  if (cell->center().distance(x) < depth)
                    {
                      band.insert(cell->id());
                      break;
                    }
          }
        const int level = geometry.global_refinements;
        for (unsigned int r = 0; r < geometry.interface_refinements; ++r)
          {
            for (const auto &cell : tria.active_cell_iterators())
              if (cell->is_locally_owned())
                {
                  typename Triangulation<dim>::cell_iterator ancestor = cell;
                  while (ancestor->level() > level)
                    ancestor = ancestor->parent();
                  if (band.count(ancestor->id()) > 0)
                    cell->set_refine_flag();
                }
            tria.execute_coarsening_and_refinement();
          }
      }
    return description;
  }

  template <int dim>
  std::vector<unsigned int>
  particle_of_coarse_cells(const Triangulation<dim>   &tria,
                           const parameters::Geometry &geometry)
  {
    std::vector<unsigned int> particle = particle_grains(tria, geometry);
    if (geometry.type == parameters::Geometry::Type::porous_microsphere)
      for (const auto &cell : tria.cell_iterators_on_level(0))
        {
          unsigned int &g = particle[cell->id().get_coarse_cell_id()];
          if (g != numbers::invalid_unsigned_int)
            g = microsphere_of<dim>(cell->center(), geometry);
        }
    return particle;
  }

  unsigned int
  particle_count(const std::vector<unsigned int> &particle_of_coarse_cell)
  {
    unsigned int count = 1;
    for (const unsigned int g : particle_of_coarse_cell)
      if (g != numbers::invalid_unsigned_int)
        count = std::max(count, g + 1);
    return count;
  }

  template <int dim>
  std::vector<unsigned int>
  particle_grains(const Triangulation<dim>   &tria,
                  const parameters::Geometry &geometry)
  {
    // indexed by coarse-cell id, which is what a cell's CellId carries
    std::vector<unsigned int> grain(tria.n_cells(0),
                                    numbers::invalid_unsigned_int);
    auto of = [&](const auto &cell) -> unsigned int & {
      const auto id = cell->id().get_coarse_cell_id();
      AssertIndexRange(id, grain.size());
      return grain[id];
    };
    const bool   one_per_cell =
      geometry.type == parameters::Geometry::Type::porous_microsphere;
    unsigned int n = 0;
    for (const auto &seed : tria.cell_iterators_on_level(0))
      if (seed->material_id() == ids::particle &&
          of(seed) == numbers::invalid_unsigned_int)
        {
          // flood the face neighbours (a whole particle) unless each
          // coarse cell is a grain of its own
          std::vector<typename Triangulation<dim>::cell_iterator> stack{seed};
          of(seed) = n;
          while (!stack.empty() && !one_per_cell)
            {
              const auto cell = stack.back();
              stack.pop_back();
              for (const unsigned int f : cell->face_indices())
                if (!cell->at_boundary(f))
                  {
                    const auto next = cell->neighbor(f);
                    if (next->material_id() == ids::particle &&
                        of(next) == numbers::invalid_unsigned_int)
                      {
                        of(next) = n;
                        stack.push_back(next);
                      }
                  }
            }
          ++n;
        }
    return grain;
  }

  template <int dim>
  std::vector<unsigned int>
  grain_colours(const Triangulation<dim>        &tria,
                const std::vector<unsigned int> &grain_of_coarse_cell)
  {
    const auto invalid = numbers::invalid_unsigned_int;
    unsigned int n_grains = 0;
    for (const unsigned int g : grain_of_coarse_cell)
      if (g != invalid)
        n_grains = std::max(n_grains, g + 1);
    // the grains at each vertex of the coarse mesh, and so each grain's
    // neighbours (through a face, an edge or a vertex)
    std::vector<std::vector<unsigned int>> at_vertex(tria.n_vertices());
    for (const auto &cell : tria.cell_iterators_on_level(0))
      {
        const unsigned int g = grain_of_coarse_cell[cell->id().get_coarse_cell_id()];
        if (g != invalid)
          for (const unsigned int v : cell->vertex_indices())
            at_vertex[cell->vertex_index(v)].push_back(g);
      }
    std::vector<std::vector<unsigned int>> neighbours(n_grains);
    for (const auto &grains : at_vertex)
      for (const unsigned int a : grains)
        for (const unsigned int b : grains)
          if (a != b)
            neighbours[a].push_back(b);
    // a grid of box-shaped grains (the porous microsphere's): the parities
    // of the grid indices, 2^dim colours, if no two neighbours clash
    std::vector<unsigned int> colour(n_grains, invalid);
    {
      Point<dim>     reference;
      Tensor<1, dim> spacing;
      bool           first = true, grid = true;
      for (const auto &cell : tria.cell_iterators_on_level(0))
        {
          const unsigned int g =
            grain_of_coarse_cell[cell->id().get_coarse_cell_id()];
          if (g == invalid)
            continue;
          const auto box = cell->bounding_box();
          if (first)
            {
              reference = cell->center();
              for (unsigned int d = 0; d < dim; ++d)
                spacing[d] = box.side_length(d);
              first = false;
            }
          unsigned int c = 0;
          for (unsigned int d = 0; d < dim; ++d)
            {
              const double index = (cell->center()[d] - reference[d]) / spacing[d];
              grid = grid && std::abs(index - std::round(index)) < 1e-6 &&
                     std::abs(box.side_length(d) - spacing[d]) < 1e-6 * spacing[d];
              c += (static_cast<long>(std::round(index)) & 1) << d;
            }
          grid = grid && (colour[g] == invalid || colour[g] == c);
          colour[g] = c;
        }
      for (unsigned int g = 0; g < n_grains && grid; ++g)
        for (const unsigned int n : neighbours[g])
          grid = grid && colour[n] != colour[g];
      if (!grid)
        colour.assign(n_grains, invalid);
    }
    // otherwise greedy, in grain order
    for (unsigned int g = 0; g < n_grains; ++g)
      if (colour[g] == invalid)
        {
          std::vector<bool> taken;
          for (const unsigned int n : neighbours[g])
            if (colour[n] != invalid)
              {
                taken.resize(std::max<std::size_t>(taken.size(), colour[n] + 1),
                             false);
                taken[colour[n]] = true;
              }
          colour[g] = std::find(taken.begin(), taken.end(), false) - taken.begin();
        }
    // the colours in use numbered 0, 1, ... (a grid may use only some)
    std::vector<unsigned int> number(colour.empty() ? 0 :
                                       *std::max_element(colour.begin(), colour.end()) + 1,
                                     invalid);
    unsigned int used = 0;
    for (const unsigned int c : colour)
      if (number[c] == invalid)
        number[c] = used++;
    for (auto &c : colour)
      c = number[c];
    std::vector<unsigned int> of_cell(grain_of_coarse_cell.size(), invalid);
    for (unsigned int k = 0; k < of_cell.size(); ++k)
      if (grain_of_coarse_cell[k] != invalid)
        of_cell[k] = colour[grain_of_coarse_cell[k]];
    return of_cell;
  }

  namespace
  {
    /// Centroid of the locally owned particle cells that @p selected
    /// accepts, over all processes.
    template <int dim, typename Selected>
    Point<dim>
    centroid_of(const Triangulation<dim> &tria,
                MPI_Comm                  comm,
                const Selected           &selected)
    {
      Point<dim> sum;
      double     volume = 0;
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() == ids::particle &&
            selected(cell))
          {
            sum += cell->measure() * cell->center();
            volume += cell->measure();
          }
      volume = Utilities::MPI::sum(volume, comm);
      for (unsigned int d = 0; d < dim; ++d)
        sum[d] = Utilities::MPI::sum(sum[d], comm);
      return sum / volume;
    }
  } // namespace

  template <int dim>
  Point<dim>
  particle_centre(const Triangulation<dim> &tria, MPI_Comm comm)
  {
    return centroid_of(tria, comm, [](const auto &) { return true; });
  }

  template <int dim>
  Point<dim>
  particle_centre(const Triangulation<dim>        &tria,
                  MPI_Comm                         comm,
                  const std::vector<unsigned int> &particle_of_coarse_cell,
                  const unsigned int               particle)
  {
    return centroid_of(tria, comm, [&](const auto &cell) {
      return particle_of_coarse_cell[cell->id().get_coarse_cell_id()] == particle;
    });
  }

  template std::string
  create_geometry<2>(const parameters::Geometry &,
                     parallel::distributed::Triangulation<2> &);
  template std::string
  create_geometry<3>(const parameters::Geometry &,
                     parallel::distributed::Triangulation<3> &);
  template std::vector<unsigned int>
  particle_of_coarse_cells(const Triangulation<2> &, const parameters::Geometry &);
  template std::vector<unsigned int>
  particle_of_coarse_cells(const Triangulation<3> &, const parameters::Geometry &);
  template std::vector<unsigned int>
  particle_grains(const Triangulation<2> &, const parameters::Geometry &);
  template std::vector<unsigned int>
  particle_grains(const Triangulation<3> &, const parameters::Geometry &);
  template std::vector<unsigned int>
  grain_colours(const Triangulation<2> &, const std::vector<unsigned int> &);
  template std::vector<unsigned int>
  grain_colours(const Triangulation<3> &, const std::vector<unsigned int> &);
  template Point<2>
  particle_centre(const Triangulation<2> &, MPI_Comm);
  template Point<3>
  particle_centre(const Triangulation<3> &, MPI_Comm);
  template Point<2>
  particle_centre(const Triangulation<2> &, MPI_Comm,
                  const std::vector<unsigned int> &, const unsigned int);
  template Point<3>
  particle_centre(const Triangulation<3> &, MPI_Comm,
                  const std::vector<unsigned int> &, const unsigned int);
} // namespace ssbsim
