#include "agent/trial_file.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/stack.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {
namespace fs = std::filesystem;

namespace {

UniqueFd open_file(const fs::path& path, int flags, mode_t mode = 0) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) throw UserError("cannot open " + path.string() + ": " + strerror(errno));
  return fd;
}

void write_pattern_fd(int fd, const fs::path& path, uint64_t first, uint64_t count) {
  std::vector<char> page(kPageSize);
  for (uint64_t p = first; p < first + count; ++p) {
    fill_pattern_page(page, p);
    if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(p * kPageSize)) != static_cast<ssize_t>(page.size()))
      throw UserError("cannot write " + path.string() + ": " + strerror(errno));
  }
  if (::fsync(fd) != 0) throw UserError("fsync " + path.string() + ": " + strerror(errno));
}

TrialFile described(const fs::path& path, std::string id, std::string role) {
  TrialFile f;
  f.id = std::move(id);
  f.role = std::move(role);
  f.path = path;
  f.refresh();
  return f;
}

}  // namespace

void TrialFile::refresh() {
  UniqueFd fd = open_file(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw UserError("stat " + path.string() + ": " + strerror(errno));
  ino = st.st_ino;
  size = static_cast<uint64_t>(st.st_size);
  extents = read_fiemap(fd.get(), path);
  dax = statx_dax(path);
}

nlohmann::json TrialFile::to_json() const {
  return {{"id", id},   {"role", role},       {"path", path.string()},
          {"ino", ino}, {"size", size},       {"extents", extents},
          {"statx_attr_dax", dax ? nlohmann::json(*dax) : nlohmann::json(nullptr)}};
}

std::vector<address::Extent> read_fiemap(int fd, const fs::path& path) {
  constexpr unsigned kBatch = 64;
  std::vector<address::Extent> extents;
  uint64_t start = 0;
  for (;;) {
    std::vector<char> buf(sizeof(fiemap) + kBatch * sizeof(fiemap_extent));
    auto* fm = reinterpret_cast<fiemap*>(buf.data());
    fm->fm_start = start;
    fm->fm_length = FIEMAP_MAX_OFFSET - start;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = kBatch;
    if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0) throw UserError("FIEMAP on " + path.string() + ": " + strerror(errno));
    if (fm->fm_mapped_extents == 0) break;
    bool last = false;
    for (unsigned i = 0; i < fm->fm_mapped_extents; ++i) {
      const fiemap_extent& fe = fm->fm_extents[i];
      extents.push_back({fe.fe_logical, fe.fe_physical, fe.fe_length, fe.fe_flags});
      last = fe.fe_flags & FIEMAP_EXTENT_LAST;
      start = fe.fe_logical + fe.fe_length;
    }
    if (last || fm->fm_mapped_extents < kBatch) break;
  }
  return extents;
}

void fill_pattern_page(std::vector<char>& page, uint64_t p) {
  page.resize(kPageSize);
  std::memset(page.data(), static_cast<int>('A' + p % 26), page.size());
  std::memcpy(page.data(), &p, sizeof p);
}

void write_pattern(const fs::path& path, uint64_t first, uint64_t count) {
  UniqueFd fd = open_file(path, O_RDWR);
  write_pattern_fd(fd.get(), path, first, count);
}

TrialFile create_pattern_file(const fs::path& path, std::string id, uint64_t pages) {
  UniqueFd fd = open_file(path, O_CREAT | O_EXCL | O_RDWR, 0644);
  write_pattern_fd(fd.get(), path, 0, pages);
  return described(path, std::move(id), "victim");
}

TrialFile create_split_file(const fs::path& path, uint64_t pages, uint64_t split_page, const fs::path& filler) {
  UniqueFd fd = open_file(path, O_CREAT | O_EXCL | O_RDWR, 0644);
  // XFS and ext4 place a write next to the file's neighbouring blocks when
  // they can, so writing front to back stays contiguous whatever lies
  // between. Written back half first, the front half's ideal place is
  // before the back half, where earlier files already sit: it goes elsewhere.
  write_pattern_fd(fd.get(), path, split_page, pages - split_page);
  create_pattern_file(filler, "filler", 1);
  write_pattern_fd(fd.get(), path, 0, split_page);
  return described(path, "victim", "victim");
}

TrialFile create_span_file(const fs::path& path, std::string id, uint64_t bytes) {
  UniqueFd fd = open_file(path, O_CREAT | O_EXCL | O_RDWR, 0644);
  if (::fallocate(fd.get(), 0, 0, static_cast<off_t>(bytes)) != 0)
    throw UserError("fallocate " + std::to_string(bytes) + " bytes for " + path.string() + ": " + strerror(errno));
  if (::fsync(fd.get()) != 0) throw UserError("fsync " + path.string() + ": " + strerror(errno));
  return described(path, std::move(id), "victim");
}

TrialFile clone_file(const TrialFile& src, const fs::path& path, std::string id) {
  UniqueFd in = open_file(src.path, O_RDONLY);
  UniqueFd out = open_file(path, O_CREAT | O_EXCL | O_RDWR, 0644);
  if (::ioctl(out.get(), FICLONE, in.get()) != 0)
    throw UserError("FICLONE " + src.path.string() + " -> " + path.string() + ": " + strerror(errno));
  if (::fsync(out.get()) != 0) throw UserError("fsync " + path.string() + ": " + strerror(errno));
  return described(path, std::move(id), "sharer");
}

TrialFile describe_file(const fs::path& path, std::string id, std::string role) {
  return described(path, std::move(id), std::move(role));
}

PageRead read_page(int fd, uint64_t page) {
  PageRead r;
  std::vector<char> buf(kPageSize);
  r.bytes = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(page * kPageSize));
  if (r.bytes < 0) {
    r.err = errno;
    return r;
  }
  if (r.bytes != static_cast<ssize_t>(kPageSize)) return r;
  uint64_t h = 1469598103934665603ull;
  for (char c : buf) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  r.checksum = h;
  std::vector<char> expected;
  fill_pattern_page(expected, page);
  r.pattern_ok = expected == buf;
  return r;
}

}  // namespace poisonlab::agent
