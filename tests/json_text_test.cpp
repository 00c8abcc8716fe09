// common/json_text.h: nlohmann::json in checker's layout, readable whatever
// the text in it.
#include <gtest/gtest.h>

#include "common/json_text.h"

namespace checker {
namespace {

TEST(JsonText, TheLayoutScriptsMatchOn) {
  Json doc{{"schema", 1}, {"name", "a \"b\"\n"}, {"ok", true}, {"n", int64_t{-5}}, {"list", Json::array({1, 2})},
           {"inner", Json{{"x", ""}}}, {"empty", Json::array()}};
  EXPECT_EQ(jsonText(doc),
            "{\"schema\": 1, \"name\": \"a \\\"b\\\"\\n\", \"ok\": true, \"n\": -5, \"list\": [1, 2], "
            "\"inner\": {\"x\": \"\"}, \"empty\": []}");
}

TEST(JsonText, ChosenArraysHaveOneElementPerLine) {
  Json doc{{"jobs", Json::array({Json{{"id", "a"}}, Json{{"id", "b"}}})}, {"none", Json::array()}};
  EXPECT_EQ(jsonText(doc, {"jobs", "none"}), "{\"jobs\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\"}\n], \"none\": [\n]}");
}

TEST(JsonText, BadUtf8AndControlsStillMakeJson) {
  Json doc{{"message", std::string("\xFF\x1b[31m\xC3", 7)}};
  std::string text = jsonText(doc);
  EXPECT_EQ(text, "{\"message\": \"\xEF\xBF\xBD\\u001b[31m\xEF\xBF\xBD\"}");
  EXPECT_EQ(Json::parse(text)["message"], "\xEF\xBF\xBD\x1b[31m\xEF\xBF\xBD");
}

}  // namespace
}  // namespace checker
