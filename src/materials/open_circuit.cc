#include <ssbsim/materials/open_circuit.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ssbsim::materials
{
  OpenCircuitCurve::OpenCircuitCurve(std::vector<double> theta_,
                                     std::vector<double> voltage_)
    : theta(std::move(theta_))
    , voltage(std::move(voltage_))
  {
    if (theta.size() != voltage.size() || theta.size() < 2)
      throw std::invalid_argument(
        "an open-circuit table needs at least two (theta, U) points");
    for (std::size_t k = 0; k < theta.size(); ++k)
      if (!std::isfinite(theta[k]) || !std::isfinite(voltage[k]) ||
          voltage[k] < -10 || voltage[k] > 10)
        throw std::invalid_argument(
          "open-circuit table point " + std::to_string(k + 1) +
          " is not a finite (theta, U) pair with U in [-10, 10] V");
    for (std::size_t k = 1; k < theta.size(); ++k)
      if (!(theta[k] > theta[k - 1]))
        throw std::invalid_argument(
          "the theta values of an open-circuit table must increase strictly");

    // Fritsch-Carlson monotone slopes.
    const std::size_t  n = theta.size();
    std::vector<double> secant(n - 1);
    for (std::size_t k = 0; k + 1 < n; ++k)
      secant[k] = (voltage[k + 1] - voltage[k]) / (theta[k + 1] - theta[k]);
    slope.resize(n);
    slope[0]     = secant[0];
    slope[n - 1] = secant[n - 2];
    for (std::size_t k = 1; k + 1 < n; ++k)
      {
        if (secant[k - 1] * secant[k] <= 0.)
          slope[k] = 0.;
        else
          {
            // weighted harmonic mean (Fritsch-Butland), monotone by construction
            const double h0 = theta[k] - theta[k - 1];
            const double h1 = theta[k + 1] - theta[k];
            const double w0 = 2. * h1 + h0;
            const double w1 = h1 + 2. * h0;
            slope[k] = (w0 + w1) / (w0 / secant[k - 1] + w1 / secant[k]);
          }
      }
  }

  OpenCircuitCurve
  OpenCircuitCurve::from_string(const std::string &table)
  {
    std::vector<double> t, u;
    std::stringstream   entries(table);
    std::string         entry;
    while (std::getline(entries, entry, ','))
      {
        const auto colon = entry.find(':');
        if (colon == std::string::npos)
          throw std::invalid_argument("open-circuit table entry '" + entry +
                                      "' is not of the form theta:U");
        try
          {
            t.push_back(std::stod(entry.substr(0, colon)));
            u.push_back(std::stod(entry.substr(colon + 1)));
          }
        catch (const std::logic_error &)
          {
            throw std::invalid_argument("open-circuit table entry '" + entry +
                                        "' does not hold two numbers");
          }
      }
    return OpenCircuitCurve(t, u);
  }

  OpenCircuitCurve
  OpenCircuitCurve::from_csv_file(const std::string &filename)
  {
    std::ifstream in(filename);
    if (!in)
      throw std::invalid_argument("cannot open open-circuit file '" +
                                  filename + "'");
    std::vector<double> t, u;
    std::string         line;
    unsigned int        line_no = 0;
    while (std::getline(in, line))
      {
        ++line_no;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
          continue;
        std::replace(line.begin(), line.end(), ',', ' ');
        std::istringstream fields(line);
        double             a, b;
        if (!(fields >> a >> b))
          {
            if (t.empty() && line_no == 1)
              continue; // header
            throw std::invalid_argument("line " + std::to_string(line_no) +
                                        " of '" + filename +
                                        "' does not hold two numbers theta,U");
          }
        t.push_back(a);
        u.push_back(b);
      }
    try
      {
        return OpenCircuitCurve(t, u);
      }
    catch (const std::invalid_argument &e)
      {
        throw std::invalid_argument("'" + filename + "': " + e.what());
      }
  }

  std::size_t
  OpenCircuitCurve::interval(const double x) const
  {
    const auto it = std::upper_bound(theta.begin(), theta.end(), x);
    const auto k  = static_cast<std::size_t>(std::distance(theta.begin(), it));
    return std::clamp<std::size_t>(k, 1, theta.size() - 1) - 1;
  }

  double
  OpenCircuitCurve::value(const double x) const
  {
    if (x <= theta.front())
      return voltage.front() + slope.front() * (x - theta.front());
    if (x >= theta.back())
      return voltage.back() + slope.back() * (x - theta.back());
    const std::size_t k = interval(x);
    const double      h = theta[k + 1] - theta[k];
    const double      s = (x - theta[k]) / h;
    const double      h00 = (1. + 2. * s) * (1. - s) * (1. - s);
    const double      h10 = s * (1. - s) * (1. - s);
    const double      h01 = s * s * (3. - 2. * s);
    const double      h11 = s * s * (s - 1.);
    return h00 * voltage[k] + h10 * h * slope[k] + h01 * voltage[k + 1] +
           h11 * h * slope[k + 1];
  }

  double
  OpenCircuitCurve::derivative(const double x) const
  {
    if (x <= theta.front())
      return slope.front();
    if (x >= theta.back())
      return slope.back();
    const std::size_t k = interval(x);
    const double      h = theta[k + 1] - theta[k];
    const double      s = (x - theta[k]) / h;
    const double      d00 = 6. * s * (s - 1.) / h;
    const double      d10 = (1. - s) * (1. - 3. * s);
    const double      d01 = -d00;
    const double      d11 = s * (3. * s - 2.);
    return d00 * voltage[k] + d10 * slope[k] + d01 * voltage[k + 1] +
           d11 * slope[k + 1];
  }
} // namespace ssbsim::materials
