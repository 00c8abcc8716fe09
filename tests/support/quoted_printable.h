#pragma once
// Decodes a quoted-printable body (RFC 2045 6.7) as the mailer writes it:
// "=\r\n" is a soft line break, "=XX" a byte. For tests that read a mail's
// text back, where a long line may have been broken anywhere.
#include <string>

namespace checker::test {

inline std::string decodeQuotedPrintable(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '=') {
      out += body[i];
    } else if (body.compare(i, 3, "=\r\n") == 0) {
      i += 2;  // soft line break
    } else {
      out += static_cast<char>(std::stoi(body.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

}  // namespace checker::test
