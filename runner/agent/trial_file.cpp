#include "agent/trial_file.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/stack.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace poisonlab::agent {

nlohmann::json TrialFile::to_json() const {
  nlohmann::json ext = nlohmann::json::array();
  for (const auto& e : extents)
    ext.push_back({{"logical", e.logical}, {"physical", e.physical}, {"length", e.length}, {"flags", e.flags}});
  return {{"path", path.string()},
          {"size", size},
          {"extents", ext},
          {"statx_attr_dax", dax ? nlohmann::json(*dax) : nlohmann::json(nullptr)}};
}

std::vector<Extent> read_fiemap(int fd, const std::filesystem::path& path) {
  constexpr unsigned kBatch = 64;
  std::vector<Extent> extents;
  uint64_t start = 0;
  for (;;) {
    std::vector<char> buf(sizeof(fiemap) + kBatch * sizeof(fiemap_extent));
    auto* fm = reinterpret_cast<fiemap*>(buf.data());
    fm->fm_start = start;
    fm->fm_length = FIEMAP_MAX_OFFSET - start;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = kBatch;
    if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0)
      throw UserError("FIEMAP on " + path.string() + ": " + strerror(errno));
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

TrialFile create_trial_file(const std::filesystem::path& path, uint64_t pages, uint64_t page_size) {
  UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644));
  if (!fd) throw UserError("cannot create " + path.string() + ": " + strerror(errno));
  // Each page holds its own index, so a read-back names the page it came from.
  std::vector<char> page(page_size);
  for (uint64_t p = 0; p < pages; ++p) {
    std::memset(page.data(), static_cast<int>('A' + p % 26), page.size());
    std::memcpy(page.data(), &p, sizeof p);
    if (::pwrite(fd.get(), page.data(), page.size(), static_cast<off_t>(p * page_size)) !=
        static_cast<ssize_t>(page.size()))
      throw UserError("cannot write " + path.string() + ": " + strerror(errno));
  }
  if (::fsync(fd.get()) != 0) throw UserError("fsync " + path.string() + ": " + strerror(errno));
  TrialFile f;
  f.path = path;
  f.size = pages * page_size;
  f.extents = read_fiemap(fd.get(), path);
  f.dax = statx_dax(path);
  return f;
}

}  // namespace poisonlab::agent
