#pragma once

#include <ssbsim/materials/butler_volmer.h>
#include <ssbsim/materials/diffusivity.h>
#include <ssbsim/materials/open_circuit.h>

#include <memory>
#include <vector>

namespace dealii
{
  class SparsityPattern;
}

namespace ssbsim
{
  /**
   * The homogenised composite cathode around the resolved particle
   * (doc/model.md section 8): a pseudo-two-dimensional porous electrode
   * (Doyle, Fuller & Newman 1993) of the solid-state cell, with
   *
   * - the LPS's ionic potential phi_e(x) across the thickness L, x = 0 at
   *   the separator, x = L at the current collector, conducting with the
   *   Bruggeman conductivity kappa_eff = kappa eps_e^b; beyond the
   *   separator (thickness L_s, conductivity kappa) the Li metal at 0 V;
   * - electrons at one potential V (the carbon conducts far better than
   *   the LPS), the cell voltage;
   * - at every depth spherical particles of radius R (volume fraction
   *   eps_s, reacting interface a = 3 eps_s f / R per volume, f the
   *   reacting share of their surface) with the resolved
   *   particle's Li transport (LiDiffusivity: the front law, the
   *   irreversible conversion, the dense Fe layer's blocking) radially,
   *   and its Butler-Volmer kinetics against the open-circuit branch of
   *   the current's direction.
   *
   * Single-ion conductor: no salt concentration in the electrolyte.
   * Discretisation: finite volumes, cell-centred in x (layers of equal
   * width), vertex-centred in r (the last node on the surface), backward
   * Euler, Newton on all unknowns together with the sparse direct solver.
   * The particles carry a reduced mechanics (front_stress()) but no
   * contact loss and no film of their own: the homogenised electrode
   * gives the resolved particle the potential of its depth (the reaction
   * zone), and takes its failure only when handed it
   * (set_interface_state(): Electrode/Interface state = resolved
   * particle).
   */
  class PorousElectrode
  {
  public:
    struct Data
    {
      double thickness;                // L, m
      double separator_thickness;      // L_s, m
      double active_fraction;          // eps_s
      double electrolyte_fraction;     // eps_e
      double bruggeman_exponent;       // b
      double conductivity;             // kappa of the LPS at T, S/m
      double particle_radius;          // R, m
      /// the share of the particles' surface that reacts (effective: the
      /// resolved particle's uptake, Electrode/Reacting share): a = 3
      /// eps_s / R times this
      double reacting_share = 1;
      unsigned int layers = 20;        // finite volumes across L
      unsigned int shells = 40;        // radial intervals
      double max_concentration;        // c_max, mol/m^3
      double initial_li_content = 0;   // theta_0
      bool   irreversible_conversion = false;
      materials::DiffusivityData diffusivity; // at the reference T
      double diffusivity_factor = 1;   // Arrhenius at T
      double exchange_current;         // i0 at T, A/m^2
      double temperature;              // K
      materials::ButlerVolmer kinetics;
      materials::OpenCircuitCurve discharge_branch;
      materials::OpenCircuitCurve charge_branch;

      /// The swelling's stress on the transport (0: none): D times
      /// exp(V* sigma_h / R T), with the hydrostatic stress of a plastic
      /// shell on a misfitting core (see front_stress()).
      double activation_volume   = 0; // V*, m^3/mol
      double shell_yield_stress  = 0; // Y of the converted shell, Pa
      double volume_expansion    = 0; // beta at theta = 1
      double confinement_modulus = 0; // 2 E / (1 + nu) of the LPS, Pa
      double confinement_limit   = 0; // its cavity-expansion pressure, Pa
      double stack_pressure      = 0; // Pa
      double stress_limit        = 1e300; // |sigma_h| bound, Pa
    };

    explicit PorousElectrode(const Data &data);

    /// One backward-Euler step of @p dt (s) at the applied current density
    /// @p current (A per m^2 of electrode, anodic: discharge negative).
    /// Returns false, with the state unchanged, if Newton did not converge.
    bool
    step(const double dt, const double current);

    /// The homogenised particles' interface state from the next step on,
    /// one value per layer (Electrode/Interface state = resolved
    /// particle): factors on the reacting share (Data::reacting_share;
    /// finite, >= 0, default 1, above 1 where a particle touches more than
    /// when pristine), and an area resistance in series with the
    /// Butler-Volmer kinetics of the reacting surface (Ohm m^2; finite, >=
    /// 0, default 0: the electronic contact and the reduction layer).
    void
    set_interface_state(const std::vector<double> &share_factors,
                        const std::vector<double> &series_resistances);

    /// Current density of the electrode's theoretical capacity at C-rate
    /// @p c_rate (1/h), A/m^2 of electrode (positive).
    double
    c_rate_current(const double c_rate) const;

    /// Cell voltage V (vs Li), V.
    double
    voltage() const
    {
      return cell_voltage;
    }

    double
    time() const
    {
      return elapsed;
    }

    unsigned int
    n_layers() const
    {
      return data.layers;
    }

    /// Depth of layer @p i's centre from the separator, m.
    double
    layer_depth(const unsigned int i) const;

    /// Ionic potential at layer @p i's centre, V.
    double
    electrolyte_potential(const unsigned int i) const;

    /// Ionic potential at depth @p x from the separator (linear between the
    /// layers' centres, the end layers' values beyond them), V.
    double
    electrolyte_potential_at(const double x) const;

    /// Reaction current density of layer @p i, A per m^2 of interface
    /// (anodic positive).
    double
    interface_current(const unsigned int i) const;

    /// Mean Li content of layer @p i's particles.
    double
    mean_li_content(const unsigned int i) const;

    /// Li content on the surface of layer @p i's particles.
    double
    surface_li_content(const unsigned int i) const;

    /// Depth below the surface of layer @p i's particles to which the Li
    /// content exceeds @p level (linear between nodes; 0 if the surface
    /// is below it, R if the centre is above it), m.
    double
    converted_depth(const unsigned int i, const double level = 0.5) const;

    /**
     * Hydrostatic stress (Pa) at radius @p r of layer @p i's particles in
     * the reduced mechanics: the LPS around the particle pressed by its
     * swelling, p = P_stack + min(p_c, 2 E / (1 + nu) e_R), e_R the
     * radial strain of the mean swelling, p_c = 2 Y_e / 3 (1 + ln(E /
     * (3 (1 - nu) Y_e))) the cavity-expansion limit (Hill 1950); inside,
     * the converted shell r_f < r < R, fully plastic under the pressure of
     * the misfitting core (the Li content below 0.5 within r_f):
     * sigma_rr = -p - 2 Y ln(R / r), sigma_h = sigma_rr + 2 Y / 3; the
     * core at the shell's inner pressure. Evaluated on the last accepted
     * state (lagged one step, as the resolved particle's).
     */
    double
    front_stress(const unsigned int i, const double r) const;

    /// Mean Li content of the whole electrode.
    double
    mean_li_content() const;

    /// Li per m^2 of electrode, mol/m^2 (conservation checks).
    double
    li_per_area() const;

  private:
    /// The reduced mechanics' load on layer @p i's particles (see
    /// front_stress()): the LPS's pressure on their surface, Pa, and the
    /// radius of their front, m (0: converted through).
    struct ShellLoad
    {
      double pressure;
      double front_radius;
    };

    ShellLoad
    shell_load(const unsigned int i) const;

    /// front_stress() at radius @p r under @p load.
    double
    stress_at(const ShellLoad &load, const double r) const;

    unsigned int
    theta_index(const unsigned int layer, const unsigned int node) const
    {
      return layer * (data.shells + 2) + node;
    }
    unsigned int
    phi_index(const unsigned int layer) const
    {
      return layer * (data.shells + 2) + data.shells + 1;
    }
    unsigned int
    voltage_index() const
    {
      return data.layers * (data.shells + 2);
    }

    const materials::OpenCircuitCurve &
    branch(const double current) const
    {
      return current < 0 ? data.discharge_branch : data.charge_branch;
    }

    Data                               data;
    materials::LiDiffusivity<3>        diffusivity;
    double                             kappa_eff;     // S/m
    double                             specific_area; // 1/m
    std::vector<double>                node_radius;   // r_k, m
    std::vector<double>                node_volume;   // per steradian, m^3
    std::vector<double>                face_area;     // r_{k+1/2}^2, m^2
    std::vector<double>                state;   // theta, phi_e, V
    std::vector<double>                history; // converted extent per node
    std::vector<double>                current_density; // per layer, A/m^2
    std::vector<double>                stress_factor;   // per layer and face
    std::vector<double>                share_factor;    // per layer
    std::vector<double>                series_resistance; // per layer, Ohm m^2
    /// the Jacobian's pattern: fixed by the layers and shells, built
    /// once and shared by the copies (a trial step copies the electrode)
    std::shared_ptr<const dealii::SparsityPattern> sparsity;
    double                             cell_voltage = 0;
    double                             elapsed      = 0;
  };
} // namespace ssbsim
