#pragma once
// depends_on between [job NAME] sections: each name must be another job
// section, and the graph must have no cycle (a cycle would have each job
// blame the other and nobody be told). Errors name FILE:LINE of the
// depends_on that is wrong; a cycle is reported once, at its first section
// in file order, with the whole loop spelled out.
#include "config/config.h"
#include "config/config_section.h"

namespace checker {

void checkJobDependencies(ConfigReporter& reporter, const Config& config);

}  // namespace checker
