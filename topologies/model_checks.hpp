// The semantic checks of a topology's model blocks ("link", "switch", "nic") that the generic
// parameter reader cannot know: ranges, cross-field limits, the congestion control's own
// checks, and those that need the parsed structure (EVs per plane). Each throws a ConfigError
// naming the JSON path.
#pragma once

#include "models/params.hpp"
#include "topologies/config_error.hpp"
#include "topologies/spec.hpp"

namespace fabricsim::topologies {

// What the link model needs of a link block (the default "link", a tier's, an explicit link's).
void check_link(const models::LinkParams& link, const JsonLocation& at);
// The model blocks of `spec`, before its structure is parsed; `root` is the document's.
void check_models(const TopologySpec& spec, const JsonLocation& root);
// The checks that need the structure too (after the kind's parser).
void check_models_with_shape(const TopologySpec& spec, const JsonLocation& root);

}  // namespace fabricsim::topologies
