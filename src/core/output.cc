#include <deal.II/base/utilities.h>
#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/data_postprocessor.h>

#include <ssbsim/core/geometry.h>
#include <ssbsim/core/output.h>
#include <ssbsim/physics/electrochemistry.h>
#include <ssbsim/physics/mechanics.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace ssbsim
{
  using namespace dealii;

  void
  write_file_atomically(const std::string &path, const std::string &content)
  {
    const std::string tmp = path + ".tmp";
    std::error_code   ignored;
    {
      std::ofstream out(tmp);
      out << content;
      out.close();
      if (!out)
        {
          const std::string reason = std::strerror(errno);
          std::filesystem::remove(tmp, ignored);
          throw OutputError("cannot write '" + path + "': " + reason);
        }
    }
    std::error_code renamed;
    std::filesystem::rename(tmp, path, renamed);
    if (renamed)
      {
        std::filesystem::remove(tmp, ignored);
        throw OutputError("cannot write '" + path + "': " + renamed.message());
      }
  }

  void
  collective_output(MPI_Comm comm, const std::function<void()> &write)
  {
    std::string error;
    try
      {
        write();
      }
    catch (const OutputError &e)
      {
        error = e.what();
      }
    catch (const std::filesystem::filesystem_error &e)
      {
        error = e.what();
      }
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const unsigned int failed  = Utilities::MPI::min(
      error.empty() ? n_ranks : Utilities::MPI::this_mpi_process(comm), comm);
    if (failed < n_ranks)
      throw OutputError(Utilities::MPI::broadcast(comm, error, failed));
  }

  void
  rank0_output(MPI_Comm comm, const std::function<void()> &write)
  {
    collective_output(comm, [&]() {
      if (Utilities::MPI::this_mpi_process(comm) == 0)
        write();
    });
  }

  CsvTable::CsvTable(std::vector<std::string> columns_)
    : columns(std::move(columns_))
  {}

  void
  CsvTable::add_row(const std::vector<double> &values)
  {
    AssertThrow(values.size() == columns.size(),
                ExcDimensionMismatch(values.size(), columns.size()));
    rows.push_back(values);
  }

  double
  CsvTable::value(const std::size_t row, const std::string &column) const
  {
    const auto it = std::find(columns.begin(), columns.end(), column);
    AssertThrow(it != columns.end(), ExcMessage("no column " + column));
    return rows.at(row)[std::distance(columns.begin(), it)];
  }

  void
  CsvTable::write_header(std::ostream &out) const
  {
    for (std::size_t k = 0; k < columns.size(); ++k)
      out << (k ? "," : "") << columns[k];
    out << '\n';
  }

  void
  CsvTable::write_row(std::ostream &out, const std::size_t row) const
  {
    char buffer[32];
    for (std::size_t k = 0; k < rows[row].size(); ++k)
      {
        std::snprintf(buffer, sizeof(buffer), "%.10g", rows[row][k]);
        out << (k ? "," : "") << buffer;
      }
    out << '\n';
  }

  void
  CsvTable::write(const std::string &path) const
  {
    std::ostringstream out;
    write_header(out);
    for (std::size_t row = 0; row < rows.size(); ++row)
      write_row(out, row);
    write_file_atomically(path, out.str());
  }

  void
  CsvTable::append_last_row(const std::string &path) const
  {
    AssertThrow(!rows.empty(), ExcMessage("no row to append"));
    if (rows.size() == 1)
      {
        write(path);
        return;
      }
    std::ofstream out(path, std::ios::app);
    write_row(out, rows.size() - 1);
    out.flush();
    if (!out)
      throw OutputError("cannot append to '" + path +
                        "': " + std::strerror(errno));
  }

  namespace
  {
    /// Conversion extent and Li flux -c_max D grad(theta) in the particle.
    template <int dim>
    class ParticleFields : public DataPostprocessor<dim>
    {
    public:
      explicit ParticleFields(const Electrochemistry<dim> &chemistry)
        : chemistry(chemistry)
      {}

      void
      evaluate_vector_field(
        const DataPostprocessorInputs::Vector<dim> &inputs,
        std::vector<Vector<double>> &computed) const override
      {
        const auto cell        = inputs.template get_cell<dim>();
        const bool in_particle = cell->material_id() == ids::particle;
        const auto  &D = chemistry.get_diffusivity();
        const double c = chemistry.get_max_li_concentration();
        const double f = chemistry.diffusivity_temperature_factor();
        for (unsigned int q = 0; q < computed.size(); ++q)
          {
            computed[q] = 0;
            if (!in_particle)
              continue;
            const double theta = inputs.solution_values[q][0];
            computed[q][0]     = std::clamp(theta, 0., 1.);
            const Tensor<1, dim> flux =
              -c * f * D.scalar(theta) *
              (chemistry.orientation_tensor(cell->id()) *
               inputs.solution_gradients[q][0]);
            for (unsigned int d = 0; d < dim; ++d)
              computed[q][1 + d] = flux[d];
          }
      }

      std::vector<std::string>
      get_names() const override
      {
        std::vector<std::string> names(1, "conversion_extent");
        for (unsigned int d = 0; d < dim; ++d)
          names.emplace_back("li_flux");
        return names;
      }

      std::vector<DataComponentInterpretation::DataComponentInterpretation>
      get_data_component_interpretation() const override
      {
        std::vector<DataComponentInterpretation::DataComponentInterpretation>
          kinds(1, DataComponentInterpretation::component_is_scalar);
        for (unsigned int d = 0; d < dim; ++d)
          kinds.push_back(
            DataComponentInterpretation::component_is_part_of_vector);
        return kinds;
      }

      UpdateFlags
      get_needed_update_flags() const override
      {
        return update_values | update_gradients;
      }

    private:
      const Electrochemistry<dim> &chemistry;
    };
    /// One displacement field from the per-body fields u_p, u_e (and the
    /// grain colours' fields; on each cell all but one are zero): ParaView's Warp By Vector uses it.
    template <int dim>
    class Displacement : public DataPostprocessorVector<dim>
    {
    public:
      Displacement()
        : DataPostprocessorVector<dim>("displacement", update_values)
      {}

      void
      evaluate_vector_field(const DataPostprocessorInputs::Vector<dim> &inputs,
                            std::vector<Vector<double>> &computed) const override
      {
        // (with grain boundaries, one more block per grain colour)
        for (unsigned int q = 0; q < computed.size(); ++q)
          for (unsigned int d = 0; d < dim; ++d)
            {
              computed[q][d] = 0;
              for (unsigned int i = d; i < inputs.solution_values[q].size(); i += dim)
                computed[q][d] += inputs.solution_values[q][i];
            }
      }
    };
  } // namespace

  template <int dim>
  SolutionWriter<dim>::SolutionWriter(const std::string &output_directory,
                                      MPI_Comm           comm)
    : directory(output_directory)
    , mpi_communicator(comm)
  {}

  template <int dim>
  void
  SolutionWriter<dim>::write(const Electrochemistry<dim> &chemistry,
                             const Mechanics<dim>        *mechanics,
                             const double                 time)
  {
    const auto &dof_handler = chemistry.get_dof_handler();
    DataOut<dim> data_out;
    data_out.attach_dof_handler(dof_handler);
    const std::vector<std::string> names = {"li_content",
                                            "electrolyte_potential"};
    data_out.add_data_vector(chemistry.get_solution(),
                             names,
                             DataOut<dim>::type_dof_data);
    ParticleFields<dim> particle_fields(chemistry);
    data_out.add_data_vector(chemistry.get_solution(), particle_fields);

    const auto &tria = dof_handler.get_triangulation();
    Vector<float> material(tria.n_active_cells()), rank(tria.n_active_cells());
    const unsigned int my_rank =
      Utilities::MPI::this_mpi_process(mpi_communicator);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          material(cell->active_cell_index()) = cell->material_id();
          rank(cell->active_cell_index())     = my_rank;
        }
    data_out.add_data_vector(material, "material_id");
    data_out.add_data_vector(rank, "mpi_rank");

    // the converted extent (history) as cell data, the mean over the
    // cell's quadrature points; -1 off the particle
    Vector<float> converted(tria.n_active_cells());
    const auto   &xi = chemistry.converted_extents();
    if (chemistry.irreversible_conversion())
      {
        const unsigned int nq = xi.size() / tria.n_active_cells();
        converted             = -1;
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && cell->material_id() == ids::particle)
            {
              const unsigned int c = cell->active_cell_index();
              converted(c)         = 0;
              for (unsigned int q = 0; q < nq; ++q)
                converted(c) += xi[c * nq + q] / nq;
            }
        data_out.add_data_vector(converted, "conversion_history");
      }

    // interface state as cell data on the particle cells that touch it
    // (mean over their interface points; -1 elsewhere)
    Vector<float> contact(tria.n_active_cells()), damage(tria.n_active_cells());
    contact = -1;
    damage  = -1;
    {
      const auto        &faces = chemistry.get_interface_faces();
      const unsigned int nq    = chemistry.face_quadrature_size();
      const auto        &a     = chemistry.contact_factors();
      const std::vector<double> d =
        mechanics ? mechanics->interface_damage() : std::vector<double>();
      std::vector<unsigned int> count(tria.n_active_cells(), 0);
      for (unsigned int k = 0; k < faces.size(); ++k)
        {
          const unsigned int c = faces[k].cell->active_cell_index();
          if (count[c]++ == 0)
            contact(c) = damage(c) = 0;
          for (unsigned int q = 0; q < nq; ++q)
            {
              contact(c) += a[k * nq + q] / nq;
              damage(c) += (d.empty() ? 0. : d[k * nq + q]) / nq;
            }
        }
      for (unsigned int c = 0; c < count.size(); ++c)
        if (count[c] > 1)
          {
            contact(c) /= count[c];
            damage(c) /= count[c];
          }
    }
    data_out.add_data_vector(contact, "interface_contact_factor");
    data_out.add_data_vector(damage, "interface_damage");

    Displacement<dim> displacement;
    typename Mechanics<dim>::CellStress stress;
    if (mechanics)
      {
        data_out.add_data_vector(mechanics->get_dof_handler(),
                                 mechanics->get_solution(),
                                 displacement);
        stress = mechanics->cell_stress();
        data_out.add_data_vector(stress.von_mises, "von_mises_stress");
        data_out.add_data_vector(stress.hydrostatic, "hydrostatic_stress");
        data_out.add_data_vector(stress.volume_ratio, "volume_ratio_J");
        data_out.add_data_vector(stress.plastic_strain,
                                 "equivalent_plastic_strain");
        data_out.add_data_vector(stress.porosity, "electrolyte_porosity");
      }
    data_out.build_patches();

    const unsigned int index = records.size();
    const std::string  base  = "solution-" + Utilities::int_to_string(index, 5);
    const std::string  sub   = directory + "/solution/";
    auto piece_name = [&](const unsigned int r) {
      return base + "." + Utilities::int_to_string(r, 4) + ".vtu";
    };
    // every piece is written before the record that names it
    collective_output(mpi_communicator, [&]() {
      std::ostringstream vtu;
      data_out.write_vtu(vtu);
      write_file_atomically(sub + piece_name(my_rank), vtu.str());
    });

    records.emplace_back(time, "solution/" + base + ".pvtu");
    rank0_output(mpi_communicator, [&]() {
      std::vector<std::string> pieces;
      for (unsigned int r = 0;
           r < Utilities::MPI::n_mpi_processes(mpi_communicator);
           ++r)
        pieces.push_back(piece_name(r));
      std::ostringstream pvtu;
      data_out.write_pvtu_record(pvtu, pieces);
      write_file_atomically(sub + base + ".pvtu", pvtu.str());
      std::ostringstream pvd;
      DataOutBase::write_pvd_record(pvd, records);
      write_file_atomically(directory + "/solution.pvd", pvd.str());
    });
    if (mechanics)
      write_interface(chemistry, *mechanics, index, time);
  }

  template <int dim>
  void
  SolutionWriter<dim>::write_interface(const Electrochemistry<dim> &chemistry,
                                       const Mechanics<dim>        &mechanics,
                                       const unsigned int           index,
                                       const double                 time)
  {
    // one VTK cell per interface face (a segment in 2D, a quadrilateral in
    // 3D) at its reference position, with the particle-side displacement at
    // its vertices (Warp By Vector) and the means over its quadrature
    // points as cell data
    auto faces = mechanics.interface_face_data();
    {
      // both list the owned interface faces in active-cell order
      const auto        &access = chemistry.ionic_accesses();
      const unsigned int nq     = chemistry.face_quadrature_size();
      AssertThrow(access.size() == faces.size() * nq,
                  ExcMessage("the interface faces of the mechanics and the "
                             "electrochemistry differ"));
      for (unsigned int k = 0; k < faces.size(); ++k)
        {
          faces[k].ionic_access = 0;
          for (unsigned int q = 0; q < nq; ++q)
            faces[k].ionic_access += access[k * nq + q] / nq;
        }
    }
    const std::vector<std::pair<std::string, double InterfaceFaceData<dim>::*>>
      cell_fields = {{"damage", &InterfaceFaceData<dim>::damage},
                     {"debonded_fraction", &InterfaceFaceData<dim>::debonded},
                     {"contact_factor", &InterfaceFaceData<dim>::contact},
                     {"ionic_access", &InterfaceFaceData<dim>::ionic_access},
                     {"normal_gap", &InterfaceFaceData<dim>::gap},
                     {"slip", &InterfaceFaceData<dim>::slip},
                     {"normal_traction", &InterfaceFaceData<dim>::normal_traction},
                     {"shear_traction", &InterfaceFaceData<dim>::shear_traction}};
    const unsigned int nv = dim == 2 ? 2 : 4;
    // deal.II numbers face vertices lexicographically, VTK a quad
    // counter-clockwise
    const unsigned int vtk_order[4] = {0, 1, 3, 2};

    std::ostringstream vtu;
    vtu << std::setprecision(9)
        << "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\" "
           "version=\"0.1\" byte_order=\"LittleEndian\">\n<UnstructuredGrid>\n"
        << "<Piece NumberOfPoints=\"" << nv * faces.size()
        << "\" NumberOfCells=\"" << faces.size() << "\">\n";
    vtu << "<PointData Vectors=\"displacement\">\n<DataArray type=\"Float64\" "
           "Name=\"displacement\" NumberOfComponents=\"3\" format=\"ascii\">\n";
    // three components per face vertex, in VTK's order
    auto write_vertex_data = [&](const auto &member) {
      for (const auto &face : faces)
        for (unsigned int v = 0; v < nv; ++v)
          {
            const auto &x = (face.*member)[vtk_order[v]];
            vtu << x[0] << ' ' << x[1] << ' ' << (dim == 3 ? x[dim - 1] : 0.)
                << '\n';
          }
    };
    write_vertex_data(&InterfaceFaceData<dim>::displacement);
    vtu << "</DataArray>\n</PointData>\n<CellData Scalars=\"damage\">\n";
    for (const auto &[name, member] : cell_fields)
      {
        vtu << "<DataArray type=\"Float64\" Name=\"" << name
            << "\" format=\"ascii\">\n";
        for (const auto &face : faces)
          vtu << face.*member << '\n';
        vtu << "</DataArray>\n";
      }
    vtu << "</CellData>\n<Points>\n<DataArray type=\"Float64\" "
           "NumberOfComponents=\"3\" format=\"ascii\">\n";
    write_vertex_data(&InterfaceFaceData<dim>::vertices);
    vtu << "</DataArray>\n</Points>\n<Cells>\n<DataArray type=\"Int64\" "
           "Name=\"connectivity\" format=\"ascii\">\n";
    for (std::size_t i = 0; i < nv * faces.size(); ++i)
      vtu << i << '\n';
    vtu << "</DataArray>\n<DataArray type=\"Int64\" Name=\"offsets\" "
           "format=\"ascii\">\n";
    for (std::size_t i = 1; i <= faces.size(); ++i)
      vtu << nv * i << '\n';
    vtu << "</DataArray>\n<DataArray type=\"UInt8\" Name=\"types\" "
           "format=\"ascii\">\n";
    for (std::size_t i = 0; i < faces.size(); ++i)
      vtu << (dim == 2 ? 3 : 9) << '\n'; // VTK_LINE, VTK_QUAD
    vtu << "</DataArray>\n</Cells>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n";

    const unsigned int my_rank = Utilities::MPI::this_mpi_process(mpi_communicator);
    const std::string  base    = "interface-" + Utilities::int_to_string(index, 5);
    auto piece_name = [&](const unsigned int r) {
      return base + "." + Utilities::int_to_string(r, 4) + ".vtu";
    };
    collective_output(mpi_communicator, [&]() {
      write_file_atomically(directory + "/interface/" + piece_name(my_rank),
                            vtu.str());
    });

    interface_records.emplace_back(time, "interface/" + base + ".pvtu");
    // rank 0: the record naming the pieces, and the index
    rank0_output(mpi_communicator, [&]() {
      std::ostringstream pvtu;
      pvtu << "<?xml version=\"1.0\"?>\n<VTKFile type=\"PUnstructuredGrid\" "
              "version=\"0.1\" byte_order=\"LittleEndian\">\n"
              "<PUnstructuredGrid GhostLevel=\"0\">\n<PPointData "
              "Vectors=\"displacement\">\n<PDataArray type=\"Float64\" "
              "Name=\"displacement\" NumberOfComponents=\"3\"/>\n</PPointData>\n"
              "<PCellData Scalars=\"damage\">\n";
      for (const auto &field : cell_fields)
        pvtu << "<PDataArray type=\"Float64\" Name=\"" << field.first << "\"/>\n";
      pvtu << "</PCellData>\n<PPoints>\n<PDataArray type=\"Float64\" "
              "NumberOfComponents=\"3\"/>\n</PPoints>\n";
      for (unsigned int r = 0; r < Utilities::MPI::n_mpi_processes(mpi_communicator);
           ++r)
        pvtu << "<Piece Source=\"" << piece_name(r) << "\"/>\n";
      pvtu << "</PUnstructuredGrid>\n</VTKFile>\n";
      write_file_atomically(directory + "/interface/" + base + ".pvtu", pvtu.str());
      std::ostringstream pvd;
      DataOutBase::write_pvd_record(pvd, interface_records);
      write_file_atomically(directory + "/interface.pvd", pvd.str());
    });
  }

  template class SolutionWriter<2>;
  template class SolutionWriter<3>;
} // namespace ssbsim
