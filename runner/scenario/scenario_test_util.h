#pragma once
// Test helper shared by the scenario loader's tests: a document the loader
// must refuse, with the error it must give.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "scenario/scenario.h"

namespace poisonlab {

// Expects parse_scenario(doc, "test.json") to throw an InputError at
// pointer, named "test.json: <pointer>: ...", holding text, exit status 2.
inline void expect_scenario_error(const nlohmann::json& doc, const std::string& pointer, const std::string& text) {
  try {
    parse_scenario(doc, "test.json");
    ADD_FAILURE() << "accepted: " << doc.dump();
  } catch (const InputError& e) {
    EXPECT_EQ(e.pointer(), pointer) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("test.json: " + (pointer.empty() ? "" : pointer + ": ")));
    EXPECT_THAT(e.what(), ::testing::HasSubstr(text));
    EXPECT_EQ(e.exit_code(), kExitBadInput);
  }
}

}  // namespace poisonlab
