#include "common/fs_util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace poisonlab {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read " + path.string() + ": " + strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_input_file(const fs::path& path) {
  try {
    return read_file(path);
  } catch (const UserError& e) {
    throw InputError(path.string(), "", e.what());
  }
}

namespace {
fs::path temporary_beside(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(getpid());
  return tmp;
}

void rename_into_place(const fs::path& tmp, const fs::path& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw UserError("cannot rename " + tmp.string() + " to " + path.string() + ": " + strerror(err));
  }
}
}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content) {
  fs::path tmp = temporary_beside(path);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw UserError("cannot write " + tmp.string() + ": " + strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::unlink(tmp.c_str());
      throw UserError("cannot write " + tmp.string() + ": " + strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw UserError("cannot write " + tmp.string() + ": " + strerror(err));
  }
  rename_into_place(tmp, path);
}

size_t write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  fs::path tmp = temporary_beside(path);
  size_t bytes = 0;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::vector<char> buffer(1 << 20);
    out.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    try {
      if (out) write(out);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      int err = errno;
      ::unlink(tmp.c_str());
      throw UserError("cannot write " + tmp.string() + ": " + strerror(err));
    }
    bytes = static_cast<size_t>(out.tellp());
  }
  UniqueFd fd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw UserError("cannot write " + tmp.string() + ": " + strerror(err));
  }
  rename_into_place(tmp, path);
  return bytes;
}

namespace {
struct DigestDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
std::string to_hex(const unsigned char* data, unsigned len) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += digits[data[i] >> 4];
    s += digits[data[i] & 15];
  }
  return s;
}
}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

std::string sha256_file(const fs::path& path) {
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read " + path.string() + ": " + strerror(errno));
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return to_hex(md, len);
}

std::string tail_file(const fs::path& path, size_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw UserError("cannot read /proc/self/exe: " + ec.message());
  return exe.parent_path();
}

}  // namespace poisonlab
