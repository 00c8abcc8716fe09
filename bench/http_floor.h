#pragma once
// The floor of checker-bench-channels: what one HTTP POST round trip to the
// same loopback receiver costs from this process, with libcurl (the library
// the mailer sends with), a new connection per request and one connection
// kept open, so the channel's figures can be read against it.
#include <curl/curl.h>

#include <chrono>
#include <string>
#include <vector>

namespace checker::bench {

struct FloorFigures {
  std::vector<double> micros;  // per request
  int failed = 0;
};

// COUNT POSTs of BODY to URL, one after the other; a fresh connection
// for each unless REUSE.
inline FloorFigures postFloor(const std::string& url, const std::string& body, int count, bool reuse) {
  FloorFigures figures;
  CURL* easy = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, reuse ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  for (int i = 0; i < count; ++i) {
    auto start = std::chrono::steady_clock::now();
    long status = 0;
    CURLcode result = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    figures.micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (result != CURLE_OK || status != 200) ++figures.failed;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  return figures;
}

}  // namespace checker::bench
