#include <deal.II/base/exceptions.h>
#include <deal.II/base/utilities.h>

#include <ssbsim/core/material_set.h>
#include <ssbsim/core/parameters.h>
#include <ssbsim/materials/constants.h>
#include <ssbsim/materials/open_circuit.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <sstream>
#include <vector>

namespace ssbsim
{
  using dealii::ParameterHandler;
  using dealii::Patterns::Anything;
  using dealii::Patterns::Bool;
  using dealii::Patterns::Double;
  using dealii::Patterns::FileName;
  using dealii::Patterns::Integer;
  using dealii::Patterns::List;
  using dealii::Patterns::Selection;

  namespace
  {
    constexpr double micrometre = 1e-6;

    [[noreturn]] void
    fail(const std::string &parameter, const std::string &message)
    {
      throw UserError("parameter '" + parameter + "': " + message);
    }

    /// A cap of each particle's surface given by 'NAME fraction' (one
    /// value, or one per particle) around 'NAME direction'.
    void
    check_surface_cap(const std::vector<double>   &fractions,
                      const std::array<double, 3> &a,
                      const std::string           &name,
                      const parameters::Geometry  &geometry)
    {
      if (fractions.size() != 1 && fractions.size() != geometry.particle_radii.size())
        fail(name + " fraction",
             "has " + std::to_string(fractions.size()) + " values for " +
               std::to_string(geometry.particle_radii.size()) +
               " particles (allowed: one value for all, or one per particle "
               "of Geometry/Particle radii)");
      if (*std::max_element(fractions.begin(), fractions.end()) > 0 &&
          !(std::hypot(a[0], a[1]) > 0 || (geometry.dimension == 3 && a[2] != 0)))
        fail(name + " direction",
             "has no component in the model's plane or space (allowed: three "
             "numbers, x and y not both 0 in 2D, not all 0 in 3D) while the "
             "fraction is above 0");
    }

    std::array<double, 3>
    three_doubles(ParameterHandler &prm,
                  const std::string &name,
                  const std::string &path)
    {
      const auto v = dealii::Utilities::string_to_double(
        dealii::Utilities::split_string_list(prm.get(name)));
      if (v.size() != 3)
        fail(path + name, "needs exactly three comma-separated numbers, got '" +
                            prm.get(name) + "'");
      return {{v[0], v[1], v[2]}};
    }

    /// A relative path is taken relative to the current directory if the
    /// file is there, else relative to the directory of the input file.
    std::string
    resolve_path(const std::string &name, const std::string &input_directory)
    {
      namespace fs = std::filesystem;
      if (name.empty() || fs::path(name).is_absolute() || fs::exists(name))
        return name;
      const fs::path beside_input = fs::path(input_directory) / name;
      return fs::exists(beside_input) ? beside_input.string() : name;
    }

    void
    check_open_circuit(const std::string &path,
                       const std::string &table,
                       const std::string &file)
    {
      try
        {
          if (!file.empty())
            materials::OpenCircuitCurve::from_csv_file(file);
          else
            materials::OpenCircuitCurve::from_string(table);
        }
      catch (const std::invalid_argument &e)
        {
          fail(path, e.what());
        }
    }
  } // namespace

  namespace parameters
  {
    void
    Geometry::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Geometry");
      prm.declare_entry("Dimension", "3", Integer(2, 3),
                        "Space dimension. In 2D the particle is a disk, i.e. "
                        "a cylinder of unit depth.");
      prm.declare_entry("Type", "sphere in box",
                        Selection("sphere in box|porous microsphere|layered|"
                                  "gmsh file"),
                        "sphere in box: one particle centred in an electrolyte "
                        "cube with a separator layer towards the Li side; "
                        "porous microsphere: a secondary particle of radius "
                        "'Particle radius' built of cubic primary grains "
                        "(edge 2 x 'Grain radius') in the same box, a "
                        "fraction 'Porosity' of its grains replaced by pores, "
                        "a fraction 'Pore filling' of them filled with "
                        "electrolyte grown in situ from the outside, the "
                        "others empty (free surfaces that take up "
                        "swelling); "
                        "layered: a planar electrode film on an electrolyte "
                        "slab (1D-like, for verification); gmsh file: read "
                        "'Mesh file' (ids in meshes/README.md).");
      prm.declare_entry("Particle radius", "2.5", Double(1e-3, 1e4),
                        "Particle radius (um); for 'porous microsphere' the "
                        "radius of the secondary particle.");
      prm.declare_entry(
        "Particle radii", "", List(Double(1e-3, 1e4)),
        "Several particles for Type = sphere in box or porous "
        "microsphere: one per box of edge 'Box size', the boxes side by "
        "side across the stack axis (along y, centred on y = 0), the "
        "particles with these radii (um), each at its own potential with "
        "the electronic contact (doc/model.md, 'Several particles'); "
        "microsphere k (from 0) is drawn with 'Random seed' + k. Empty: one "
        "particle of 'Particle radius'.");
      prm.declare_entry("Grain radius", "0.5", Double(1e-3, 1e4),
                        "Half the edge of the cubic primary grains of a "
                        "'porous microsphere' (um); rounded so that a whole "
                        "number of grains spans 'Box size'.");
      prm.declare_entry("Porosity", "0.3", Double(0, 0.9),
                        "Volume fraction of a 'porous microsphere' that is "
                        "pore (-); 'Pore filling' sets how much of it the "
                        "grown electrolyte fills.");
      prm.declare_entry("Pore filling", "1", Double(0, 1),
                        "Fraction of the pores of a 'porous microsphere' that "
                        "the electrolyte grown in situ fills (-): it "
                        "infiltrates from the outside, so the deepest and the "
                        "closed pores stay empty.");
      prm.declare_entry("Empty pores", "removed",
                        Selection("removed|third medium"),
                        "What the empty pores of a 'porous microsphere' are "
                        "in the mesh. removed: holes whose faces are free "
                        "surfaces; their faces pass through each other when "
                        "the swelling closes them. third medium: cells of a "
                        "compliant fictitious solid that carries no Li and "
                        "no ions and stiffens without bound as it is "
                        "squeezed, so that closing pore faces press on each "
                        "other (third-medium contact, doc/model.md section "
                        "6; Mechanics/Third medium stiffness and "
                        "regularisation).");
      prm.declare_entry(
        "Grain corner contacts", "kept", Selection("kept|bridged"),
        "Two grains of a 'porous microsphere' that meet only at a vertex of "
        "the grid (in 3D also along an edge only). kept: as drawn; such a "
        "contact is a hinge, one displacement shared by two grains that turn "
        "about it as they swell, and the cells between them fold. bridged: "
        "a pore there becomes a grain, so that the two share a face (a "
        "sintered neck); the porosity drops by the bridged pores, which the "
        "log counts (doc/model.md section 1).");
      prm.declare_entry("Random seed", "1", Integer(0),
                        "Seed of the pore placement of a 'porous "
                        "microsphere': same seed, same microstructure (the "
                        "k-th of 'Particle radii' takes this + k).");
      prm.declare_entry("Box size", "8", Double(1e-3, 1e5),
                        "Edge length of the electrolyte cube around the "
                        "particle (um); for 'layered' the lateral width.");
      prm.declare_entry("Separator thickness", "4", Double(0, 1e5),
                        "Electrolyte layer between the particle's box and the "
                        "Li counter electrode (um); for 'layered' the "
                        "electrolyte slab thickness.");
      prm.declare_entry("Layer thickness", "2.5", Double(1e-3, 1e5),
                        "Electrode film thickness for 'layered' (um).");
      prm.declare_entry("Global refinements", "3", Integer(0, 10),
                        "Uniform refinements of the coarse mesh.");
      prm.declare_entry("Interface refinements", "0", Integer(0, 5),
                        "Further refinements, after the global ones, of the "
                        "cells on both sides of the particle/electrolyte "
                        "interface (each halves their size): resolves the "
                        "converted shell and the surface layers that limit "
                        "the Li transport. The interface stays conforming; "
                        "hanging nodes lie inside each material.");
      prm.declare_entry("Interface refinement depth", "0", Double(0, 1e5),
                        "With Interface refinements: the particle cells whose "
                        "centre lies within this distance of the interface "
                        "(um, measured from the centres of the interface faces "
                        "at the global level) are refined with the band, so "
                        "that the converted shell, through which the Li must "
                        "pass, is resolved as deep as the front runs. 0: the "
                        "band is the cells with a face on the interface.");
      prm.declare_entry("Mesh file", "", Anything(),
                        "gmsh .msh file for Type = gmsh file; a relative path "
                        "is looked up in the current directory, then beside "
                        "the parameter file.");
      prm.declare_entry("Mesh length unit", "1e-6", Double(1e-12, 1e3),
                        "Length of one mesh-file unit (m); 1e-6: the mesh is "
                        "in micrometres.");
      prm.leave_subsection();
    }

    void
    Geometry::parse(ParameterHandler &prm, const std::string &input_directory)
    {
      prm.enter_subsection("Geometry");
      dimension = prm.get_integer("Dimension");
      const std::string t = prm.get("Type");
      type = (t == "sphere in box")      ? Type::sphere_in_box :
             (t == "porous microsphere") ? Type::porous_microsphere :
             (t == "layered")            ? Type::layered :
                                           Type::gmsh_file;
      particle_radius     = prm.get_double("Particle radius") * micrometre;
      particle_radii.clear();
      for (const auto &r : dealii::Utilities::split_string_list(prm.get("Particle radii")))
        particle_radii.push_back(dealii::Utilities::string_to_double(r) * micrometre);
      const bool several = !particle_radii.empty();
      if (!several)
        particle_radii = {particle_radius};
      box_size            = prm.get_double("Box size") * micrometre;
      separator_thickness = prm.get_double("Separator thickness") * micrometre;
      layer_thickness     = prm.get_double("Layer thickness") * micrometre;
      grain_radius        = prm.get_double("Grain radius") * micrometre;
      porosity            = prm.get_double("Porosity");
      pore_filling        = prm.get_double("Pore filling");
      third_medium_pores  = prm.get("Empty pores") == "third medium";
      bridge_corner_contacts = prm.get("Grain corner contacts") == "bridged";
      random_seed         = prm.get_integer("Random seed");
      global_refinements  = prm.get_integer("Global refinements");
      interface_refinements = prm.get_integer("Interface refinements");
      interface_refinement_depth =
        prm.get_double("Interface refinement depth") * micrometre;
      mesh_file = resolve_path(prm.get("Mesh file"), input_directory);
      mesh_length_unit = prm.get_double("Mesh length unit");
      const std::string box_size_text = prm.get("Box size");
      prm.leave_subsection();

      if (several && type != Type::sphere_in_box &&
          type != Type::porous_microsphere)
        fail("Geometry/Particle radii",
             "several particles are built for Type = sphere in box or "
             "porous microsphere only (leave it empty; a gmsh file may hold "
             "several particles)");
      if ((type == Type::sphere_in_box ||
           type == Type::porous_microsphere) &&
          box_size < 2.2 * *std::max_element(particle_radii.begin(),
                                             particle_radii.end()))
        fail("Geometry/Box size",
             "must be at least 2.2 x 'Particle radius' (each of 'Particle "
             "radii') so that electrolyte surrounds the particle (got " +
               box_size_text + " um)");
      if (type == Type::porous_microsphere &&
          grain_radius > 0.5 * *std::min_element(particle_radii.begin(),
                                                 particle_radii.end()))
        fail("Geometry/Grain radius",
             "must be at most half of 'Particle radius' (each of 'Particle "
             "radii') for Type = porous microsphere (a microsphere of at "
             "least a few grains)");
      if (type == Type::porous_microsphere && separator_thickness <= 0)
        fail("Geometry/Separator thickness",
             "must be > 0 for Type = porous microsphere (the Li side is the "
             "separator's far face)");
      if (type == Type::layered && separator_thickness <= 0)
        fail("Geometry/Separator thickness",
             "must be > 0 for Type = layered (it is the electrolyte slab)");
      if (type == Type::gmsh_file)
        {
          if (mesh_file.empty())
            fail("Geometry/Mesh file",
                 "must name a gmsh .msh file when Type = gmsh file");
          if (!std::filesystem::exists(mesh_file))
            fail("Geometry/Mesh file",
                 "file '" + mesh_file + "' does not exist");
        }
    }

    void
    OperatingConditions::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Operating conditions");
      prm.declare_entry("Temperature", "298.15", Double(150, 500),
                        "Cell temperature (K).");
      prm.declare_entry("C rate", "0.1", Double(1e-6, 1e3),
                        "Galvanostatic current as a multiple of the "
                        "theoretical capacity per hour (1/h); 0.1 is C/10.");
      prm.declare_entry("Lower cutoff voltage", "1.0", Double(0, 6),
                        "Discharge ends below this cell voltage (V vs Li).");
      prm.declare_entry("Upper cutoff voltage", "3.0", Double(0, 6),
                        "Charge ends above this cell voltage (V vs Li).");
      prm.declare_entry("Number of cycles", "1", Integer(1, 100000),
                        "Discharge/charge cycles, starting with a discharge.");
      prm.declare_entry("Rest time", "0", Double(0, 1e9),
                        "Open-circuit rest after each half cycle (s).");
      prm.declare_entry(
        "Contact fraction cutoff", "1e-3", Double(0, 1),
        "A charge or discharge also ends when the fraction of the interface "
        "that conducts Li+ falls below this while still falling "
        "(dimensionless; 0: off). Where the particle has separated the "
        "current crowds into the last touching points, the overpotential "
        "grows by RT/(alpha F) per e-fold of lost area and the cell reaches "
        "its voltage cutoff within a few per cent of capacity; resolving that "
        "collapse to the cutoff takes steps of milliseconds "
        "(doc/model.md, section 3).");
      prm.declare_entry("Maximum half cycle time", "0", Double(0, 1e12),
                        "A half cycle that has not reached its cutoff after "
                        "this time ends anyway (s); 0: 2 / C rate hours.");
      prm.declare_entry("Stack pressure", "0", Double(0, 1e4),
                        "Pressure on the current-collector face (MPa); used "
                        "when Mechanics/Enable mechanics is true.");
      prm.declare_entry(
        "Lateral faces", "symmetry planes",
        Selection("symmetry planes|free"),
        "The cell's faces across the stack axis, with mechanics. symmetry "
        "planes: no normal displacement, the particle's neighbours in a "
        "composite hold the cell laterally (uniaxial strain under the stack "
        "pressure); free: traction free, a cell without neighbours that "
        "bulges sideways (uniaxial stress), an ablation of the lateral "
        "confinement (doc/model.md).");
      prm.leave_subsection();
    }

    void
    OperatingConditions::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Operating conditions");
      temperature          = prm.get_double("Temperature");
      c_rate               = prm.get_double("C rate");
      lower_cutoff_voltage = prm.get_double("Lower cutoff voltage");
      upper_cutoff_voltage = prm.get_double("Upper cutoff voltage");
      number_of_cycles     = prm.get_integer("Number of cycles");
      rest_time            = prm.get_double("Rest time");
      maximum_half_cycle_time = prm.get_double("Maximum half cycle time");
      stack_pressure          = prm.get_double("Stack pressure") * 1e6;
      lateral_faces_free      = prm.get("Lateral faces") == "free";
      contact_cutoff          = prm.get_double("Contact fraction cutoff");
      prm.leave_subsection();
      if (maximum_half_cycle_time == 0)
        maximum_half_cycle_time =
          2. / c_rate * constants::seconds_per_hour;
      if (!(lower_cutoff_voltage < upper_cutoff_voltage))
        fail("Operating conditions/Lower cutoff voltage",
             "must be below 'Upper cutoff voltage'");
    }

    void
    Electrolyte::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Electrolyte");
      prm.declare_entry("Type", "solid", Selection("solid|liquid"),
                        "solid: a solid electrolyte (Li7P3S11) bonded to the "
                        "particle by the cohesive-frictional interface; "
                        "contact is lost where the interface opens. liquid: "
                        "a liquid electrolyte that wets every particle "
                        "surface, opened gaps included, and bears no load: "
                        "the particle swells freely (its own misfit stresses "
                        "only), the contact factor is 1 everywhere; with "
                        "mechanics on, the electrolyte has no displacement "
                        "and the Mechanics interface parameters except the "
                        "residual stiffness (which holds the particle's "
                        "rigid-body motion) are unused.");
      prm.declare_entry("Conductivity", "1.27e-4", Double(1e-12, 1e3),
                        "Ionic conductivity of Li7P3S11 at the reference "
                        "temperature (S/cm).");
      prm.declare_entry("Conductivity activation energy", "9.493",
                        Double(0, 500),
                        "Arrhenius activation energy of the conductivity "
                        "(kJ/mol).");
      prm.leave_subsection();
    }

    void
    Electrode::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Electrode");
      prm.declare_entry("Thickness", "100", Double(1e-3, 1e5),
                        "Thickness of the composite cathode between the "
                        "separator and the current collector (um), "
                        "homogenised as a porous electrode of the Particle "
                        "and Kinetics sections' material, the particles of "
                        "radius Electrode/Particle radius, the Li metal "
                        "beyond Geometry/Separator thickness of LPS. Used by "
                        "ssbsim --electrode only.");
      prm.declare_entry("Active material fraction", "0.2", Double(1e-3, 0.999),
                        "Volume fraction of the electrode held by the "
                        "particles (-).");
      prm.declare_entry("Electrolyte fraction", "0.6", Double(1e-3, 1),
                        "Volume fraction of the electrode held by the LPS "
                        "(-); its conductivity is Electrolyte/Conductivity "
                        "times this to the Bruggeman exponent.");
      prm.declare_entry("Bruggeman exponent", "1.5", Double(0, 10),
                        "Exponent b of the effective conductivity kappa "
                        "eps^b (-; 1.5: spheres).");
      prm.declare_entry("Reacting share", "1", Double(1e-3, 1),
                        "Share of the homogenised particles' surface that "
                        "reacts (-): a = 3 eps_s / R times this. An "
                        "effective value: the resolved particle takes Li "
                        "through windows of its touching surface, behind "
                        "its reduction layer and electronic contact; the "
                        "share at which a resolved particle in a thin "
                        "composite draws its share of the current "
                        "reproduces that uptake (doc/model.md section 8).");
      prm.declare_entry("Particle radius", "0", Double(0, 1e4),
                        "Radius of the homogenised particles (um); 0 "
                        "(default): the resolved cell's, Geometry/Particle "
                        "radius. A composite of smaller particles than the "
                        "resolved (imaged) one: the particle seen in "
                        "tomography among the composite's mean.");
      prm.declare_entry("Layers", "80", Integer(1, 10000),
                        "Finite volumes across the thickness (80: the "
                        "separator-side front's slowing within 1 % of 160's).");
      prm.declare_entry("Resolved particle depth", "-1", Double(-1, 1e5),
                        "Depth from the separator (um) at which the resolved "
                        "cell's particle sits inside the homogenised "
                        "composite: it is then held at the potential of that "
                        "depth (the composite's cell voltage minus its LPS's "
                        "potential there) while the composite carries the "
                        "C-rate's current, and electrode.csv and "
                        "electrode-layers.csv record the composite (doc/"
                        "model.md section 8). Negative (default): the "
                        "resolved cell alone, under the C-rate's current.");
      prm.declare_entry("Interface state", "own",
                        Selection("own|resolved particle"),
                        "own (default): the homogenised particles keep their "
                        "reacting share and have no series resistance. "
                        "resolved particle: with the resolved particle inside "
                        "the composite (Resolved particle depth >= 0), each "
                        "layer takes the resolved particle's state when it "
                        "had moved as much Li (in Li content) through the "
                        "same half cycle as the layer's particles have (from "
                        "the last accepted step; its latest where it has not "
                        "moved that much yet): Reacting share times its "
                        "contact fraction over its pristine one, and its "
                        "electronic contact and reduction layer per touching "
                        "area in series with the kinetics. The composite's "
                        "particles lose contact as the resolved one does at "
                        "the same swelling or shrinkage; Reacting share then "
                        "means a pristine particle's (doc/model.md section 8).");
      prm.declare_entry("Particle shells", "160", Integer(2, 10000),
                        "Radial intervals of each layer's particle (160: "
                        "within 2 % of 320's).");
      prm.leave_subsection();
    }

    void
    Electrode::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Electrode");
      thickness            = prm.get_double("Thickness") * 1e-6;
      active_fraction      = prm.get_double("Active material fraction");
      electrolyte_fraction = prm.get_double("Electrolyte fraction");
      bruggeman_exponent   = prm.get_double("Bruggeman exponent");
      reacting_share       = prm.get_double("Reacting share");
      particle_radius      = prm.get_double("Particle radius") * 1e-6;
      layers               = prm.get_integer("Layers");
      shells               = prm.get_integer("Particle shells");
      const double depth   = prm.get_double("Resolved particle depth");
      resolved_particle_depth = depth < 0 ? -1. : depth * 1e-6;
      interface_state_from_resolved =
        prm.get("Interface state") == "resolved particle";
      prm.leave_subsection();
      if (interface_state_from_resolved && !embeds_resolved_particle())
        fail("Electrode/Interface state",
             "'resolved particle' needs the resolved particle inside the "
             "composite (Electrode/Resolved particle depth >= 0; allowed "
             "otherwise: own)");
      if (resolved_particle_depth > thickness)
        fail("Electrode/Resolved particle depth",
             "lies beyond the composite (allowed: negative, or 0 to "
             "Electrode/Thickness = " + std::to_string(thickness * 1e6) + " um)");
      if (active_fraction + electrolyte_fraction > 1)
        fail("Electrode/Electrolyte fraction",
             "plus Electrode/Active material fraction must not exceed 1 "
             "(allowed: fractions of one volume)");
    }

    void
    Electrolyte::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Electrolyte");
      liquid            = prm.get("Type") == "liquid";
      conductivity      = prm.get_double("Conductivity") * 100.; // S/cm->S/m
      activation_energy = prm.get_double("Conductivity activation energy") * 1e3;
      prm.leave_subsection();
    }

    void
    Particle::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Particle");
      prm.declare_entry("Density", "5.01", Double(0.1, 30),
                        "FeS2 density (g/cm^3).");
      prm.declare_entry("Molar mass", "119.98", Double(1, 1000),
                        "FeS2 molar mass (g/mol).");
      prm.declare_entry("Electrons per formula unit", "4", Integer(1, 10),
                        "Li (and electrons) per FeS2 at full conversion.");
      prm.declare_entry("Initial Li content", "0", Double(0, 1),
                        "Normalised Li content theta at the start.");
      prm.declare_entry("Irreversible conversion", "false", Bool(),
                        "true: the converted extent xi of a point is the "
                        "largest Li content it has held (history, "
                        "dimensionless; the initial Li content counts as "
                        "converted), and the Li diffusivity follows "
                        "max(theta, xi): the Fe/Li2S nanocomposite formed on "
                        "discharge keeps the converted phase's transport "
                        "when it is delithiated on charge, it does not turn "
                        "back into pristine pyrite. false: the diffusivity "
                        "follows the Li content theta alone.");
      prm.declare_entry("Diffusivity pristine", "1e-17", Double(1e-25, 1e-6),
                        "Li diffusivity of unconverted FeS2 at the reference "
                        "temperature, times the axis factor (m^2/s).");
      prm.declare_entry("Diffusivity converted", "1e-14", Double(1e-25, 1e-6),
                        "Li diffusivity of converted Fe + 2 Li2S at the "
                        "reference temperature, times the axis factor (m^2/s). "
                        "A ratio to the pristine value >= 1e2 makes a sharp "
                        "conversion front.");
      prm.declare_entry("Diffusivity activation energy", "30", Double(0, 500),
                        "Arrhenius activation energy of the Li diffusivity "
                        "(kJ/mol).");
      prm.declare_entry("Anisotropy factors", "0.1, 0.1, 1",
                        List(Double(1e-6, 1e6), 3, 3),
                        "Multipliers of the diffusivity along the crystal "
                        "axes a, b, c (dimensionless).");
      prm.declare_entry("Euler angles", "0, 0, 0",
                        List(Double(-360, 360), 3, 3),
                        "Crystal orientation, Bunge z-x-z Euler angles "
                        "(phi1, Phi, phi2) in degrees; in 2D only the xy block "
                        "of the rotated tensor is used.");
      prm.declare_entry("Orientation", "fixed",
                        Selection("fixed|random per grain"),
                        "fixed: every particle has the crystal orientation "
                        "'Euler angles'; random per grain: each grain draws "
                        "its own, uniformly over all rotations, from "
                        "'Geometry/Random seed' (a grain: each primary grain "
                        "of a porous microsphere, else each connected "
                        "particle of the mesh). Orients the diffusivity "
                        "tensor; the swelling must then be isotropic.");
      prm.declare_entry("Blocking factor", "1", Double(1e-6, 1),
                        "Factor on the diffusivity in the dense converted "
                        "Fe-rich shell (dimensionless; 1: no blocking).");
      prm.declare_entry("Blocking onset", "0.9", Double(0, 1),
                        "Li content above which the blocking factor starts "
                        "to act (theta).");
      prm.declare_entry("Blocking width", "0.05", Double(1e-4, 1),
                        "Li content range over which blocking switches on "
                        "fully (theta).");
      prm.declare_entry("Blocking follows", "Li content",
                        Selection("Li content|conversion history"),
                        "Li content: the blocking acts where theta is above "
                        "the onset now; conversion history: where the point "
                        "has ever been (max(theta, xi), needs Irreversible "
                        "conversion), so the dense Fe layer, once formed, "
                        "stays through the rest of the discharge and the "
                        "charge.");
      prm.declare_entry("Li migration activation volume", "2.4", Double(0, 1e3),
                        "Activation volume V* of Li migration in the stress "
                        "factor exp(V* sigma_h / R T) on the diffusivity "
                        "(cm^3/mol). Measured for Li-ion conductors from the "
                        "pressure dependence of their conductivity: 1.6-1.7 "
                        "(LLTO, Inaguma 1995), about 3 (LiBH4, NASICONs; "
                        "Takamura 2011). Not the conversion's volume per Li "
                        "(9.6): with that the exponential made the discharge "
                        "mesh dependent (doc/model.md).");
      prm.declare_entry("Conversion volume per Li", "0", Double(0, 1e3),
                        "Volume change of the solid phases per mol of Li "
                        "converted, Omega (cm^3/mol): (7.09 + 2 x 27.68 - "
                        "23.95) / 4 for FeS2 + 4 Li -> Fe + 2 Li2S. The "
                        "particle's hydrostatic stress at the interface "
                        "shifts the open-circuit potential by Omega sigma_h "
                        "/ F (compression lowers it: the conversion works "
                        "against the pressure; measured for Li in Si: about "
                        "0.1 V/GPa, Sethuraman et al. 2010). 0: no shift "
                        "(the default until the calibration takes it in: "
                        "doc/calibration.md).");
      prm.declare_entry("Stress coupling limit", "1e5", Double(0, 1e5),
                        "Optional bound on |sigma_h| in the stress factor "
                        "(MPa), for sensitivity studies and runs with an "
                        "elastic particle (Mechanics/Particle plasticity = "
                        "false), whose stresses reach tens of GPa. The "
                        "default 1e5 is no bound: plastic flow of the "
                        "particle and the LPS bounds the stresses.");
      prm.declare_entry("Stress coupling relaxation", "1", Double(0.01, 1),
                        "With mechanics: the hydrostatic stress the kinetics "
                        "use in the next step moves this fraction of the way "
                        "from the last one to the new mechanics solution "
                        "(dimensionless; 1: all the way, the plain one-step "
                        "lag). Below 1 it damps the step-to-step oscillation "
                        "of the lagged stress in the converted shell "
                        "(doc/model.md, section 7).");
      prm.leave_subsection();
    }

    void
    Particle::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Particle");
      density            = prm.get_double("Density") * 1e3;     // g/cm3->kg/m3
      molar_mass         = prm.get_double("Molar mass") * 1e-3; // g/mol->kg/mol
      electrons          = prm.get_integer("Electrons per formula unit");
      initial_li_content = prm.get_double("Initial Li content");
      irreversible_conversion = prm.get_bool("Irreversible conversion");
      d_pristine         = prm.get_double("Diffusivity pristine");
      d_converted        = prm.get_double("Diffusivity converted");
      diffusion_activation_energy =
        prm.get_double("Diffusivity activation energy") * 1e3;
      axis_factors    = three_doubles(prm, "Anisotropy factors", "Particle/");
      euler_angles    = three_doubles(prm, "Euler angles", "Particle/");
      random_orientation = prm.get("Orientation") == "random per grain";
      blocking_factor = prm.get_double("Blocking factor");
      blocking_onset  = prm.get_double("Blocking onset");
      blocking_width  = prm.get_double("Blocking width");
      blocking_history = prm.get("Blocking follows") == "conversion history";
      migration_activation_volume =
        prm.get_double("Li migration activation volume") * 1e-6;
      reaction_volume = prm.get_double("Conversion volume per Li") * 1e-6;
      stress_coupling_limit   = prm.get_double("Stress coupling limit") * 1e6;
      stress_relaxation = prm.get_double("Stress coupling relaxation");
      prm.leave_subsection();
    }

    void
    Kinetics::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Kinetics");
      prm.declare_entry("Double layer capacitance", "0.1", Double(0, 100),
                        "Capacitance of the particle/electrolyte double "
                        "layer per contact area (F/m^2; 0.1 F/m^2 = 10 "
                        "uF/cm^2, a Helmholtz layer). Enters the impedance "
                        "spectra only: on the time scale of a cycle its "
                        "charge is negligible.");
      prm.declare_entry(
        "Electronic contact resistance", "0", Double(0, 1e3),
        "Area-specific resistance of the particle's electronic contact "
        "with the composite's conducting network (Ohm m^2 per contact "
        "area; 0: off, the particle wired to the collector without "
        "loss). The network (carbon) lies in the electrolyte matrix, so "
        "electrons reach the particle over the same contact area as the "
        "ions: a series resistance r / (A f), A the interface area and f "
        "the contact fraction, in the cell voltage and in the impedance "
        "(doc/model.md section 2, 'Electronic contact'). Several particles "
        "in the mesh: each behind its own contact, at its own potential "
        "('Several particles').");
      prm.declare_entry("Side reaction exchange current density", "0",
                        Double(0, 1e6),
                        "Exchange current density of an irreversible "
                        "reduction at the interface that consumes charge "
                        "without inserting Li (SEI formation of a liquid "
                        "electrolyte below about 1 V), cathodic Tafel "
                        "kinetics (A/m^2; 0: off).");
      prm.declare_entry("Side reaction potential", "1.0", Double(0, 5),
                        "Equilibrium potential of the side reaction (V vs "
                        "Li/Li+): it runs where phi_s - phi_e falls below it.");
      prm.declare_entry("Side reaction transfer coefficient", "0.5",
                        Double(0.01, 1), "Its cathodic alpha (dimensionless).");
      prm.declare_entry("Side reaction capacity", "50", Double(1e-6, 1e4),
                        "Charge after which the side reaction's layer is "
                        "complete (mAh/g of FeS2): its rate falls linearly "
                        "with the charge it has consumed, to zero there.");
      prm.declare_entry("Side reaction film resistivity", "0", Double(0, 1e15),
                        "Ionic resistivity of the layer the side reaction "
                        "leaves on the touching interface (Ohm m; 0: the "
                        "layer conducts freely). The layer's area "
                        "resistance rho Q V / (F A), Q the side charge, A "
                        "the interface area, sits in series with the "
                        "Butler-Volmer kinetics of the touching part, in "
                        "the time stepping, R_int and the spectra "
                        "(doc/model.md section 2, 'Reduction layer').");
      prm.declare_entry("Side reaction film molar volume", "17.2",
                        Double(0, 1e3),
                        "Volume of the layer per mole of electrons the side "
                        "reaction consumes (cm^3/mol). 17.2: Li7P3S11 + 24 "
                        "Li -> 11 Li2S + 3 Li3P (27.7 and 36.2 cm^3/mol).");
      prm.declare_entry("Exchange current density", "0.1", Double(1e-12, 1e6),
                        "Butler-Volmer exchange current density at the "
                        "reference temperature (A/m^2).");
      prm.declare_entry("Exchange current activation energy", "30",
                        Double(0, 500),
                        "Arrhenius activation energy of the exchange current "
                        "(kJ/mol).");
      prm.declare_entry(
        "Ion-blocked fraction", "0", List(Double(0, 1), 1),
        "Fraction of each particle's surface that touches the composite's "
        "other solids (the carbon network, a neighbouring FeS2 particle) "
        "instead of the solid electrolyte: it exchanges no Li+ (no "
        "charge transfer, no double layer, no side reaction there) while "
        "it is held and conducts electrons as the rest of the interface "
        "(its mechanics is the matrix's). The cap of the surface whose "
        "outward normal lies within a cone around 'Ion-blocked "
        "direction', its half angle set so that the cap is this fraction "
        "of a disk's (2D) or a sphere's (3D) surface. One number for "
        "every particle, or one per particle of Geometry/Particle radii. "
        "Not applied with a liquid electrolyte (it fills the network's "
        "pores and reaches every surface). 0: the electrolyte touches the "
        "whole surface (doc/model.md section 2, 'Ion-blocked cap').");
      prm.declare_entry("Ion-blocked direction", "1, 0, 0", List(Double(), 3, 3),
                        "Axis of the ion-blocked cap (three numbers, x, y, "
                        "z; normalised; in 2D the first two count): the "
                        "stack axis is x, 1, 0, 0 faces the current "
                        "collector, 0, 1, 0 a lateral neighbour.");
      prm.declare_entry("Ion-blocked cap conducts electrons", "true", Bool(),
                        "true: the ion-blocked cap lies on the carbon "
                        "network and passes electrons as the rest of the "
                        "interface; false: on a neighbour that is itself "
                        "cut off, it passes none (the electronic contact "
                        "then closes over the rest of the surface only).");
      prm.declare_entry(
        "Ion-blocked edge width", "0", Double(0, 180),
        "Angle (degrees) over which the ion-blocked cap's edge is spread: "
        "the ionic access rises linearly in the normal's angle to the "
        "cap's axis from 0 at the cap's half angle minus half this width "
        "to 1 at the half angle plus half of it (the blocked area stays "
        "the fraction on a disk). Where the carbon or a neighbour meets "
        "the electrolyte, the electrolyte thins over a grain of it rather "
        "than ending at a line. 0: a sharp edge, whose point singularity "
        "of the current the interface faces resolve only as they are "
        "refined.");
      prm.declare_entry("Anodic transfer coefficient", "0.5", Double(0.01, 1),
                        "alpha_a (dimensionless).");
      prm.declare_entry("Cathodic transfer coefficient", "0.5", Double(0.01, 1),
                        "alpha_c (dimensionless).");
      prm.declare_entry(
        "Discharge open circuit table",
        "0:2.20, 0.01:1.80, 0.04:1.66, 0.15:1.61, 0.5:1.58, 0.85:1.55, "
        "0.95:1.50, 0.985:1.38, 0.995:1.10, 1:0.80",
        Anything(),
        "Open-circuit potential on discharge (lithiation) as theta:U pairs "
        "(U in V vs Li/Li+), theta increasing.");
      prm.declare_entry("Discharge open circuit file", "", Anything(),
                        "CSV file theta,U (V) replacing the discharge table.");
      prm.declare_entry(
        "Charge open circuit table",
        "0:3.05, 0.01:2.45, 0.05:2.25, 0.2:2.12, 0.35:1.85, 0.6:1.80, "
        "0.9:1.77, 0.97:1.72, 0.99:1.60, 1:1.30",
        Anything(),
        "Open-circuit potential on charge (delithiation) as theta:U pairs "
        "(U in V vs Li/Li+), theta increasing.");
      prm.declare_entry("Charge open circuit file", "", Anything(),
                        "CSV file theta,U (V) replacing the charge table.");
      prm.leave_subsection();
    }

    void
    Kinetics::parse(ParameterHandler &prm, const std::string &input_directory)
    {
      prm.enter_subsection("Kinetics");
      exchange_current_density = prm.get_double("Exchange current density");
      side_exchange_current =
        prm.get_double("Side reaction exchange current density");
      side_potential = prm.get_double("Side reaction potential");
      side_transfer_coefficient =
        prm.get_double("Side reaction transfer coefficient");
      side_capacity = prm.get_double("Side reaction capacity");
      side_film_resistivity = prm.get_double("Side reaction film resistivity");
      side_film_molar_volume =
        prm.get_double("Side reaction film molar volume") * 1e-6;
      double_layer_capacitance = prm.get_double("Double layer capacitance");
      electronic_contact_resistance =
        prm.get_double("Electronic contact resistance");
      activation_energy =
        prm.get_double("Exchange current activation energy") * 1e3;
      anodic_transfer_coefficient =
        prm.get_double("Anodic transfer coefficient");
      cathodic_transfer_coefficient =
        prm.get_double("Cathodic transfer coefficient");
      ion_blocked_fraction = dealii::Utilities::string_to_double(
        dealii::Utilities::split_string_list(prm.get("Ion-blocked fraction")));
      ion_blocked_direction =
        three_doubles(prm, "Ion-blocked direction", "Kinetics/");
      ion_blocked_electronic = prm.get_bool("Ion-blocked cap conducts electrons");
      ion_blocked_edge_width =
        prm.get_double("Ion-blocked edge width") * dealii::numbers::PI / 180.;
      discharge_table = prm.get("Discharge open circuit table");
      discharge_file =
        resolve_path(prm.get("Discharge open circuit file"), input_directory);
      charge_table = prm.get("Charge open circuit table");
      charge_file =
        resolve_path(prm.get("Charge open circuit file"), input_directory);
      prm.leave_subsection();
      check_open_circuit(discharge_file.empty() ?
                           "Kinetics/Discharge open circuit table" :
                           "Kinetics/Discharge open circuit file",
                         discharge_table,
                         discharge_file);
      check_open_circuit(charge_file.empty() ?
                           "Kinetics/Charge open circuit table" :
                           "Kinetics/Charge open circuit file",
                         charge_table,
                         charge_file);
    }

    void
    TimeStepping::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Time stepping");
      prm.declare_entry("Initial time step", "1", Double(1e-9, 1e6),
                        "First time step of each half cycle (s).");
      prm.declare_entry("Minimum time step", "1e-3", Double(1e-12, 1e6),
                        "A step that must be cut below this fails the run "
                        "(s).");
      prm.declare_entry("Maximum time step", "120", Double(1e-9, 1e8),
                        "Upper bound of the adaptive time step (s).");
      prm.declare_entry("Target voltage change", "0.01", Double(1e-6, 1),
                        "The time step adapts so that the cell voltage "
                        "changes by about this much per step (V).");
      prm.declare_entry("Target stress factor change", "0.2", Double(1e-6, 10),
                        "With mechanics: the time step adapts so that the "
                        "exponent Omega sigma_h / R T of the stress factor "
                        "changes by about this much per step (root mean "
                        "square over the particle) "
                        "(dimensionless; 0.2 = a 22 % change of the "
                        "diffusivity, 51 MPa of sigma_h); a step that changes "
                        "it by more than three times this is redone shorter. "
                        "The stress enters the kinetics lagged by one step.");
      prm.leave_subsection();
    }

    void
    TimeStepping::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Time stepping");
      initial_time_step     = prm.get_double("Initial time step");
      minimum_time_step     = prm.get_double("Minimum time step");
      maximum_time_step     = prm.get_double("Maximum time step");
      target_voltage_change = prm.get_double("Target voltage change");
      target_stress_factor_change =
        prm.get_double("Target stress factor change");
      prm.leave_subsection();
      if (!(minimum_time_step <= initial_time_step &&
            initial_time_step <= maximum_time_step))
        fail("Time stepping/Initial time step",
             "must lie between 'Minimum time step' and 'Maximum time step'");
    }

    void
    Solver::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Solver");
      prm.declare_entry("Newton tolerance", "1e-8", Double(1e-14, 1e-2),
                        "Newton stops when the largest update of Li content "
                        "(dimensionless) and potentials (V) is below this.");
      prm.declare_entry("Maximum Newton iterations", "12", Integer(1, 200),
                        "More iterations than this cut the time step back.");
      prm.declare_entry("Linear solver tolerance", "1e-10", Double(1e-16, 1e-2),
                        "Relative residual reduction of the Krylov solver.");
      prm.declare_entry("Maximum linear iterations", "1000",
                        Integer(1, 100000),
                        "Krylov iterations per solve before it is declared "
                        "failed (the time step is then cut back).");
      prm.declare_entry("Linear solver", "automatic",
                        Selection("automatic|iterative|direct"),
                        "How the linear systems of the Newton iterations "
                        "(transport and mechanics) are solved: iterative = "
                        "Krylov (GMRES, CG) preconditioned by ML AMG (the "
                        "mechanics with its rigid-body modes), for 3D and "
                        "large meshes; direct = sparse LU (Amesos KLU, the "
                        "matrix gathered on one rank; the mechanics keeps "
                        "one as CG/GMRES's preconditioner, Mechanics/Reuse "
                        "factorization), 1.1-1.3 "
                        "times faster on the 2D cells of inputs/ (the 2D "
                        "microsphere, benchmarks/linear_solver.sh); "
                        "automatic = direct in 2D, iterative in 3D. A 2D "
                        "mesh of more than some 1e5 unknowns per field is "
                        "better solved iteratively: the LU's fill and its "
                        "one gathering rank grow faster than AMG's cost.");
      prm.declare_entry("Memory per rank", "0", Double(0, 1e6),
                        "Memory a rank may use (GB); 0: the memory available "
                        "on the node (MemAvailable) shared by its ranks. A "
                        "mesh whose estimated memory exceeds it is refused "
                        "before it is built.");
      prm.leave_subsection();
    }

    void
    Solver::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Solver");
      newton_tolerance      = prm.get_double("Newton tolerance");
      max_newton_iterations = prm.get_integer("Maximum Newton iterations");
      linear_tolerance      = prm.get_double("Linear solver tolerance");
      max_linear_iterations = prm.get_integer("Maximum linear iterations");
      memory_per_rank       = prm.get_double("Memory per rank") * 1e9;
      linear_solver         = prm.get("Linear solver");
      prm.leave_subsection();
    }

    void
    Mechanics::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Mechanics");
      prm.declare_entry("Enable mechanics", "false", Bool(),
                        "Solve finite-strain swelling and the cohesive "
                        "interface, staggered with the electrochemistry in "
                        "each time step (the default scenario sets it).");
      prm.declare_entry("Young's modulus pristine", "300", Double(1e-3, 2000),
                        "FeS2 (GPa).");
      prm.declare_entry("Poisson's ratio pristine", "0.16", Double(-0.99, 0.49),
                        "FeS2 (dimensionless).");
      prm.declare_entry("Young's modulus converted", "90", Double(1e-3, 2000),
                        "Fe + 2 Li2S, volume-weighted (GPa).");
      prm.declare_entry("Poisson's ratio converted", "0.28", Double(-0.99, 0.49),
                        "Fe + 2 Li2S (dimensionless).");
      prm.declare_entry("Young's modulus electrolyte", "20", Double(1e-3, 2000),
                        "Li7P3S11 glass-ceramic (GPa).");
      prm.declare_entry("Poisson's ratio electrolyte", "0.3", Double(-0.99, 0.49),
                        "Li7P3S11 (dimensionless).");
      prm.declare_entry("Electrolyte plasticity", "true", Bool(),
                        "true: the electrolyte is elastic-plastic (finite-"
                        "strain J2, linear isotropic hardening); false: "
                        "neo-Hookean elastic.");
      prm.declare_entry("Electrolyte yield stress", "600", Double(1e-3, 1e5),
                        "Initial von Mises yield stress of Li7P3S11 (MPa): "
                        "H/3 (Tabor) of the glass's nanoindentation hardness "
                        "H = 1.9 GPa (McGrogan et al., Adv. Energy Mater. "
                        "2017).");
      prm.declare_entry("Electrolyte hardening modulus", "1", Double(0, 1e4),
                        "Linear isotropic hardening modulus H of Li7P3S11 "
                        "(GPa): the yield stress rises by H times the "
                        "equivalent plastic strain.");
      prm.declare_entry("Electrolyte creep rate", "0", Double(0, 1e3),
                        "Power-law (Norton) creep of Li7P3S11 below its "
                        "yield stress, in parallel with the plastic flow: "
                        "equivalent creep strain rate (1/s) at the creep "
                        "reference stress. Sulfide glasses deform rate-"
                        "dependently at room temperature (Athanasiou et "
                        "al., SSRN 4001950, 2022; Herbert et al., J. Mater. "
                        "Res. 39, 2024). 0: no creep. Needs Electrolyte "
                        "plasticity = true.");
      prm.declare_entry("Electrolyte creep stress", "100", Double(1e-3, 1e5),
                        "Reference von Mises stress of the creep law (MPa): "
                        "the creep strain rate is Electrolyte creep rate x "
                        "(sigma_vm / this)^n.");
      prm.declare_entry("Electrolyte creep exponent", "3", Double(1, 20),
                        "Norton exponent n of the creep law (dimensionless, "
                        "1: linear viscous).");
      prm.declare_entry("Electrolyte porosity", "0", Double(0, 0.5),
                        "Porosity of the cold-pressed Li7P3S11 "
                        "(dimensionless, 0-0.5): under a pressure above the "
                        "compaction pressure its pores close, irreversibly, "
                        "until it is dense (a pressure cap beside the J2 "
                        "surface, doc/model.md section 6). 0: dense, no "
                        "compaction. Needs Electrolyte plasticity = true.");
      prm.declare_entry("Electrolyte compaction pressure", "370",
                        Double(0, 1e5),
                        "Pressure (MPa) at which the porous electrolyte "
                        "starts to compact: the pressure it was cold-"
                        "pressed at (370 MPa is common for sulfide "
                        "pellets), beyond which a powder compact densifies "
                        "further.");
      prm.declare_entry("Electrolyte compaction hardening", "5",
                        Double(0, 1e4),
                        "Rise of the compaction pressure (GPa) per unit of "
                        "volumetric plastic strain -ln J_p: the pressure "
                        "needed to close the last pores (an estimate: a "
                        "relative density of 0.85 at 370 MPa and 0.95 at "
                        "1 GPa gives 5.7 GPa).");
      prm.declare_entry("Third medium stiffness", "1e-4", Double(1e-12, 1e-1),
                        "Young's modulus of the third medium that fills the "
                        "empty pores (Geometry/Empty pores = third medium) "
                        "as a fraction of the electrolyte's (dimensionless; "
                        "Poisson's ratio 0.3): small enough that the pores "
                        "still take up the swelling, its neo-Hookean ln J "
                        "term makes it stiffen without bound as a pore "
                        "closes. A numerical aid: its ablation is in "
                        "doc/calibration.md.");
      prm.declare_entry("Third medium regularisation", "1e-2",
                        Double(0, 1e-1),
                        "Penalty alpha on the third medium's non-affine "
                        "deformation within a cell, the energy alpha/2 int "
                        "|F - <F>_cell|^2 dV, as a fraction of the "
                        "electrolyte's shear modulus (dimensionless): it "
                        "keeps the soft cells from distorting (hourglass, "
                        "inversion at corners) while they are squeezed "
                        "(Faltus, Amato and Horak 2026). A numerical aid: "
                        "its ablation is in doc/calibration.md.");
      prm.declare_entry("Particle plasticity", "true", Bool(),
                        "true: the particle is elastic-plastic too (J2 "
                        "after the swelling, F = F_e F_p F_sw; yield stress "
                        "mixed linearly between pristine and converted); "
                        "false: neo-Hookean elastic.");
      prm.declare_entry("Pristine yield stress", "5000", Double(1e-3, 1e6),
                        "von Mises yield stress of FeS2 (MPa): H/3 (Tabor) "
                        "of pyrite's Vickers hardness, about 15 GPa (VHN "
                        "about 1500 kg/mm2, among the hardest sulfides). "
                        "In practice pyrite stays elastic.");
      prm.declare_entry("Converted yield stress", "1000", Double(1e-3, 1e6),
                        "von Mises yield stress of the converted Fe + 2 Li2S "
                        "(MPa). Not measured; the order of the flow stress "
                        "of lithiated alloy anodes (LixSi, 0.5-1.75 GPa: "
                        "Sethuraman et al., J. Power Sources 195 (2010) "
                        "5062). An assumption, see doc/model.md.");
      prm.declare_entry("Particle hardening modulus", "1", Double(0, 1e4),
                        "Linear isotropic hardening modulus of the particle "
                        "(GPa).");
      prm.declare_entry("Volume expansion", "161", Double(0, 1000),
                        "Volume increase at full conversion (%); (7.09 + 2 x "
                        "27.68) / 23.95 = 2.61.");
      prm.declare_entry("Charged product volume expansion", "0", Double(0, 1000),
                        "Volume increase (%, over pristine FeS2) that "
                        "converted material keeps when it is delithiated "
                        "again: the Fe/S nanocomposite left by charge does "
                        "not recompact to dense pyrite. The swelling of a "
                        "point follows theta + r max(xi - theta, 0), r = this "
                        "over the Volume expansion, with xi its conversion "
                        "history (needs Particle/Irreversible conversion). "
                        "0: the swelling follows the Li content alone.");
      prm.declare_entry("Swelling anisotropy", "1, 1, 1",
                        List(Double(0, 1e6), 3, 3),
                        "Shares of the volume swelling along the crystal a, "
                        "b, c axes (dimensionless weights; the orientation "
                        "is Particle/Euler angles): the axis i stretches by "
                        "(1 + beta xi)^(w_i / sum w), so the volume still "
                        "grows by 1 + beta. 1, 1, 1: isotropic; 0, 0, 1: "
                        "all along c. In 2D only a and b count.");
      prm.declare_entry("Interface normal strength", "20", Double(1e-3, 1e4),
                        "Cohesive strength in opening (MPa).");
      prm.declare_entry("Interface shear strength", "30", Double(1e-3, 1e4),
                        "Cohesive strength in shear (MPa).");
      prm.declare_entry("Interface mode I fracture energy", "1", Double(1e-4, 1e3),
                        "G_Ic (J/m^2).");
      prm.declare_entry("Interface mode II fracture energy", "3", Double(1e-4, 1e3),
                        "G_IIc (J/m^2).");
      prm.declare_entry("BK exponent", "2", Double(0.1, 10),
                        "Benzeggagh-Kenane mixed-mode exponent eta.");
      prm.declare_entry("Grain boundaries", "continuous",
                        Selection("continuous|cohesive"),
                        "The boundaries between the primary grains of a "
                        "particle (the coarse cells of Geometry/Type = porous "
                        "microsphere; a particle of any other geometry is "
                        "one grain). continuous: one displacement field, the "
                        "grains never part. cohesive: each grain moves on its "
                        "own, held to its neighbours by a cohesive law with "
                        "the Grain boundary strengths and fracture energies "
                        "below (the Interface penalty stiffness, BK exponent, "
                        "friction, viscosity, damping and residual stiffness "
                        "of the FeS2/LPS interface), so that a grain "
                        "boundary can open (doc/model.md section 1). Li "
                        "still diffuses across it.");
      prm.declare_entry("Grain boundary normal strength", "20", Double(1e-3, 1e5),
                        "Cohesive strength of a grain boundary in opening "
                        "(MPa).");
      prm.declare_entry("Grain boundary shear strength", "30", Double(1e-3, 1e5),
                        "Cohesive strength of a grain boundary in shear "
                        "(MPa).");
      prm.declare_entry("Grain boundary mode I fracture energy", "1",
                        Double(1e-4, 1e3), "G_Ic of a grain boundary (J/m^2).");
      prm.declare_entry("Grain boundary mode II fracture energy", "3",
                        Double(1e-4, 1e3), "G_IIc of a grain boundary (J/m^2).");
      prm.declare_entry("Interface friction coefficient", "0.6", Double(0, 2),
                        "Coulomb friction mu of the damaged part of a closed "
                        "interface point (dimensionless; Alfano-Sacco "
                        "cohesive-frictional law): a face pressed at p "
                        "resists shear up to about S + mu p and keeps mu p "
                        "once debonded. 0.6: Byerlee's friction of rock and "
                        "mineral contacts (0.6-0.85, Byerlee 1978, Pure "
                        "Appl. Geophys. 116:615); dry ceramic contacts "
                        "0.2-0.7. 0: the bilinear law alone.");
      prm.declare_entry("Interface friction viscosity", "1", Double(0, 1e6),
                        "Relaxation time of a Duvaut-Lions regularised "
                        "Coulomb friction (s): in a step dt a sliding point's "
                        "shear traction exceeds mu p by tau/dt of its trial "
                        "overstress; 0: rate-independent friction. 1 s "
                        "against steps of 10-100 s keeps Newton from cycling "
                        "between stick and slip (2D C/10 cell: 57 stalled "
                        "solves -> 4) and moves the capacity and efficiency "
                        "by less than 0.3 % when divided by 10 (doc/model.md "
                        "ablation)."
                        );
      prm.declare_entry("Interface penalty stiffness", "1000", Double(1e-6, 1e6),
                        "Cohesive stiffness, also the compression penalty "
                        "(GPa/um): 1000 lets a face pressed at 1 GPa "
                        "interpenetrate by 1 nm, well below the closure "
                        "gap (halving it moves the 2D coupled results by "
                        "0.3 % in capacity, 1 % in efficiency).");
      prm.declare_entry("Interface contact smoothing", "1", Double(0, 1e3),
                        "Penetration range over which the contact stiffness "
                        "of a damaged interface point grows from 0 at zero "
                        "gap to the penalty (nm); 0: a sharp switch, on "
                        "which Newton may cycle. The range lies on the "
                        "closed side, so touching faces rest at zero gap "
                        "whatever its width (2D C/10 cell: 0.5 and 2 nm move "
                        "the capacity and efficiency by < 0.5 %).");
      prm.declare_entry("Closure gap", "10", Double(1e-6, 1e6),
                        "Normal gap at which an interface point stops "
                        "conducting Li+ (nm).");
      prm.declare_entry("Bonded part contact", "closure",
                        Selection("closure|bridging"),
                        "What the part 1 - d of an interface point that its "
                        "cohesive law still holds bonded conducts. closure: "
                        "the closure factor of the point's mean gap applies "
                        "to all of it (an opening beyond the Closure gap "
                        "cuts it, bonded or not). bridging: the bonded part "
                        "conducts whatever the mean gap (its intact fibres "
                        "span the opening), the debonded part only where "
                        "closed, on its asperities. The two differ only at "
                        "points in the softening branch of the law under "
                        "tension (doc/model.md section 2).");
      prm.declare_entry("Debonded contact hardness", "0", Double(0, 1e6),
                        "Hardness H of the asperities on which a debonded "
                        "interface touches (MPa): where the cohesive law has "
                        "split off the debonded fraction d (not the strength "
                        "loss written as damage), a closed face conducts "
                        "1 - d + d min(1, p / H) of its area, p the contact "
                        "pressure, the real area "
                        "of plastically flattened asperities (Bowden & "
                        "Tabor); the bonded part keeps the intimate contact "
                        "of the cold pressing. LPS: 1900 (nanoindentation, "
                        "McGrogan 2017). 0: a debonded face conducts "
                        "wherever it is closed.");
      prm.declare_entry("Initially debonded fraction", "0",
                        List(Double(0, 1), 1),
                        "Fraction of each particle's interface that starts "
                        "debonded (fully damaged: it holds in compression "
                        "and friction, conducts only on its asperities, "
                        "p / H of its area with Debonded contact hardness "
                        "H, and carries no tension): the incomplete contact "
                        "a cold-pressed composite leaves, voids on one side "
                        "of a particle. The debonded faces are those whose "
                        "outward normal lies within a cone around "
                        "'Initially debonded direction', its half angle set "
                        "so that the cap is this fraction of a disk's (2D) "
                        "or a sphere's (3D) surface. One number for every "
                        "particle, or one per particle of Geometry/Particle "
                        "radii. 0: bonded everywhere.");
      prm.declare_entry("Initially debonded direction", "0, 1, 0",
                        List(Double(), 3, 3),
                        "Axis of the initially debonded cap (three numbers, "
                        "x, y, z; normalised; in 2D the first two count): "
                        "the stack axis is x, 1, 0, 0 faces the current "
                        "collector, 0, 1, 0 a lateral neighbour.");
      prm.declare_entry("Contact factor per face", "true", Bool(),
                        "true: each interface face conducts according to "
                        "the mean gap at its vertices, measured along the "
                        "vertex normals (the mean normal of the faces around "
                        "a vertex); false: each quadrature point by its own "
                        "gap along its face normal. On a faceted interface, "
                        "sliding makes gaps of the slip times the angle "
                        "between facets along the face normals, none along "
                        "the vertex normals.");
      prm.declare_entry("Geometry degree", "2", Integer(1, 2),
                        "Polynomial degree of the cell geometry in the "
                        "mechanics (1: straight faces; 2: curved faces that "
                        "follow the particle surface). Faces that slide "
                        "along a faceted interface ride over its kinks and "
                        "open gaps of the slip times the angle between "
                        "facets; a curved interface has no kinks.");
      prm.declare_entry("Interface viscosity", "100", Double(0, 1e8),
                        "Relaxation time of the viscous damage "
                        "regularisation (s); 0: none. Keeps Newton converging "
                        "through unstable debonding; small against the hours "
                        "of a half cycle.");
      prm.declare_entry("Interface residual stiffness", "1e-6",
                        Double(0, 1),
                        "Spring left on a fully debonded interface, as a "
                        "fraction of the penalty stiffness (dimensionless): "
                        "holds a floating particle in place (without it the "
                        "stiffness matrix is singular once the interface has "
                        "failed all round); 1e-6 carries 0.1 MPa at a 1 um "
                        "gap with the default penalty.");
      prm.declare_entry("Linear solver tolerance", "1e-10", Double(1e-14, 0.5),
                        "Relative reduction of the Newton residual by each "
                        "Krylov solve of the mechanics (dimensionless). "
                        "Newton converges on its own tolerances whatever it "
                        "is; 1e-4 (an inexact Newton) needs a third of the "
                        "Krylov iterations (3D: 1.9 instead of 2.6 s per "
                        "step) but makes the coupled cycle results scatter "
                        "by 0.3 % (1 vs 2 ranks, which agree to 0.1 % with "
                        "1e-10).");
      prm.declare_entry("F-bar", "true", Bool(),
                        "true: F-bar element technology (mean dilatation): "
                        "each quadrature point's volume change beyond its "
                        "swelling is replaced by its cell's, F_bar = (J_bar "
                        "J_sw / J)^(1/dim) F, J_bar = int J / int J_sw (de "
                        "Souza Neto et al. 1996). Q1 cells then neither lock "
                        "under the isochoric plastic flow of the LPS and the "
                        "converted shell nor let their pressure oscillate "
                        "inside the cell; the pressure drives the stress "
                        "factor on the Li diffusivity (doc/model.md).");
      prm.declare_entry("Keep preconditioner", "true", Bool(),
                        "Keep the ML hierarchy of the mechanics matrix across "
                        "time steps (rebuilt when the Krylov iterations "
                        "double) instead of building it at the first Newton "
                        "iteration of each step: 16 % less time per 3D step "
                        "(the AMG set-up), the same converged states (2D C/10 "
                        "cell: 1 and 2 ranks agree to 1e-4; it was an option "
                        "while friction stalls made the partitions part by "
                        "0.3 %, doc/model.md section 6).");
      prm.declare_entry("Reuse factorization", "true", Bool(),
                        "With the direct linear solver (Solver/Linear "
                        "solver): keep the sparse LU of one mechanics matrix "
                        "as the preconditioner of CG/GMRES on the Newton "
                        "matrices after it, across time steps with 'Keep "
                        "preconditioner', refactorised when a solve needs "
                        "more than 10 iterations; false: factorise every "
                        "Newton matrix. The same converged states (to the "
                        "Linear solver tolerance); fewer factorisations "
                        "(doc/model.md section 3).");
      prm.declare_entry("Extrapolate displacement", "true", Bool(),
                        "Start each time step's mechanics Newton iteration "
                        "from the accepted displacement moved on at the last "
                        "accepted step's rate (linear extrapolation; not on a "
                        "half cycle's first step) instead of from the "
                        "accepted displacement: the same converged states, "
                        "17 % fewer mechanics Newton iterations on the solid "
                        "cell (benchmarks/README.md).");
      prm.declare_entry("Interface damping", "0.01", Double(0, 1e6),
                        "Viscous traction c d[[u]]/dt on the interface "
                        "(MPa s/nm): 0.01 resists an opening of 100 nm per "
                        "100 s with 10 kPa, nothing at rest. Its c/dt in the "
                        "Newton matrix makes a cut time step solvable where "
                        "a debonded particle rests on a few contact points.");
      prm.declare_entry("Residual contact factor", "1e-10", Double(1e-15, 1),
                        "Floor of the contact factor (dimensionless): a "
                        "particle that has lost contact all round keeps this "
                        "fraction of its reacting area, so that the voltage "
                        "runs to the cutoff instead of the current "
                        "constraint failing. Small enough that no measurable "
                        "charge flows through it (1e-6 carried 40 % of the "
                        "2D charge; 1e-10 and 1e-12 give the same result).");
      prm.declare_entry("Hold interface intact", "false", Bool(),
                        "true: the interface never damages (comparison run).");
      prm.declare_entry("Coupling tolerance", "0.01", Double(1e-12, 1),
                        "Staggered iterations stop when no contact factor "
                        "changes by more than this (largest change over the "
                        "interface points, dimensionless).");
      prm.declare_entry("Maximum coupling iterations", "6", Integer(1, 100),
                        "Staggered iterations per time step; a step that "
                        "has not met the coupling tolerance by then is cut.");
      prm.leave_subsection();
    }

    void
    Mechanics::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Mechanics");
      enabled             = prm.get_bool("Enable mechanics");
      young_pristine      = prm.get_double("Young's modulus pristine") * 1e9;
      poisson_pristine    = prm.get_double("Poisson's ratio pristine");
      young_converted     = prm.get_double("Young's modulus converted") * 1e9;
      poisson_converted   = prm.get_double("Poisson's ratio converted");
      young_electrolyte   = prm.get_double("Young's modulus electrolyte") * 1e9;
      poisson_electrolyte = prm.get_double("Poisson's ratio electrolyte");
      volume_expansion    = prm.get_double("Volume expansion") / 100.;
      charged_expansion   = prm.get_double("Charged product volume expansion") / 100.;
      if (charged_expansion > volume_expansion)
        fail("Mechanics/Charged product volume expansion",
             "must not exceed Mechanics/Volume expansion (" +
               std::to_string(100 * volume_expansion) + " %)");
      particle_plastic    = prm.get_bool("Particle plasticity");
      pristine_yield_stress  = prm.get_double("Pristine yield stress") * 1e6;
      converted_yield_stress = prm.get_double("Converted yield stress") * 1e6;
      particle_hardening =
        prm.get_double("Particle hardening modulus") * 1e9;
      electrolyte_plastic = prm.get_bool("Electrolyte plasticity");
      electrolyte_yield_stress =
        prm.get_double("Electrolyte yield stress") * 1e6;
      electrolyte_hardening =
        prm.get_double("Electrolyte hardening modulus") * 1e9;
      electrolyte_creep_rate = prm.get_double("Electrolyte creep rate");
      electrolyte_creep_stress =
        prm.get_double("Electrolyte creep stress") * 1e6;
      electrolyte_creep_exponent = prm.get_double("Electrolyte creep exponent");
      electrolyte_porosity = prm.get_double("Electrolyte porosity");
      electrolyte_compaction_pressure =
        prm.get_double("Electrolyte compaction pressure") * 1e6;
      electrolyte_compaction_hardening =
        prm.get_double("Electrolyte compaction hardening") * 1e9;
      third_medium_stiffness      = prm.get_double("Third medium stiffness");
      third_medium_regularisation = prm.get_double("Third medium regularisation");
      // creep and compaction live in the electrolyte's plastic return map
      const auto needs_plastic_electrolyte =
        [&](const std::string &name, const double value,
            const std::string &what, const std::string &quantity) {
          if (value > 0 && !electrolyte_plastic)
            fail("Mechanics/" + name,
                 what + " acts in the electrolyte's plastic return map: set "
                        "Mechanics/Electrolyte plasticity = true, or the " +
                   quantity + " to 0 (allowed: 0 when the electrolyte is elastic)");
        };
      needs_plastic_electrolyte("Electrolyte porosity", electrolyte_porosity,
                                "compaction", "porosity");
      needs_plastic_electrolyte("Electrolyte creep rate", electrolyte_creep_rate,
                                "creep", "creep rate");
      swelling_anisotropy =
        three_doubles(prm, "Swelling anisotropy", "Mechanics/");
      if (!(swelling_anisotropy[0] + swelling_anisotropy[1] > 0))
        fail("Mechanics/Swelling anisotropy",
             "the a and b weights must not both be 0 (allowed: three "
             "numbers >= 0 with w_a + w_b > 0)");
      normal_strength     = prm.get_double("Interface normal strength") * 1e6;
      shear_strength      = prm.get_double("Interface shear strength") * 1e6;
      mode_I_energy       = prm.get_double("Interface mode I fracture energy");
      mode_II_energy      = prm.get_double("Interface mode II fracture energy");
      bk_exponent         = prm.get_double("BK exponent");
      grain_boundaries_cohesive = prm.get("Grain boundaries") == "cohesive";
      grain_normal_strength =
        prm.get_double("Grain boundary normal strength") * 1e6;
      grain_shear_strength = prm.get_double("Grain boundary shear strength") * 1e6;
      grain_mode_I_energy = prm.get_double("Grain boundary mode I fracture energy");
      grain_mode_II_energy =
        prm.get_double("Grain boundary mode II fracture energy");
      friction_coefficient = prm.get_double("Interface friction coefficient");
      penalty_stiffness   = prm.get_double("Interface penalty stiffness") * 1e15;
      friction_viscosity  = prm.get_double("Interface friction viscosity");
      closure_gap         = prm.get_double("Closure gap") * 1e-9;
      contact_hardness    = prm.get_double("Debonded contact hardness") * 1e6;
      bonded_part_bridging = prm.get("Bonded part contact") == "bridging";
      contact_per_face    = prm.get_bool("Contact factor per face");
      initially_debonded_fraction = dealii::Utilities::string_to_double(
        dealii::Utilities::split_string_list(prm.get("Initially debonded fraction")));
      debonded_direction =
        three_doubles(prm, "Initially debonded direction", "Mechanics/");
      geometry_degree     = prm.get_integer("Geometry degree");
      contact_smoothing   = prm.get_double("Interface contact smoothing") * 1e-9;
      interface_viscosity = prm.get_double("Interface viscosity");
      residual_contact    = prm.get_double("Residual contact factor");
      interface_damping   = prm.get_double("Interface damping") * 1e15;
      linear_tolerance    = prm.get_double("Linear solver tolerance");
      keep_preconditioner = prm.get_bool("Keep preconditioner");
      reuse_factorization = prm.get_bool("Reuse factorization");
      extrapolate_displacement = prm.get_bool("Extrapolate displacement");
      f_bar               = prm.get_bool("F-bar");
      residual_stiffness  = prm.get_double("Interface residual stiffness") *
                           penalty_stiffness;
      interface_intact    = prm.get_bool("Hold interface intact");
      coupling_tolerance  = prm.get_double("Coupling tolerance");
      max_coupling_iterations = prm.get_integer("Maximum coupling iterations");
      prm.leave_subsection();
    }

    void
    Impedance::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Impedance");
      prm.declare_entry("After each discharge", "false", Bool(),
                        "Write the small-signal impedance spectrum of the "
                        "cell at the end of each discharge to "
                        "eis/eis-cycleN-discharge.csv (frequency_Hz, "
                        "z_real_ohm_cm2, z_imag_ohm_cm2; per interface "
                        "area), and of the pristine cell to "
                        "eis/eis-pristine.csv: the FE system linearised about "
                        "that state, with the double layer (Kinetics/Double "
                        "layer capacitance) and the mechanical state held. "
                        "Each spectrum is of the cell relaxed at open circuit "
                        "(Relaxation time).");
      prm.declare_entry("Relaxation time", "3600", Double(0, 1e9),
                        "Before each spectrum the Li relaxes at open circuit "
                        "for this long (s), the electrochemistry alone with "
                        "the mechanical state held, as a cell rests before "
                        "it is measured; the run then goes on from the state "
                        "before the relaxation, so spectra do not change the "
                        "cycling. 0: the spectrum of the state as it is, "
                        "which right after a discharge is not steady (the "
                        "surface's uneven Li drives local currents at zero "
                        "total current) and can show negative resistances "
                        "at low frequency.");
      prm.declare_entry("At depths of discharge", "", List(Double(0, 1e4)),
                        "Also write the spectrum when a discharge passes each "
                        "of these capacities (mAh/g, comma-separated; empty: "
                        "none), to eis/eis-cycleN-dodQ.csv.");
      prm.declare_entry("Minimum frequency", "1e-3", Double(1e-9, 1e12),
                        "Lowest frequency of the spectrum (Hz).");
      prm.declare_entry("Maximum frequency", "1e5", Double(1e-9, 1e12),
                        "Highest frequency of the spectrum (Hz).");
      prm.declare_entry("Points per decade", "5", Integer(1, 100),
                        "Frequencies per decade, logarithmically spaced.");
      prm.leave_subsection();
    }

    void
    Impedance::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Impedance");
      after_discharge   = prm.get_bool("After each discharge");
      relaxation_time   = prm.get_double("Relaxation time");
      depths_of_discharge.clear();
      for (const auto &q :
           dealii::Utilities::split_string_list(prm.get("At depths of discharge")))
        depths_of_discharge.push_back(dealii::Utilities::string_to_double(q));
      std::sort(depths_of_discharge.begin(), depths_of_discharge.end());
      minimum_frequency = prm.get_double("Minimum frequency");
      maximum_frequency = prm.get_double("Maximum frequency");
      points_per_decade = prm.get_integer("Points per decade");
      prm.leave_subsection();
      if (!(minimum_frequency < maximum_frequency))
        fail("Impedance/Minimum frequency",
             "must be below 'Impedance/Maximum frequency' (" +
               std::to_string(maximum_frequency) + " Hz)");
    }

    std::vector<double>
    Impedance::frequencies() const
    {
      const double decades = std::log10(maximum_frequency / minimum_frequency);
      const unsigned int n =
        std::max(2u, (unsigned int)std::ceil(decades * points_per_decade) + 1);
      std::vector<double> f(n);
      for (unsigned int k = 0; k < n; ++k)
        f[k] = minimum_frequency * std::pow(10., decades * k / (n - 1));
      return f;
    }

    void
    Output::declare(ParameterHandler &prm)
    {
      prm.enter_subsection("Output");
      prm.declare_entry("Output directory", "results", Anything(),
                        "Directory for statistics.csv, cycles.csv, "
                        "parameters.prm and solution/ (created if missing).");
      prm.declare_entry("Solution output interval", "20", Integer(0, 1000000),
                        "Write solution/solution-NNNNN.pvtu every this many "
                        "time steps (0: only at the start and at the end of "
                        "each half cycle).");
      prm.declare_entry("Write solution", "true", Bool(),
                        "Write the field output (pvtu) at all.");
      prm.declare_entry("Progress interval", "10", Integer(1, 1000000),
                        "Print a progress line every this many time steps.");
      prm.leave_subsection();
    }

    void
    Output::parse(ParameterHandler &prm)
    {
      prm.enter_subsection("Output");
      directory         = prm.get("Output directory");
      solution_interval = prm.get_integer("Solution output interval");
      write_solution    = prm.get_bool("Write solution");
      progress_interval = prm.get_integer("Progress interval");
      prm.leave_subsection();
      if (directory.empty())
        fail("Output/Output directory", "must not be empty");
    }
  } // namespace parameters

  void
  Parameters::declare(ParameterHandler &prm)
  {
    parameters::Geometry::declare(prm);
    parameters::OperatingConditions::declare(prm);
    parameters::Electrolyte::declare(prm);
    parameters::Particle::declare(prm);
    parameters::Kinetics::declare(prm);
    parameters::TimeStepping::declare(prm);
    parameters::Solver::declare(prm);
    parameters::Mechanics::declare(prm);
    parameters::Output::declare(prm);
    parameters::Impedance::declare(prm);
    parameters::Electrode::declare(prm);
    prm.enter_subsection("Materials");
    prm.declare_entry("Reference temperature", "298.15", Double(150, 500),
                      "Temperature at which conductivity, diffusivities and "
                      "exchange current are given (K).");
    prm.leave_subsection();
  }

  void
  Parameters::parse(ParameterHandler &prm, const std::string &input_directory)
  {
    geometry.parse(prm, input_directory);
    operating.parse(prm);
    electrolyte.parse(prm);
    particle.parse(prm);
    kinetics.parse(prm, input_directory);
    time_stepping.parse(prm);
    solver.parse(prm);
    mechanics.parse(prm);
    output.parse(prm);
    impedance.parse(prm);
    electrode.parse(prm);
    if (electrode.embeds_resolved_particle() && impedance.enabled())
      fail("Electrode/Resolved particle depth",
           "the particle inside the composite has no impedance yet (its "
           "relaxation would leave the composite behind): set Impedance/After "
           "each discharge = false and no Impedance/At depths of discharge, or "
           "a negative depth");
    if (particle.blocking_history && !particle.irreversible_conversion)
      fail("Particle/Blocking follows",
           "'conversion history' needs Particle/Irreversible conversion = "
           "true (the history it follows)");
    if (mechanics.charged_expansion > 0 && !particle.irreversible_conversion)
      fail("Mechanics/Charged product volume expansion",
           "needs Particle/Irreversible conversion = true (the conversion "
           "history it refers to)");
    if (particle.random_orientation && mechanics.enabled &&
        !mechanics.isotropic_swelling(geometry.dimension))
      fail("Particle/Orientation",
           "'random per grain' orients the diffusivity only; with an "
           "anisotropic 'Mechanics/Swelling anisotropy' use 'fixed'");
    check_surface_cap(mechanics.initially_debonded_fraction,
                      mechanics.debonded_direction,
                      "Mechanics/Initially debonded",
                      geometry);
    check_surface_cap(kinetics.ion_blocked_fraction,
                      kinetics.ion_blocked_direction,
                      "Kinetics/Ion-blocked",
                      geometry);
    if (geometry.type == parameters::Geometry::Type::porous_microsphere &&
        *std::max_element(kinetics.ion_blocked_fraction.begin(),
                          kinetics.ion_blocked_fraction.end()) > 0)
      fail("Kinetics/Ion-blocked fraction",
           "is a cap of a dense particle's surface; a porous microsphere's "
           "grains face the electrolyte grown between them (allowed: 0 with "
           "Geometry/Type = porous microsphere)");
    if (mechanics.enabled && mechanics.grain_boundaries_cohesive &&
        geometry.third_medium_pores)
      fail("Mechanics/Grain boundaries",
           "'cohesive' does not work with Geometry/Empty pores = third medium "
           "yet: the medium carries the field of one grain colour only "
           "(allowed: 'continuous', or Empty pores = removed)");
    if (electrolyte.liquid && mechanics.enabled &&
        mechanics.residual_stiffness <= 0)
      fail("Mechanics/Interface residual stiffness",
           "must be > 0 with Electrolyte/Type = liquid: it is what holds the "
           "particle's rigid-body motion when nothing else touches it");
    prm.enter_subsection("Materials");
    reference_temperature = prm.get_double("Reference temperature");
    prm.leave_subsection();
  }

  std::string
  one_line_message(const std::exception &e)
  {
    std::ostringstream text;
    if (const auto *d = dynamic_cast<const dealii::ExceptionBase *>(&e))
      d->print_info(text);
    else
      text << e.what();
    // collapse the multi-line deal.II text into one line
    std::string line, word;
    std::istringstream words(text.str());
    while (words >> word)
      line += (line.empty() ? "" : " ") + word;
    return line;
  }

  namespace
  {
    /**
     * Follow the include statements of a parameter file the way
     * ParameterHandler does (the line after comments are stripped, the
     * file name as written, opened from the working directory) and refuse
     * a cycle: deal.II follows it until the stack overflows.
     */
    void
    check_include_chain(const std::string &filename,
                        std::vector<std::filesystem::path> &chain)
    {
      const std::filesystem::path here =
        std::filesystem::weakly_canonical(filename);
      for (const auto &earlier : chain)
        if (earlier == here)
          {
            std::string path;
            for (const auto &file : chain)
              path += "'" + file.string() + "' includes ";
            throw UserError("input file '" + chain.front().string() +
                            "': the include statements form a cycle (" +
                            path + "'" + here.string() + "')");
          }
      chain.push_back(here);
      std::ifstream in(filename);
      std::string   line, joined;
      while (std::getline(in, line))
        {
          if (!line.empty() && line.back() == '\\')
            {
              joined += line.substr(0, line.size() - 1);
              continue;
            }
          line = dealii::Utilities::trim(
            (joined + line).substr(0, (joined + line).find('#')));
          joined.clear();
          for (const std::string keyword : {"include ", "INCLUDE "})
            if (line.rfind(keyword, 0) == 0)
              {
                const std::string included =
                  dealii::Utilities::trim(line.substr(keyword.size()));
                // a file that cannot be opened: ParameterHandler says so
                if (std::filesystem::is_regular_file(included))
                  check_include_chain(included, chain);
              }
        }
      chain.pop_back();
    }
  } // namespace

  void
  read_parameter_file(ParameterHandler               &prm,
                      const std::string              &filename,
                      const std::vector<std::string> &overrides)
  {
    if (!std::filesystem::is_regular_file(filename))
      throw UserError("input file '" + filename + "' does not exist");
    std::vector<std::filesystem::path> chain;
    check_include_chain(filename, chain);
    try
      {
        prm.parse_input(filename);
      }
    catch (const std::exception &e)
      {
        throw UserError(one_line_message(e));
      }

    for (const std::string &assignment : overrides)
      {
        const auto equal = assignment.find('=');
        if (equal == std::string::npos)
          throw UserError("--set '" + assignment +
                          "': expected \"Section/Name=value\"");
        const std::string name = dealii::Utilities::trim(assignment.substr(0, equal));
        if (name.empty() || name.front() == '/' || name.back() == '/' ||
            name.find("//") != std::string::npos)
          throw UserError("--set '" + assignment +
                          "': expected \"Section/Name=value\" (an empty "
                          "section or parameter name)");
        const auto path = dealii::Utilities::split_string_list(name, '/');
        const std::string value =
          dealii::Utilities::trim(assignment.substr(equal + 1));
        if (path.empty())
          throw UserError("--set '" + assignment + "': no parameter named");
        for (unsigned int k = 0; k + 1 < path.size(); ++k)
          prm.enter_subsection(path[k]);
        std::string error;
        try
          {
            prm.set(path.back(), value);
          }
        catch (const std::exception &e)
          {
            error = one_line_message(e);
          }
        for (unsigned int k = 0; k + 1 < path.size(); ++k)
          prm.leave_subsection();
        if (!error.empty())
          throw UserError("--set '" + assignment + "': " + error);
      }
  }
} // namespace ssbsim

namespace ssbsim
{
  materials::DiffusivityData
  diffusivity_data(const parameters::Particle &particle)
  {
    materials::DiffusivityData d;
    d.d_pristine       = particle.d_pristine;
    d.d_converted      = particle.d_converted;
    d.axis_factors     = particle.axis_factors;
    d.euler_angles     = particle.euler_angles;
    d.blocking_factor  = particle.blocking_factor;
    d.blocking_onset   = particle.blocking_onset;
    d.blocking_width   = particle.blocking_width;
    d.blocking_history = particle.blocking_history;
    return d;
  }

  materials::OpenCircuitCurve
  open_circuit_branch(const parameters::Kinetics &kinetics, const bool discharge)
  {
    const std::string &file  = discharge ? kinetics.discharge_file : kinetics.charge_file;
    const std::string &table = discharge ? kinetics.discharge_table : kinetics.charge_table;
    return file.empty() ? materials::OpenCircuitCurve::from_string(table) :
                          materials::OpenCircuitCurve::from_csv_file(file);
  }
} // namespace ssbsim
