#pragma once
// A strict reader of the Prometheus text exposition format 0.0.4, for tests
// (promtool is not in Debian). It accepts only what the format's
// specification allows and refuses, with the line and the reason, what
// Prometheus would refuse or what the specification says must not be:
//   - lines end with "\n", the last one too; empty lines are ignored;
//   - "# HELP name text" and "# TYPE name type" at most once per name,
//     before the family's first sample; other "#" lines are comments.
//     Strict mode (the default) also wants both for every family;
//   - names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
//     none starting "__" (reserved), none twice in one sample;
//   - label values in double quotes, valid UTF-8, with \\ \" \n as the only
//     escapes (a raw " ends the value);
//   - HELP text with \\ and \n as the only escapes;
//   - values: a decimal float ([+-]digits[.digits][e[+-]digits]), +Inf,
//     -Inf or NaN (the spellings the format names; Go's ParseFloat, which
//     Prometheus uses, would also take "inf" or hex floats, which nothing
//     here should write); an optional integer timestamp after it;
//   - types counter, gauge, histogram, summary, untyped; a family's samples
//     in one group; sample names the family's (histogram: _bucket, _sum,
//     _count; summary: the name, _sum, _count); no sample twice;
//   - counters neither negative nor NaN;
//   - histograms, per label set: buckets with an `le` that is a float, in
//     ascending order, cumulative (never decreasing), the last one +Inf and
//     equal to _count; _sum and _count present.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace checker::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  std::optional<int64_t> timestamp;
};

struct PromFamily {
  std::string name, help, type;
  std::vector<PromSample> samples;
};

struct PromParse {
  bool ok = false;
  std::string error;  // "line N: why"
  std::vector<PromFamily> families;

  const PromFamily* family(const std::string& name) const {
    for (const PromFamily& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The value of sample NAME with exactly LABELS; nullopt when absent.
  std::optional<double> value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const PromFamily& f : families) {
      for (const PromSample& s : f.samples) {
        if (s.name == name && s.labels == labels) return s.value;
      }
    }
    return std::nullopt;
  }
};

namespace prom_detail {

inline bool nameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
inline bool nameChar(char c) { return nameStart(c) || (c >= '0' && c <= '9'); }
inline bool labelStart(char c) { return nameStart(c) && c != ':'; }
inline bool labelChar(char c) { return nameChar(c) && c != ':'; }

inline bool validMetricName(std::string_view s) {
  if (s.empty() || !nameStart(s[0])) return false;
  for (char c : s) {
    if (!nameChar(c)) return false;
  }
  return true;
}

inline bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    unsigned char c1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) {
      return false;
    }
    i += n;
  }
  return true;
}

// A sample value: the decimal float grammar, +Inf, -Inf, NaN.
inline std::optional<double> parseValue(std::string_view s) {
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exponent = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exponent;
    if (exponent == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

inline std::optional<int64_t> parseTimestamp(std::string_view s) {
  size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  if (i == s.size() || s.size() - i > 18) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return std::nullopt;
  }
  return std::strtoll(std::string(s).c_str(), nullptr, 10);
}

inline std::string_view skipBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// The token up to the next blank.
inline std::string_view token(std::string_view& s) {
  s = skipBlanks(s);
  size_t end = 0;
  while (end < s.size() && s[end] != ' ' && s[end] != '\t') ++end;
  std::string_view t = s.substr(0, end);
  s.remove_prefix(end);
  return t;
}

// The family a sample NAME belongs to, given TYPE of candidate FAMILY.
inline bool sampleOf(const std::string& sample, const std::string& family, const std::string& type) {
  if (type == "histogram") {
    return sample == family + "_bucket" || sample == family + "_sum" || sample == family + "_count";
  }
  if (type == "summary") return sample == family || sample == family + "_sum" || sample == family + "_count";
  return sample == family;
}

inline std::string checkHistogram(const PromFamily& f) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // le, count, in file order
    std::optional<double> sum, count;
  };
  std::map<std::map<std::string, std::string>, Series> series;
  for (const PromSample& s : f.samples) {
    std::map<std::string, std::string> key = s.labels;
    if (s.name == f.name + "_bucket") {
      auto le = s.labels.find("le");
      if (le == s.labels.end()) return s.name + " without an le label";
      std::optional<double> bound = parseValue(le->second);
      if (!bound || std::isnan(*bound)) return s.name + " le=\"" + le->second + "\" is not a number";
      key.erase("le");
      series[key].buckets.emplace_back(*bound, s.value);
    } else {
      if (s.labels.count("le")) return s.name + " must not have an le label";
      (s.name == f.name + "_sum" ? series[key].sum : series[key].count) = s.value;
    }
  }
  for (const auto& [labels, one] : series) {
    if (one.buckets.empty()) return f.name + ": no buckets";
    for (size_t i = 1; i < one.buckets.size(); ++i) {
      if (!(one.buckets[i].first > one.buckets[i - 1].first)) return f.name + ": bucket bounds (le) not ascending";
      if (one.buckets[i].second < one.buckets[i - 1].second) return f.name + ": buckets not cumulative";
    }
    if (!std::isinf(one.buckets.back().first) || one.buckets.back().first < 0) return f.name + ": no le=\"+Inf\" bucket";
    if (!one.sum) return f.name + ": no _sum";
    if (!one.count) return f.name + ": no _count";
    if (*one.count != one.buckets.back().second) return f.name + ": the +Inf bucket differs from _count";
  }
  return {};
}

}  // namespace prom_detail

inline PromParse parsePrometheusText(std::string_view text, bool strict = true) {
  using namespace prom_detail;
  PromParse out;
  auto fail = [&](size_t line, const std::string& why) {
    out.ok = false;
    out.error = "line " + std::to_string(line) + ": " + why;
    return out;
  };
  if (!text.empty() && text.back() != '\n') return fail(0, "the last line does not end with a line feed");
  if (!validUtf8(text)) return fail(0, "not valid UTF-8");
  std::map<std::string, size_t> familyIndex;     // name -> index in out.families
  std::set<std::string> closed;                  // families whose samples ended
  std::set<std::string> helped, typed;
  std::set<std::string> seenSamples;
  std::string current;                           // the family of the last sample
  auto familyFor = [&](const std::string& name) -> PromFamily& {
    auto found = familyIndex.find(name);
    if (found != familyIndex.end()) return out.families[found->second];
    familyIndex[name] = out.families.size();
    out.families.push_back(PromFamily{name, "", "untyped", {}});
    return out.families.back();
  };
  size_t lineNo = 0;
  while (!text.empty()) {
    ++lineNo;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    std::string_view rest = skipBlanks(line);
    if (rest.empty()) continue;
    if (rest[0] == '#') {
      rest.remove_prefix(1);
      std::string_view keyword = token(rest);
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
      std::string name(token(rest));
      if (!validMetricName(name)) return fail(lineNo, "bad metric name '" + name + "' in " + std::string(keyword));
      if (closed.count(name) || (familyIndex.count(name) && !out.families[familyIndex[name]].samples.empty())) {
        return fail(lineNo, std::string(keyword) + " for " + name + " after its samples");
      }
      PromFamily& family = familyFor(name);
      if (keyword == "HELP") {
        if (!helped.insert(name).second) return fail(lineNo, "a second HELP for " + name);
        std::string_view help = rest.empty() ? rest : rest.substr(1);  // one blank, then the text as is
        std::string unescaped;
        for (size_t i = 0; i < help.size(); ++i) {
          if (help[i] != '\\') {
            unescaped += help[i];
            continue;
          }
          if (i + 1 == help.size()) return fail(lineNo, "HELP ends in a lone backslash");
          char next = help[++i];
          if (next == '\\') unescaped += '\\';
          else if (next == 'n') unescaped += '\n';
          else return fail(lineNo, std::string("HELP has the escape \\") + next + " (only \\\\ and \\n)");
        }
        family.help = unescaped;
      } else {
        if (!typed.insert(name).second) return fail(lineNo, "a second TYPE for " + name);
        std::string type(token(rest));
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped") {
          return fail(lineNo, "unknown type '" + type + "'");
        }
        if (!skipBlanks(rest).empty()) return fail(lineNo, "text after the type");
        family.type = type;
      }
      continue;
    }
    // A sample.
    size_t end = 0;
    while (end < rest.size() && nameChar(rest[end])) ++end;
    std::string name(rest.substr(0, end));
    if (!validMetricName(name)) return fail(lineNo, "bad metric name at '" + std::string(rest.substr(0, 20)) + "'");
    rest.remove_prefix(end);
    PromSample sample;
    sample.name = name;
    if (!rest.empty() && rest[0] == '{') {
      rest.remove_prefix(1);
      for (;;) {
        rest = skipBlanks(rest);
        if (!rest.empty() && rest[0] == '}') {
          rest.remove_prefix(1);
          break;
        }
        size_t n = 0;
        if (rest.empty() || !labelStart(rest[0])) return fail(lineNo, "bad label name in " + name);
        while (n < rest.size() && labelChar(rest[n])) ++n;
        std::string label(rest.substr(0, n));
        if (label.rfind("__", 0) == 0) return fail(lineNo, "reserved label name " + label);
        rest = skipBlanks(rest.substr(n));
        if (rest.empty() || rest[0] != '=') return fail(lineNo, "no '=' after label " + label);
        rest = skipBlanks(rest.substr(1));
        if (rest.empty() || rest[0] != '"') return fail(lineNo, "label " + label + "'s value is not quoted");
        rest.remove_prefix(1);
        std::string value;
        bool closedQuote = false;
        while (!rest.empty()) {
          char c = rest[0];
          rest.remove_prefix(1);
          if (c == '"') {
            closedQuote = true;
            break;
          }
          if (c != '\\') {
            value += c;
            continue;
          }
          if (rest.empty()) break;
          char next = rest[0];
          rest.remove_prefix(1);
          if (next == '\\') value += '\\';
          else if (next == '"') value += '"';
          else if (next == 'n') value += '\n';
          else return fail(lineNo, std::string("label value escape \\") + next + " (only \\\\, \\\" and \\n)");
        }
        if (!closedQuote) return fail(lineNo, "label " + label + "'s value is not closed");
        if (!sample.labels.emplace(label, value).second) return fail(lineNo, "label " + label + " twice");
        rest = skipBlanks(rest);
        if (!rest.empty() && rest[0] == ',') {
          rest.remove_prefix(1);
          continue;
        }
        if (!rest.empty() && rest[0] == '}') {
          rest.remove_prefix(1);
          break;
        }
        return fail(lineNo, "expected ',' or '}' after label " + label);
      }
    }
    if (rest.empty() || (rest[0] != ' ' && rest[0] != '\t')) return fail(lineNo, "no blank before the value");
    std::string_view valueText = token(rest);
    std::optional<double> value = parseValue(valueText);
    if (!value) return fail(lineNo, "bad value '" + std::string(valueText) + "'");
    sample.value = *value;
    std::string_view timestampText = token(rest);
    if (!timestampText.empty()) {
      sample.timestamp = parseTimestamp(timestampText);
      if (!sample.timestamp) return fail(lineNo, "bad timestamp '" + std::string(timestampText) + "'");
    }
    if (!skipBlanks(rest).empty()) return fail(lineNo, "text after the sample");
    // Its family: the one typed for it, else its own untyped one.
    std::string familyName = name;
    for (const auto& [candidate, index] : familyIndex) {
      if (sampleOf(name, candidate, out.families[index].type)) familyName = candidate;
    }
    if (familyName != current) {
      if (closed.count(familyName)) return fail(lineNo, "samples of " + familyName + " are not in one group");
      if (!current.empty()) closed.insert(current);
      current = familyName;
    }
    PromFamily& family = familyFor(familyName);
    if (!sampleOf(name, familyName, family.type)) return fail(lineNo, name + " is not a sample name of " + familyName);
    if (strict && (!helped.count(familyName) || !typed.count(familyName))) {
      return fail(lineNo, familyName + " has samples without HELP and TYPE before them");
    }
    if (family.type == "counter" && (std::isnan(sample.value) || sample.value < 0)) {
      return fail(lineNo, "counter " + name + " is " + std::string(valueText));
    }
    std::string identity = name;
    for (const auto& [k, v] : sample.labels) identity += "\x01" + k + "\x02" + v;
    if (!seenSamples.insert(identity).second) return fail(lineNo, "sample " + name + " twice with the same labels");
    family.samples.push_back(std::move(sample));
  }
  for (const PromFamily& f : out.families) {
    if (f.type != "histogram") continue;
    std::string why = checkHistogram(f);
    if (!why.empty()) return fail(lineNo, why);
  }
  out.ok = true;
  return out;
}

}  // namespace checker::test
