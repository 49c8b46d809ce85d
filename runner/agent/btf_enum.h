#pragma once
// Enumerators of a named kernel enum, read from raw BTF
// (/sys/kernel/btf/vmlinux), so flags such as MF_MEM_PRE_REMOVE are decoded
// by name instead of by a value that differs between kernel releases.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace poisonlab::agent {

// Enumerators (name -> value) of the first BTF_KIND_ENUM or BTF_KIND_ENUM64
// named enum_name. Values are signed when the type's kind_flag says so
// (libbpf's convention), unsigned otherwise; unsigned 64-bit values above
// INT64_MAX wrap. Self-contained BTF only (vmlinux, not split module BTF).
// nullopt if the enum is absent; throws UserError naming source_name and the
// byte offset if the blob is malformed (bad magic, out-of-bounds section,
// type or name, unknown kind).
std::optional<std::map<std::string, int64_t>> parse_btf_enum(std::string_view bytes, std::string_view enum_name,
                                                             const std::string& source_name);

// parse_btf_enum on a file; nullopt also when the file is missing or
// unreadable.
std::optional<std::map<std::string, int64_t>> read_btf_enum(const std::filesystem::path& btf_file,
                                                            std::string_view enum_name);

}  // namespace poisonlab::agent
