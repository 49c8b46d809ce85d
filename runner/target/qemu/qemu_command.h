#pragma once
// The QEMU command line of a poisonlab VM: pure functions of the VM's
// configuration, so every flag is unit-tested without booting anything.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonlab {

// CXL (issue 5): one CXL type-3 device with persistent memory and a label
// storage area (LSA), behind a CXL host bridge (pxb-cxl) and root port, with
// a fixed memory window the guest's `cxl create-region` maps it into.
struct CxlDeviceSpec {
  uint64_t size_bytes;                 // persistent capacity; a multiple of 256 MiB
  uint64_t lsa_bytes = 256 * 1024;     // label storage area
};
// The type-3 device's QEMU id (QMP cxl-inject-poison takes its QOM path,
// /machine/peripheral/<id>).
inline constexpr const char* kCxlType3Id = "cxl-pmem0";
inline constexpr const char* kCxlHostBridgeId = "cxl.1";
inline constexpr const char* kCxlRootPortId = "cxl_rp0";

struct NvdimmSpec {
  uint64_t size_bytes;                 // usable region size; a multiple of 2 MiB
  uint64_t label_bytes = 128 * 1024;   // namespace label area (QEMU minimum 128 KiB)
};

// Shortcuts that only shorten the boot: the kernel that runs afterwards, its
// code, CPUs, memory and devices are the same (runner/protocol/PROTOCOL.md,
// "Guest environment"). $POISONLAB_FAST_BOOT turns them off (see
// apply_fast_boot_setting).
struct BootOptions {
  // -bios qboot.rom when QEMU ships it: no SeaBIOS POST. Off by default:
  // qboot leaves the MTRRs unprogrammed, so the guest's memory types differ
  // (6.1 then disables PAT altogether) and it saves well under a second.
  bool fast_firmware = false;
  // Boot the kernel stage's uncompressed kernel ELF (pvh_image) through
  // its PVH entry: the emulated CPU does not
  // decompress the kernel. Such a boot has no KASLR (the decompressor
  // randomizes the kernel's addresses).
  bool pvh_entry = true;
  // maxcpus=1: the guest init loads the modules on one CPU (under TCG every
  // module's code patching costs cross-CPU synchronization with two), then
  // onlines the other CPUs before the agent starts.
  bool late_secondary_cpus = true;
};

struct VmConfig {
  std::filesystem::path vm_dir;  // per-VM folder inside the run directory; everything the VM writes goes here
  std::filesystem::path kernel_image, initramfs;
  std::filesystem::path agent_path;  // absolute host path of poisonlab-agent; its folder is shared read-only (9p tag agentdir)
  std::string extra_cmdline;         // appended to the kernel command line
  int cpus = 2;
  uint64_t memory_mib = 2048;
  std::vector<NvdimmSpec> nvdimms;
  std::optional<CxlDeviceSpec> cxl;  // set: q35 with cxl=on and one type-3 device (no NVDIMMs then)
  std::filesystem::path qemu_binary = "qemu-system-x86_64";
  BootOptions boot;
  // The kernel stage's uncompressed ELF of kernel_image (KernelArtifacts::pvh_image); empty: none.
  std::filesystem::path pvh_image;
  // Set by resolve_boot_files (or by hand): -bios FILE, empty for QEMU's
  // default firmware; -kernel FILE, empty for kernel_image.
  std::filesystem::path firmware;
  std::filesystem::path boot_image;
  // How long QEMU may take to open its agent and QMP sockets (not the boot).
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
  // The NVDIMM backing files are sparse but can grow to their full size;
  // they are deleted when the target is destroyed unless kept.
  bool keep_nvdimm_images = false;
};

struct QemuSockets {
  std::filesystem::path agent;  // virtio-serial chardev (server in QEMU)
  std::filesystem::path qmp;    // QMP monitor (server in QEMU)
};

inline constexpr const char* kAgentPortName = "poisonlab.agent";
inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// Throws UserError (exit status 2) naming the field when the configuration
// cannot give a working VM (e.g. NVDIMM size not 2 MiB aligned, relative
// agent path or one under /tmp or /run (tmpfs in the guest), whitespace in
// a kernel command line value).
void validate_vm_config(const VmConfig& config);

// Bytes of the NVDIMM backing file: region plus label, or ndctl
// create-namespace fails on alignment.
uint64_t nvdimm_backing_bytes(const NvdimmSpec& nvdimm);
std::filesystem::path nvdimm_image_path(const VmConfig& config, size_t index);
// CXL backing files, beside the NVDIMM images in the VM folder.
std::filesystem::path cxl_image_path(const VmConfig& config);
std::filesystem::path cxl_lsa_path(const VmConfig& config);
// The fixed memory window: at least 4 GiB, and at least the device.
uint64_t cxl_window_bytes(const CxlDeviceSpec& cxl);
std::filesystem::path serial_log_path(const VmConfig& config);
std::filesystem::path qemu_log_path(const VmConfig& config);
// The guest's only writable host folder (9p tag "rundir").
std::filesystem::path guest_share_path(const VmConfig& config);

// -m slots: one per NVDIMM plus one spare.
int memory_slots(const VmConfig& config);
// -m maxmem in MiB: RAM plus all NVDIMM backing sizes, rounded up to a GiB,
// plus one GiB of slack.
uint64_t max_memory_mib(const VmConfig& config);

std::string kernel_cmdline(const VmConfig& config);

// qboot.rom of the QEMU installation: beside its data files
// (<prefix>/share/qemu, from the binary's resolved path), then
// /usr/share/qemu and /usr/local/share/qemu; extra_dirs first if given.
std::optional<std::filesystem::path> find_qboot_rom(const std::filesystem::path& qemu_binary,
                                                    const std::vector<std::filesystem::path>& extra_dirs = {});
// Fills firmware and boot_image from boot, pvh_image and the qboot.rom
// present; leaves set fields alone. A missing qboot.rom or PVH image means the slower
// default boot, never an error.
void resolve_boot_files(VmConfig& config);
// $POISONLAB_FAST_BOOT: unset, "" or "1": the defaults; "0" or "off": no
// shortcut; otherwise a comma list of changes: qboot (turns the firmware
// shortcut on), no-pvh, no-late-cpus. Throws UserError (exit status 2) on
// anything else.
void apply_fast_boot_setting(BootOptions& boot, const std::string& value);
// "qboot" / "default"; "pvh" / "bzimage"; for the report.
nlohmann::json describe_boot(const VmConfig& config);

// Escapes a value for QEMU's key=value,... option syntax (',' -> ',,').
std::string qemu_opt_value(const std::string& value);

std::vector<std::string> build_qemu_command(const VmConfig& config, const QemuSockets& sockets);

}  // namespace poisonlab
