#pragma once
// Reads the keys of one INI section into typed settings, reporting each
// problem as "FILE:LINE: [section] key: what is wrong". Keys that nothing
// took are reported as unknown (a typo must not silently fall back to a
// default), unless the caller takes them as free-form parameters.
#include <string>
#include <vector>

#include "config/config_values.h"
#include "config/ini.h"

namespace checker {

class ConfigReporter {
 public:
  explicit ConfigReporter(std::string path) : path_(std::move(path)) {}
  void error(int line, const std::string& message);
  void warning(int line, const std::string& message);
  const std::string& path() const { return path_; }
  std::vector<std::string> takeErrors() { return std::move(errors_); }
  std::vector<std::string> takeWarnings() { return std::move(warnings_); }
  bool hasErrors() const { return !errors_.empty(); }

 private:
  std::string path_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

class SectionReader {
 public:
  SectionReader(const IniSection& section, ConfigReporter& reporter);

  // Marks KEY as used and returns its entry, or nullptr when absent.
  const IniEntry* take(const std::string& key);
  void error(const IniEntry& entry, const std::string& message);
  void errorAtHeader(const std::string& message);

  // Each reads KEY when present; on a bad value it reports and leaves OUT.
  void text(const std::string& key, std::string& out);
  void flag(const std::string& key, bool& out);
  void count(const std::string& key, uint64_t min, uint64_t max, uint32_t& out);
  void port(const std::string& key, uint16_t& out);
  void duration(const std::string& key, Milliseconds& out);
  void size(const std::string& key, uint64_t& out);
  void schedule(const std::string& key, Schedule& out);
  void notifyMode(const std::string& key, NotifyMode& out);

  // Entries nobody took, in file order.
  std::vector<IniEntry> untaken() const;
  // Reports every untaken key as unknown, listing the known ones.
  void rejectUntaken(const std::string& knownKeys);

  const IniSection& section() const { return section_; }

 private:
  template <typename T, typename Parse>
  void parse(const std::string& key, T& out, Parse parser);

  const IniSection& section_;
  ConfigReporter& reporter_;
  std::vector<bool> taken_;
};

}  // namespace checker
