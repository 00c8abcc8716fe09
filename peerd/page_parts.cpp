#include "peerd/page_parts.h"

#include <ctime>

#include "peerd/text_escape.h"
#include "state/state_view.h"

namespace checker::peerd {
namespace {

// Light by default, dark when the reader's system asks; colours with at
// least 4.5:1 contrast on their background in both. Narrow screens (a
// phone, 390 px) drop the secondary columns and let tables scroll.
constexpr const char* kStyle = R"(
:root{color-scheme:light dark;--bg:#f3f4f6;--fg:#1d2329;--card:#fff;--line:#dde1e6;--rule:#eceef1;--muted:#5b6670;
--ok:#1f6b37;--ok-bg:#dcf3e3;--bad:#b42318;--bad-bg:#fdecea;--other-bg:#e6e8eb;--other:#4b5560;--accent:#1d4ed8;
--run-ok:#2f9e55;--run-failed:#c62828;--run-timed_out:#d97706;--run-crashed:#7c3aed;--run-limit:#92400e;--run-protocol_error:#374151;--run-none:#e5e7eb}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e8eb;--card:#1b2026;--line:#2c333b;--rule:#252b32;--muted:#a3adb8;
--ok:#7ddc9a;--ok-bg:#1d3b27;--bad:#ff8a80;--bad-bg:#3b1d1d;--other-bg:#2c333b;--other:#c9d1d9;--accent:#8ab4ff;
--run-ok:#3fb96a;--run-failed:#ef5350;--run-timed_out:#f59e0b;--run-crashed:#a78bfa;--run-limit:#d97706;--run-protocol_error:#9ca3af;--run-none:#2c333b}}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
header{padding:14px 24px;color:#fff}
header.ok{background:#1f7a3d}
header.problem{background:#b42318}
header h1{margin:0;font-size:22px}
header p{margin:2px 0 0}
header a{color:#fff}
main{padding:4px 24px 20px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;margin:14px 0;padding:10px 16px;overflow-x:auto}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--rule);vertical-align:top}
th{white-space:nowrap;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
tr.failing td{background:var(--bad-bg)}
tr.failing td:first-child{box-shadow:inset 4px 0 var(--bad)}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok)}
.badge.failing{background:#b42318;color:#fff}
.badge.other{background:var(--other-bg);color:var(--other)}
.id{display:block;color:var(--muted);font:12px ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
.msg{font:12px ui-monospace,"DejaVu Sans Mono",monospace;white-space:pre-wrap;word-break:break-word}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:var(--muted)}
.held{display:inline-block;padding:0 6px;border-radius:10px;font-size:12px;border:1px solid var(--muted);color:var(--muted)}
.bad{color:var(--bad);font-weight:600}
.bar{display:flex;justify-content:flex-end;gap:1px;height:18px;width:calc(var(--slots,30) * 6px);max-width:100%;background:var(--run-none);border-radius:2px}
.run{flex:0 1 5px;min-width:2px;border-radius:1px}
.run.ok{background:var(--run-ok)}.run.failed{background:var(--run-failed)}.run.timed_out{background:var(--run-timed_out)}
.run.crashed{background:var(--run-crashed)}.run.limit{background:var(--run-limit)}.run.protocol_error{background:var(--run-protocol_error)}
svg.chart{width:100%;height:auto;max-height:260px;display:block}
.chart .grid{stroke:var(--line)}.chart .axis{fill:var(--muted)}.chart .line{stroke:var(--accent)}.chart .pt{fill:var(--accent)}.chart .fail{stroke:var(--run-failed)}
.ranges a,.ranges b{margin-right:10px}
.figures{display:flex;flex-wrap:wrap;gap:10px 28px;margin:0}
.figures div{min-width:90px}.figures dt{font-size:11px;text-transform:uppercase;color:var(--muted)}.figures dd{margin:0;font-size:18px;font-variant-numeric:tabular-nums}
footer{padding:0 24px 16px;color:var(--muted);font-size:12px}
@media (max-width:640px){main{padding:4px 8px 16px}header{padding:12px 12px}section{padding:8px 10px}.wide{display:none}}
)";

}  // namespace

std::string pageHead(std::string_view title, int refreshSeconds) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (refreshSeconds > 0) out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(refreshSeconds) + "\">\n";
  out += "<title>" + htmlEscape(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  return out;
}

std::string pageFoot(std::string_view serverName, int64_t nowUnixMs, std::optional<int64_t> heartbeatAgeMs) {
  std::string out = "</main>\n<footer>Page made " + htmlEscape(localTime(nowUnixMs));
  char zone[16] = {};
  time_t seconds = static_cast<time_t>(nowUnixMs / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  std::strftime(zone, sizeof zone, " %Z", &local);
  out += htmlEscape(zone);
  out += " by checker-peerd " CHECKER_VERSION " on " + htmlEscape(serverName) + ". Supervisor heartbeat: ";
  out += heartbeatAgeMs ? span(*heartbeatAgeMs) + " ago" : std::string("none yet");
  out += ". It reloads every 30 s.</footer>\n</body>\n</html>\n";
  return out;
}

std::string span(int64_t ms) {
  int64_t s = ms < 0 ? 0 : ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

std::string when(int64_t unixMs, int64_t nowMs) {
  if (unixMs <= 0) return "-";
  return htmlEscape(localTime(unixMs)) + " <span class=\"muted\">(" + span(nowMs - unixMs) + " ago)</span>";
}

std::string badge(const char* kind, const std::string& text) {
  return std::string("<span class=\"badge ") + kind + "\">" + htmlEscape(text) + "</span>";
}

std::string durationText(uint32_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

}  // namespace checker::peerd
