// tls_cert: how many days until the server's certificate expires.
//
// Connects to host:port, shakes hands with SNI = host (not for an IP
// address), and has OpenSSL verify the chain (against `cafile`, else the
// system's CAs) and the name (X509_VERIFY_PARAM_set1_host / _ip_asc). The
// handshake runs with SSL_VERIFY_NONE so that it completes either way and
// the job can say precisely what is wrong, in this order: the leaf
// certificate has expired; the chain or name does not verify (OpenSSL's
// reason); it expires in fewer than warn_days days. Days are whole days
// left, rounded down.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>

#include "jobs/builtin_jobs.h"
#include "jobs/net_connect.h"

namespace checker {
namespace {

struct SslFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
  void operator()(X509* p) const { X509_free(p); }
};

std::string opensslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

bool isIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string dateText(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

std::string nameText(const X509_NAME* name) {
  char text[512];
  X509_NAME_oneline(name, text, sizeof text);
  return text;
}

class TlsCertJob : public BuiltinJob {
 public:
  using BuiltinJob::BuiltinJob;

  bool execute() override {
    const std::string* host = required("host");
    uint64_t port = 0, warnDays = 0;
    if (host == nullptr || !number("port", 1, 65535, port) || !number("warn_days", 0, 36500, warnDays)) return false;
    target_ = (host->find(':') != std::string::npos ? "[" + *host + "]" : *host) + ":" + std::to_string(port);
    Result<TcpConnection> c = connectTcp(*host, static_cast<uint16_t>(port), timeLeft(), context().deadline);
    if (!c) return fail("could not connect to " + target_ + ": " + c.error());

    std::unique_ptr<SSL_CTX, SslFree> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return fail("SSL_CTX_new: " + opensslError());
    const std::string* caFile = param("cafile");
    if (caFile != nullptr ? SSL_CTX_load_verify_locations(ctx.get(), caFile->c_str(), nullptr) != 1
                          : SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return fail("cannot load trusted CAs" + (caFile != nullptr ? " from " + *caFile : "") + ": " + opensslError());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // judged after the handshake
    std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
    if (!ssl || !expectName(ssl.get(), *host) || SSL_set_fd(ssl.get(), c->fd.get()) != 1) {
      return fail("cannot set up TLS: " + opensslError());
    }
    auto handshakeStarted = std::chrono::steady_clock::now();
    if (!handshake(ssl.get(), c->fd.get())) return false;
    auto handshakeTook =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - handshakeStarted);
    reportLatency(handshakeTook);
    reportMeasurement(milliseconds("resolve", c->resolveTime));
    reportMeasurement(milliseconds("connect", c->connectTime));
    reportMeasurement(milliseconds("tls_handshake", handshakeTook));
    std::unique_ptr<X509, SslFree> cert(SSL_get1_peer_certificate(ssl.get()));
    if (!cert) return fail(target_ + " sent no certificate");
    bool verdict = judge(cert.get(), SSL_get_verify_result(ssl.get()), static_cast<int>(warnDays));
    SSL_shutdown(ssl.get());  // best effort, non-blocking
    return verdict;
  }

 private:
  static bool expectName(SSL* ssl, const std::string& host) {
    X509_VERIFY_PARAM* vp = SSL_get0_param(ssl);
    if (isIpAddress(host)) return X509_VERIFY_PARAM_set1_ip_asc(vp, host.c_str()) == 1;
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && X509_VERIFY_PARAM_set1_host(vp, host.c_str(), 0) == 1;
  }

  bool handshake(SSL* ssl, int fd) {
    for (;;) {
      ERR_clear_error();
      errno = 0;
      int rc = SSL_connect(ssl);
      if (rc == 1) return true;
      int err = SSL_get_error(ssl, rc);
      short events = err == SSL_ERROR_WANT_READ ? POLLIN : err == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
      if (events == 0) {
        std::string why = err == SSL_ERROR_SSL                  ? opensslError()
                          : err == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                                   : "the server closed the connection";
        return fail("TLS handshake with " + target_ + " failed: " + why);
      }
      Result<bool> ready = waitFd(fd, events, context().deadline);
      if (!ready) return fail(ready.error());
      if (!*ready) return fail("TLS handshake with " + target_ + " timed out (the run's deadline passed)");
    }
  }

  bool judge(X509* cert, long verifyResult, int warnDays) {
    const ASN1_TIME* notAfter = X509_get0_notAfter(cert);
    int days = 0, seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, notAfter) != 1) {
      return fail("certificate of " + target_ + " has an unreadable expiry date");
    }
    JobMeasurement daysLeft;  // what an operator charts: the time left
    daysLeft.name = "days_left";
    daysLeft.value = static_cast<double>(days) + static_cast<double>(seconds) / 86400.0;
    daysLeft.warn = std::to_string(warnDays) + ":";  // Nagios: alert below warn_days
    reportMeasurement(std::move(daysLeft));
    std::string date = dateText(notAfter);
    std::string details = "subject: " + nameText(X509_get_subject_name(cert)) +
                          "\nissuer: " + nameText(X509_get_issuer_name(cert)) + "\nnot after: " + date +
                          "\nverification: " + X509_verify_cert_error_string(verifyResult);
    if (days < 0 || seconds < 0) {
      int ago = -days;
      return fail("certificate of " + target_ + " expired on " + date + " (" + std::to_string(ago) +
                      (ago == 1 ? " day ago)" : " days ago)"),
                  details);
    }
    if (verifyResult != X509_V_OK) {
      return fail("certificate of " + target_ + " does not verify: " + X509_verify_cert_error_string(verifyResult),
                  details);
    }
    std::string left = "expires in " + std::to_string(days) + (days == 1 ? " day" : " days") + " (" + date + ")";
    if (days < warnDays) {
      return fail("certificate of " + target_ + " " + left, details + "\nwarn_days: " + std::to_string(warnDays));
    }
    return succeed("certificate of " + target_ + " " + left, details);
  }

  std::string target_;
};

}  // namespace

std::unique_ptr<JobBase> makeTlsCertJob(JobParams params, JobRunContext context) {
  return std::make_unique<TlsCertJob>(std::move(params), std::move(context));
}

}  // namespace checker
