#pragma once
// The QEMU command line of a poisonlab VM: pure functions of the VM's
// configuration, so every flag is unit-tested without booting anything.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace poisonlab {

struct NvdimmSpec {
  uint64_t size_bytes;                 // usable region size; a multiple of 2 MiB
  uint64_t label_bytes = 128 * 1024;   // namespace label area (QEMU minimum 128 KiB)
};

struct VmConfig {
  std::filesystem::path vm_dir;  // per-VM folder inside the run directory; everything the VM writes goes here
  std::filesystem::path kernel_image, initramfs;
  std::filesystem::path agent_path;  // absolute host path of poisonlab-agent; its folder is shared read-only (9p tag agentdir)
  std::string extra_cmdline;         // appended to the kernel command line
  int cpus = 2;
  uint64_t memory_mib = 2048;
  std::vector<NvdimmSpec> nvdimms;
  std::filesystem::path qemu_binary = "qemu-system-x86_64";
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

// Escapes a value for QEMU's key=value,... option syntax (',' -> ',,').
std::string qemu_opt_value(const std::string& value);

std::vector<std::string> build_qemu_command(const VmConfig& config, const QemuSockets& sockets);

}  // namespace poisonlab
