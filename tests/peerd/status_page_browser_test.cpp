// The status page in a real browser: Debian's chromium, headless, asks a
// running checkerd's peerd for `/` (so with a browser's own Accept header)
// while one job fails and one passes. The DOM it builds must show the
// failing job marked failing, and its screenshot must be a real 1280x900
// image of the page: a PNG whose header says so and whose pixels show the
// red banner of an instance with a failing job. The screenshot is kept in
// the build directory (test-artifacts/status_page.png) for a person to
// look at. Skipped, saying so, only when chromium is not installed
// (packaging/install-deps --test installs it).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "peerd/status_instance.h"
#include "support/run_command.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;

const std::string kChromium = "/usr/bin/chromium";
constexpr uint32_t kWidth = 1280, kHeight = 900;

struct Png {
  uint32_t width = 0, height = 0;
  int channels = 0;              // 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> pixels;   // rows of width * channels bytes, unfiltered
  std::string error;

  std::array<uint8_t, 3> at(uint32_t x, uint32_t y) const {
    const uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * static_cast<size_t>(channels)];
    return {p[0], p[1], p[2]};
  }
};

uint32_t bigEndian(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) | (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | uint32_t{static_cast<uint8_t>(s[at + 3])};
}

// The PNG in BYTES (8-bit RGB or RGBA, not interlaced: what Chromium
// writes): header checked, IDAT inflated, scanline filters undone.
Png readPng(const std::string& bytes) {
  Png png;
  if (bytes.size() < 33 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    png.error = "no PNG signature";
    return png;
  }
  if (bigEndian(bytes, 8) != 13 || bytes.compare(12, 4, "IHDR") != 0) {
    png.error = "the first chunk is not a 13-byte IHDR";
    return png;
  }
  png.width = bigEndian(bytes, 16);
  png.height = bigEndian(bytes, 20);
  int depth = static_cast<uint8_t>(bytes[24]), colour = static_cast<uint8_t>(bytes[25]);
  int interlace = static_cast<uint8_t>(bytes[28]);
  if (depth != 8 || (colour != 2 && colour != 6) || interlace != 0) {
    png.error = "not 8-bit RGB/RGBA without interlace: depth " + std::to_string(depth) + ", colour type " +
                std::to_string(colour);
    return png;
  }
  png.channels = colour == 2 ? 3 : 4;
  std::string compressed;
  bool ended = false;
  for (size_t at = 8; at + 12 <= bytes.size();) {
    uint32_t length = bigEndian(bytes, at);
    std::string type = bytes.substr(at + 4, 4);
    if (at + 12 + length > bytes.size()) break;
    if (type == "IDAT") compressed += bytes.substr(at + 8, length);
    if (type == "IEND") ended = true;
    at += 12 + length;
  }
  if (!ended) {
    png.error = "no IEND chunk: the file is cut short";
    return png;
  }
  size_t stride = static_cast<size_t>(png.width) * static_cast<size_t>(png.channels);
  std::vector<uint8_t> raw((stride + 1) * png.height);
  uLongf rawSize = raw.size();
  if (uncompress(raw.data(), &rawSize, reinterpret_cast<const Bytef*>(compressed.data()), compressed.size()) != Z_OK ||
      rawSize != raw.size()) {
    png.error = "IDAT does not inflate to " + std::to_string(raw.size()) + " bytes";
    return png;
  }
  png.pixels.resize(stride * png.height);
  size_t bpp = static_cast<size_t>(png.channels);
  for (size_t y = 0; y < png.height; ++y) {
    uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    uint8_t* out = &png.pixels[y * stride];
    const uint8_t* up = y > 0 ? &png.pixels[(y - 1) * stride] : nullptr;
    for (size_t i = 0; i < stride; ++i) {
      int a = i >= bpp ? out[i - bpp] : 0, b = up ? up[i] : 0, c = (up && i >= bpp) ? up[i - bpp] : 0;
      int predicted = 0;
      switch (filter) {
        case 0: predicted = 0; break;
        case 1: predicted = a; break;
        case 2: predicted = b; break;
        case 3: predicted = (a + b) / 2; break;
        case 4: {
          int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          png.error = "unknown scanline filter " + std::to_string(filter);
          return png;
      }
      out[i] = static_cast<uint8_t>(in[i] + predicted);
    }
  }
  return png;
}

// Runs chromium headless on URL with ARGS, its profile in PROFILE; its
// stdout (the DOM for --dump-dom), its stderr in LOG.
CommandResult chromium(const std::string& args, const std::string& url, const std::string& profile,
                       const std::string& log) {
  return runCommand("(HOME=" + profile + " timeout 90 " + kChromium +
                    " --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --user-data-dir=" +
                    profile + " " + args + " '" + url + "' 2>" + log + ")");
}

std::string fileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(StatusPageBrowser, ChromiumShowsTheFailingJobMarkedAndTakesAScreenshot) {
  if (::access(kChromium.c_str(), X_OK) != 0) {
    GTEST_SKIP() << kChromium << " is not installed (apt-get install chromium, or packaging/install-deps --test): "
                 << "the status page was not checked in a browser";
  }
  StatusInstance instance;
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(2)) << ::testing::PrintToString(instance.daemon().lines());
  // The page shows both jobs from here on (the failing one keeps failing).
  std::string ready = instance.getUntil("/", "text/html", [](const std::string& r) {
    return r.find("data-job=\"broken backup\"") != std::string::npos &&
           r.find("data-job=\"healthy web\"") != std::string::npos;
  });
  ASSERT_THAT(ready, HasSubstr("data-job=\"healthy web\"")) << ready;

  std::string profile = instance.dir().file("chromium");
  std::string log = instance.dir().file("chromium.log");
  CommandResult dom = chromium("--dump-dom", instance.url("/"), profile, log);
  ASSERT_EQ(dom.exitCode, 0) << dom.output << fileText(log);
  EXPECT_THAT(dom.output, HasSubstr("<tr class=\"job failing\" data-job=\"broken backup\">")) << dom.output;
  EXPECT_THAT(dom.output, HasSubstr("<span class=\"badge failing\">failing</span>"));
  EXPECT_THAT(dom.output, HasSubstr("<tr class=\"job ok\" data-job=\"healthy web\">"));
  EXPECT_THAT(dom.output, HasSubstr("<b id=\"answer\">True</b>"));
  EXPECT_THAT(dom.output, ::testing::ContainsRegex("<title>checker status-test: [1-9] of [0-9]+ jobs failing</title>"));

  std::string artifacts = CHECKER_ARTIFACTS_DIR;
  std::filesystem::create_directories(artifacts);
  std::string shot = artifacts + "/status_page.png";
  std::filesystem::remove(shot);
  CommandResult screenshot = chromium("--screenshot=" + shot + " --window-size=" + std::to_string(kWidth) + "," +
                                          std::to_string(kHeight),
                                      instance.url("/"), profile, log);
  ASSERT_EQ(screenshot.exitCode, 0) << screenshot.output << fileText(log);
  ASSERT_TRUE(std::filesystem::exists(shot)) << fileText(log);
  Png png = readPng(fileText(shot));
  ASSERT_EQ(png.error, "") << shot;
  EXPECT_EQ(png.width, kWidth);
  EXPECT_EQ(png.height, kHeight);
  // The banner of an instance with a failing job is red (#b42318); the
  // page below it is light, with more than a handful of colours in it.
  std::array<uint8_t, 3> banner = png.at(8, 8);
  EXPECT_GT(banner[0], 150) << "banner pixel " << int(banner[0]) << "," << int(banner[1]) << "," << int(banner[2]);
  EXPECT_LT(banner[1], 80);
  EXPECT_LT(banner[2], 80);
  std::array<uint8_t, 3> below = png.at(kWidth / 2, kHeight - 8);
  EXPECT_GT(below[0] + below[1] + below[2], 600) << "the page background should be light";
  std::set<uint32_t> colours;
  for (uint32_t y = 0; y < png.height; y += 3) {
    for (uint32_t x = 0; x < png.width; x += 3) {
      auto p = png.at(x, y);
      colours.insert((uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]);
    }
  }
  EXPECT_GT(colours.size(), 20u) << "a page of text and tables, not a blank or single-colour image";
  std::printf("screenshot: %s (%ux%u, %zu colours sampled)\n", shot.c_str(), png.width, png.height, colours.size());
}

// How many times NEEDLE occurs in TEXT.
size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The number in ATTRIBUTE="N" of TEXT, -1 when absent.
long attributeNumber(const std::string& text, const std::string& attribute) {
  size_t at = text.find(attribute + "=\"");
  return at == std::string::npos ? -1 : std::strtol(text.c_str() + at + attribute.size() + 2, nullptr, 10);
}

// A job's page in Chromium, at a desktop's width and a phone's (390 px):
// the overview links to it; its chart is there with one point per run the
// API listed (runs keep coming: between the counts before and after), the
// failing job's incident is listed, and the screenshots are kept.
TEST(StatusPageBrowser, AJobsPageShowsItsChartAndIncidentAtDesktopAndPhoneWidths) {
  if (::access(kChromium.c_str(), X_OK) != 0) {
    GTEST_SKIP() << kChromium << " is not installed (apt-get install chromium, or packaging/install-deps --test)";
  }
  StatusInstance instance;
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(3)) << ::testing::PrintToString(instance.daemon().lines());
  const std::string web = "/job/exec%3A%2Fbin%2Ftrue", backup = "/job/exec%3A%2Fbin%2Ffalse";
  std::string overview = instance.getUntil("/", "text/html", [&](const std::string& r) {
    return r.find("href=\"" + web + "\"") != std::string::npos && r.find("href=\"" + backup + "\"") != std::string::npos;
  });
  ASSERT_THAT(overview, HasSubstr("<a href=\"" + web + "\">healthy web</a>"));
  std::string incident = instance.getUntil(backup, "text/html", [](const std::string& r) {
    return r.find("<tr class=\"incident failing\">") != std::string::npos;
  });
  ASSERT_THAT(incident, HasSubstr("<tr class=\"incident failing\">")) << "the failing job's open incident";

  auto measuredRuns = [&] {
    std::string answer = StatusInstance::bodyOf(instance.get("/api/v1/jobs/exec%3A%2Fbin%2Ftrue/history?since=24h"));
    nlohmann::json history = nlohmann::json::parse(answer, nullptr, false);
    EXPECT_TRUE(history.is_object() && history.contains("runs")) << answer;
    size_t measured = 0;
    if (history.is_object() && history.contains("runs")) {
      for (const nlohmann::json& run : history["runs"]) measured += !run["latency_ms"].is_null();
    }
    return measured;
  };
  std::string profile = instance.dir().file("chromium");
  std::string log = instance.dir().file("chromium.log");
  std::string artifacts = CHECKER_ARTIFACTS_DIR;
  std::filesystem::create_directories(artifacts);
  for (uint32_t width : {kWidth, 390u}) {
    SCOPED_TRACE("width " + std::to_string(width));
    std::string size = " --window-size=" + std::to_string(width) + "," + std::to_string(kHeight);
    size_t before = measuredRuns();
    CommandResult dom = chromium("--dump-dom" + size, instance.url(web), profile, log);
    size_t after = measuredRuns();
    ASSERT_EQ(dom.exitCode, 0) << dom.output << fileText(log);
    EXPECT_THAT(dom.output, HasSubstr("<h1>healthy web</h1>"));
    EXPECT_THAT(dom.output, HasSubstr("<svg class=\"chart\""));
    long points = attributeNumber(dom.output, "data-points");
    EXPECT_GE(points, static_cast<long>(before)) << dom.output;
    EXPECT_LE(points, static_cast<long>(after));
    EXPECT_EQ(occurrences(dom.output, "<circle class=\"pt\""), static_cast<size_t>(points)) << "a dot per point";
    EXPECT_GE(occurrences(dom.output, "class=\"run ok\""), 2u) << "the bar of its latest runs";

    CommandResult failing = chromium("--dump-dom" + size, instance.url(backup), profile, log);
    ASSERT_EQ(failing.exitCode, 0) << failing.output << fileText(log);
    EXPECT_THAT(failing.output, HasSubstr("<tr class=\"incident failing\">"));
    EXPECT_THAT(failing.output, HasSubstr("<span class=\"bad\">ongoing</span>"));

    for (const auto& [path, name] : {std::pair<std::string, std::string>{web, "job_page"}, {backup, "job_page_failing"},
                                     {"/", "status_page"}}) {
      std::string shot = artifacts + "/" + name + (width == kWidth ? "" : "_" + std::to_string(width)) + ".png";
      std::filesystem::remove(shot);
      CommandResult taken = chromium("--screenshot=" + shot + size, instance.url(path), profile, log);
      ASSERT_EQ(taken.exitCode, 0) << taken.output << fileText(log);
      Png png = readPng(fileText(shot));
      ASSERT_EQ(png.error, "") << shot;
      EXPECT_EQ(png.width, width) << shot;
      std::printf("screenshot: %s (%ux%u)\n", shot.c_str(), png.width, png.height);
    }
  }
}

}  // namespace
}  // namespace checker::test
