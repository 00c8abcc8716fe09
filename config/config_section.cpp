#include "config/config_section.h"

#include "config/config.h"

namespace checker {

void ConfigReporter::error(int line, const std::string& message) {
  errors_.push_back(formatDiagnostic(path_, {line, message}));
}

void ConfigReporter::warning(int line, const std::string& message) {
  warnings_.push_back(formatDiagnostic(path_, {line, "warning: " + message}));
}

SectionReader::SectionReader(const IniSection& section, ConfigReporter& reporter)
    : section_(section), reporter_(reporter), taken_(section.entries.size(), false) {}

const IniEntry* SectionReader::take(const std::string& key) {
  for (size_t i = 0; i < section_.entries.size(); ++i) {
    if (section_.entries[i].key == key) {
      taken_[i] = true;
      return &section_.entries[i];
    }
  }
  return nullptr;
}

void SectionReader::error(const IniEntry& entry, const std::string& message) {
  reporter_.error(entry.line, "[" + section_.name + "] " + entry.key + ": " + message);
}

void SectionReader::errorAtHeader(const std::string& message) {
  reporter_.error(section_.line, "[" + section_.name + "] " + message);
}

template <typename T, typename Parse>
void SectionReader::parse(const std::string& key, T& out, Parse parser) {
  const IniEntry* entry = take(key);
  if (entry == nullptr) return;
  auto parsed = parser(entry->value);
  if (parsed) {
    out = static_cast<T>(*parsed);
  } else {
    error(*entry, parsed.error());
  }
}

void SectionReader::text(const std::string& key, std::string& out) {
  parse(key, out, [](const std::string& v) { return Result<std::string>(v); });
}

void SectionReader::flag(const std::string& key, bool& out) { parse(key, out, parseBool); }

void SectionReader::count(const std::string& key, uint64_t min, uint64_t max, uint32_t& out) {
  parse(key, out, [=](const std::string& v) { return parseCount(v, min, max); });
}

void SectionReader::port(const std::string& key, uint16_t& out) {
  parse(key, out, [](const std::string& v) {
    Result<uint64_t> p = parseCount(v, 1, 65535);
    if (!p) return Result<uint64_t>(Error{"port " + p.error()});
    return p;
  });
}

void SectionReader::duration(const std::string& key, Milliseconds& out) { parse(key, out, parseDuration); }
void SectionReader::size(const std::string& key, uint64_t& out) { parse(key, out, parseSize); }
void SectionReader::schedule(const std::string& key, Schedule& out) { parse(key, out, parseSchedule); }
void SectionReader::notifyMode(const std::string& key, NotifyMode& out) { parse(key, out, parseNotifyMode); }

std::vector<IniEntry> SectionReader::untaken() const {
  std::vector<IniEntry> rest;
  for (size_t i = 0; i < section_.entries.size(); ++i) {
    if (!taken_[i]) rest.push_back(section_.entries[i]);
  }
  return rest;
}

void SectionReader::rejectUntaken(const std::string& knownKeys) {
  for (const IniEntry& entry : untaken()) {
    error(entry, "unknown key (known keys: " + knownKeys + ")");
  }
}

}  // namespace checker
