#pragma once

#include <deal.II/base/parameter_handler.h>

#include <ssbsim/core/parameters.h>

#include <string>

namespace ssbsim::testing
{
  /// Parameters from the defaults overridden by @p text (prm syntax).
  inline Parameters
  make_parameters(const std::string &text)
  {
    dealii::ParameterHandler prm;
    Parameters::declare(prm);
    prm.parse_input_from_string(text);
    Parameters p;
    p.parse(prm, ".");
    return p;
  }
} // namespace ssbsim::testing
