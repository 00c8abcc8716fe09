// libFuzzer target: mailer/channel_request.h classifyChannelAnswer, what
// the mailer makes of a webhook, Slack or ntfy receiver's answer (bytes a
// stranger's server chooses) for the outbox and `checker status`. The
// first two bytes pick the HTTP status (0..1023), the third the libcurl
// result (0: none); the rest is split at the first NUL into the answer's
// body and the Location it redirects to.
//
// What must hold, whatever the bytes:
//   - the reply is valid UTF-8 (judged by nlohmann::json's reader) on one
//     line, without control characters, and short (a status line);
//   - it starts with the channel's type and name and never holds the
//     URL's path, query or user info (a Slack URL's path is its secret);
//   - accepted exactly for a 2xx without a transport error, and never
//     accepted and permanent at once; a transport error is never permanent.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailer/channel_request.h"
#include "../support/utf8_check.h"

namespace {

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "channel_answer_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  checker::ChannelSettings channel;
  channel.name = "hooks";
  channel.type = checker::ChannelType::slack;
  channel.url = "https://bot:pw-9f3@hooks.example.org/services/T0/B0/SeCrEtPaTh?sig=QuErYsEcReT";
  checker::mailer::ChannelAnswer answer;
  answer.httpStatus = ((data[0] << 8) | data[1]) % 1024;
  answer.curlCode = data[2] % 100;
  std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  size_t nul = rest.find('\0');
  answer.body = std::string(rest.substr(0, nul));
  if (nul != std::string_view::npos) answer.redirectUrl = std::string(rest.substr(nul + 1));

  checker::mailer::SmtpOutcome outcome = checker::mailer::classifyChannelAnswer(channel, answer);
  const std::string& reply = outcome.serverReply;
  require(checker::test::validUtf8ByJsonReader(reply), "reply is not valid UTF-8");
  for (unsigned char c : reply) require(c >= 0x20 && c != 0x7f, "control character in the reply");
  require(reply.size() <= 600, "reply longer than a status line");
  require(reply.rfind("slack hooks: ", 0) == 0, "reply does not name the channel");
  for (const char* secret : {"SeCrEtPaTh", "QuErYsEcReT", "pw-9f3"}) {
    // Only what the receiver itself sent back may hold these bytes.
    bool echoed = answer.body.find(secret) != std::string::npos || answer.redirectUrl.find(secret) != std::string::npos;
    require(echoed || reply.find(secret) == std::string::npos, "reply holds the URL's secret");
  }
  bool twoHundred = answer.httpStatus >= 200 && answer.httpStatus < 300;
  require(outcome.accepted == (answer.curlCode == 0 && twoHundred), "accepted is not exactly a 2xx");
  require(!(outcome.accepted && outcome.permanent), "accepted and refused for good");
  require(answer.curlCode == 0 || !outcome.permanent, "a transport error refused for good");
  return 0;
}
