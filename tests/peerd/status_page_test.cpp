// peerd's HTML status page (peerd/status_page.h) from a snapshot, and the
// escaping it relies on (peerd/text_escape.h): failing jobs first and
// marked, every section there, and nothing from the state or the config
// able to add markup, break an attribute or smuggle invalid UTF-8.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <set>

#include "peerd/status_page.h"
#include "peerd/text_escape.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'800'000'000'000;  // 2027-01-15 08:00:00 UTC

class UtcZone : public ::testing::Environment {
 public:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
};
[[maybe_unused]] const auto* const kUtc = ::testing::AddGlobalTestEnvironment(new UtcZone);

JobStatus job(const std::string& name, const std::string& id, ipc::Health health, const std::string& message) {
  JobStatus j;
  j.id = id;
  j.name = name;
  j.type = "exec";
  j.health = health;
  j.message = message;
  j.runs = 5;
  j.lastRunUnixMs = kNow - 3'000;
  j.lastDurationMs = 1'234;
  if (health == ipc::Health::FAILING) {
    j.consecutiveFailures = 3;
    j.firstFailureUnixMs = kNow - 125'000;
    j.lastOutcome = ipc::Outcome::TIMED_OUT;
  }
  return j;
}

StatusSnapshot sample() {
  StatusSnapshot s;
  s.serverName = "web1 <i>&";
  s.nowUnixMs = kNow;
  s.answer = "True";
  s.heartbeatAgeMs = 2'000;
  s.jobs.push_back(job("good", "exec:/bin/true", ipc::Health::OK, "OK (exit status 0, no output)"));
  s.jobs.push_back(job("bad <script>alert(1)</script>", "exec:/bin/x \"q\" 'a'", ipc::Health::FAILING,
                       "CRITICAL: <b>down</b> & \"out\"\x01\xff"));
  s.jobs.push_back(job("x\" onmouseover=\"alert(2)", "tcp:h:1", ipc::Health::OK, ""));
  s.notRunYet = {"daily <report>"};
  s.selfCheck = SelfCheckState{kNow - 60'000, false, "imap auth: <no> such user"};
  s.mail = MailHealth{true, "the last email self-check failed: imap auth"};
  s.outbox.pending = 2;
  s.outbox.oldestPendingUnixMs = kNow - 5 * 60'000;
  s.outbox.lastError = "421 <try> later";
  s.outbox.refused.push_back({7, "ops@example.org", "[web1] <subject>", "550 no such user"});
  PeerRow peer;
  peer.name = "backup";
  peer.url = "http://10.0.0.2:5000/?a=1&b=2";
  peer.asked = true;
  peer.code = ipc::PeerStatus::NO_ANSWER;
  peer.status = "no answer";
  peer.message = "connection refused";
  peer.lastQueryUnixMs = kNow - 10'000;
  peer.sinceUnixMs = kNow - 600'000;
  s.peers.push_back(peer);
  return s;
}

TEST(TextEscape, HtmlEscapesTheFiveAndCleansUtf8) {
  EXPECT_EQ(htmlEscape("<a href=\"x\" title='y'>&amp;</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(htmlEscape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string bad = "\xEF\xBF\xBD";
  EXPECT_EQ(cleanUtf8("a\xFF" "b"), "a" + bad + "b");
  EXPECT_EQ(cleanUtf8("\xC0\xAF"), bad + bad);              // overlong '/'
  EXPECT_EQ(cleanUtf8("\xED\xA0\x80"), bad + bad + bad);    // a UTF-16 surrogate
  EXPECT_EQ(cleanUtf8("\xF4\x90\x80\x80"), bad + bad + bad + bad);  // above U+10FFFF
  EXPECT_EQ(cleanUtf8("\xE2\x82"), bad);                    // cut short: one maximal subpart
  EXPECT_EQ(cleanUtf8(std::string("a\0b\x1b\x7f", 5)), "a" + bad + "b" + bad + bad);
  EXPECT_EQ(cleanUtf8("tab\tline\ncr\r"), "tab\tline\ncr\r");
}

TEST(TextEscape, ShortenedCutsAtACharacterBoundary) {
  EXPECT_EQ(shortened("short", 10), "short");
  EXPECT_EQ(shortened("abcdef", 3), "abc\xE2\x80\xA6");
  // "é" is two bytes: a cut inside it backs up before it.
  EXPECT_EQ(shortened("ab\xC3\xA9z", 3), "ab\xE2\x80\xA6");
  EXPECT_EQ(shortened("ab\xC3\xA9z", 4), "ab\xC3\xA9\xE2\x80\xA6");
}

TEST(StatusPage, FailingJobsComeFirstAndAreMarked) {
  std::string page = renderStatusPage(sample());
  size_t failing = page.find("<tr class=\"job failing\" data-job=\"bad &lt;script&gt;alert(1)&lt;/script&gt;\">");
  size_t good = page.find("<tr class=\"job ok\" data-job=\"good\">");
  ASSERT_NE(failing, std::string::npos) << page;
  ASSERT_NE(good, std::string::npos);
  EXPECT_LT(failing, good);
  EXPECT_THAT(page, HasSubstr("<span class=\"badge failing\">failing</span>"));
  EXPECT_THAT(page, HasSubstr("1 of 4 jobs failing"));
  EXPECT_THAT(page, HasSubstr("<header class=\"problem\">"));
  // Since when (2 min), how many in a row, the outcome and its duration.
  EXPECT_THAT(page, HasSubstr("2027-01-15 07:57:55 <span class=\"muted\">(2 min ago)</span>"));
  EXPECT_THAT(page, HasSubstr("<td class=\"num wide\">3</td>"));
  EXPECT_THAT(page, HasSubstr("timed_out <span class=\"muted\">in 1.2 s</span>"));
  EXPECT_THAT(page, HasSubstr("Not run yet (1): daily &lt;report&gt;"));
}

TEST(StatusPage, EverythingFromTheStateIsEscaped) {
  std::string page = renderStatusPage(sample());
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("<b>down")));
  EXPECT_THAT(page, Not(HasSubstr("\" onmouseover")));
  EXPECT_THAT(page, HasSubstr("data-job=\"x&quot; onmouseover=&quot;alert(2)\""));
  EXPECT_THAT(page, HasSubstr("CRITICAL: &lt;b&gt;down&lt;/b&gt; &amp; &quot;out&quot;\xEF\xBF\xBD\xEF\xBF\xBD"));
  EXPECT_THAT(page, HasSubstr("exec:/bin/x &quot;q&quot; &#39;a&#39;"));
  EXPECT_THAT(page, HasSubstr("<title>checker web1 &lt;i&gt;&amp;: 1 of 4 jobs failing</title>"));
  EXPECT_THAT(page, HasSubstr("<h1>web1 &lt;i&gt;&amp;</h1>"));
  EXPECT_THAT(page, HasSubstr("imap auth: &lt;no&gt; such user"));
  EXPECT_THAT(page, HasSubstr("421 &lt;try&gt; later"));
  EXPECT_THAT(page, HasSubstr("[web1] &lt;subject&gt;"));
  EXPECT_THAT(page, HasSubstr("http://10.0.0.2:5000/?a=1&amp;b=2"));
  // The only tags are ours: every '<' starts one of the page's own.
  for (size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1)) {
    std::string tag = page.substr(at + 1, page.find_first_of(" >", at) - at - 1);
    static const std::set<std::string> ours = {
        "!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title", "style", "/style", "body", "/body",
        "header", "/header", "h1", "/h1", "h2", "/h2", "p", "/p", "b", "/b", "main", "/main", "section", "/section",
        "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr", "th", "/th", "td", "/td", "span",
        "/span", "br", "footer", "/footer", "code", "/code", "a", "/a", "div", "/div"};
    EXPECT_TRUE(ours.count(tag)) << "unexpected tag <" << tag << "> at " << at;
  }
}

TEST(StatusPage, MailOutboxPeersAndWhenItWasMade) {
  std::string page = renderStatusPage(sample());
  EXPECT_THAT(page, HasSubstr("<span class=\"badge failing\">failed</span> 2027-01-15 07:59:00"));
  EXPECT_THAT(page, HasSubstr("Mail path: <span class=\"bad\">problem</span>: the last email self-check failed"));
  EXPECT_THAT(page, HasSubstr("2 pending</span>, the oldest 5 min old; last error:"));
  EXPECT_THAT(page, HasSubstr("1 refused for good"));
  EXPECT_THAT(page, HasSubstr("<td>ops@example.org</td>"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"peer failing\" data-peer=\"backup\">"));
  EXPECT_THAT(page, HasSubstr("<span class=\"badge failing\">no answer</span>"));
  EXPECT_THAT(page, HasSubstr("connection refused"));
  EXPECT_THAT(page, HasSubstr("mail path broken"));
  EXPECT_THAT(page, HasSubstr("Page made 2027-01-15 08:00:00 UTC by checker-peerd"));
  EXPECT_THAT(page, HasSubstr("Supervisor heartbeat: 2 s ago"));
  EXPECT_THAT(page, HasSubstr("peers are told <b id=\"answer\">True</b>"));
  EXPECT_THAT(page, Not(HasSubstr("<script")));
}

TEST(StatusPage, EachChannelsHealthIsARowWithItsNameEscaped) {
  StatusSnapshot s = sample();
  s.channels = {ChannelRow{"email", "email", kNow - 60'000, "250 ok", 0, "", 0, 0, 0},
                ChannelRow{"<hooks>", "webhook", 0, "", kNow - 2'000, "webhook <hooks>: HTTP 503 from h", 2,
                           kNow - 300'000, 1}};
  std::string page = renderStatusPage(s);
  EXPECT_THAT(page, HasSubstr("<section id=\"channels\"><h2>Channels</h2>"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"channel ok\" data-channel=\"email\"><td>email</td><td>email</td>"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"channel failing\" data-channel=\"&lt;hooks&gt;\"><td>&lt;hooks&gt;</td>"
                              "<td>webhook</td><td>-</td><td class=\"bad\">2, the oldest 5 min old; 1 refused for good"
                              "</td>"));
  EXPECT_THAT(page, HasSubstr("webhook &lt;hooks&gt;: HTTP 503 from h"));
  s.channels.clear();
  EXPECT_THAT(renderStatusPage(s), Not(HasSubstr("id=\"channels\"")));
}

TEST(StatusPage, AHealthyInstanceIsGreenAndQuiet) {
  StatusSnapshot s;
  s.serverName = "quiet";
  s.nowUnixMs = kNow;
  s.answer = "True";
  s.noMail = true;
  s.jobs.push_back(job("good", "exec:/bin/true", ipc::Health::OK, "OK"));
  std::string page = renderStatusPage(s);
  EXPECT_THAT(page, HasSubstr("<header class=\"ok\">"));
  EXPECT_THAT(page, HasSubstr("all 1 jobs ok"));
  EXPECT_THAT(page, HasSubstr("nomail is set"));
  EXPECT_THAT(page, HasSubstr("No peers are configured."));
  EXPECT_THAT(page, HasSubstr("Outbox</h2>\n<p>Empty."));
  EXPECT_THAT(page, HasSubstr("Supervisor heartbeat: none yet"));
  EXPECT_THAT(page, Not(HasSubstr("class=\"job failing")));
  EXPECT_THAT(page, Not(HasSubstr("badge failing")));
  s.answer = "JobProblem";
  EXPECT_THAT(renderStatusPage(s), HasSubstr("<header class=\"problem\">"));
}

TEST(StatusPage, AStateThatCannotBeReadSaysSo) {
  StatusSnapshot s;
  s.serverName = "s";
  s.nowUnixMs = kNow;
  s.answer = "True";
  s.stateError = "no state at /var/lib/checker: has checkerd run <yet>?";
  std::string page = renderStatusPage(s);
  EXPECT_THAT(page, HasSubstr("The state could not be read: no state at /var/lib/checker: has checkerd run &lt;yet&gt;?"));
  EXPECT_THAT(page, HasSubstr("<header class=\"problem\">"));
}

TEST(StatusPage, ManyHealthyJobsAreCountedNotListedAndLongMessagesCut) {
  StatusSnapshot s;
  s.serverName = "big";
  s.nowUnixMs = kNow;
  s.answer = "True";
  for (size_t i = 0; i < kMaxHealthyRows + 3; ++i) {
    s.jobs.push_back(job("ok" + std::to_string(i), "tcp:h:" + std::to_string(i), ipc::Health::OK, "fine"));
  }
  s.jobs.push_back(job("last-failing", "tcp:h:0", ipc::Health::FAILING, std::string(5000, 'x')));
  std::string page = renderStatusPage(s);
  size_t rows = 0;
  for (size_t at = page.find("<tr class=\"job "); at != std::string::npos; at = page.find("<tr class=\"job ", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, kMaxHealthyRows + 1);
  EXPECT_THAT(page, HasSubstr("3 more healthy jobs are not listed here"));
  EXPECT_LT(page.find("data-job=\"last-failing\""), page.find("data-job=\"ok0\""));
  EXPECT_THAT(page, HasSubstr(std::string(kMaxMessageBytes, 'x') + "\xE2\x80\xA6</td>"));
  EXPECT_THAT(page, Not(HasSubstr(std::string(kMaxMessageBytes + 1, 'x'))));
}

}  // namespace
}  // namespace checker::peerd
