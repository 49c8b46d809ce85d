#include "target/qemu/qemu_command.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/process.h"

namespace poisonlab {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad_config(const std::string& field, const std::string& expected) {
  throw UserError("VM configuration: " + field + ": " + expected, kExitBadInput);
}

bool has_space(const std::string& s) { return s.find_first_of(" \t\n") != std::string::npos; }

uint64_t round_up(uint64_t value, uint64_t unit) { return (value + unit - 1) / unit * unit; }

}  // namespace

void validate_vm_config(const VmConfig& config) {
  if (config.vm_dir.empty()) bad_config("vm_dir", "expected a folder");
  if (config.kernel_image.empty()) bad_config("kernel_image", "expected a kernel image path");
  if (config.initramfs.empty()) bad_config("initramfs", "expected an initramfs path");
  if (!config.agent_path.is_absolute())
    bad_config("agent_path", "expected an absolute host path, got '" + config.agent_path.string() + "'");
  // The kernel command line carries the file name and has no quoting.
  if (!config.agent_path.has_filename() || has_space(config.agent_path.filename().string()))
    bad_config("agent_path",
               "expected a file name without whitespace (kernel command line), got '" + config.agent_path.string() + "'");
  if (config.cpus < 1) bad_config("cpus", "expected at least 1, got " + std::to_string(config.cpus));
  if (config.memory_mib < 128) bad_config("memory_mib", "expected at least 128, got " + std::to_string(config.memory_mib));
  for (size_t i = 0; i < config.nvdimms.size(); ++i) {
    const auto& nv = config.nvdimms[i];
    std::string field = fmt::format("nvdimms[{}]", i);
    if (nv.size_bytes == 0 || nv.size_bytes % (2 * kMiB) != 0)
      bad_config(field + ".size_bytes", fmt::format("expected a positive multiple of 2 MiB, got {}", nv.size_bytes));
    if (nv.label_bytes < 128 * 1024 || nv.label_bytes % 4096 != 0)
      bad_config(field + ".label_bytes",
                 fmt::format("expected a multiple of 4 KiB of at least 128 KiB, got {}", nv.label_bytes));
  }
  if (config.cxl) {
    if (!config.nvdimms.empty())
      bad_config("cxl", fmt::format("expected no NVDIMMs beside a CXL device, got {}", config.nvdimms.size()));
    if (config.cxl->size_bytes == 0 || config.cxl->size_bytes % (256 * kMiB) != 0)
      bad_config("cxl.size_bytes", fmt::format("expected a positive multiple of 256 MiB, got {}", config.cxl->size_bytes));
    if (config.cxl->lsa_bytes < 4096 || config.cxl->lsa_bytes % 4096 != 0)
      bad_config("cxl.lsa_bytes", fmt::format("expected a positive multiple of 4 KiB, got {}", config.cxl->lsa_bytes));
  }
}

uint64_t nvdimm_backing_bytes(const NvdimmSpec& nvdimm) { return nvdimm.size_bytes + nvdimm.label_bytes; }

fs::path nvdimm_image_path(const VmConfig& config, size_t index) {
  return config.vm_dir / fmt::format("nvdimm{}.img", index);
}
fs::path cxl_image_path(const VmConfig& config) { return config.vm_dir / "cxl0.img"; }
fs::path cxl_lsa_path(const VmConfig& config) { return config.vm_dir / "cxl0-lsa.img"; }
uint64_t cxl_window_bytes(const CxlDeviceSpec& cxl) { return std::max<uint64_t>(4 * kGiB, round_up(cxl.size_bytes, kGiB)); }
fs::path serial_log_path(const VmConfig& config) { return config.vm_dir / "serial.log"; }
fs::path qemu_log_path(const VmConfig& config) { return config.vm_dir / "qemu.log"; }
fs::path guest_share_path(const VmConfig& config) { return config.vm_dir / "guest"; }

int memory_slots(const VmConfig& config) { return static_cast<int>(config.nvdimms.size()) + 1; }

uint64_t max_memory_mib(const VmConfig& config) {
  uint64_t bytes = config.memory_mib * kMiB;
  for (const auto& nv : config.nvdimms) bytes += nvdimm_backing_bytes(nv);
  return (round_up(bytes, kGiB) + kGiB) / kMiB;
}

std::string kernel_cmdline(const VmConfig& config) {
  std::string cmdline = "console=ttyS0 quiet panic=-1";
  // Boot on one CPU; guest_init.sh onlines the others after the modules.
  if (config.boot.late_secondary_cpus && config.cpus > 1) cmdline += " maxcpus=1";
  cmdline += fmt::format(" poisonlab.agent={} poisonlab.port={}", config.agent_path.filename().string(),
                         kAgentPortName);
  if (!config.extra_cmdline.empty()) cmdline += " " + config.extra_cmdline;
  return cmdline;
}

std::optional<fs::path> find_qboot_rom(const fs::path& qemu_binary, const std::vector<fs::path>& extra_dirs) {
  std::vector<fs::path> dirs = extra_dirs;
  std::error_code ec;
  if (auto binary = find_program(qemu_binary.string())) {
    fs::path real = fs::canonical(*binary, ec);
    if (!ec) dirs.push_back(real.parent_path().parent_path() / "share" / "qemu");
  }
  dirs.push_back("/usr/share/qemu");
  dirs.push_back("/usr/local/share/qemu");
  for (const auto& dir : dirs)
    if (fs::is_regular_file(dir / "qboot.rom", ec)) return dir / "qboot.rom";
  return std::nullopt;
}

void resolve_boot_files(VmConfig& config) {
  if (config.boot.fast_firmware && config.firmware.empty())
    if (auto rom = find_qboot_rom(config.qemu_binary)) config.firmware = *rom;
  if (config.boot.pvh_entry && config.boot_image.empty()) config.boot_image = config.pvh_image;
}

void apply_fast_boot_setting(BootOptions& boot, const std::string& value) {
  if (value.empty() || value == "1" || value == "on") return;
  if (value == "0" || value == "off") {
    boot = {false, false, false};
    return;
  }
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item == "qboot") boot.fast_firmware = true;
    else if (item == "no-pvh") boot.pvh_entry = false;
    else if (item == "no-late-cpus") boot.late_secondary_cpus = false;
    else
      throw UserError("POISONLAB_FAST_BOOT: expected 1, 0 or a comma list of qboot, no-pvh, no-late-cpus; got '" +
                          value + "'",
                      kExitBadInput);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

nlohmann::json describe_boot(const VmConfig& config) {
  std::string firmware = config.firmware.empty()                    ? "default"
                         : config.firmware.filename() == "qboot.rom" ? "qboot"
                                                                     : config.firmware.string();
  return {{"firmware", firmware},
          {"kernel_entry", config.boot_image.empty() ? "bzimage" : "pvh"},
          {"late_secondary_cpus", config.boot.late_secondary_cpus && config.cpus > 1}};
}

std::string qemu_opt_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

namespace {

void add(std::vector<std::string>& argv, std::initializer_list<std::string> args) {
  argv.insert(argv.end(), args.begin(), args.end());
}

void add_nvdimms(std::vector<std::string>& argv, const VmConfig& config) {
  for (size_t i = 0; i < config.nvdimms.size(); ++i) {
    const auto& nv = config.nvdimms[i];
    add(argv, {"-object",
               fmt::format("memory-backend-file,id=nvmem{},share=on,mem-path={},size={}", i,
                           qemu_opt_value(nvdimm_image_path(config, i).string()), nvdimm_backing_bytes(nv)),
               "-device", fmt::format("nvdimm,memdev=nvmem{},id=nv{},label-size={}", i, i, nv.label_bytes)});
  }
}

// A 9p share. With CXL (q35 plus a CXL host bridge) the device goes on the
// root bus explicitly, as -fsdev plus -device: -virtfs may pick another bus.
void add_share(std::vector<std::string>& argv, const VmConfig& config, const std::string& tag, const std::string& path,
               const std::string& options) {
  if (!config.cxl) {
    add(argv, {"-virtfs", fmt::format("local,path={},mount_tag={},{}", path, tag, options)});
    return;
  }
  add(argv, {"-fsdev", fmt::format("local,id=fs-{},path={},{}", tag, path, options), "-device",
             fmt::format("virtio-9p-pci,fsdev=fs-{},mount_tag={},bus=pcie.0", tag, tag)});
}

void add_host_shares(std::vector<std::string>& argv, const VmConfig& config) {
  // The host root, read-only: the guest runs the host's tools and the agent.
  add_share(argv, config, "hostroot", "/", "security_model=none,readonly=on,multidevs=remap");
  // The agent's folder, read-only, mounted apart from the root: the guest has
  // its own tmpfs on /tmp and /run, which would hide a build there.
  add_share(argv, config, "agentdir", qemu_opt_value(config.agent_path.parent_path().string()),
            "security_model=none,readonly=on");
  // The only folder the guest may write.
  add_share(argv, config, "rundir", qemu_opt_value(guest_share_path(config).string()), "security_model=none");
}

// CXL (issue 5), the topology of kernel-facts.md: host bridge, root port,
// type-3 device with a persistent memdev and an LSA, one fixed memory window.
void add_cxl(std::vector<std::string>& argv, const VmConfig& config) {
  const CxlDeviceSpec& cxl = *config.cxl;
  add(argv, {"-object",
             fmt::format("memory-backend-file,id=cxlmem0,share=on,mem-path={},size={}",
                         qemu_opt_value(cxl_image_path(config).string()), cxl.size_bytes),
             "-object",
             fmt::format("memory-backend-file,id=cxllsa0,share=on,mem-path={},size={}",
                         qemu_opt_value(cxl_lsa_path(config).string()), cxl.lsa_bytes),
             "-device", fmt::format("pxb-cxl,bus_nr=12,bus=pcie.0,id={}", kCxlHostBridgeId),
             "-device", fmt::format("cxl-rp,port=0,bus={},id={},chassis=0,slot=2", kCxlHostBridgeId, kCxlRootPortId),
             "-device",
             fmt::format("cxl-type3,bus={},persistent-memdev=cxlmem0,lsa=cxllsa0,id={},sn=0x1", kCxlRootPortId,
                         kCxlType3Id),
             "-M",
             fmt::format("cxl-fmw.0.targets.0={},cxl-fmw.0.size={}G", kCxlHostBridgeId, cxl_window_bytes(cxl) / kGiB)});
}

void add_channels(std::vector<std::string>& argv, const VmConfig& config, const QemuSockets& sockets) {
  add(argv, {"-chardev", fmt::format("file,id=serial0,path={}", qemu_opt_value(serial_log_path(config).string())),
             "-serial", "chardev:serial0"});
  add(argv, {"-chardev",
             fmt::format("socket,id=qmp,path={},server=on,wait=off", qemu_opt_value(sockets.qmp.string())),
             "-mon", "chardev=qmp,mode=control"});
  add(argv, {"-device", config.cxl ? "virtio-serial-pci,bus=pcie.0" : "virtio-serial-pci", "-chardev",
             fmt::format("socket,id=agent,path={},server=on,wait=off", qemu_opt_value(sockets.agent.string())),
             "-device", fmt::format("virtserialport,chardev=agent,name={}", kAgentPortName)});
}

}  // namespace

std::vector<std::string> build_qemu_command(const VmConfig& config, const QemuSockets& sockets) {
  std::vector<std::string> argv = {config.qemu_binary.string()};
  // Intel vendor: QEMU's injected machine checks panic an AMD-vendor guest.
  // Intel (an AMD vendor makes the guest panic on an uncorrected error) and
  // family 6 model >= 14, below which QEMU refuses broadcast machine checks
  // ("Guest CPU does not support MCA broadcast"); 85 is Skylake-SP.
  add(argv, {"-machine", config.cxl ? "q35,cxl=on" : "pc,nvdimm=on", "-accel", "tcg", "-cpu",
             "max,vendor=GenuineIntel,family=6,model=85"});
  add(argv, {"-smp", std::to_string(config.cpus), "-m",
             fmt::format("{}M,slots={},maxmem={}M", config.memory_mib, memory_slots(config), max_memory_mib(config))});
  add_nvdimms(argv, config);
  if (config.cxl) add_cxl(argv, config);
  if (!config.firmware.empty()) add(argv, {"-bios", config.firmware.string()});
  add(argv, {"-kernel", (config.boot_image.empty() ? config.kernel_image : config.boot_image).string(), "-initrd",
             config.initramfs.string(), "-append", kernel_cmdline(config)});
  // panic=-1 plus -no-reboot: a guest panic ends QEMU instead of rebooting.
  add(argv, {"-display", "none", "-no-reboot"});
  add_host_shares(argv, config);
  add_channels(argv, config, sockets);
  return argv;
}

}  // namespace poisonlab
