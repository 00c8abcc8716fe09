#include "config/job_definition.h"

#include "config/config_values.h"

namespace checker {

std::string JobDefinition::name() const {
  if (!settings_->targetInName) return settings_->name;
  return settings_->name + "[" + std::string(target()) + "]";
}

std::string_view JobDefinition::target() const {
  if (settings_->targetIdPrefix.empty()) return {};
  return std::string_view(id_).substr(settings_->targetIdPrefix.size());
}

std::string JobDefinition::param(std::string_view key) const {
  for (auto& [name, value] : params()) {
    if (name == key) return value;
  }
  return {};
}

WorkerParams JobDefinition::params() const {
  WorkerParams params;
  params.reserve(settings_->params.size() + 2);
  switch (settings_->targetParams) {
    case TargetParams::none:
      break;
    case TargetParams::hostPort: {
      // The catalogue made the target from a parsed HOST:PORT: it parses.
      if (Result<HostPort> hp = parseHostPort(this->target())) {
        params.emplace_back("host", hp->host);
        params.emplace_back("port", std::to_string(hp->port));
      }
      break;
    }
    case TargetParams::url:
      params.emplace_back("url", std::string(target()));
      break;
  }
  params.insert(params.end(), settings_->params.begin(), settings_->params.end());
  return params;
}

}  // namespace checker
