#include "observe/kernel_log.h"

#include <gtest/gtest.h>

namespace poisonlab {
namespace {

const char* const kWarningWithTrace = R"([   41.120001] cxl region0: Failed to synchronize CPU cache state
[   41.120310] ------------[ cut here ]------------
[   41.120456] WARNING: CPU: 0 PID: 1 at drivers/cxl/core/region.c:3195 cxl_region_invalidate_memregion+0x9d/0xc0 [cxl_core]
[   41.121000] Modules linked in: cxl_pmem cxl_mem cxl_pci cxl_port cxl_acpi cxl_core
[   41.121500] CPU: 0 PID: 1 Comm: cxl Not tainted 6.12.95+deb12-amd64 #1  Debian 6.12.95-1~bpo12+1
[   41.122000] RIP: 0010:cxl_region_invalidate_memregion+0x9d/0xc0 [cxl_core]
[   41.122100] Code: 48 8b 45 00 e8 00 00 00 00 0f 0b
[   41.122200] RSP: 0018:ffffb3c0c0013d48 EFLAGS: 00010246
[   41.122300] Call Trace:
[   41.122310]  <TASK>
[   41.122320]  ? __warn+0x81/0x130
[   41.122330]  ? cxl_region_invalidate_memregion+0x9d/0xc0 [cxl_core]
[   41.122340]  cxl_region_probe+0x1e/0x40 [cxl_core]
[   41.122350]  really_probe+0xdb/0x340
[   41.122360]  </TASK>
[   41.122370] ---[ end trace 0000000000000000 ]---
[   41.130000] cxl region0: probe failed
)";

const char* const kNullDerefOopsPanic =
    R"([   88.000001] BUG: kernel NULL pointer dereference, address: 0000000000000008
[   88.000100] #PF: supervisor read access in kernel mode
[   88.000200] #PF: error_code(0x0000) - not-present page
[   88.000300] PGD 0 P4D 0
[   88.000400] Oops: 0000 [#1] PREEMPT SMP NOPTI
[   88.000500] CPU: 1 PID: 245 Comm: poisonlab-agent Not tainted 6.1.0-56-amd64 #1  Debian 6.1.158-1
[   88.000600] RIP: 0010:xfs_dax_notify_failure+0x4a/0x3c0 [xfs]
[   88.000700] Call Trace:
[   88.000710]  <TASK>
[   88.000720]  dax_holder_notify_failure+0x6e/0xa0
[   88.000730]  pmem_pagemap_memory_failure+0x3a/0x50 [nd_pmem]
[   88.000740]  memory_failure+0x1f5/0x7e0
[   88.000750]  </TASK>
[   88.000760] CR2: 0000000000000008
[   88.000770] ---[ end trace 0000000000000000 ]---
[   88.000780] RIP: 0010:xfs_dax_notify_failure+0x4a/0x3c0 [xfs]
[   88.000790] Kernel panic - not syncing: Fatal exception
[   88.000800] Kernel Offset: 0x1c000000 from 0xffffffff81000000
[   88.000810] ---[ end Kernel panic - not syncing: Fatal exception ]---
)";

TEST(KernelLog, WarningWithCallTraceIsOneFinding) {
  auto findings = find_kernel_problems(std::string_view(kWarningWithTrace));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, kKindWarning);
  EXPECT_EQ(findings[0].title, "WARNING in cxl_region_invalidate_memregion");
  EXPECT_EQ(findings[0].line_index, 2u);
  ASSERT_FALSE(findings[0].excerpt.empty());
  EXPECT_NE(findings[0].excerpt[0].find("WARNING: CPU: 0"), std::string::npos);
  EXPECT_EQ(findings[0].excerpt.size(), 15u);  // the header and the 14 lines left
}

TEST(KernelLog, NullDerefWithOopsAndPanic) {
  auto findings = find_kernel_problems(std::string_view(kNullDerefOopsPanic));
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].kind, kKindBug);
  // Titled by the faulting function, not the address, so one bug keeps one title across boots.
  EXPECT_EQ(findings[0].title, "BUG: kernel NULL pointer dereference in xfs_dax_notify_failure");
  EXPECT_EQ(findings[0].line_index, 0u);
  EXPECT_EQ(findings[0].excerpt.size(), 19u);  // the whole snippet: fewer than 21 lines
  EXPECT_EQ(findings[1].kind, kKindKernelPanic);
  EXPECT_EQ(findings[1].title, "Kernel panic - not syncing: Fatal exception");
  EXPECT_EQ(findings[1].line_index, 16u);
}

TEST(KernelLog, PanicTitleDropsExitCode) {
  auto findings = find_kernel_problems(
      std::string_view("[    2.301000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n"
                       "[    2.301100] CPU: 0 PID: 1 Comm: init Not tainted 6.12.95+deb12-amd64 #1\n"
                       "[    2.301200] Call Trace:\n"
                       "[    2.301210]  <TASK>\n"
                       "[    2.301220]  dump_stack_lvl+0x64/0x80\n"
                       "[    2.301230]  panic+0x322/0x350\n"
                       "[    2.301240]  do_exit+0x97e/0xb10\n"));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, kKindKernelPanic);
  EXPECT_EQ(findings[0].title, "Kernel panic - not syncing: Attempted to kill init!");
}

TEST(KernelLog, RcuStallSelfDetectedAndDetected) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "[  200.000000] rcu: INFO: rcu_sched self-detected stall on CPU",
      "[  200.000010] rcu: \t1-....: (20999 ticks this GP) idle=8d4c/1/0x4000000000000000",
      "[  200.000020] NMI backtrace for cpu 1",
      "[  200.000030] Call Trace:",
      "[  200.000040]  <IRQ>",
      "[  200.000050]  dump_stack_lvl+0x44/0x5c",
      "[  200.000060]  nmi_cpu_backtrace.cold+0x30/0x70",
      "[  263.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
  });
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].kind, kKindRcuStall);
  EXPECT_EQ(findings[0].title, "INFO: rcu_sched self-detected stall on CPU");
  EXPECT_EQ(findings[1].kind, kKindRcuStall);
  EXPECT_EQ(findings[1].title, "INFO: rcu_preempt detected stalls on CPUs/tasks:");
  EXPECT_EQ(findings[1].line_index, 7u);
}

TEST(KernelLog, LinesWithoutTimestampsAndWithKmsgHeaders) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "BUG: unable to handle page fault for address: ffffc90000a00000",
      "4,812,88000001,-;WARNING: CPU: 1 PID: 300 at mm/memory-failure.c:1234 memory_failure+0x3f/0x7e0",
      "<4>[   12.5] [    T300] general protection fault, probably for non-canonical address "
      "0xdffffc0000000001: 0000 [#1] PREEMPT SMP NOPTI",
      "<4>[   12.5] [    T300] RIP: 0010:mf_dax_kill_procs+0x20/0x150",
  });
  // The fault comes inside the WARNING's report (no end marker yet): part of it.
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].title, "BUG: unable to handle page fault for address: ffffc90000a00000");
  EXPECT_EQ(findings[1].title, "WARNING in memory_failure");
  EXPECT_EQ(findings[1].line_index, 1u);
}

TEST(KernelLog, PageFaultFromDebian61UnmountAfterUnbind) {
  // Seen on debian-6.1 when the namespace under a mounted XFS-DAX was unbound.
  auto findings = find_kernel_problems(std::vector<std::string>{
      "[   13.129509] BUG: unable to handle page fault for address: fff35578c4008634",
      "[   13.129954] #PF: supervisor read access in kernel mode",
      "[   13.130164] #PF: error_code(0x0000) - not-present page",
      "[   13.130367] PGD 7ffdc067 P4D 7ffdb067 PUD 7ffda067 PMD 0 ",
      "[   13.130835] Oops: 0000 [#1] PREEMPT SMP PTI",
      "[   13.131091] CPU: 1 PID: 177 Comm: umount Not tainted 6.1.0-56-amd64 #1  Debian 6.1.192-2",
      "[   13.131346] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.3 04/01/2014",
      "[   13.131730] RIP: 0010:dax_disassociate_entry+0x7f/0xb0",
  });
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, kKindBug);
  EXPECT_EQ(findings[0].title, "BUG: unable to handle page fault in dax_disassociate_entry");
}

TEST(KernelLog, StandaloneGeneralProtectionFaultGetsRipFunction) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "[ 12.5] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP",
      "[ 12.5] KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]",
      "[ 12.5] CPU: 0 PID: 300 Comm: poisonlab-agent Not tainted 6.12.95+deb12-amd64 #1",
      "[ 12.5] RIP: 0010:mf_dax_kill_procs+0x20/0x150",
      "[ 12.5] Call Trace:",
      "[ 12.5]  xfs_dax_notify_failure+0x2a0/0x3c0 [xfs]",
  });
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, kKindGeneralProtectionFault);
  EXPECT_EQ(findings[0].title, "general protection fault in mf_dax_kill_procs");
}

TEST(KernelLog, StandaloneCallTraceNamesFirstRealFrame) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "[ 50.1] XFS (pmem0): Corruption of in-memory data (0x8) detected at xfs_dax_notify_failure+0x2b1/0x3c0 [xfs]",
      "[ 50.1] CPU: 1 PID: 400 Comm: poisonlab-agent Not tainted 6.12.95+deb12-amd64 #1",
      "[ 50.1] Call Trace:",
      "[ 50.1]  <TASK>",
      "[ 50.1]  dump_stack_lvl+0x64/0x80",
      "[ 50.1]  ? xfs_stack_trace+0x10/0x20 [xfs]",
      "[ 50.1]  xfs_corruption_error+0x8a/0x90 [xfs]",
  });
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, kKindCallTrace);
  EXPECT_EQ(findings[0].title, "Call Trace in xfs_corruption_error");
}

TEST(KernelLog, CallTraceAfterEndOfReportIsSeparate) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "WARNING: CPU: 0 PID: 1 at fs/xfs/xfs_a.c:1 xfs_a+0x1/0x2",
      "Call Trace:",
      " xfs_b+0x1/0x2",
      "---[ end trace 0000000000000000 ]---",
      "Call Trace:",
      " xfs_c+0x1/0x2",
  });
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[1].kind, kKindCallTrace);
  EXPECT_EQ(findings[1].title, "Call Trace in xfs_c");
  EXPECT_EQ(findings[1].line_index, 4u);
}

TEST(KernelLog, LockdepLockupHungTaskSanitizers) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "[ 1.0] ======================================================",
      "[ 1.0] WARNING: possible circular locking dependency detected",
      "[ 1.0] 6.12.95 #1 Not tainted",
      "[ 1.0] poisonlab-agent/300 is trying to acquire lock:",
      "[ 1.0] ffff888003c0 (&mapping->i_mmap_rwsem){++++}-{3:3}, at: mf_dax_kill_procs+0x5e/0x150",
      "[ 1.0] ---[ end trace 0000000000000000 ]---",
      "[ 2.0] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [poisonlab-agent:300]",
      "[ 2.0] RIP: 0010:unmap_mapping_range+0x10/0x90",
      "[ 2.0] ---[ end trace 0000000000000000 ]---",
      "[ 3.0] INFO: task kworker/u4:2:77 blocked for more than 120 seconds.",
      "[ 3.0] ---[ end trace 0000000000000000 ]---",
      "[ 4.0] UBSAN: shift-out-of-bounds in mm/memory-failure.c:412:15",
      "[ 5.0] BUG: KASAN: slab-use-after-free in xfs_dax_notify_failure+0x12/0x30 [xfs]",
      "[ 6.0] WARNING: inconsistent lock state",
      "[ 7.0] WARNING: possible recursive locking detected",
  });
  ASSERT_EQ(findings.size(), 7u);
  EXPECT_EQ(findings[0].kind, kKindLockdep);
  EXPECT_EQ(findings[0].title, "possible circular locking dependency detected in mf_dax_kill_procs");
  EXPECT_EQ(findings[1].kind, kKindSoftLockup);
  EXPECT_EQ(findings[1].title, "BUG: soft lockup in unmap_mapping_range");
  EXPECT_EQ(findings[2].kind, kKindHungTask);
  EXPECT_EQ(findings[2].title, "INFO: task kworker/u4:2 blocked for more than 120 seconds");
  EXPECT_EQ(findings[3].kind, kKindUbsan);
  EXPECT_EQ(findings[3].title, "UBSAN: shift-out-of-bounds in mm/memory-failure.c:412:15");
  EXPECT_EQ(findings[4].kind, kKindKasan);
  EXPECT_EQ(findings[4].title, "KASAN: slab-use-after-free in xfs_dax_notify_failure");
  EXPECT_EQ(findings[5].kind, kKindLockdep);
  EXPECT_EQ(findings[6].kind, kKindLockdep);
}

TEST(KernelLog, OrdinaryMessagesAreNotProblems) {
  auto findings = find_kernel_problems(std::vector<std::string>{
      "[    3.100000] poisonlab-init: BUG: this is the init script echoing a test string",
      "[    9.000000] XFS (pmem0): DAX enabled. Warning: EXPERIMENTAL, use at your own risk",
      "[    9.100000] XFS (pmem0): Mounting V5 Filesystem",
      "[   10.000000] Memory failure: 0x10027b: recovery action for dax page: Recovered",
      "[   10.100000] Injecting memory failure for pfn 0x10027b at process virtual address 0x7f0000004000",
      "",
  });
  EXPECT_TRUE(findings.empty());
}

TEST(KernelLog, LogMessageStripsPrefixes) {
  EXPECT_EQ(log_message("[   12.345678] hello"), "hello");
  EXPECT_EQ(log_message("6,1234,5678901,-;hello"), "hello");
  EXPECT_EQ(log_message("<3>[ 1.5] [  C1] hello"), "hello");
  EXPECT_EQ(log_message("[not a time] hello"), "[not a time] hello");
  EXPECT_EQ(log_message("hello\r"), "hello");
}

TEST(KernelLog, SplitLines) {
  auto lines = split_log_lines("a\r\nb\n\nc\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "a");
  EXPECT_EQ(lines[2], "");
  EXPECT_EQ(lines[3], "c");
}

TEST(KernelLogMessages, RecoveryResultsAndAlreadyPoisoned) {
  std::vector<std::string> lines = {
      "[   10.000000] Memory failure: 0x10027b: recovery action for dax page: Recovered",
      "Memory failure: 0x10027c: recovery action for dax page: Failed",
      "[   10.2] Memory failure: 0x3f00: recovery action for reserved kernel page: Ignored",
      "[   10.3] Memory failure: 0x10027b: already hardware poisoned",
  };
  auto results = find_recovery_results(lines);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].pfn, 0x10027bu);
  EXPECT_EQ(results[0].page_type, "dax page");
  EXPECT_EQ(results[0].result, "Recovered");
  EXPECT_EQ(results[1].pfn, 0x10027cu);
  EXPECT_EQ(results[1].result, "Failed");
  EXPECT_EQ(results[1].line_index, 1u);
  EXPECT_EQ(results[2].page_type, "reserved kernel page");
  EXPECT_EQ(results[2].result, "Ignored");
  auto poisoned = find_already_poisoned(lines);
  ASSERT_EQ(poisoned.size(), 1u);
  EXPECT_EQ(poisoned[0].pfn, 0x10027bu);
  EXPECT_EQ(poisoned[0].line_index, 3u);
}

TEST(KernelLogMessages, InjectionFromMadviseAndHwpoisonInject) {
  auto found = find_injection_messages({
      "[   10.1] Injecting memory failure for pfn 0x10027b at process virtual address 0x7f1c2a604000",
      "[   11.1] Injecting memory failure at pfn 0x10027c",
      "[   11.2] Injecting memory failure at pfn garbage",
  });
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].source, "madvise");
  EXPECT_EQ(found[0].pfn, 0x10027bu);
  ASSERT_TRUE(found[0].vaddr.has_value());
  EXPECT_EQ(*found[0].vaddr, 0x7f1c2a604000u);
  EXPECT_EQ(found[1].source, "hwpoison-inject");
  EXPECT_EQ(found[1].pfn, 0x10027cu);
  EXPECT_FALSE(found[1].vaddr.has_value());
}

// Lines as logged by the Debian 6.1 and 6.12 kernels (dev VM, madvise then
// hwpoison-inject on an XFS-DAX file).
TEST(KernelLogMessages, RealSequenceFromDebianKernels) {
  std::vector<std::string> lines = {
      "[   18.390183] Injecting memory failure for pfn 0x10021c at process virtual address 0x7f3ea3af4000",
      "[   18.393397] Memory failure: 0x10021c: Sending SIGBUS to python3:150 due to hardware memory corruption",
      "[   18.395195] Memory failure: 0x10021c: recovery action for dax page: Recovered",
      "[   18.847108] Injecting memory failure at pfn 0x10021e",
      "[   18.847450] Memory failure: 0x10021e: Sending SIGBUS to python3:149 due to hardware memory corruption",
      "[   18.847778] Memory failure: 0x10021e: recovery action for dax page: Recovered",
  };
  EXPECT_TRUE(find_kernel_problems(lines).empty());
  auto injections = find_injection_messages(lines);
  ASSERT_EQ(injections.size(), 2u);
  EXPECT_EQ(injections[0].source, "madvise");
  EXPECT_EQ(injections[1].source, "hwpoison-inject");
  EXPECT_EQ(injections[1].pfn, 0x10021eu);
  auto sigbus = find_sigbus_messages(lines);
  ASSERT_EQ(sigbus.size(), 2u);
  EXPECT_EQ(sigbus[0].pfn, 0x10021cu);
  EXPECT_EQ(sigbus[0].comm, "python3");
  EXPECT_EQ(sigbus[0].pid, 150);
  EXPECT_EQ(sigbus[1].line_index, 4u);
  auto recovered = find_recovery_results(lines);
  ASSERT_EQ(recovered.size(), 2u);
  EXPECT_EQ(recovered[1].pfn, 0x10021eu);
}

TEST(KernelLogMessages, XfsShutdownMessages) {
  auto found = find_xfs_shutdown_messages({
      "[ 50.1] XFS (pmem0): Corruption of in-memory data (0x8) detected at xfs_dax_notify_failure+0x2b1/0x3c0 "
      "[xfs] (fs/xfs/xfs_notify_failure.c:93).  Shutting down filesystem.",
      "[ 50.2] XFS (dm-0): Please unmount the filesystem and rectify the problem(s)",
      "[ 50.3] XFS (pmem0): xfs_do_force_shutdown(0x2) called from line 1181 of file fs/xfs/xfs_trans.c.",
      "[ 50.4] XFS (pmem0): Filesystem has been shut down due to log error (0x2).",
      "[ 50.5] XFS (pmem0): Mounting V5 Filesystem",
      "[ 50.6] XFS (pmem0): WARNING: Reset corrupted AGFL on AG 0. 1 blocks leaked. Please unmount and run xfs_repair.",
  });
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].device, "pmem0");
  EXPECT_EQ(found[0].message.rfind("Corruption of in-memory data", 0), 0u);
  EXPECT_EQ(found[1].device, "dm-0");
  EXPECT_EQ(found[3].line_index, 3u);
}

TEST(KernelLogMessages, DaxMountMessages) {
  auto found = find_dax_mount_messages({
      "[ 9.0] XFS (pmem0): DAX enabled. Warning: EXPERIMENTAL, use at your own risk",
      "[ 9.1] XFS (dm-0): DAX unsupported by block device. Turning off DAX.",
  });
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].dax_enabled);
  EXPECT_EQ(found[0].device, "pmem0");
  EXPECT_FALSE(found[1].dax_enabled);
  EXPECT_EQ(found[1].device, "dm-0");
}

TEST(KernelLogMessages, ToJson) {
  nlohmann::json j = find_recovery_results({"Memory failure: 0x10: recovery action for dax page: Delayed"});
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["pfn"], 16);
  EXPECT_EQ(j[0]["result"], "Delayed");
  nlohmann::json f = find_kernel_problems(std::string_view("BUG: Bad page state in process x  pfn:10027b\n"));
  EXPECT_EQ(f[0]["kind"], "BUG");
  EXPECT_EQ(f[0]["line_index"], 0);
}

}  // namespace
}  // namespace poisonlab
