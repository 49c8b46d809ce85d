#include "agent/fsmap.h"

#include <fcntl.h>
#include <linux/fsmap.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/unique_fd.h"

namespace poisonlab::agent {
namespace {

// XFS's special owners (fs/xfs/libxfs/xfs_fs.h); ext4 shares the 'X' codes
// it uses and adds 'f' ones (fs/ext4/fsmap.h).
constexpr uint64_t owner(uint64_t type, uint64_t code) { return type << 32 | code; }
struct SpecialOwner {
  uint64_t owner;
  const char* name;
};
constexpr SpecialOwner kSpecialOwners[] = {
    {FMR_OWN_FREE, "free"},           {FMR_OWN_UNKNOWN, "unknown"},        {FMR_OWN_METADATA, "metadata"},
    {owner('X', 1), "fs-static"},     {owner('X', 2), "log"},              {owner('X', 3), "ag-metadata"},
    {owner('X', 4), "inode-btree"},   {owner('X', 5), "inodes"},           {owner('X', 6), "refcount-btree"},
    {owner('X', 7), "cow"},           {owner('X', 8), "defective"},        {owner('f', 1), "group-descriptors"},
    {owner('f', 2), "reserved-gdt"},  {owner('f', 3), "block-bitmap"},     {owner('f', 4), "inode-bitmap"},
};
static_assert(FMR_OWNER('X', 8) == owner('X', 8));

// The kernel reports fmr_device as new_encode_dev(), not glibc's dev_t.
uint32_t kernel_encode_dev(dev_t dev) {
  uint32_t ma = major(dev), mi = minor(dev);
  return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

FsmapRecord from_kernel(const struct fsmap& m) {
  return {m.fmr_device, m.fmr_physical, m.fmr_length, m.fmr_owner, m.fmr_offset, m.fmr_flags};
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int err) {
  std::string hint = (err == EOPNOTSUPP || err == ENOTTY) ? " (the file system does not support GETFSMAP)" : "";
  throw FsmapError(what + " " + path.string() + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")" +
                       hint,
                   err);
}

}  // namespace

bool FsmapRecord::special_owner() const { return flags & FMR_OF_SPECIAL_OWNER; }
bool FsmapRecord::free() const { return special_owner() && owner == FMR_OWN_FREE; }

std::string FsmapRecord::owner_name() const {
  if (!special_owner()) return "inode " + std::to_string(owner);
  for (const auto& s : kSpecialOwners)
    if (s.owner == owner) return s.name;
  char hex[32];
  std::snprintf(hex, sizeof(hex), "special 0x%llx", static_cast<unsigned long long>(owner));
  return hex;
}

std::vector<FsmapRecord> read_fsmap(const std::filesystem::path& any_path_on_fs) {
  UniqueFd fd(::open(any_path_on_fs.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) fail(any_path_on_fs, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(any_path_on_fs, "cannot stat", errno);
  const uint32_t data_dev = kernel_encode_dev(st.st_dev);

  // Room for 512 records per call; uint64_t storage keeps fsmap_head aligned.
  constexpr unsigned kBatch = 512;
  std::vector<uint64_t> buffer((fsmap_sizeof(kBatch) + 7) / 8, 0);
  auto* head = reinterpret_cast<struct fsmap_head*>(buffer.data());
  head->fmh_count = kBatch;
  // Low key all zeroes: from the start. High key all ones: no upper bound,
  // except fmr_length 0: XFS shifts it to 512-byte units before checking it
  // is 0 or all ones, so all ones fails with EINVAL (xfs_io leaves it 0 too).
  std::memset(&head->fmh_keys[1], 0xff, sizeof(head->fmh_keys[1]));
  head->fmh_keys[1].fmr_length = 0;
  std::memset(head->fmh_keys[1].fmr_reserved, 0, sizeof(head->fmh_keys[1].fmr_reserved));

  std::vector<FsmapRecord> out;
  std::optional<FsmapRecord> previous_last;
  while (true) {
    if (::ioctl(fd.get(), FS_IOC_GETFSMAP, head) != 0) fail(any_path_on_fs, "FS_IOC_GETFSMAP on", errno);
    if (head->fmh_entries == 0) break;
    bool by_dev_t = head->fmh_oflags & FMH_OF_DEV_T;
    for (unsigned i = 0; i < head->fmh_entries; ++i)
      if (!by_dev_t || head->fmh_recs[i].fmr_device == data_dev) out.push_back(from_kernel(head->fmh_recs[i]));
    const struct fsmap& last = head->fmh_recs[head->fmh_entries - 1];
    if (last.fmr_flags & FMR_OF_LAST) break;
    // Guard against a kernel that hands back the same batch forever.
    FsmapRecord l = from_kernel(last);
    if (previous_last && previous_last->device == l.device && previous_last->physical == l.physical &&
        previous_last->owner == l.owner && previous_last->offset == l.offset)
      throw FsmapError("FS_IOC_GETFSMAP on " + any_path_on_fs.string() + " made no progress", 0);
    previous_last = l;
    // As the kernel documents (fsmap_advance): resume after the last record.
    head->fmh_keys[0] = last;
  }
  return out;
}

std::optional<uint64_t> find_free_range(const std::vector<FsmapRecord>& records, uint64_t bytes, uint64_t align) {
  if (bytes == 0) return std::nullopt;
  if (align == 0) align = 1;
  std::vector<const FsmapRecord*> candidates;
  for (const auto& r : records)
    if (r.free() && r.length >= bytes) candidates.push_back(&r);
  // Largest first; equal lengths keep device order.
  std::stable_sort(candidates.begin(), candidates.end(), [](auto* a, auto* b) { return a->length > b->length; });
  for (const FsmapRecord* r : candidates) {
    uint64_t end = r->physical + r->length;
    uint64_t middle = r->physical + (r->length - bytes) / 2;
    uint64_t start = middle - middle % align;
    if (start < r->physical) {  // rounding down left the record: round up instead
      start += align;
      if (start < r->physical) continue;  // overflowed
    }
    if (start <= end && end - start >= bytes) return start;
  }
  return std::nullopt;
}

}  // namespace poisonlab::agent
