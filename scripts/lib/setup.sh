# Shared by scripts/run and scripts/test: install what a fresh Debian machine lacks, find Swift.
# Source it; it defines jobrunner_setup, which takes the extra apt packages a command needs.

set -euo pipefail

# Packages every build needs: the C libraries the package links and the tools its build calls.
JOBRUNNER_BUILD_PACKAGES=(
  pkg-config
  git
  ca-certificates
  libsqlite3-dev
  libgit2-dev
  libssl-dev
  libcurl4-openssl-dev
  zlib1g-dev
)

# Packages the service needs at run time: the toolchains PROCESS builds with and EXECUTE runs with
# (esbuild for TypeScript, node, python3, bash), git to read repositories, binutils' objcopy to make
# Swift artifacts reproducible, bubblewrap to run every script in a sandbox (docs/security.md),
# slirp4netns and nftables for the sandbox's egress network (JOBRUNNER_SCRIPT_NETWORK=egress).
JOBRUNNER_RUNTIME_PACKAGES=(
  bubblewrap
  slirp4netns
  nftables
  esbuild
  nodejs
  python3
  bash
  binutils
)

jobrunner_log() { printf '\033[1m==> %s %s\033[0m\n' "$(date +%H:%M:%S)" "$*" >&2; }

jobrunner_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    jobrunner_log "need root to run: $* (install sudo or run as root)"
    return 1
  fi
}

# Installs the given Debian packages that are not installed yet; runs apt-get update once, only
# when something is missing.
jobrunner_apt_install() {
  local missing=()
  local package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    jobrunner_log "missing packages ${missing[*]} and no apt-get: install them with your package manager"
    return 1
  fi
  jobrunner_log "installing ${missing[*]}"
  jobrunner_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  jobrunner_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Puts a Swift 6 toolchain on PATH: one already there, one in a usual place, or Debian's swiftlang.
jobrunner_find_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    local candidate
    for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin /usr/local/swift/usr/bin "$HOME/.local/share/swiftly/bin"; do
      if [ -x "$candidate/swift" ]; then export PATH="$candidate:$PATH"; break; fi
    done
  fi
  if ! command -v swift >/dev/null 2>&1 && apt-cache show swiftlang >/dev/null 2>&1; then
    jobrunner_apt_install swiftlang
  fi
  if ! command -v swift >/dev/null 2>&1; then
    jobrunner_log "no Swift toolchain found: install Swift 6.1 or newer (https://www.swift.org/install/linux/) and put it on PATH"
    return 1
  fi
  local version
  version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\)\..*/\1/p' | head -n 1)
  if [ -n "$version" ] && [ "$version" -lt 6 ]; then
    jobrunner_log "Swift $version found; Jobrunner needs Swift 6.1 or newer"
    return 1
  fi
}

jobrunner_setup() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  jobrunner_apt_install "${JOBRUNNER_BUILD_PACKAGES[@]}" "${JOBRUNNER_RUNTIME_PACKAGES[@]}" "$@"
  jobrunner_find_swift
}
