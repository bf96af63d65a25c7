#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/grid/tria.h>

#include <ssbsim/core/electrode_run.h>
#include <ssbsim/core/command_line.h>
#include <ssbsim/core/geometry.h>
#include <ssbsim/core/output.h>
#include <ssbsim/core/parameters.h>
#include <ssbsim/core/simulator.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace ssbsim
{
  using namespace dealii;

  namespace
  {
    const char *usage =
      "usage: ssbsim [options] FILE.prm\n"
      "\n"
      "Simulates a converting FeS2 particle in a Li7P3S11 solid electrolyte\n"
      "under galvanostatic cycling: Li transport and the conversion front,\n"
      "ionic conduction, Butler-Volmer kinetics, and (Mechanics/Enable\n"
      "mechanics) finite-strain swelling, elastic-plastic electrolyte and a\n"
      "cohesive-frictional interface whose opening cuts the current.\n"
      "The model: doc/model.md.\n"
      "\n"
      "options:\n"
      "  --print-parameters      print every parameter with its default,\n"
      "                          unit and allowed values, then exit\n"
      "  --validate FILE.prm     check FILE.prm (values, combinations, mesh\n"
      "                          ids) and exit; writes nothing\n"
      "  --electrode FILE.prm    run the composite cathode of FILE.prm,\n"
      "                          homogenised (Electrode section), through\n"
      "                          its first discharge instead of the resolved\n"
      "                          cell; writes electrode.csv and\n"
      "                          electrode-layers.csv\n"
      "  --set \"Section/Name=value\"\n"
      "                          override a value after FILE.prm is read\n"
      "                          (repeatable), e.g. --set \"Operating "
      "conditions/C rate=0.5\"\n"
      "  --help                  this text\n"
      "  --version               the version\n"
      "\n"
      "Run in parallel with: mpirun -np N ssbsim FILE.prm\n"
      "Exit codes: 0 success, 1 bad input (nothing written), 2 the solver\n"
      "did not converge at the minimum time step, 3 internal error, 4 an\n"
      "output could not be written, 128+n stopped by signal n (130 SIGINT,\n"
      "143 SIGTERM); with 2, 4 and 128+n the results so far are kept.\n"
      "A run first removes what an earlier run wrote to its output\n"
      "directory (README, Outputs).\n";

    struct Options
    {
      bool                     help             = false;
      bool                     version          = false;
      bool                     print_parameters = false;
      bool                     validate         = false;
      bool                     electrode        = false;
      std::string              input;
      std::vector<std::string> overrides;
    };

    Options
    parse_arguments(int argc, char **argv)
    {
      Options                  o;
      std::vector<std::string> args(argv + 1, argv + argc);
      for (std::size_t k = 0; k < args.size(); ++k)
        {
          const std::string &a = args[k];
          auto value_of = [&](const std::string &option) {
            if (k + 1 >= args.size())
              throw UserError("option '" + option + "' needs a value");
            return args[++k];
          };
          if (a == "--help" || a == "-h")
            o.help = true;
          else if (a == "--version")
            o.version = true;
          else if (a == "--print-parameters")
            o.print_parameters = true;
          else if (a == "--validate")
            {
              o.validate = true;
              o.input    = value_of(a);
            }
          else if (a == "--electrode")
            {
              o.electrode = true;
              o.input     = value_of(a);
            }
          else if (a == "--set")
            o.overrides.push_back(value_of(a));
          else if (a.rfind("--set=", 0) == 0)
            o.overrides.push_back(a.substr(6));
          else if (!a.empty() && a[0] == '-')
            throw UserError("unknown option '" + a +
                            "'; allowed: --print-parameters, --validate, "
                            "--electrode, --set, --help, --version");
          else if (o.input.empty())
            o.input = a;
          else
            throw UserError("more than one input file given ('" + o.input +
                            "', '" + a + "')");
        }
      return o;
    }

    /// Undoes deal.II's mangling of names in its XML output ("_20" for ' ').
    std::string
    demangle(const std::string &s)
    {
      std::string out;
      for (std::size_t k = 0; k < s.size(); ++k)
        if (s[k] == '_' && k + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[k + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[k + 2])))
          {
            out += static_cast<char>(std::stoi(s.substr(k + 1, 2), nullptr, 16));
            k += 2;
          }
        else
          out += s[k];
      return out;
    }

    void
    print_entries(const boost::property_tree::ptree &tree,
                  std::ostream                      &out,
                  const std::string                 &indent)
    {
      for (const auto &[key, node] : tree)
        {
          if (node.count("value") == 0)
            {
              out << indent << "subsection " << demangle(key) << '\n';
              print_entries(node, out, indent + "  ");
              out << indent << "end\n\n";
              continue;
            }
          const std::string doc = node.get<std::string>("documentation", "");
          if (!doc.empty())
            out << indent << "# " << doc << '\n';
          out << indent << "#   allowed: "
              << node.get<std::string>("pattern_description", "") << '\n';
          out << indent << "set " << demangle(key) << " = "
              << node.get<std::string>("default_value", "") << "\n\n";
        }
    }

    /// Every parameter with its documentation (unit), allowed values and
    /// default, in parameter-file syntax.
    void
    print_parameter_reference(const ParameterHandler &prm, std::ostream &out)
    {
      std::stringstream xml;
      prm.print_parameters(xml, ParameterHandler::XML);
      boost::property_tree::ptree tree;
      boost::property_tree::read_xml(xml, tree);
      out << "# ssbsim " << SSBSIM_VERSION
          << ": every parameter with its unit, allowed values and default\n\n";
      print_entries(tree.get_child("ParameterHandler"), out, "");
    }

    /// Memory a rank may use (bytes): 'Solver/Memory per rank', or the
    /// node's MemAvailable shared by the ranks on the node; the smallest
    /// over the ranks, so that every rank takes the same decision.
    /// Infinite where /proc/meminfo cannot tell.
    double
    memory_per_rank(const parameters::Solver &solver, MPI_Comm comm)
    {
      double available = solver.memory_per_rank;
      if (available == 0)
        {
          available = std::numeric_limits<double>::infinity();
          MPI_Comm node;
          MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL,
                              &node);
          const unsigned int on_node = Utilities::MPI::n_mpi_processes(node);
          MPI_Comm_free(&node);
          std::ifstream meminfo("/proc/meminfo");
          std::string   name;
          double        kilobytes;
          while (meminfo >> name >> kilobytes)
            {
              if (name == "MemAvailable:")
                available = 1024. * kilobytes / on_node;
              meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
            }
        }
      return Utilities::MPI::min(available, comm);
    }

    /// Peak memory of one rank (bytes) for @p cells cells shared by
    /// @p ranks ranks: 0.2 GB of libraries and set-up, plus per cell what
    /// the peak resident size of short runs grew by (1 rank, the default
    /// scenario's mesh, measured at commit time): 2D 2.8 kB without and
    /// 7.0 kB with mechanics (levels 4 to 6), 3D 3.2 kB without (levels 2
    /// to 3; taken as 4 kB) and 24-26 kB with mechanics (levels 1 to 4:
    /// 57 344 cells used 1.56 GB).
    double
    estimated_memory(const int          dim,
                     const double       cells,
                     const bool         mechanics,
                     const unsigned int ranks)
    {
      const double per_cell =
        (dim == 2) ? (mechanics ? 7e3 : 3e3) : (mechanics ? 25e3 : 4e3);
      return 0.2e9 + per_cell * cells / ranks;
    }

    /// Builds the coarse mesh (refusing bad ids and a mesh too large for
    /// the memory); returns the description of a generated microstructure.
    template <int dim>
    std::string
    check_geometry(const Parameters &parameters)
    {
      // the coarse mesh carries all ids; no need to refine it
      parameters::Geometry coarse = parameters.geometry;
      coarse.global_refinements   = 0;
      parallel::distributed::Triangulation<dim> tria(MPI_COMM_SELF);
      const std::string description = create_geometry(coarse, tria);

      // the particle held at the potential of its depth in the composite
      // is one equipotential: refused before the output directory is
      // touched
      if (parameters.electrode.embeds_resolved_particle() &&
          parameters.kinetics.separate_particle_potentials(
            particle_count(particle_of_coarse_cells(tria, parameters.geometry))))
        throw UserError(
          "parameter 'Electrode/Resolved particle depth': the particle held "
          "at the potential of its depth needs one potential (allowed: one "
          "particle, or Kinetics/Electronic contact resistance = 0)");

      // refuse a mesh that cannot fit before it is built
      MPI_Comm           comm  = MPI_COMM_WORLD;
      const unsigned int ranks = Utilities::MPI::n_mpi_processes(comm);
      const double       cells =
        tria.n_global_active_cells() *
        std::pow(2., dim * parameters.geometry.global_refinements);
      const double needed =
        estimated_memory(dim, cells, parameters.mechanics.enabled, ranks);
      const double available = memory_per_rank(parameters.solver, comm);
      if (needed > available)
        {
          std::ostringstream message;
          message << std::setprecision(3)
                  << "parameter 'Geometry/Global refinements' = "
                  << parameters.geometry.global_refinements
                  << ": the mesh would have " << cells << " cells, about "
                  << needed / 1e9 << " GB per rank on " << ranks
                  << " rank(s), but " << available / 1e9
                  << " GB are available per rank ("
                  << (parameters.solver.memory_per_rank > 0 ?
                        "'Solver/Memory per rank'" :
                        "the node's available memory shared by its ranks; "
                        "'Solver/Memory per rank' sets it")
                  << "): use fewer refinements or more ranks";
          throw UserError(message.str());
        }
      return description;
    }

    /// The files a run writes into its output directory (besides the
    /// solution/ and interface/ series): the rule is that a directory holds
    /// the outputs of one run, so a run removes these (and the series) from
    /// an earlier run before it writes anything, and never any other file.
    const char *const run_outputs[] = {"statistics.csv",
                                       "cycles.csv",
                                       "particles.csv",
                                       "parameters.prm",
                                       "solution.pvd",
                                       "interface.pvd",
                                       "electrode.csv",
                                       "electrode-layers.csv"};

    /// Creates the output directory and its series subdirectories (rank 0)
    /// and removes the outputs of an earlier run in it (run_outputs, their
    /// temporary files and the series files solution-*, interface-* and
    /// eis-*).
    void
    prepare_output_directory(const parameters::Output &output,
                             const bool                mechanics,
                             const bool                impedance,
                             MPI_Comm                  comm)
    {
      namespace fs = std::filesystem;
      const fs::path directory(output.directory);
      std::string    error;
      if (Utilities::MPI::this_mpi_process(comm) == 0)
        {
          try
            {
              fs::create_directories(directory);
              for (const std::string file : run_outputs)
                for (const std::string suffix : {"", ".tmp"})
                  fs::remove(directory / (file + suffix));
              for (const std::string series : {"solution", "interface", "eis"})
                {
                  if (fs::is_directory(directory / series))
                    for (const auto &entry :
                         fs::directory_iterator(directory / series))
                      if (entry.path().filename().string().rfind(series + "-",
                                                                 0) == 0)
                        fs::remove(entry.path());
                  if (series == "eis" ?
                        impedance :
                        output.write_solution &&
                          (series == "solution" || mechanics))
                    fs::create_directories(directory / series);
                }
            }
          catch (const fs::filesystem_error &e)
            {
              error = e.what();
            }
        }
      error = Utilities::MPI::broadcast(comm, error, 0);
      if (!error.empty())
        throw UserError("parameter 'Output/Output directory': cannot prepare '" +
                        output.directory + "' for the outputs of this run: " +
                        error);
    }

    template <int dim>
    void
    run(const Parameters &parameters, const std::string &used_parameters)
    {
      MPI_Comm comm = MPI_COMM_WORLD;
      prepare_output_directory(parameters.output,
                               parameters.mechanics.enabled,
                               parameters.impedance.enabled(),
                               comm);
      rank0_output(comm, [&]() {
        write_file_atomically(parameters.output.directory + "/parameters.prm",
                              used_parameters);
      });
      catch_stop_signals();
      Simulator<dim> simulator(parameters, comm);
      simulator.run();
    }
  } // namespace

  int
  run_command_line(int argc, char **argv)
  {
    MPI_Comm   comm = MPI_COMM_WORLD;
    const bool root = Utilities::MPI::this_mpi_process(comm) == 0;
    auto       error = [&](const std::string &message, const int code) {
      if (root)
        std::cerr << "ssbsim: error: " << message << std::endl;
      return code;
    };

    try
      {
        const Options options = parse_arguments(argc, argv);
        if (options.help)
          {
            if (root)
              std::cout << usage;
            return 0;
          }
        if (options.version)
          {
            if (root)
              std::cout << "ssbsim " << SSBSIM_VERSION << " (deal.II "
                        << DEAL_II_PACKAGE_VERSION << ")" << std::endl;
            return 0;
          }

        ParameterHandler prm;
        Parameters::declare(prm);
        if (options.print_parameters)
          {
            if (root)
              print_parameter_reference(prm, std::cout);
            return 0;
          }
        if (options.input.empty())
          throw UserError("no input file given; usage: ssbsim [options] "
                          "FILE.prm (see ssbsim --help)");

        read_parameter_file(prm, options.input, options.overrides);
        Parameters parameters;
        parameters.parse(
          prm, std::filesystem::path(options.input).parent_path().string());
        const std::string microstructure =
          parameters.geometry.dimension == 2 ? check_geometry<2>(parameters) :
                                               check_geometry<3>(parameters);

        if (options.validate)
          {
            if (root)
              std::cout << "ssbsim: " << options.input << " is valid"
                        << (microstructure.empty() ? "" : "; ")
                        << microstructure << std::endl;
            return 0;
          }

        std::ostringstream used;
        prm.print_parameters(used, ParameterHandler::ShortPRM);
        if (options.electrode)
          {
            auto output           = parameters.output;
            output.write_solution = false; // tables only
            prepare_output_directory(output, false, false, comm);
            rank0_output(comm, [&]() {
              write_file_atomically(parameters.output.directory +
                                      "/parameters.prm",
                                    used.str());
            });
            run_homogenised_electrode(parameters, comm);
            return 0;
          }
        if (parameters.geometry.dimension == 2)
          run<2>(parameters, used.str());
        else
          run<3>(parameters, used.str());
        return 0;
      }
    catch (const UserError &e)
      {
        return error(e.what(), 1);
      }
    catch (const RunFailure &e)
      {
        return error(e.what(), 2);
      }
    catch (const OutputError &e)
      {
        return error(std::string(e.what()) +
                       " (an error of the file system, not of the input; "
                       "the outputs written before it are complete)",
                     4);
      }
    catch (const Interrupted &e)
      {
        return error(e.what(), 128 + e.signal);
      }
    catch (const std::exception &e)
      {
        // an error of this rank alone would leave the others waiting in
        // their next collective call: with several ranks, end them all
        if (Utilities::MPI::n_mpi_processes(comm) > 1)
          {
            std::cerr << "ssbsim: error: internal error on MPI rank "
                      << Utilities::MPI::this_mpi_process(comm) << ": "
                      << one_line_message(e) << std::endl;
            MPI_Abort(comm, 3);
          }
        return error("internal error: " + one_line_message(e), 3);
      }
  }
} // namespace ssbsim
