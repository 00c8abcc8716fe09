// The loopback receiver the channel tests deliver to (support/http_receiver.h),
// checked with libcurl as a client: a POST recorded whole with its headers,
// the scripted statuses answered in order, then 200.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "support/http_receiver.h"

namespace checker::test {
namespace {

long post(const std::string& url, const std::string& body) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_slist* headers = curl_slist_append(nullptr, "X-Checker-Signature: sha256=ab");
  headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  long status = 0;
  if (curl_easy_perform(curl.get()) == CURLE_OK) curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  return status;
}

TEST(HttpReceiver, RecordsEachPostWholeAndAnswersItsScriptThen200) {
  HttpReceiver receiver;
  receiver.answerWith({503, 400});
  std::string big(300'000, 'x');  // over libcurl's Expect: 100-continue threshold in some versions
  EXPECT_EQ(post(receiver.url("/hook?a=1"), "{\"n\": 1}"), 503);
  EXPECT_EQ(post(receiver.url("/hook"), big), 400);
  EXPECT_EQ(post(receiver.url("/hook"), "{}"), 200);
  std::vector<ReceivedRequest> got = receiver.waitFor(3, std::chrono::seconds(5));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/hook?a=1");
  EXPECT_EQ(got[0].body, "{\"n\": 1}");
  EXPECT_EQ(got[0].header("x-checker-signature"), "sha256=ab");
  EXPECT_EQ(got[0].answeredStatus, 503);
  EXPECT_EQ(got[1].body, big);
  EXPECT_EQ(got[2].answeredStatus, 200);
}

}  // namespace
}  // namespace checker::test
