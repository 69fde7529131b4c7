#!/usr/bin/env bash
# Installs what the suite needs on a fresh machine, then exits 0; prints one line per missing
# piece it cannot install. Idempotent: a second run only checks.
#   - Deno (pinned) from the npm package `deno`, into .tools/ (no global install needed)
#   - as root: Debian's mesa-vulkan-drivers (lavapipe, the CPU WebGPU adapter) and
#     dataset-fashion-mnist (the demo's embedded data set)
#   - with --with-slurm, as root: slurm-wlm and munge, for the test that runs a sweep through a
#     private single-node Slurm (tests/pipeline/slurm_e2e_test.ts; .ci/run asks for them). The
#     test configures and starts its own daemons; nothing here configures or starts one.
set -euo pipefail
with_slurm=0
[ "${1:-}" = "--with-slurm" ] && with_slurm=1
DENO_VERSION=2.9.6
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
deno_bin="$tools/node_modules/@deno/linux-x64-glibc/deno"

if [ ! -x "$deno_bin" ] || [ "$("$deno_bin" --version | head -1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  if ! command -v npm >/dev/null; then
    echo "setup: npm is missing; install Node.js + npm (Debian: apt-get install nodejs npm), then rerun" >&2
    exit 1
  fi
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{"name":"sdclr-tools","private":true}' >"$tools/package.json"
  echo "setup: installing deno@$DENO_VERSION from npm into .tools/" >&2
  (cd "$tools" && npm install --no-audit --no-fund --silent "deno@$DENO_VERSION" >&2)
fi
mkdir -p "$tools/bin"
# Relative, so the clone (or a worktree sharing .tools) can move.
ln -sfn ../node_modules/@deno/linux-x64-glibc/deno "$tools/bin/deno"

need_pkgs=()
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need_pkgs+=(mesa-vulkan-drivers)
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_pkgs+=(dataset-fashion-mnist)
if [ "$with_slurm" = 1 ]; then
  [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/bin/sbatch ] || need_pkgs+=(slurm-wlm)
  [ -x /usr/sbin/munged ] || need_pkgs+=(munge)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: apt-get install ${need_pkgs[*]}" >&2
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2
  else
    echo "setup: missing Debian packages: ${need_pkgs[*]} (run as root: apt-get install ${need_pkgs[*]})" >&2
  fi
fi
