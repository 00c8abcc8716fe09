#pragma once
// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) for the
// alert channel tests: its own config and storage in a temporary
// directory, the web API on a free loopback port (127.0.0.1:0; the port
// read from its "Listening on" log line) and clustering off (it would
// otherwise listen on 0.0.0.0:9094). Killed with its process group when the
// object goes (support/daemon_process.h). get() and post() speak to its API
// with libcurl's easy interface.
#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.h"
#include "support/temp_dir.h"

namespace checker::test {

class AlertmanagerProcess {
 public:
  static constexpr const char* kBinary = "/usr/bin/prometheus-alertmanager";

  // Starts it; false (with the reason in why()) when it did not come up.
  bool start() {
    std::string config = dir_.write("alertmanager.yml", "route:\n  receiver: none\nreceivers:\n  - name: none\n");
    daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{
        kBinary, "--config.file=" + config, "--storage.path=" + dir_.file("data"),
        "--web.listen-address=127.0.0.1:0", "--cluster.listen-address="});
    std::string line = daemon_->waitForLine("msg=\"Listening on\" address=127.0.0.1:", std::chrono::seconds(30));
    if (line.empty()) return false;
    port_ = std::stoi(line.substr(line.rfind(':') + 1));
    // Ready once its config is loaded; asked until then, bounded.
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         std::chrono::steady_clock::now() < deadline;) {
      if (get("/-/ready").status == 200) return true;
      daemon_->drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a retry, not a synchronisation
    }
    return false;
  }

  struct Answer {
    long status = 0;  // 0: no answer
    std::string body;
  };
  Answer get(const std::string& path) const { return exchange(path, nullptr); }
  Answer post(const std::string& path, const std::string& json) const { return exchange(path, &json); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> log() const { return daemon_ ? daemon_->lines() : std::vector<std::string>{}; }

 private:
  Answer exchange(const std::string& path, const std::string* json) const {
    Answer answer;
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return answer;
    std::string target = url() + path;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl.get(), CURLOPT_URL, target.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    if (json) curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, json->c_str());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
      static_cast<std::string*>(out)->append(data, size * n);
      return size * n;
    });
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
    if (curl_easy_perform(curl.get()) == CURLE_OK) {
      curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
    }
    curl_slist_free_all(headers);
    return answer;
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = 0;
};

}  // namespace checker::test
