#!/usr/bin/env bash
# poisonlab setup: install host packages (Debian 12), build the runner, and
# fetch the default kernel variants into the cache. Idempotent: a second run
# with nothing changed does no apt work, an incremental build and no download.
#
#   ./setup.sh                everything
#   ./setup.sh --no-kernels   packages and build only
#   ./setup.sh --packages-only
#   ./setup.sh --kernel-build also the kernel build tools and Debian's
#                             linux-source-6.12, then build the source
#                             variants pl-6.12 and pl-6.12-dm-notify
#                             (about 10 minutes each on 2 cores, cold)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

fetch_kernels=1
packages_only=0
kernel_build=0
for arg in "$@"; do
  case "$arg" in
    --no-kernels) fetch_kernels=0 ;;
    --packages-only) packages_only=1 ;;
    --kernel-build) kernel_build=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --no-kernels, --packages-only or --kernel-build)" >&2; exit 2 ;;
  esac
done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(
  build-essential cmake pkg-config git ca-certificates
  nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  fio ndctl xfsprogs e2fsprogs dmsetup linux-perf busybox-static cpio kmod xz-utils zstd
  util-linux procps
  libsqlite3-dev python3-scipy chromium
  clang libclang-rt-14-dev
  slurm-wlm munge iproute2
)
backports_packages=(qemu-system-x86 qemu-utils)
# `poisonlab kernel build`: compilers, Kconfig, BTF (pahole), and the source.
kernel_build_packages=(
  make gcc bc bison flex libelf-dev libssl-dev dwarves ccache patch perl xz-utils linux-source-6.12
)

# bookworm-backports (QEMU 10, and the 6.12 kernel that `poisonlab kernel
# fetch` downloads with apt): reuse the URI of the machine's configured Debian
# archive rather than naming a mirror here. Sets backports_added=1 when it
# wrote the source, so the apt lists get refreshed.
backports_added=0
ensure_backports_source() {
  local list=/etc/apt/sources.list.d/poisonlab-backports.sources
  if [ -f "$list" ] || grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; then
    return 0
  fi
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | grep -v security | grep -oE '(https?|file)://[^ ]+' | grep -E '/debian/?$' | head -n1 || true)
  if [ -z "$uri" ]; then
    echo "setup.sh: no Debian archive URI found in /etc/apt/sources.list*; cannot add bookworm-backports" >&2
    exit 1
  fi
  as_root tee "$list" >/dev/null <<EOS
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
  backports_added=1
}

qemu_is_new_enough() {
  command -v qemu-system-x86_64 >/dev/null || return 1
  local major
  major=$(qemu-system-x86_64 --version | sed -nE 's/.*version ([0-9]+)\..*/\1/p' | head -n1)
  [ "${major:-0}" -ge 10 ]
}

install_packages() {
  ensure_backports_source
  # Node.js for the report schema check and the dashboard (bundle and browser
  # test): Debian's, unless the machine already has one.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
  [ "$kernel_build" = 1 ] && packages+=("${kernel_build_packages[@]}")
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ] && qemu_is_new_enough && [ "$backports_added" = 0 ]; then
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  qemu_is_new_enough || as_root apt-get install -y -q --no-install-recommends -t bookworm-backports "${backports_packages[@]}"
}

# reports/node_modules from package-lock.json (ajv, chart.js, esbuild,
# playwright-core): skipped when the installed tree matches the lock.
install_node_modules() {
  local stamp=reports/node_modules/.poisonlab-lock.sha256 want
  want=$(sha256sum reports/package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  (cd reports && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)"
}

install_packages
[ "$packages_only" = 1 ] && exit 0
install_node_modules
build
if [ "$fetch_kernels" = 1 ]; then
  build/poisonlab kernel fetch debian-6.1 debian-6.12
fi
if [ "$kernel_build" = 1 ]; then
  build/poisonlab kernel build pl-6.12 pl-6.12-dm-notify
fi
echo "setup.sh: ready (build/poisonlab)"
