#pragma once
// The keys of a job section that shape its run's sandbox, whatever the
// job's type (docs/configuration.md, "Sandbox keys"):
//
//   writable_paths = /var/lib/foo, /srv/spool   left writable; all else is read-only
//   scratch_size   = 64M                        the private /tmp, /var/tmp, /dev/shm together
//   capabilities   = net_raw                    ambient capabilities; net_raw is the only one
#include <string>
#include <vector>

#include "config/config_section.h"
#include "config/job_definition.h"

namespace checker {

// The sandbox keys' names, for a plugin section (whose other keys are the
// plugin's own) to leave out of its parameters.
const std::vector<std::string>& sandboxKeyNames();

// Takes the sandbox keys from READER into OUT, reporting each bad value as
// "FILE:LINE: [section] key: ..." (a missing path is a warning: it may be
// made later, and a run that cannot grant it fails).
void readSandboxKeys(SectionReader& reader, ConfigReporter& reporter, JobSandboxSettings& out);

// The capabilities a job may ask for, by config name.
const std::vector<std::string>& knownCapabilities();

}  // namespace checker
