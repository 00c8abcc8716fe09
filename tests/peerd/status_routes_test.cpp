// Which answer a request to peerd's port gets (peerd/routes.h, and
// answerRequest in peerd/peerd_service.h), without sockets: the Accept
// header decides between the page and the plain word, the client's address
// and `[peerd] status_page` / `metrics` decide who sees the page and
// /metrics, and the original Checker's client keeps getting its word byte
// for byte whatever the settings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "peerd/http_response.h"
#include "peerd/metrics_text.h"
#include "peerd/peerd_service.h"
#include "peerd/routes.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;

// What Chromium and Firefox send for a page.
constexpr const char* kBrowserAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

HttpRequest request(const std::string& method, const std::string& url, const std::string& accept,
                    const std::string& client) {
  HttpRequest r;
  r.method = method;
  r.url = url;
  r.accept = accept;
  r.clientAddress = client;
  return r;
}

TEST(AcceptsHtml, ABrowserYesUrllibAndCurlNo) {
  EXPECT_TRUE(acceptsHtml(kBrowserAccept));
  EXPECT_TRUE(acceptsHtml("text/html"));
  EXPECT_TRUE(acceptsHtml("TEXT/HTML"));
  EXPECT_TRUE(acceptsHtml("application/json, text/html ;q=0.5"));
  EXPECT_TRUE(acceptsHtml("text/html;level=1;q=0.2"));
  EXPECT_FALSE(acceptsHtml(""));            // Python's urllib: no Accept at all
  EXPECT_FALSE(acceptsHtml("*/*"));         // curl
  EXPECT_FALSE(acceptsHtml("text/*"));
  EXPECT_FALSE(acceptsHtml("text/plain"));
  EXPECT_FALSE(acceptsHtml("text/html;q=0"));  // said no to it
  EXPECT_FALSE(acceptsHtml("text/html; q=0.000, */*"));
  EXPECT_FALSE(acceptsHtml("text/htmlx"));
  EXPECT_FALSE(acceptsHtml("application/xhtml+xml"));
}

TEST(IsLoopbackAddress, OneTwentySevenSlashEightAndColonColonOne) {
  EXPECT_TRUE(isLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(isLoopbackAddress("127.255.3.4"));
  EXPECT_TRUE(isLoopbackAddress("::1"));
  EXPECT_TRUE(isLoopbackAddress("::ffff:127.0.0.1"));  // IPv4 client of a dual-stack [::] listener
  EXPECT_FALSE(isLoopbackAddress("128.0.0.1"));
  EXPECT_FALSE(isLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(isLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(isLoopbackAddress("::"));
  EXPECT_FALSE(isLoopbackAddress("::2"));
  EXPECT_FALSE(isLoopbackAddress("::ffff:10.0.0.1"));
  EXPECT_FALSE(isLoopbackAddress("fe80::1"));
  EXPECT_FALSE(isLoopbackAddress(""));  // unknown: never loopback
  EXPECT_FALSE(isLoopbackAddress("localhost"));
  EXPECT_FALSE(isLoopbackAddress("127.0.0.1 "));
}

TEST(RouteRequest, EveryPathAndSetting) {
  const std::string local = "127.0.0.1", remote = "192.0.2.7";
  for (Exposure page : {Exposure::off, Exposure::loopback, Exposure::on}) {
    for (const std::string& client : {local, remote, std::string("::1")}) {
      bool pageShown = page == Exposure::on || (page == Exposure::loopback && client != remote);
      SCOPED_TRACE(std::string(exposureName(page)) + " from " + client);
      EXPECT_EQ(routeRequest(request("GET", "/", kBrowserAccept, client), page, Exposure::off),
                pageShown ? Route::statusPage : Route::plain);
      EXPECT_EQ(routeRequest(request("HEAD", "/", "text/html", client), page, Exposure::off),
                pageShown ? Route::statusPage : Route::plain);
      // Peers: whatever the setting, whoever asks.
      EXPECT_EQ(routeRequest(request("GET", "/", "", client), page, Exposure::on), Route::plain);
      EXPECT_EQ(routeRequest(request("GET", "/", "*/*", client), page, Exposure::on), Route::plain);
      // The page is `/` only: a browser on any other path gets the word.
      EXPECT_EQ(routeRequest(request("GET", "/status", kBrowserAccept, client), page, page), Route::plain);
      EXPECT_EQ(routeRequest(request("GET", "/?refresh=1", kBrowserAccept, client), page, page),
                pageShown ? Route::statusPage : Route::plain);
      EXPECT_EQ(routeRequest(request("GET", "/metrics", "", client), Exposure::off, page),
                pageShown ? Route::metrics : Route::notFound);
      EXPECT_EQ(routeRequest(request("GET", "/metrics?x", "*/*", client), Exposure::off, page),
                pageShown ? Route::metrics : Route::notFound);
      // A job's page and the JSON API follow the page's setting; metrics' is not theirs.
      EXPECT_EQ(routeRequest(request("GET", "/job/tcp%3Ah%3A1?range=7d", kBrowserAccept, client), page, Exposure::off),
                pageShown ? Route::jobPage : Route::plain);
      EXPECT_EQ(routeRequest(request("GET", "/api/v1/jobs", "", client), page, Exposure::on),
                pageShown ? Route::api : Route::notFound);
      EXPECT_EQ(routeRequest(request("GET", "/v2/status?nonce=00", "", client), page, page), Route::signedStatus);
      EXPECT_EQ(routeRequest(request("GET", "/v1/status?nonce=00", "", client), page, page), Route::retiredStatus);
      EXPECT_EQ(routeRequest(request("POST", "/metrics", "", client), page, page), Route::methodNotAllowed);
    }
  }
  // An address the server could not read is not loopback.
  EXPECT_EQ(routeRequest(request("GET", "/", "text/html", ""), Exposure::loopback, Exposure::loopback), Route::plain);
  EXPECT_EQ(routeRequest(request("GET", "/metrics", "", ""), Exposure::loopback, Exposure::loopback), Route::notFound);
}

class Answers : public ::testing::Test {
 protected:
  HttpResponse answer(const HttpRequest& r) {
    InstanceView view{false, 100'000 - 1000};
    return answerRequest(r, AnswerContext{view, 100'000, 1'800'000'000, 120'000, "web1", secrets_, page_, metrics_,
                                          [this] {
                                            ++pagesMade_;
                                            return std::string("<!DOCTYPE html><p>page</p>");
                                          },
                                          [this] {
                                            ++metricsMade_;
                                            return std::string("checker_up 1\n");
                                          }});
  }
  std::map<std::string, std::string> secrets_;
  Exposure page_ = Exposure::loopback, metrics_ = Exposure::loopback;
  int pagesMade_ = 0, metricsMade_ = 0;
};

// Exactly what the original's peers read, before and after the page existed.
TEST_F(Answers, ThePlainWordStaysByteForByteForPeers) {
  const std::string expected =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n"
      "Connection: close\r\nCache-Control: no-store\r\n\r\nTrue";
  for (Exposure setting : {Exposure::off, Exposure::loopback, Exposure::on}) {
    page_ = metrics_ = setting;
    for (const char* accept : {"", "*/*", "text/plain", "application/json"}) {
      // urllib: HTTP/1.1, no Accept, Connection: close.
      HttpRequest urllib = request("GET", "/", accept, "127.0.0.1");
      EXPECT_EQ(formatResponse(answer(urllib), urllib, false), expected) << accept << " " << exposureName(setting);
    }
  }
  EXPECT_EQ(pagesMade_, 0);
  EXPECT_EQ(metricsMade_, 0);
}

TEST_F(Answers, ABrowserOnLoopbackGetsThePageOthersTheWord) {
  HttpResponse page = answer(request("GET", "/", kBrowserAccept, "127.0.0.1"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.contentType, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, "<!DOCTYPE html><p>page</p>");
  HttpResponse remote = answer(request("GET", "/", kBrowserAccept, "192.0.2.7"));
  EXPECT_EQ(remote.contentType, "text/plain; charset=utf-8");
  EXPECT_EQ(remote.body, "True");
  page_ = Exposure::on;
  EXPECT_EQ(answer(request("GET", "/", kBrowserAccept, "192.0.2.7")).body, "<!DOCTYPE html><p>page</p>");
  page_ = Exposure::off;
  EXPECT_EQ(answer(request("GET", "/", kBrowserAccept, "127.0.0.1")).body, "True");
  EXPECT_EQ(pagesMade_, 2);
}

TEST_F(Answers, MetricsOnLoopbackElseNotFound) {
  HttpResponse metrics = answer(request("GET", "/metrics", "", "::1"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics.contentType, kMetricsContentType);
  EXPECT_EQ(metrics.body, "checker_up 1\n");
  HttpResponse remote = answer(request("GET", "/metrics", "", "192.0.2.7"));
  EXPECT_EQ(remote.status, 404);
  EXPECT_EQ(remote.body, "Not Found\n");
  metrics_ = Exposure::off;
  EXPECT_EQ(answer(request("GET", "/metrics", "", "127.0.0.1")).status, 404);
  metrics_ = Exposure::on;
  EXPECT_EQ(answer(request("GET", "/metrics", "", "192.0.2.7")).status, 200);
  EXPECT_EQ(answer(request("POST", "/metrics", "", "127.0.0.1")).status, 405);
  EXPECT_EQ(metricsMade_, 2);
  EXPECT_EQ(pagesMade_, 0);
}

}  // namespace
}  // namespace checker::peerd
