// settings.cfg: the original's keys, job sections, and every kind of error
// reported with its file and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/job_catalog.h"
#include "state/job_list.h"
#include "support/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace checker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The original Checker's settings.cfg.example, verbatim.
const char* kOriginalExample = R"([general]
servername=uniqueservername
alertcontact=youremail@example.com

[email]
user=agmailaccountyoucreate@gmail.com
pass=yourpassword
smtpserver=smtp.gmail.com
smtpport=587
imapserver=imap.gmail.com
#I create a filter that automatically deletes my sent messages.
# This way, anyone who hacks the account only sees the last 30 days of messages I've sent
ideletesentmessagesautomatically=True
#If set, append a random number to prevent gmail threading
bustgmailthreading=False

[peers]
peer1=http://someserver.com:5000,admin@someserverbackup.com
peer2=http://someotherserver.com:5000,admin@someotherserver.com)";

const char* kMinimal = "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n";

ConfigLoad parse(const std::string& text) { return parseConfigText(text, "/etc/checker/t.cfg"); }

// The single error TEXT produces; fails the test when there is not exactly one.
std::string onlyError(const std::string& text) {
  ConfigLoad load = parse(text);
  EXPECT_EQ(load.errors.size(), 1u) << ::testing::PrintToString(load.errors);
  return load.errors.empty() ? "" : load.errors.front();
}

std::vector<std::string> planErrors(const std::string& text) {
  ConfigLoad load = parse(text);
  EXPECT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  return planJobs(load.config).errors;
}

TEST(Config, ReadsTheOriginalExample) {
  ConfigLoad load = parse(kOriginalExample);
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  const Config& c = load.config;
  EXPECT_EQ(c.general.serverName, "uniqueservername");
  EXPECT_THAT(c.general.alertContacts, ElementsAre("youremail@example.com"));
  EXPECT_FALSE(c.email.noMail);
  EXPECT_EQ(c.email.user, "agmailaccountyoucreate@gmail.com");
  EXPECT_EQ(c.email.password, "yourpassword");
  EXPECT_EQ(c.email.smtpServer, "smtp.gmail.com");
  EXPECT_EQ(c.email.smtpPort, 587);
  EXPECT_EQ(c.email.smtpTls, TlsMode::starttls);
  EXPECT_EQ(c.email.imapServer, "imap.gmail.com");
  EXPECT_EQ(c.email.imapPort, 993);
  EXPECT_EQ(c.email.imapTls, TlsMode::tls);
  EXPECT_TRUE(c.email.deleteSentAutomatically);
  EXPECT_FALSE(c.email.bustGmailThreading);
  ASSERT_EQ(c.peers.size(), 2u);
  EXPECT_EQ(c.peers[0].name, "peer1");
  EXPECT_EQ(c.peers[0].url, "http://someserver.com:5000");
  EXPECT_EQ(c.peers[0].adminAddress, "admin@someserverbackup.com");
  EXPECT_EQ(c.peers[0].secret, "");
  EXPECT_EQ(c.peers[1].line, 19);
  EXPECT_EQ(c.peerd.listen.text(), "0.0.0.0:5000");
}

TEST(Config, TheOriginalExamplePlansSystemJobsOnly) {
  ConfigLoad load = parse(kOriginalExample);
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.ok());
  std::vector<std::string> ids;
  for (const JobDefinition& j : plan.jobs) ids.push_back(j.id());
  EXPECT_THAT(ids, ElementsAre("system:email", "peer:http://someserver.com:5000",
                               "peer:http://someotherserver.com:5000"));
  EXPECT_THAT(plan.jobs[1].params(), ElementsAre(std::pair<std::string, std::string>("peer", "peer1"),
                                                 std::pair<std::string, std::string>("url", "http://someserver.com:5000"),
                                                 std::pair<std::string, std::string>("admin", "admin@someserverbackup.com")));
  EXPECT_EQ(plan.jobs[1].param("admin"), "admin@someserverbackup.com");
  EXPECT_EQ(plan.jobs[1].param("url"), "http://someserver.com:5000");
  EXPECT_EQ(plan.jobs[1].param("nonesuch"), "") << "a param the job does not have";
}

TEST(Config, KeysAddedForLaterIssues) {
  ConfigLoad load = parse(std::string(kOriginalExample) + R"(,secret=s3cr3t
[peerd]
listen = 127.0.0.1:15000
check_every = 2s
timeout = 1s
jobproblem_after = 10s
)" + "[general]\n");
  EXPECT_THAT(load.errors, ElementsAre(HasSubstr("duplicate section [general] (first at line 1)")));
  ConfigLoad good = parse(std::string(kOriginalExample) + ",secret=s3cr3t\n[peerd]\nlisten = [::1]:15000\n"
                          "check_every = 2s\ntimeout = 1s\njobproblem_after = 10s\n");
  ASSERT_TRUE(good.ok()) << ::testing::PrintToString(good.errors);
  EXPECT_EQ(good.config.peers[1].secret, "s3cr3t");
  EXPECT_EQ(good.config.peerd.listen.host, "::1");
  EXPECT_EQ(good.config.peerd.listen.port, 15000);
  EXPECT_EQ(good.config.peerd.checkEvery.text(), "2s");
  EXPECT_EQ(good.config.peerd.timeout.count(), 1000);
  EXPECT_EQ(good.config.peerd.jobProblemAfter.count(), 10'000);
}

TEST(Config, StatusPageAndMetricsAreLoopbackUnlessSaid) {
  ConfigLoad defaults = parse(kMinimal);
  ASSERT_TRUE(defaults.ok()) << ::testing::PrintToString(defaults.errors);
  EXPECT_EQ(defaults.config.peerd.statusPage, Exposure::loopback);
  EXPECT_EQ(defaults.config.peerd.metrics, Exposure::loopback);
  ConfigLoad set = parse(std::string(kMinimal) + "[peerd]\nstatus_page = yes\nmetrics = No\n");
  ASSERT_TRUE(set.ok()) << ::testing::PrintToString(set.errors);
  EXPECT_EQ(set.config.peerd.statusPage, Exposure::on);
  EXPECT_EQ(set.config.peerd.metrics, Exposure::off);
  ConfigLoad spelled = parse(std::string(kMinimal) + "[peerd]\nstatus_page = off\nmetrics = LOOPBACK\n");
  ASSERT_TRUE(spelled.ok()) << ::testing::PrintToString(spelled.errors);
  EXPECT_EQ(spelled.config.peerd.statusPage, Exposure::off);
  EXPECT_EQ(spelled.config.peerd.metrics, Exposure::loopback);
  EXPECT_STREQ(exposureName(Exposure::loopback), "loopback");
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[peerd]\nstatus_page = localhost\n"),
              HasSubstr("t.cfg:7: [peerd] status_page: expected yes, no or loopback, got 'localhost'"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[peerd]\nlisten = 127.0.0.1:0\nmetrics = 127.0.0.1\n"),
              HasSubstr("t.cfg:8: [peerd] metrics: expected yes, no or loopback, got '127.0.0.1'"));
}

// [channel NAME] sections and notify_to (issue 18): each type's keys, the
// built-in 'email', and every name checked against the channels defined,
// wherever they are in the file.
TEST(Config, ChannelsAndNotifyTo) {
  ConfigLoad defaults = parse(kMinimal);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.config.general.notifyTo, std::vector<std::string>{"email"});
  EXPECT_TRUE(defaults.config.channels.empty());
  std::string text = std::string("[general]\nservername=s\nalertcontact=a@example.org\nnotify_to = email, hooks\n"
                                 "[email]\nnomail=true\n"
                                 "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nnotify_to = phone\n"
                                 "[channel hooks]\ntype = webhook\nurl = https://hooks.example.org/in\nsecret = k\n"
                                 "header.X-Api-Key = abc\ntimeout = 3s\n"
                                 "[channel phone]\ntype = ntfy\nurl = https://ntfy.example.org\ntopic = ops\ntags = web, prod\n"
                                 "[channel chat]\ntype = slack\nurl = https://chat.example.org/hooks/x\n"
                                 "[channel team]\ntype = email\nto = b@example.org, c@example.org\n");
  ConfigLoad load = parse(text);
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.general.notifyTo, (std::vector<std::string>{"email", "hooks"}));
  ASSERT_EQ(load.config.jobs.size(), 1u);
  EXPECT_EQ(load.config.jobs[0].notify.to, std::vector<std::string>{"phone"});
  ASSERT_EQ(load.config.channels.size(), 4u);
  const ChannelSettings* hooks = findChannel(load.config, "hooks");
  ASSERT_NE(hooks, nullptr);
  EXPECT_EQ(hooks->type, ChannelType::webhook);
  EXPECT_EQ(hooks->secret, "k");
  EXPECT_EQ(hooks->timeout, Milliseconds(3000));
  EXPECT_EQ(hooks->headers, (std::vector<std::pair<std::string, std::string>>{{"x-api-key", "abc"}}));
  EXPECT_EQ(findChannel(load.config, "phone")->tags, (std::vector<std::string>{"web", "prod"}));
  EXPECT_EQ(findChannel(load.config, "team")->to, (std::vector<std::string>{"b@example.org", "c@example.org"}));
  EXPECT_EQ(findChannel(load.config, "email"), nullptr) << "the built-in one has no section";

  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nnotify_to = nope\n"),
              HasSubstr("t.cfg:9: [job web] notify_to: no [channel nope] (the built-in one is 'email')"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[channel x]\ntype = pager\nurl = https://p.example.org\n"),
              HasSubstr("t.cfg:7: [channel x] type: unknown channel type 'pager'"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[channel x]\ntype = webhook\n"), HasSubstr("missing 'url'"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[channel x]\ntype = webhook\nurl = ftp://h/\n"), HasSubstr("[channel x] url"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[channel x]\ntype = email\nto = nobody\n"),
              HasSubstr("'nobody' is not an e-mail address"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[channel x]\ntype = slack\nurl = https://s.example.org/\nsecret = k\n"),
              HasSubstr("secret: unknown key"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[channel email]\ntype = email\nto = b@example.org\n"),
              HasSubstr("'email' is the built-in channel"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nnotify_to = email, email\n"),
              HasSubstr("'email' named twice"));

  // The self-check's and the peer checks' own notify_to.
  ConfigLoad system = parse("[general]\nservername=s\nalertcontact=a@example.org\n"
                            "[email]\nnomail=true\nnotify_to = hooks\n[peerd]\nnotify_to = hooks\n"
                            "[peers]\nb = http://127.0.0.1:5001,b@example.org\n"
                            "[channel hooks]\ntype = webhook\nurl = https://hooks.example.org/in\n");
  ASSERT_TRUE(system.ok()) << ::testing::PrintToString(system.errors);
  EXPECT_EQ(system.config.email.selfCheckNotifyTo, std::vector<std::string>{"hooks"});
  EXPECT_EQ(system.config.peerd.notify.to, std::vector<std::string>{"hooks"});
  EXPECT_THAT(onlyError("[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\nnotify_to = gone\n"),
              HasSubstr("[email] notify_to: no [channel gone]"));
  EXPECT_THAT(onlyError("[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n"
                        "[peerd]\nnotify_to = gone\n"),
              HasSubstr("[peerd] notify_to: no [channel gone]"));
}

// [channel NAME] type = alertmanager: each member's API URL, the re-send
// interval, labels; and [general] page_url for the notices' links.
TEST(Config, AlertmanagerChannelAndPageUrl) {
  std::string text = std::string(kMinimal) +
                     "[channel am]\ntype = alertmanager\n"
                     "url = http://am-1.example.org:9093, https://am-2.example.org/prefix/, http://am-3:9093/api/v2/alerts\n"
                     "resend = 30s\nlabel.team = ops\nlabel.env = prod\nheader.Authorization = Bearer t\n";
  ConfigLoad load = parse(text);
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  const ChannelSettings* am = findChannel(load.config, "am");
  ASSERT_NE(am, nullptr);
  EXPECT_EQ(am->type, ChannelType::alertmanager);
  EXPECT_EQ(am->urls, (std::vector<std::string>{"http://am-1.example.org:9093/api/v2/alerts",
                                                "https://am-2.example.org/prefix/api/v2/alerts",
                                                "http://am-3:9093/api/v2/alerts"}));
  EXPECT_EQ(am->url, am->urls.front());
  EXPECT_EQ(am->resendEvery, Milliseconds(30'000));
  EXPECT_EQ(am->labels, (std::vector<std::pair<std::string, std::string>>{{"team", "ops"}, {"env", "prod"}}));
  EXPECT_EQ(am->headers, (std::vector<std::pair<std::string, std::string>>{{"authorization", "Bearer t"}}));
  EXPECT_EQ(findChannel(parse(std::string(kMinimal) + "[channel am]\ntype = alertmanager\nurl = http://a:9093\n")
                            .config, "am")->resendEvery, Milliseconds(60'000)) << "Prometheus' resend delay";

  auto channel = [](const std::string& keys) { return std::string(kMinimal) + "[channel am]\ntype = alertmanager\n" + keys; };
  EXPECT_THAT(onlyError(channel("")), HasSubstr("missing 'url'"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093, ftp://b/\n")), HasSubstr("'ftp://b/'"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093/?x=1\n")), HasSubstr("no query or fragment"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093, http://a:9093/\n")), HasSubstr("named twice"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093\nresend = 1s\n")), HasSubstr("resend: at least 5s"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093\nlabel.9lives = x\n")), HasSubstr("not a label name: '9lives'"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093\nlabel.__name = x\n")), HasSubstr("not a label name"));
  EXPECT_THAT(onlyError(channel("url = http://a:9093\nsecret = k\n")), HasSubstr("secret: unknown key"));
  EXPECT_EQ(findChannel(parse(channel("url = http://a:9093\ngroup_wait = 30s\n")).config, "am")->groupWait,
            Milliseconds(30'000));
  EXPECT_EQ(findChannel(parse(channel("url = http://a:9093\ngroup_wait = 0\n")).config, "am")->groupWait,
            Milliseconds(0));
  EXPECT_EQ(findChannel(parse(channel("url = http://a:9093\n")).config, "am")->groupWait, Milliseconds(0))
      << "one notice per job unless asked";
  EXPECT_THAT(onlyError(channel("url = http://a:9093\ngroup_wait = 1h\n")), HasSubstr("group_wait: at most 10m"));
  EXPECT_EQ(findChannel(parse(std::string(kMinimal) + "[channel x]\ntype = email\nto = b@example.org\ngroup_wait = 30s\n")
                            .config, "x")->groupWait, Milliseconds(30'000));

  ConfigLoad page = parse("[general]\nservername=s\nalertcontact=a@example.org\npage_url = https://status.example.org/\n"
                          "[email]\nnomail=true\n");
  ASSERT_TRUE(page.ok()) << ::testing::PrintToString(page.errors);
  EXPECT_EQ(page.config.general.pageUrl, "https://status.example.org/");
  EXPECT_TRUE(parse(kMinimal).config.general.pageUrl.empty());
  EXPECT_THAT(onlyError("[general]\nservername=s\nalertcontact=a@example.org\npage_url = status.example.org\n"
                        "[email]\nnomail=true\n"), HasSubstr("page_url"));
}

// The page's password is only ever a hash; a password written in clear,
// or one nothing would ask for, is an error at its line.
TEST(Config, PagePasswordIsAHashAndNeedsThePage) {
  const std::string hash = "pbkdf2-sha256$10000$c2FsdHNhbHQ=$8AsC4H/147lFlEEMCnL1JMziEIWaSGvXLB7jM4MIJaM=";
  ConfigLoad defaults = parse(kMinimal);
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults.config.peerd.pagePassword);
  EXPECT_FALSE(defaults.config.peerd.pagePasswordOverPlainHttp);
  ConfigLoad set =
      parse(std::string(kMinimal) + "[peerd]\nstatus_page = yes\npage_password = " + hash + "\npage_password_over_plain_http = yes\n");
  ASSERT_TRUE(set.ok()) << ::testing::PrintToString(set.errors);
  ASSERT_TRUE(set.config.peerd.pagePassword);
  EXPECT_EQ(set.config.peerd.pagePassword->iterations, 10000u);
  EXPECT_TRUE(set.config.peerd.pagePasswordOverPlainHttp);
  std::string clear = onlyError(std::string(kMinimal) + "[peerd]\npage_password = hunter2\n");
  EXPECT_THAT(clear, HasSubstr("t.cfg:7: [peerd] page_password: not a password hash"));
  EXPECT_THAT(clear, HasSubstr("checker hash-password"));
  EXPECT_THAT(clear, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[peerd]\nstatus_page = no\npage_password = " + hash + "\n"),
              HasSubstr("t.cfg:8: [peerd] page_password: status_page = no, so nothing would ask for it"));
}

// How much history each job keeps (issue 17): counts and ages, with their
// bounds named at the key's line.
TEST(Config, HistoryRetentionKeys) {
  ConfigLoad defaults = parse(kMinimal);
  ASSERT_TRUE(defaults.ok()) << ::testing::PrintToString(defaults.errors);
  EXPECT_EQ(defaults.config.general.history, (HistoryRetention{1500, 7, 90}));
  const std::string general = "[general]\nservername=s\nalertcontact=a@example.org\n";
  ConfigLoad set = parse(general + "history_runs = 200\nhistory_days = 2\nhistory_hours_days = 30\n[email]\nnomail=1\n");
  ASSERT_TRUE(set.ok()) << ::testing::PrintToString(set.errors);
  EXPECT_EQ(set.config.general.history, (HistoryRetention{200, 2, 30}));
  EXPECT_THAT(onlyError(general + "history_runs = 0\n[email]\nnomail=1\n"),
              HasSubstr("t.cfg:4: [general] history_runs"));
  EXPECT_THAT(onlyError(general + "history_days = 3651\n[email]\nnomail=1\n"),
              HasSubstr("t.cfg:4: [general] history_days"));
  EXPECT_THAT(onlyError(general + "history_hours_days = 90d\n[email]\nnomail=1\n"),
              HasSubstr("t.cfg:4: [general] history_hours_days"));
}

TEST(Config, EmailTransportKeys) {
  ConfigLoad load = parse(std::string(kMinimal) +
                          "smtptls = tls\nimaptls = starttls\ncafile = ca.pem\nselfcheck_every = 2s\n"
                          "selfcheck_deadline = 20s\ntrashfolder = Trash\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.email.smtpTls, TlsMode::tls);
  EXPECT_EQ(load.config.email.imapTls, TlsMode::starttls);
  EXPECT_EQ(load.config.email.imapPort, 143);
  EXPECT_EQ(load.config.email.caFile, "/etc/checker/ca.pem");  // relative to the config file
  EXPECT_EQ(load.config.email.selfCheckEvery.text(), "2s");
  EXPECT_EQ(load.config.email.selfCheckDeadline.count(), 20'000);
  EXPECT_EQ(load.config.email.trashFolder, "Trash");
  EXPECT_THAT(onlyError(std::string(kMinimal) + "smtptls = ssl\n"),
              HasSubstr("t.cfg:6: [email] smtptls: expected starttls, tls or none, got 'ssl'"));
}

TEST(Config, MailSettingsAreRequiredUnlessNomail) {
  ConfigLoad load = parse("[general]\nservername=s\nalertcontact=a@b.org\n[email]\nuser=u@b.org\n");
  EXPECT_THAT(load.errors, ElementsAre(HasSubstr("t.cfg:4: [email] pass is required unless nomail"),
                                       HasSubstr("t.cfg:4: [email] smtpserver is required"),
                                       HasSubstr("t.cfg:4: [email] smtpport is required"),
                                       HasSubstr("t.cfg:4: [email] imapserver is required")));
  EXPECT_TRUE(parse(kMinimal).ok());
}

TEST(Config, ServernameAndAlertcontactAreRequired) {
  ConfigLoad load = parse("[general]\nlogfile=/tmp/x\n[email]\nnomail=1\n");
  EXPECT_THAT(load.errors, ElementsAre(HasSubstr("t.cfg:1: [general] servername is required"),
                                       HasSubstr("t.cfg:1: [general] alertcontact is required")));
  ConfigLoad missing = parse("[email]\nnomail=1\n");
  EXPECT_THAT(missing.errors, ElementsAre(HasSubstr("missing [general] section: servername is required"),
                                          HasSubstr("missing [general] section: alertcontact is required")));
}

TEST(Config, SyntaxErrorsNameTheirLine) {
  std::string base = kMinimal;  // five lines
  EXPECT_THAT(onlyError(base + "[job\n"), HasSubstr("t.cfg:6: malformed section header"));
  EXPECT_THAT(onlyError(base + "[]\n"), HasSubstr("t.cfg:6: empty section name"));
  EXPECT_THAT(onlyError(base + "just words\n"), HasSubstr("t.cfg:6: expected 'key = value'"));
  EXPECT_THAT(onlyError(base + "= value\n"), HasSubstr("t.cfg:6: missing key"));
  EXPECT_THAT(onlyError(base + "nomail=false\n"), HasSubstr("t.cfg:6: duplicate key 'nomail' in [email] (first at line 5)"));
  EXPECT_THAT(onlyError("key=1\n" + base), HasSubstr("t.cfg:1: key 'key' before any [section]"));
  EXPECT_THAT(onlyError(base + std::string("x=a\0b\n", 6)), HasSubstr("t.cfg:6: contains a NUL byte"));
  EXPECT_THAT(onlyError(base + "[weird]\n"), HasSubstr("t.cfg:6: unknown section [weird]"));
  EXPECT_THAT(onlyError(base + "[job]\n"), HasSubstr("t.cfg:6: [job] needs a name"));
}

TEST(Config, BadValuesNameLineSectionAndKey) {
  std::string base = kMinimal;
  EXPECT_THAT(onlyError(base + "bustgmailthreading = perhaps\n"),
              HasSubstr("t.cfg:6: [email] bustgmailthreading: expected yes/no"));
  EXPECT_THAT(onlyError(base + "smtpport = 99999\n"), HasSubstr("t.cfg:6: [email] smtpport: port must be between 1 and 65535"));
  EXPECT_THAT(onlyError(base + "selfcheck_deadline = soon\n"), HasSubstr("t.cfg:6: [email] selfcheck_deadline: expected a duration"));
  EXPECT_THAT(onlyError(base + "smtp_server = x\n"), HasSubstr("t.cfg:6: [email] smtp_server: unknown key"));
  EXPECT_THAT(onlyError(base + "[peerd]\nlisten = 5000\n"), HasSubstr("t.cfg:7: [peerd] listen: expected HOST:PORT"));
  EXPECT_THAT(onlyError("[general]\nservername=s\nalertcontact=not-an-address\n[email]\nnomail=1\n"),
              HasSubstr("t.cfg:3: [general] alertcontact: 'not-an-address' is not an e-mail address"));
}

TEST(Config, PeerLineErrors) {
  std::string base = std::string(kMinimal) + "[peers]\n";
  EXPECT_THAT(onlyError(base + "p = http://h:5000\n"), HasSubstr("t.cfg:7: [peers] p: expected 'URL,admin@address'"));
  EXPECT_THAT(onlyError(base + "p = ftp://h:5000,a@b.org\n"), HasSubstr("t.cfg:7: [peers] p: peer URL 'ftp://h:5000' is not an http:// or https:// URL"));
  EXPECT_THAT(onlyError(base + "p = http://h:5000,nobody\n"), HasSubstr("t.cfg:7: [peers] p: 'nobody' is not the admin's e-mail"));
  EXPECT_THAT(onlyError(base + "p = http://h:5000,a@b.org,key=x\n"), HasSubstr("t.cfg:7: [peers] p: third field must be 'secret=...'"));
  EXPECT_THAT(onlyError(base + "p = http://h:5000,a@b.org,secret=\n"), HasSubstr("third field must be 'secret=...' with a non-empty"));
  EXPECT_THAT(onlyError(base + "p = http://h:5000,a@b.org\nq = http://h:5000,c@d.org\n"),
              HasSubstr("t.cfg:8: [peers] q: peer URL http://h:5000 is already used by 'p' at line 7"));
}

TEST(Config, InlineCommentsContinuationsAndColons) {
  ConfigLoad load = parse(std::string(kMinimal) + "; a comment\n[job ssh]\ntype: tcp ; inline\n"
                          "TARGETS = 127.0.0.1:22,\n  127.0.0.1:2222\nevery = 30s # why\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  ASSERT_EQ(load.config.jobs.size(), 1u);
  const JobSection& job = load.config.jobs[0];
  EXPECT_EQ(job.type, "tcp");
  EXPECT_EQ(job.schedule.text(), "30s");
  ASSERT_EQ(job.params.size(), 1u);
  EXPECT_EQ(job.params[0].key, "targets");
  EXPECT_EQ(job.params[0].value, "127.0.0.1:22,\n127.0.0.1:2222");
}

TEST(Config, JobDefaultsAndSharedKeys) {
  ConfigLoad load = parse(std::string(kMinimal) +
                          "[job disk]\ntype = exec\ncommand = /bin/true\nevery = 10m\nnotify = hour\n"
                          "failures_before_notify = 5\nrecover_after = 2\ntimeout = 30s\ncpu = 10s\n"
                          "memory = 256M\nfiles = 64\nprocesses = 32\nfile_size = 1M\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  const JobSection& job = load.config.jobs[0];
  EXPECT_EQ(job.notify.mode, NotifyMode::hour);
  EXPECT_FALSE(job.notify.notifyRecovery);  // off by default except for state_change
  EXPECT_EQ(job.notify.failuresBeforeNotify, 5u);
  EXPECT_EQ(job.notify.recoverAfter, 2u);
  EXPECT_EQ(job.limits.timeout.count(), 30'000);
  EXPECT_EQ(job.limits.cpuSeconds, 10u);
  EXPECT_EQ(job.limits.memoryBytes, 256ull << 20);
  EXPECT_EQ(job.limits.openFiles, 64u);
  EXPECT_EQ(job.limits.processes, 32u);
  EXPECT_EQ(job.limits.fileSizeBytes, 1ull << 20);
  ConfigLoad defaults = parse(std::string(kMinimal) + "[job t]\ntype=tcp\ntarget=h:1\n");
  const JobSection& d = defaults.config.jobs[0];
  EXPECT_EQ(d.schedule.kind, Schedule::Kind::minute);
  EXPECT_EQ(d.notify.mode, NotifyMode::stateChange);
  EXPECT_TRUE(d.notify.notifyRecovery);
  EXPECT_EQ(d.notify.failuresBeforeNotify, 1u);
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job t]\ntype=tcp\ntarget=h:1\nnotify_recovery=sometimes\n"),
              HasSubstr("t.cfg:9: [job t] notify_recovery: expected yes/no"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job t]\ntarget=h:1\n"), HasSubstr("t.cfg:6: [job t] missing 'type'"));
}

TEST(Config, JobTagsReachEveryJobOfTheSection) {
  ConfigLoad load = parse(std::string(kMinimal) + "[job ssh]\ntype = tcp\ntargets = h1:22, h2:22\ntags = eu, db.main-2, eu\n"
                          "[job web]\ntype = http\nurl = http://h/\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.jobs[0].tags, (std::vector<std::string>{"eu", "db.main-2"})) << "in order, each once";
  EXPECT_EQ(load.config.jobs[0].tagsLine, 9);
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
  EXPECT_EQ(plan.jobs[0].tags(), (std::vector<std::string>{"eu", "db.main-2"}));
  EXPECT_EQ(plan.jobs[1].tags(), plan.jobs[0].tags());
  EXPECT_TRUE(plan.jobs[2].tags().empty()) << "web has none";
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job t]\ntype=tcp\ntarget=h:1\ntags = ok, not ok\n"),
              HasSubstr("t.cfg:9: [job t] tags: 'not ok' is not a tag name (letters, digits, _ . -"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job t]\ntype=tcp\ntarget=h:1\ntags = a/b\n"),
              HasSubstr("t.cfg:9: [job t] tags: 'a/b' is not a tag name"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job t]\ntype=tcp\ntarget=h:1\ntags = ,\n"),
              HasSubstr("t.cfg:9: [job t] tags: empty list of tags"));
}

TEST(JobCatalog, TargetsSpawnOneJobEachWithItsOwnIdentity) {
  ConfigLoad load = parse(std::string(kMinimal) + "[job ssh]\ntype = tcp\ntargets = 10.0.0.5:22, 10.0.0.6:22, [::1]:22\nevery = 5m\n");
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
  ASSERT_EQ(plan.jobs.size(), 4u);  // three targets and the email self-check
  EXPECT_EQ(plan.jobs[0].id(), "tcp:10.0.0.5:22");
  EXPECT_EQ(plan.jobs[0].name(), "ssh[10.0.0.5:22]");
  EXPECT_EQ(plan.jobs[1].id(), "tcp:10.0.0.6:22");
  EXPECT_EQ(plan.jobs[2].id(), "tcp:[::1]:22");
  EXPECT_EQ(plan.jobs[2].params()[0], (std::pair<std::string, std::string>{"host", "::1"}));
  EXPECT_EQ(plan.jobs[3].id(), "system:email");
}

TEST(JobCatalog, TheJobsOfASectionShareOneCopyOfItsSettings) {
  ConfigLoad load = parse(std::string(kMinimal) + "[job ssh]\ntype = tcp\ntargets = 10.0.0.5:22, [::1]:2222\n"
                          "connect_timeout = 3s\n[job web]\ntype = http\nurl = http://h/\n");
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
  ASSERT_EQ(plan.jobs.size(), 4u);  // two targets, one url and the email self-check
  EXPECT_EQ(&plan.jobs[0].settings(), &plan.jobs[1].settings());
  EXPECT_NE(&plan.jobs[1].settings(), &plan.jobs[2].settings());
  EXPECT_EQ(plan.jobs[1].name(), "ssh[[::1]:2222]");
  EXPECT_EQ(plan.jobs[1].target(), "[::1]:2222");
  EXPECT_THAT(plan.jobs[1].params(), ElementsAre(std::pair<std::string, std::string>{"host", "::1"},
                                                 std::pair<std::string, std::string>{"port", "2222"},
                                                 std::pair<std::string, std::string>{"connect_timeout_ms", "3000"}));
  EXPECT_EQ(plan.jobs[2].name(), "web");  // one job: the section's name alone
  EXPECT_THAT(plan.jobs[2].params(), ElementsAre(std::pair<std::string, std::string>{"url", "http://h/"},
                                                 std::pair<std::string, std::string>{"expect_status", "200"}));
  EXPECT_EQ(plan.jobs[3].name(), "email self-check");
  EXPECT_EQ(plan.jobs[3].target(), "");
}

TEST(JobCatalog, IdentityIgnoresScheduleAndNotification) {
  auto idOf = [](const std::string& extra) {
    ConfigLoad load = parse(std::string(kMinimal) + "[job web]\ntype = http\nurl = http://127.0.0.1:8080/\n" + extra);
    JobPlan plan = planJobs(load.config);
    EXPECT_TRUE(plan.ok());
    return plan.jobs.at(0).id();
  };
  EXPECT_EQ(idOf(""), "http:http://127.0.0.1:8080/");
  EXPECT_EQ(idOf("every = day\nnotify = every\nfailures_before_notify = 10\n"), idOf(""));
  EXPECT_EQ(idOf("timeout = 5s\n"), idOf(""));
}

TEST(JobCatalog, EachBuiltInTypeExpands) {
  ConfigLoad load = parse(std::string(kMinimal) +
                          "[job a]\ntype=tcp\nhost=127.0.0.1\nport=22\nconnect_timeout=2s\n"
                          "[job b]\ntype=http\ntargets=http://h/a, https://h/b\nexpect_status=204\nexpect_body=ok\n"
                          "[job c]\ntype=tls_cert\ntarget=example.org:443\nwarn_days=21\n"
                          "[job d]\ntype=exec\ncommand=/bin/sh -c 'exit 2'\n"
                          "[job e]\ntype=exec\ncommand=echo hi | grep hi\nshell=yes\n");
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
  std::vector<std::string> lines;
  for (const JobDefinition& j : plan.jobs) lines.push_back(describeJob(j));
  EXPECT_THAT(lines, ElementsAre("tcp:127.0.0.1:22  type=tcp  every=minute  notify=state_change  threshold=1",
                                 "http:http://h/a  type=http  every=minute  notify=state_change  threshold=1",
                                 "http:https://h/b  type=http  every=minute  notify=state_change  threshold=1",
                                 "tls_cert:example.org:443  type=tls_cert  every=minute  notify=state_change  threshold=1",
                                 "exec:/bin/sh -c 'exit 2'  type=exec  every=minute  notify=state_change  threshold=1",
                                 "exec:echo hi | grep hi (shell)  type=exec  every=minute  notify=state_change  threshold=1",
                                 "system:email  type=email_selfcheck  every=hour  notify=every  threshold=1"));
  EXPECT_THAT(plan.jobs[0].params(), ::testing::Contains(std::pair<std::string, std::string>{"connect_timeout_ms", "2000"}));
  // What a job's page shows of how checkerd runs it (state/job_list.h).
  ListedJob listed = listedJob(plan.jobs[0]);
  EXPECT_EQ(listed.timeoutMs, plan.jobs[0].limits().timeout.count());
  EXPECT_EQ(listed.isolation, "run");
  EXPECT_EQ(listed.notify, "state_change, after 1 failure; recovery notice; ok again after 1 run");
  EXPECT_THAT(plan.jobs[2].params(), ::testing::Contains(std::pair<std::string, std::string>{"expect_status", "204"}));
  EXPECT_THAT(plan.jobs[3].params(), ::testing::Contains(std::pair<std::string, std::string>{"warn_days", "21"}));
}

TEST(JobCatalog, TypeErrorsNameLineAndKey) {
  std::string base = std::string(kMinimal) + "[job x]\n";  // header at line 6
  EXPECT_THAT(planErrors(base + "type=tcp\n"), ElementsAre(HasSubstr("t.cfg:6: [job x] needs 'targets', 'target', or 'host' and 'port'")));
  EXPECT_THAT(planErrors(base + "type=tcp\ntarget=h:1\nhost=h\n"), ElementsAre(HasSubstr("t.cfg:6: [job x] give only one of")));
  EXPECT_THAT(planErrors(base + "type=tcp\nhost=h\n"), ElementsAre(HasSubstr("t.cfg:6: [job x] 'host' and 'port' go together")));
  EXPECT_THAT(planErrors(base + "type=tcp\ntargets=h:1, h\n"), ElementsAre(HasSubstr("t.cfg:8: [job x] targets: expected HOST:PORT")));
  EXPECT_THAT(planErrors(base + "type=tcp\ntarget=h:1\nurl=http://x/\n"), ElementsAre(HasSubstr("t.cfg:9: [job x] url: unknown key")));
  EXPECT_THAT(planErrors(base + "type=http\nurl=ftp://x/\n"), ElementsAre(HasSubstr("t.cfg:8: [job x] url: 'ftp://x/' is not an http://")));
  EXPECT_THAT(planErrors(base + "type=http\nurl=http://x/\nexpect_status=99\n"), ElementsAre(HasSubstr("t.cfg:9: [job x] expect_status: must be between 100 and 599")));
  EXPECT_THAT(planErrors(base + "type=exec\ncommand=check_disk -w 10%\n"), ElementsAre(HasSubstr("t.cfg:8: [job x] command: the program must be an absolute path")));
  EXPECT_THAT(planErrors(base + "type=exec\ncommand=/bin/echo 'oops\n"), ElementsAre(HasSubstr("t.cfg:8: [job x] command: unbalanced ' quote")));
  EXPECT_THAT(planErrors(base + "type=exec\n"), ElementsAre(HasSubstr("t.cfg:6: [job x] needs 'command'")));
  EXPECT_THAT(planErrors(base + "type=no-such-type\n"), ElementsAre(HasSubstr("t.cfg:7: [job x] type: unknown job type 'no-such-type'")));
  EXPECT_THAT(planErrors(base + "type=MyCheck\n"), ElementsAre(HasSubstr("t.cfg:7: [job x] type: 'MyCheck' is not a built-in type (tcp, http, tls_cert, exec) and there is no plugin /usr/lib/checker/plugins/MyCheck.so")));
}

TEST(JobCatalog, DuplicateIdentityIsAnError) {
  EXPECT_THAT(planErrors(std::string(kMinimal) + "[job a]\ntype=tcp\ntarget=h:22\n[job b]\ntype=tcp\nhost=h\nport=22\n"),
              ElementsAre(HasSubstr("t.cfg:9: [job b] defines job 'tcp:h:22' again (already defined in [job a] at line 6)")));
  EXPECT_THAT(planErrors(std::string(kMinimal) + "[job a]\ntype=tcp\ntargets=h:22, h:22\n"),
              ElementsAre(HasSubstr("t.cfg:6: [job a] defines job 'tcp:h:22' again")));
}

TEST(JobCatalog, PluginTypeFoundInPluginDir) {
  test::TempDir dir;
  dir.write("MyCheck.so", "not really a shared object");
  ConfigLoad load = parse(std::string("[general]\nservername=s\nalertcontact=a@b.org\nplugindir=") + dir.path() +
                          "\n[email]\nnomail=1\n[job mine]\ntype=MyCheck\nanything=goes\n");
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
  EXPECT_EQ(plan.jobs[0].id(), "plugin:MyCheck:mine");
  EXPECT_THAT(plan.jobs[0].params(), ElementsAre(std::pair<std::string, std::string>{"anything", "goes"}));
}

TEST(ConfigFile, WarnsWhenSecretsAreReadableByOthers) {
  test::TempDir dir;
  std::string open = dir.write("open.cfg", kOriginalExample, 0644);
  ConfigLoad load = loadConfigFile(open);
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_THAT(load.warnings, ElementsAre(HasSubstr(open + ":7: warning: this file holds passwords or peer secrets and is readable by others (mode 0644)")));
  EXPECT_TRUE(loadConfigFile(dir.write("closed.cfg", kOriginalExample, 0640)).warnings.empty());
  EXPECT_TRUE(loadConfigFile(dir.write("nosecret.cfg", kMinimal, 0644)).warnings.empty());
  std::string peerSecret = std::string(kMinimal) + "[peers]\np = http://h:5000,a@b.org,secret=x\n";
  EXPECT_THAT(loadConfigFile(dir.write("peer.cfg", peerSecret, 0604)).warnings,
              ElementsAre(HasSubstr("peer.cfg:7: warning: this file holds passwords or peer secrets")));
}

TEST(ConfigFile, FileSystemErrors) {
  test::TempDir dir;
  EXPECT_THAT(loadConfigFile(dir.file("absent.cfg")).errors,
              ElementsAre(dir.file("absent.cfg") + ": open(" + dir.file("absent.cfg") + "): No such file or directory"));
  dir.write("oldstate", "abc|Succeeding|0|0|x|0\n");
  std::string cfg = dir.write("s.cfg", std::string(kMinimal).replace(0, 9, "[general]\nstatefile=oldstate") +
                                           "cafile=missing-ca.pem\n");
  EXPECT_THAT(loadConfigFile(cfg).errors,
              ElementsAre(HasSubstr("s.cfg:2: [general] statefile: " + dir.file("oldstate") + " is a file"),
                          HasSubstr("s.cfg:7: [email] cafile: access(" + dir.file("missing-ca.pem") + "): No such file")));
}

TEST(ConfigFile, LoadConfigurationSortsProblemsByLine) {
  test::TempDir dir;
  std::string cfg = dir.write("s.cfg", std::string(kMinimal) + "[job x]\ntype=tcp\nevery=fortnight\n");
  LoadedConfig loaded = loadConfiguration(cfg);
  EXPECT_THAT(loaded.errors, ElementsAre(HasSubstr("s.cfg:6: [job x] needs"), HasSubstr("s.cfg:8: [job x] every: unknown schedule")));
}

// Issue 14: whatever a config holds, it is refused with FILE:LINE or read
// as the operator meant it.
TEST(ConfigHostile, NamesAndValuesMustBeUtf8Text) {
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job caf\xe9]\ntype = tcp\ntarget = 127.0.0.1:1\n"),
              HasSubstr("t.cfg:6: not valid UTF-8 (byte 0xe9 at column 9)"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job web]\ntype = http\nurl = http://127.0.0.1/\nexpect_body = a\xff" "b\n"),
              HasSubstr("t.cfg:9: not valid UTF-8 (byte 0xff"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nevery = 1\x1b[2Jm\n"),
              HasSubstr("t.cfg:9: a control character (0x1b"));
  // Overlong forms and surrogates are not UTF-8 either.
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job \xc0\xaf]\ntype = tcp\ntarget = 127.0.0.1:1\n"),
              HasSubstr("t.cfg:6: not valid UTF-8 (byte 0xc0"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job \xed\xa0\x80]\ntype = tcp\ntarget = 127.0.0.1:1\n"),
              HasSubstr("t.cfg:6: not valid UTF-8 (byte 0xed"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job a\xc2\x9b" "b]\ntype = tcp\ntarget = 127.0.0.1:1\n"),
              HasSubstr("t.cfg:6: a control character (U+009B at column 7)"));
  // A sequence cut at the end of the line shares its first bytes with U+FFFD
  // (found by config_fuzz: the column once pointed past the line).
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nevery = \xef\xbf\n"),
              HasSubstr("t.cfg:9: not valid UTF-8 (byte 0xef at column 9)"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nevery = \xef\xbf\x41\n"),
              HasSubstr("t.cfg:9: not valid UTF-8 (byte 0xef at column 9)"));
  // Real UTF-8 and a tab are text; a comment may hold any bytes.
  ConfigLoad fine = parse(std::string(kMinimal) + "# caf\xe9 \x01\n[job caf\xc3\xa9 \xf0\x9f\x94\xa5]\ntype =\ttcp\ntarget = 127.0.0.1:1\n");
  EXPECT_TRUE(fine.ok()) << ::testing::PrintToString(fine.errors);
  ASSERT_EQ(fine.config.jobs.size(), 1u);
  EXPECT_EQ(fine.config.jobs[0].name, "caf\xc3\xa9 \xf0\x9f\x94\xa5");
}

TEST(ConfigHostile, PeerAndHttpUrlsMustBeUrls) {
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[peers]\np = http://127.0.0.1:99999,a@b.org\n"),
              HasSubstr("t.cfg:7: [peers] p: peer URL 'http://127.0.0.1:99999': port must be between 1 and 65535"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[peers]\np = http://[::1/,a@b.org\n"),
              HasSubstr("t.cfg:7: [peers] p: peer URL 'http://[::1/': '[' of an IPv6 address is not closed"));
  EXPECT_THAT(onlyError(std::string(kMinimal) + "[peers]\np = http://:5000/,a@b.org\n"), HasSubstr("missing host"));
  EXPECT_THAT(planErrors(std::string(kMinimal) + "[job web]\ntype = http\nurl = https://example.org:0/\n"),
              ElementsAre(HasSubstr("t.cfg:8: [job web] url: 'https://example.org:0/': port must be between 1 and 65535")));
  EXPECT_THAT(planErrors(std::string(kMinimal) + "[job web]\ntype = http\ntargets = http://[fe80::1%eth0]/, http://ok/\n"),
              ElementsAre(HasSubstr("t.cfg:8: [job web] targets: 'http://[fe80::1%eth0]/'")));
  ConfigLoad fine = parse(std::string(kMinimal) + "[peers]\na = http://[::1]:5000,a@b.org\nb = HTTPS://peer.example.org/x?y=1,a@b.org\n");
  EXPECT_TRUE(fine.ok()) << ::testing::PrintToString(fine.errors);
}

TEST(ConfigHostile, EmptySmtpPortIsAcceptedOnlyWithNomail) {
  // The original accepted this pair.
  ConfigLoad original = parse("[general]\nservername=s\nalertcontact=a@b.org\n[email]\nnomail = True\nsmtpport =\n");
  EXPECT_TRUE(original.ok()) << ::testing::PrintToString(original.errors);
  EXPECT_THAT(onlyError("[general]\nservername=s\nalertcontact=a@b.org\n[email]\nuser=u@b.org\npass=p\n"
                        "smtpserver=h\nimapserver=h\nsmtpport =\n"),
              HasSubstr("t.cfg:9: [email] smtpport: port expected a whole number"));
}

TEST(ConfigPaths, EveryPathIsAbsoluteWhateverTheConfigPathWas) {
  test::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("etc").c_str(), 0755), 0);
  std::string text = "[general]\nservername=s\nalertcontact=a@b.org\nstatefile = ../state\nlogfile = ./log/x.log\n"
                     "plugindir = plugins\n[email]\nnomail = yes\n[job tls]\ntype = tls_cert\ntarget = 127.0.0.1:1\n"
                     "cafile = ../ca.pem\n[job web]\ntype = http\nurl = https://127.0.0.1/\ncafile = ca.pem\n";
  dir.write("etc/s.cfg", text);
  char* cwd = ::getcwd(nullptr, 0);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  LoadedConfig loaded = loadConfiguration("etc/../etc/s.cfg");
  ASSERT_EQ(::chdir(cwd), 0);
  std::free(cwd);
  ASSERT_TRUE(loaded.errors.empty()) << ::testing::PrintToString(loaded.errors);
  const Config& c = loaded.config;
  EXPECT_EQ(c.path, dir.file("etc/s.cfg"));
  EXPECT_EQ(c.general.stateDir, dir.file("state"));
  EXPECT_EQ(c.general.logFile, dir.file("etc/log/x.log"));
  EXPECT_EQ(c.general.pluginDir, dir.file("etc/plugins"));
  std::vector<std::string> caFiles;
  for (const JobDefinition& job : loaded.jobs) {
    for (const auto& [key, value] : job.params()) {
      if (key == "cafile") caFiles.push_back(value);
    }
  }
  EXPECT_THAT(caFiles, ::testing::UnorderedElementsAre(dir.file("ca.pem"), dir.file("etc/ca.pem")));
  // Text parsed from a relative name is resolved against the working directory.
  ConfigLoad relative = parseConfigText(text, "conf/s.cfg");
  ASSERT_FALSE(relative.config.general.stateDir.empty());
  EXPECT_EQ(relative.config.general.stateDir.front(), '/') << relative.config.general.stateDir;
}

TEST(ConfigFile, RefusesWhatIsNotARegularFileOrTooLarge) {
  EXPECT_THAT(loadConfigFile("/dev/zero").errors, ElementsAre("/dev/zero: not a regular file"));
  test::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  EXPECT_THAT(loadConfigFile(dir.file("fifo")).errors, ElementsAre(dir.file("fifo") + ": not a regular file"));
  EXPECT_THAT(loadConfigFile(dir.path()).errors, ElementsAre(dir.path() + ": not a regular file"));
  std::string big = dir.write("big.cfg", std::string(kMinimal) + "#" + std::string(1 << 20, 'x') + "\n");
  EXPECT_THAT(loadConfigFile(big).errors, ElementsAre(big + ": larger than 1048576 bytes"));
}

TEST(JobCatalog, IsolationIsPerSectionWithAGeneralDefaultAndOnlyRunForExecAndPlugins) {
  auto isolations = [](const std::string& general, const std::string& jobs) {
    std::string text = std::string(kMinimal) + jobs;
    if (!general.empty()) text.replace(text.find("[general]\n") + 10, 0, general);
    ConfigLoad load = parse(text);
    JobPlan plan = planJobs(load.config);
    EXPECT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
    std::vector<std::string> out;
    for (const JobDefinition& j : plan.jobs) {
      if (!j.system()) out.push_back(j.id() + " " + isolationName(j.settings().isolation));
    }
    return out;
  };
  std::string jobs = "[job a]\ntype=tcp\ntarget=h:1\n[job b]\ntype=http\nurl=http://h/\nisolation=run\n"
                     "[job c]\ntype=tls_cert\ntarget=h:443\nisolation = batch\n[job d]\ntype=exec\ncommand=/bin/true\n";
  EXPECT_THAT(isolations("", jobs), ElementsAre("tcp:h:1 run", "http:http://h/ run", "tls_cert:h:443 batch", "exec:/bin/true run"));
  {
    ConfigLoad load = parse(std::string(kMinimal) + jobs);
    JobPlan plan = planJobs(load.config);
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(describeJob(plan.jobs[2]), "tls_cert:h:443  type=tls_cert  every=minute  notify=state_change  threshold=1  isolation=batch");
    EXPECT_EQ(describeJob(plan.jobs[0]), "tcp:h:1  type=tcp  every=minute  notify=state_change  threshold=1");
  }
  EXPECT_THAT(isolations("isolation = batch\n", jobs),
              ElementsAre("tcp:h:1 batch", "http:http://h/ run", "tls_cert:h:443 batch", "exec:/bin/true run"));
  std::string base = std::string(kMinimal) + "[job x]\n";  // header at line 6
  EXPECT_THAT(planErrors(base + "type=tcp\ntarget=h:1\nisolation=thread\n"),
              ElementsAre(HasSubstr("t.cfg:9: [job x] isolation: 'thread' is not an isolation: run or batch")));
  EXPECT_THAT(planErrors(base + "type=exec\ncommand=/bin/true\nisolation=batch\n"),
              ElementsAre(HasSubstr("t.cfg:9: [job x] isolation: an exec job always runs in a process of its own")));
  EXPECT_THAT(parse(std::string(kMinimal).replace(std::string(kMinimal).find("[general]\n") + 10, 0, "isolation=fast\n")).errors,
              ElementsAre(HasSubstr("isolation: 'fast' is not an isolation")));
}


}  // namespace
}  // namespace checker
