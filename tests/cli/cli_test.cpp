// Bad input reaches the user as a clear error with exit status 2, before
// anything is fetched or booted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/process.h"

namespace fs = std::filesystem;
using poisonlab::run_command;

namespace {

fs::path write_temp(const std::string& name, const std::string& content) {
  fs::path dir = fs::temp_directory_path() / ("poisonlab-cli-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << content;
  return dir / name;
}

const std::string kValid = R"({"name": "t", "kernels": ["debian-6.12"],
  "injections": [{"method": "madvise", "offset_pages": 4, "pages": 4}]})";

}  // namespace

TEST(Cli, ValidScenarioChecks) {
  auto r = run_command({POISONLAB_BINARY, "check", write_temp("ok.json", kValid).string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("debian-6.12/raw/xfs/madvise"), std::string::npos) << r.out;
}

TEST(Cli, CheckListsTheMatrixAndWhatCannotRun) {
  auto r = run_command({POISONLAB_BINARY, "check", std::string(POISONLAB_SOURCE_DIR) + "/scenarios/stacks.json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("debian-6.12/dm-stripe/xfs-reflink/chunk-boundary"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("debian-6.1/raw/ext4/concat-seam: a concatenation seam needs a dm-concat stack"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("debian-6.1/raw/ext4/ag-header: metadata targets are XFS structures"), std::string::npos);
}

TEST(Cli, UnknownKeyNamesFileAndPointer) {
  std::string bad = R"({"name": "t", "kernels": ["debian-6.12"],
    "injections": [{"method": "madvise", "offset_pages": 4, "pages": 4, "pgaes": 2}]})";
  fs::path file = write_temp("unknown-key.json", bad);
  auto r = run_command({POISONLAB_BINARY, "run", file.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/injections/0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pgaes"), std::string::npos) << r.err;
}

TEST(Cli, WrongTypeAndRange) {
  auto r = run_command({POISONLAB_BINARY, "run",
                        write_temp("range.json", R"({"name": "t", "kernels": ["debian-6.12"], "trials": 0,
    "injections": [{"method": "madvise", "offset_pages": 4, "pages": 4}]})").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/trials"), std::string::npos) << r.err;
}

TEST(Cli, InvalidJsonSyntax) {
  auto r = run_command({POISONLAB_BINARY, "run", write_temp("syntax.json", "{\"name\": ").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("syntax.json"), std::string::npos) << r.err;
}

TEST(Cli, UnknownKernelListsKnownVariants) {
  auto r = run_command({POISONLAB_BINARY, "run", write_temp("ok2.json", kValid).string(), "--kernel",
                        "debian-9.9", "--out", (fs::temp_directory_path() / "poisonlab-cli-unknown").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("debian-9.9"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("debian-6.1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("debian-6.12"), std::string::npos) << r.err;
}

TEST(Cli, MissingScenarioFile) {
  auto r = run_command({POISONLAB_BINARY, "run", "/nonexistent/scenario.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/scenario.json"), std::string::npos) << r.err;
}

// `kernel check`: 0 when every option is there, 3 when something is missing,
// 2 when the config cannot be read.
TEST(Cli, KernelCheckAllPresent) {
  std::string fragments = std::string(POISONLAB_SOURCE_DIR) + "/kernel-config/fragments/";
  auto r = run_command({POISONLAB_BINARY, "kernel", "check", fragments + "base.config", fragments + "cxl-vm.config",
                        fragments + "btf.config"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all options present"), std::string::npos) << r.out;
}

TEST(Cli, KernelCheckMissingOptionExits3) {
  fs::path config = write_temp("config-modular", "CONFIG_XFS_FS=m\nCONFIG_X86_MCE=y\n");
  auto r = run_command({POISONLAB_BINARY, "kernel", "check", config.string(), "--scenario",
                        write_temp("k.json", kValid).string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("CONFIG_MEMORY_FAILURE"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("CONFIG_CXL_BUS"), std::string::npos) << "cxl is not needed by the scenario\n" << r.out;
  EXPECT_NE(r.out.find("missing or wrong options for: core"), std::string::npos) << r.out;
}

TEST(Cli, KernelCheckUnreadableConfig) {
  auto r = run_command({POISONLAB_BINARY, "kernel", "check", "/nonexistent/config-6.12"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/config-6.12"), std::string::npos) << r.err;
}

// Issue 7: matrix runs on the command line, without booting anything.
TEST(CliMatrix, DryRunPrintsEveryVmJobAndItsCellsAndWritesNothing) {
  fs::path out = fs::temp_directory_path() / ("poisonlab-cli-dry-" + std::to_string(getpid()));
  auto r = run_command({POISONLAB_BINARY, "run", std::string(POISONLAB_SOURCE_DIR) + "/scenarios/nightly-quick.json",
                        "--variants", "debian-6.12,debian-6.1", "--jobs", "3", "--dry-run", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("nightly-quick: 2 variant(s) x 1 scenario(s) = 4 cells in 2 VM jobs, 3 at once"),
            std::string::npos) << r.out;
  EXPECT_LT(r.out.find("job quick on debian-6.12"), r.out.find("job quick on debian-6.1 ")) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST(CliMatrix, AnUnknownVariantIsRefusedBeforeAnythingIsWritten) {
  fs::path out = fs::temp_directory_path() / ("poisonlab-cli-variant-" + std::to_string(getpid()));
  auto r = run_command({POISONLAB_BINARY, "run", std::string(POISONLAB_SOURCE_DIR) + "/scenarios/nightly-quick.json",
                        "--variants", "debian-6.1,debian-9.9", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("debian-9.9"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "matrix.json"));
}

TEST(CliMatrix, ResumeAndRunCellNeedARunDirectory) {
  auto r = run_command({POISONLAB_BINARY, "run", "--resume", "/nonexistent/run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/run/matrix.json"), std::string::npos) << r.err;
  r = run_command({POISONLAB_BINARY, "run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  r = run_command({POISONLAB_BINARY, "merge", "/nonexistent/run"});
  EXPECT_EQ(r.exit_code, 2);
}

// A full disk: the error names the file and the cause; what was on disk
// before (the cell files, the last complete report.json) stays as it was.
TEST(CliMatrix, ADiskFullMergeKeepsEveryResult) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  fs::path mnt = fs::temp_directory_path() / ("poisonlab-cli-full-" + std::to_string(getpid()));
  fs::create_directories(mnt);
  ASSERT_TRUE(run_command({"mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt.string()}).ok());
  struct Unmount {
    fs::path dir;
    ~Unmount() { run_command({"umount", dir.string()}); }
  } unmount{mnt};
  fs::path run = mnt / "run";
  // A prepared run directory (as `submit` leaves it), then the disk fills up.
  auto r = run_command({POISONLAB_BINARY, "run", std::string(POISONLAB_SOURCE_DIR) + "/scenarios/nightly-quick.json",
                        "--out", run.string(), "--prepare-only"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string before = [&] {
    std::ifstream in(run / "quick" / "report.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  run_command({"dd", "if=/dev/zero", "of=" + (mnt / "filler").string(), "bs=64k"});  // fills it
  r = run_command({POISONLAB_BINARY, "merge", run.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(run.string()), std::string::npos) << r.err;
  std::ifstream in(run / "quick" / "report.json");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), before);
}
