// The definition of every space, for the table in space.cpp (one accessor per space).
#pragma once

#include "nas/benchmark_api/space.h"

namespace nas::bench {

const SpaceDefinition& topology_space_definition();  // spaces/topology.cpp
const SpaceDefinition& size_space_definition();      // spaces/size.cpp
const SpaceDefinition& macro_space_definition();     // spaces/macro/macro_definition.cpp
const SpaceDefinition& nb101_space_definition();     // spaces/nb101/nb101_definition.cpp

}  // namespace nas::bench
