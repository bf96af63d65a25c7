#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparse_direct.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/sparsity_pattern.h>
#include <deal.II/lac/vector.h>

#include <ssbsim/physics/porous_electrode.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ssbsim
{
  PorousElectrode::PorousElectrode(const Data &d)
    : data(d)
    , diffusivity(d.diffusivity)
  {
    kappa_eff = data.conductivity *
                std::pow(data.electrolyte_fraction, data.bruggeman_exponent);
    specific_area =
      3. * data.active_fraction / data.particle_radius * data.reacting_share;

    // vertex-centred radial volumes: node k at r_k = k dr, its volume
    // between the midpoints (per steradian, r^3 / 3), the faces between
    const unsigned int M  = data.shells;
    const double       dr = data.particle_radius / M;
    node_radius.resize(M + 1);
    node_volume.resize(M + 1);
    face_area.resize(M);
    for (unsigned int k = 0; k <= M; ++k)
      {
        node_radius[k]  = k * dr;
        const double lo = (k == 0) ? 0. : (k - 0.5) * dr;
        const double hi = (k == M) ? data.particle_radius : (k + 0.5) * dr;
        node_volume[k]  = (hi * hi * hi - lo * lo * lo) / 3.;
      }
    for (unsigned int k = 0; k < M; ++k)
      face_area[k] = std::pow((k + 0.5) * dr, 2);

    state.assign(voltage_index() + 1, 0.);
    history.assign(data.layers * (M + 1),
                   data.irreversible_conversion ? data.initial_li_content : 0.);
    for (unsigned int i = 0; i < data.layers; ++i)
      for (unsigned int k = 0; k <= M; ++k)
        state[theta_index(i, k)] = data.initial_li_content;
    current_density.assign(data.layers, 0.);
    stress_factor.assign(data.layers * M, 1.);
    share_factor.assign(data.layers, 1.);
    series_resistance.assign(data.layers, 0.);

    // the Jacobian's pattern: each layer's radial chain, its surface node,
    // electrolyte and the cell voltage coupled through the kinetics, and
    // the electrolyte's neighbours
    const unsigned int             n = voltage_index() + 1;
    dealii::DynamicSparsityPattern dsp(n, n);
    for (unsigned int i = 0; i < data.layers; ++i)
      {
        for (unsigned int k = 0; k <= M; ++k)
          for (unsigned int l = (k > 0 ? k - 1 : 0); l <= std::min(k + 1, M); ++l)
            dsp.add(theta_index(i, k), theta_index(i, l));
        const unsigned int coupled[3] = {theta_index(i, M), phi_index(i),
                                         voltage_index()};
        for (const unsigned int r : coupled)
          for (const unsigned int col : coupled)
            dsp.add(r, col);
        if (i > 0)
          {
            dsp.add(phi_index(i), phi_index(i - 1));
            dsp.add(phi_index(i - 1), phi_index(i));
          }
      }
    auto pattern = std::make_shared<dealii::SparsityPattern>();
    pattern->copy_from(dsp);
    sparsity = pattern;
    cell_voltage = state[voltage_index()] =
      data.discharge_branch.value(data.initial_li_content);
  }



  void
  PorousElectrode::set_interface_state(const std::vector<double> &share_factors,
                                       const std::vector<double> &series_resistances)
  {
    for (const auto *values : {&share_factors, &series_resistances})
      {
        if (values->size() != data.layers)
          throw std::invalid_argument(
            "PorousElectrode::set_interface_state: " +
            std::to_string(values->size()) + " values for " +
            std::to_string(data.layers) + " layers");
        for (const double v : *values)
          if (!(v >= 0) || !std::isfinite(v))
            throw std::invalid_argument(
              "PorousElectrode::set_interface_state: " + std::to_string(v) +
              " (allowed: finite, >= 0)");
      }
    share_factor      = share_factors;
    series_resistance = series_resistances;
  }



  double
  PorousElectrode::c_rate_current(const double c_rate) const
  {
    return c_rate * constants::faraday * data.max_concentration *
           data.active_fraction * data.thickness / constants::seconds_per_hour;
  }



  bool
  PorousElectrode::step(const double dt, const double applied)
  {
    const unsigned int N = data.layers, M = data.shells;
    const unsigned int n = voltage_index() + 1;
    const double       h = data.thickness / N;
    const double       c = data.max_concentration;
    const double       F = constants::faraday;
    const double       dr = data.particle_radius / M;
    const double       R2 = data.particle_radius * data.particle_radius;
    const auto        &ocv = branch(applied);

    // the stress on the transport, lagged: from the last accepted state
    if (data.activation_volume > 0)
      for (unsigned int i = 0; i < N; ++i)
        {
          const ShellLoad load = shell_load(i);
          for (unsigned int k = 0; k < M; ++k)
            stress_factor[i * M + k] =
              std::exp(data.activation_volume *
                       std::clamp(stress_at(load, (k + 0.5) * dr),
                                  -data.stress_limit,
                                  data.stress_limit) /
                       (constants::gas_constant * data.temperature));
        }

    // conductances of the faces between layers and to the Li metal (the
    // separator in series with half the first layer)
    const double g_inner = kappa_eff / h;
    const double g_li    = 1. / (data.separator_thickness / data.conductivity +
                              0.5 * h / kappa_eff);

    dealii::SparseMatrix<double> jacobian(*sparsity);
    dealii::Vector<double>       residual(n), update(n);

    std::vector<double> x = state;
    const std::vector<double> &old = state;
    std::vector<double> j_layer(N);

    // residual scales: Li balances in units of the surface's Li flux at
    // the applied current, charge balances in A/m^2
    const double flux_scale =
      std::max(std::abs(applied), 1e-12) / (F * specific_area * data.thickness) *
      R2 / c;
    const double current_scale = std::max(std::abs(applied), 1e-12);

    for (unsigned int it = 0; it < 40; ++it)
      {
        jacobian = 0;
        residual = 0;
        const double V = x[voltage_index()];
        for (unsigned int i = 0; i < N; ++i)
          {
            // Li balance of the nodes, per steradian and c_max:
            // V_k (theta - theta_old) / dt - sum of inflows = 0
            for (unsigned int k = 0; k <= M; ++k)
              {
                const unsigned int row = theta_index(i, k);
                residual(row) += node_volume[k] * (x[row] - old[row]) / dt;
                jacobian.add(row, row, node_volume[k] / dt);
              }
            for (unsigned int k = 0; k < M; ++k)
              {
                const unsigned int a = theta_index(i, k), b = theta_index(i, k + 1);
                const double theta_f = 0.5 * (x[a] + x[b]);
                const double xi_f =
                  0.5 * (history[i * (M + 1) + k] + history[i * (M + 1) + k + 1]);
                const double factor = data.diffusivity_factor * stress_factor[i * M + k];
                const double D  = factor * diffusivity.scalar(theta_f, xi_f);
                const double dD = factor * diffusivity.scalar_derivative(theta_f, xi_f);
                const double w    = face_area[k] / dr;
                const double flow = w * D * (x[b] - x[a]); // into a from b
                residual(a) -= flow;
                residual(b) += flow;
                const double d_da = w * (0.5 * dD * (x[b] - x[a]) - D);
                const double d_db = w * (0.5 * dD * (x[b] - x[a]) + D);
                jacobian.add(a, a, -d_da);
                jacobian.add(a, b, -d_db);
                jacobian.add(b, a, d_da);
                jacobian.add(b, b, d_db);
              }

            // Butler-Volmer on the surface node: Li in at -f j / F over
            // the whole surface (the reacting share f of it carries j;
            // the particle is radially symmetric)
            const unsigned int s   = theta_index(i, M);
            const unsigned int p   = phi_index(i);
            const double       eta = V - x[p] - ocv.value(x[s]);
            const auto bv = data.kinetics.evaluate_behind_film(
              data.exchange_current, eta, data.temperature, series_resistance[i]);
            j_layer[i]           = bv.current;
            const double d_eta_s = -ocv.derivative(x[s]);
            const double a_i = specific_area * share_factor[i];
            const double fR2 = data.reacting_share * share_factor[i] * R2;
            residual(s) += fR2 * bv.current / (F * c);
            const double k_in = fR2 * bv.d_current_d_eta / (F * c);
            jacobian.add(s, voltage_index(), k_in);
            jacobian.add(s, p, -k_in);
            jacobian.add(s, s, k_in * d_eta_s);

            // charge balance of the layer's electrolyte: what leaves
            // through its faces is what its interface releases
            const double left = (i == 0) ? 0. : x[phi_index(i - 1)];
            const double g_l  = (i == 0) ? g_li : g_inner;
            residual(p) += g_l * (x[p] - left) -
                           a_i * h * bv.current;
            jacobian.add(p, p, g_l);
            if (i > 0)
              jacobian.add(p, phi_index(i - 1), -g_l);
            if (i + 1 < N)
              {
                residual(p) += g_inner * (x[p] - x[phi_index(i + 1)]);
                jacobian.add(p, p, g_inner);
                jacobian.add(p, phi_index(i + 1), -g_inner);
              }
            const double k_p = a_i * h * bv.d_current_d_eta;
            jacobian.add(p, voltage_index(), -k_p);
            jacobian.add(p, p, k_p);
            jacobian.add(p, s, -k_p * d_eta_s);

            // the applied current is the sum of the layers'
            residual(voltage_index()) += a_i * h * bv.current;
            jacobian.add(voltage_index(), voltage_index(), k_p);
            jacobian.add(voltage_index(), p, -k_p);
            jacobian.add(voltage_index(), s, k_p * d_eta_s);
          }
        residual(voltage_index()) -= applied;

        // converged: every Li balance within 1e-10 of the surface flux, every
        // charge balance within 1e-10 of the applied current
        double li_error = 0, charge_error = 0;
        for (unsigned int i = 0; i < N; ++i)
          {
            for (unsigned int k = 0; k <= M; ++k)
              li_error = std::max(li_error, std::abs(residual(theta_index(i, k))));
            charge_error = std::max(charge_error, std::abs(residual(phi_index(i))));
          }
        charge_error = std::max(charge_error, std::abs(residual(voltage_index())));
        if (it > 0 && li_error < 1e-10 * flux_scale &&
            charge_error < 1e-10 * current_scale)
          {
            if (!std::all_of(x.begin(), x.end(),
                             [](const double v) { return std::isfinite(v); }))
              return false;
            state = x;
            for (unsigned int i = 0; i < N; ++i)
              for (unsigned int k = 0; k <= M; ++k)
                if (data.irreversible_conversion)
                  history[i * (M + 1) + k] =
                    std::max(history[i * (M + 1) + k], x[theta_index(i, k)]);
            current_density = j_layer;
            cell_voltage    = x[voltage_index()];
            elapsed += dt;
            return true;
          }

        dealii::SparseDirectUMFPACK lu;
        try
          {
            lu.initialize(jacobian);
          }
        catch (...)
          {
            return false;
          }
        update = residual;
        lu.solve(update);

        // damped: no Li content moves by more than 0.2, no potential by
        // more than 0.1 V in one iteration
        double scale = 1;
        for (unsigned int i = 0; i < N; ++i)
          {
            for (unsigned int k = 0; k <= M; ++k)
              scale = std::min(scale, 0.2 / std::max(1e-300, std::abs(update(theta_index(i, k)))));
            scale = std::min(scale, 0.1 / std::max(1e-300, std::abs(update(phi_index(i)))));
          }
        scale = std::min(scale, 0.1 / std::max(1e-300, std::abs(update(voltage_index()))));
        for (unsigned int r = 0; r < n; ++r)
          x[r] -= scale * update(r);
        if (!std::all_of(x.begin(), x.end(),
                         [](const double v) { return std::isfinite(v); }))
          return false;
      }
    return false;
  }



  double
  PorousElectrode::layer_depth(const unsigned int i) const
  {
    return (i + 0.5) * data.thickness / data.layers;
  }



  double
  PorousElectrode::electrolyte_potential(const unsigned int i) const
  {
    return state[phi_index(i)];
  }



  double
  PorousElectrode::electrolyte_potential_at(const double x) const
  {
    const double h = data.thickness / data.layers;
    const double s = std::clamp(x / h - 0.5, 0., data.layers - 1.);
    const unsigned int i = std::min<unsigned int>(s, data.layers - 1);
    if (i + 1 >= data.layers)
      return electrolyte_potential(i);
    return (i + 1 - s) * electrolyte_potential(i) + (s - i) * electrolyte_potential(i + 1);
  }



  double
  PorousElectrode::interface_current(const unsigned int i) const
  {
    return current_density[i];
  }



  double
  PorousElectrode::mean_li_content(const unsigned int i) const
  {
    double sum = 0;
    for (unsigned int k = 0; k <= data.shells; ++k)
      sum += node_volume[k] * state[theta_index(i, k)];
    return sum / (std::pow(data.particle_radius, 3) / 3.);
  }



  double
  PorousElectrode::surface_li_content(const unsigned int i) const
  {
    return state[theta_index(i, data.shells)];
  }



  double
  PorousElectrode::converted_depth(const unsigned int i, const double level) const
  {
    const unsigned int M = data.shells;
    if (state[theta_index(i, M)] < level)
      return 0;
    // from the surface inwards, the first node below the level
    for (unsigned int k = M; k-- > 0;)
      {
        const double a = state[theta_index(i, k)], b = state[theta_index(i, k + 1)];
        if (a < level)
          {
            const double r = node_radius[k] +
                             (level - a) / (b - a) * (node_radius[k + 1] - node_radius[k]);
            return data.particle_radius - r;
          }
      }
    return data.particle_radius;
  }



  double
  PorousElectrode::front_stress(const unsigned int i, const double r) const
  {
    return stress_at(shell_load(i), r);
  }



  PorousElectrode::ShellLoad
  PorousElectrode::shell_load(const unsigned int i) const
  {
    const double e_R =
      std::cbrt(1 + data.volume_expansion * mean_li_content(i)) - 1;
    return {data.stack_pressure +
              std::min(data.confinement_limit, data.confinement_modulus * e_R),
            // the front at the Li content 0.5
            data.particle_radius - converted_depth(i, 0.5)};
  }



  double
  PorousElectrode::stress_at(const ShellLoad &load, const double r) const
  {
    const double R   = data.particle_radius;
    const double Y   = data.shell_yield_stress;
    const double p   = load.pressure;
    const double r_f = load.front_radius;
    // a particle converted through has no misfitting core left, its
    // shell no inner pressure
    if (r_f <= 0.5 * R / data.shells)
      return -p;
    if (r < r_f)
      return -p - 2 * Y * std::log(R / r_f);
    return -p - 2 * Y * std::log(R / r) + 2 * Y / 3;
  }



  double
  PorousElectrode::mean_li_content() const
  {
    double sum = 0;
    for (unsigned int i = 0; i < data.layers; ++i)
      sum += mean_li_content(i);
    return sum / data.layers;
  }



  double
  PorousElectrode::li_per_area() const
  {
    return mean_li_content() * data.max_concentration * data.active_fraction *
           data.thickness;
  }
} // namespace ssbsim
