#include "agent/agent_env.h"

#include <sys/utsname.h>

#include <cmath>
#include <sstream>

#include "agent/clock.h"
#include "agent/sysfs.h"
#include "version.h"

namespace poisonlab::agent {

std::optional<std::string> cmdline_value(const std::string& cmdline, const std::string& key) {
  std::istringstream words(cmdline);
  for (std::string w; words >> w;)
    if (w.size() > key.size() && w.compare(0, key.size(), key) == 0 && w[key.size()] == '=')
      return w.substr(key.size() + 1);
  return std::nullopt;
}

std::optional<std::filesystem::path> find_virtio_port(const std::string& name,
                                                      const std::filesystem::path& sys_ports) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(sys_ports, ec)) {
    auto n = read_attr(e.path() / "name");
    if (n && *n == name) return std::filesystem::path("/dev") / e.path().filename();
  }
  return std::nullopt;
}

nlohmann::json parse_init_times(const std::string& text) {
  nlohmann::json out{{"init_start_uptime_ns", nullptr}, {"modules_loaded_uptime_ns", nullptr}};
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value)) continue;
    std::string field = key == "init_start" ? "init_start_uptime_ns"
                        : key == "modules_loaded" ? "modules_loaded_uptime_ns" : "";
    if (field.empty()) continue;
    try {
      size_t used = 0;
      double secs = std::stod(value, &used);
      if (used == value.size() && secs >= 0) out[field] = static_cast<uint64_t>(std::llround(secs * 1e9));
    } catch (const std::exception&) {
    }
  }
  return out;
}

nlohmann::json hello_message(const std::filesystem::path& init_times) {
  utsname u{};
  uname(&u);
  nlohmann::json hello{{"type", "hello"},
                       {"agent_version", kVersion},
                       {"agent_git_sha", kGitSha},
                       {"kernel_release", u.release},
                       {"uptime_ns", boottime_ns()},
                       {"monotonic_ns", monotonic_ns()}};
  hello.update(parse_init_times(read_attr(init_times).value_or("")));
  return hello;
}

}  // namespace poisonlab::agent
