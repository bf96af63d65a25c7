#pragma once

#include <string>
#include <vector>

namespace ssbsim::materials
{
  /**
   * Open-circuit potential U(theta) (V vs Li/Li+) as a function of the
   * normalised Li content theta, given as a table and interpolated by a
   * monotone piecewise-cubic Hermite spline (Fritsch-Carlson), so that U is
   * C1 (smooth Newton iterations) and never overshoots the table. Outside
   * the table the end segments are continued linearly, which keeps dU/dtheta
   * non-zero and pushes theta back into range.
   */
  class OpenCircuitCurve
  {
  public:
    OpenCircuitCurve() = default;

    /// @p theta strictly increasing, at least two points.
    OpenCircuitCurve(std::vector<double> theta, std::vector<double> voltage);

    /// Parses "theta:U, theta:U, ...". Throws std::invalid_argument.
    static OpenCircuitCurve
    from_string(const std::string &table);

    /// Reads a CSV file with two columns theta,U (a header line and lines
    /// starting with '#' are skipped). Throws std::invalid_argument.
    static OpenCircuitCurve
    from_csv_file(const std::string &filename);

    double
    value(const double theta) const;

    double
    derivative(const double theta) const;

    const std::vector<double> &
    theta_points() const
    {
      return theta;
    }

  private:
    std::size_t
    interval(const double x) const;

    std::vector<double> theta;
    std::vector<double> voltage;
    std::vector<double> slope; // dU/dtheta at the table points
  };
} // namespace ssbsim::materials
