#include "agent/xfs_db.h"

#include <charconv>
#include <chrono>

#include "common/error.h"
#include "common/process.h"

namespace poisonlab::agent {
namespace {

constexpr uint64_t kSectorBytes = 512;  // xfs_db's daddr unit (a "basic block")

std::vector<std::string> xfs_db_argv(const std::filesystem::path& program, const std::filesystem::path& device,
                                     const std::vector<std::string>& commands) {
  std::vector<std::string> argv{program.string(), "-r"};
  for (const auto& c : commands) {
    argv.push_back("-c");
    argv.push_back(c);
  }
  argv.push_back(device.string());
  return argv;
}

[[noreturn]] void fail(const std::filesystem::path& device, const std::vector<std::string>& commands,
                       const std::string& output, const std::string& what) {
  throw UserError("xfs_db on " + device.string() + ": " + what + "\n  command: " +
                  join_command(xfs_db_argv("xfs_db", device, commands)) + "\n  output: " + output);
}

std::optional<uint64_t> to_u64(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    f(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

constexpr std::string_view kDaddrPrefix = "current daddr is ";

// An answer to `daddr` or `print`; xfs_db's complaints ("bad inode number
// N", "field F not found") are neither.
bool is_answer(std::string_view line) {
  if (line.substr(0, kDaddrPrefix.size()) == kDaddrPrefix) return to_u64(line.substr(kDaddrPrefix.size())).has_value();
  size_t eq = line.find(" = ");
  return eq != std::string_view::npos && eq > 0 && line.substr(0, eq).find(' ') == std::string_view::npos;
}

// Read verifiers complain about a block that was never written back (a new
// inode chunk of a mounted file system); its address is still right.
bool is_verifier_warning(std::string_view line) {
  return line.substr(0, 27) == "Metadata CRC error detected" || line.substr(0, 28) == "Metadata corruption detected";
}

uint64_t print_number(const std::filesystem::path& device, const std::vector<std::string>& commands,
                      const std::string& output, std::string_view field) {
  auto text = parse_print_value(output, field);
  auto v = text ? to_u64(*text) : std::nullopt;
  if (!v || *v == 0) fail(device, commands, output, "no usable \"" + std::string(field) + " = N\" line");
  return *v;
}

}  // namespace

std::optional<uint64_t> parse_current_daddr(std::string_view output) {
  std::optional<uint64_t> last;
  for_each_line(output, [&](std::string_view line) {
    if (line.substr(0, kDaddrPrefix.size()) == kDaddrPrefix)
      if (auto v = to_u64(line.substr(kDaddrPrefix.size()))) last = v;
  });
  return last;
}

std::optional<std::string> parse_print_value(std::string_view output, std::string_view field) {
  std::optional<std::string> found;
  for_each_line(output, [&](std::string_view line) {
    if (!found && line.size() >= field.size() + 3 && line.substr(0, field.size()) == field &&
        line.substr(field.size(), 3) == " = ")
      found = std::string(line.substr(field.size() + 3));
  });
  return found;
}

std::string run_xfs_db(const std::filesystem::path& device, const std::vector<std::string>& commands,
                       bool allow_verifier_warnings) {
  auto program = find_program("xfs_db");
  if (!program)
    throw UserError("cannot read XFS metadata on " + device.string() +
                    ": missing tool 'xfs_db' (install xfsprogs: Debian package xfsprogs; run ./setup.sh)");
  RunOptions options;
  options.merge_stderr = true;
  options.timeout = std::chrono::seconds(60);
  CommandResult r = run_command(xfs_db_argv(*program, device, commands), options);
  if (!r.ok()) {
    std::string why = r.timed_out ? "timed out" : r.term_signal ? "killed by signal " + std::to_string(r.term_signal)
                                                                : "exit status " + std::to_string(r.exit_code);
    fail(device, commands, r.out, why);
  }
  for_each_line(r.out, [&](std::string_view line) {
    if (line.empty() || is_answer(line) || (allow_verifier_warnings && is_verifier_warning(line))) return;
    fail(device, commands, r.out, "command failed: " + std::string(line));
  });
  return r.out;
}

XfsMetadataLocation locate_xfs_metadata(const std::filesystem::path& device, std::string_view structure, uint32_t ag,
                                        std::optional<uint64_t> inode) {
  XfsMetadataLocation loc;
  loc.structure = structure;
  loc.commands = {"sb 0", "print blocksize", "print sectsize"};
  const std::string ag_cmd = "agf " + std::to_string(ag);
  if (structure == "ag-header") {
    loc.commands.insert(loc.commands.end(), {ag_cmd, "daddr"});
  } else if (structure == "btree-block") {
    loc.commands.insert(loc.commands.end(), {ag_cmd, "addr bnoroot", "daddr"});
  } else if (structure == "inode-chunk") {
    if (!inode) throw UserError("xfs_db on " + device.string() + ": inode-chunk needs an inode number", kExitBadInput);
    loc.commands.insert(loc.commands.end(), {"inode " + std::to_string(*inode), "daddr"});
  } else {
    throw UserError("xfs_db on " + device.string() + ": unknown XFS structure '" + std::string(structure) +
                        "' (want ag-header, inode-chunk or btree-block)",
                    kExitBadInput);
  }
  loc.output = run_xfs_db(device, loc.commands, structure == "inode-chunk");
  uint64_t blocksize = print_number(device, loc.commands, loc.output, "blocksize");
  uint64_t sectsize = print_number(device, loc.commands, loc.output, "sectsize");
  if (blocksize % kSectorBytes != 0) fail(device, loc.commands, loc.output, "block size is not whole sectors");
  auto daddr = parse_current_daddr(loc.output);
  // A command xfs_db rejects leaves the cursor at daddr 0 (the superblock),
  // where none of these structures can be.
  if (!daddr || *daddr == 0) fail(device, loc.commands, loc.output, "no usable \"current daddr is N\" line");
  loc.daddr = *daddr;
  if (structure == "ag-header") {
    loc.length_bytes = sectsize;
  } else {
    loc.length_bytes = blocksize;
    // `inode N` points at the inode's own sector; report its whole block.
    if (structure == "inode-chunk") loc.daddr -= loc.daddr % (blocksize / kSectorBytes);
  }
  return loc;
}

}  // namespace poisonlab::agent
