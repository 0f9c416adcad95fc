#!/usr/bin/env bash
# Builds natsedge as one self-contained executable.
#
#   ./compile.sh                          Bun, this machine's OS/CPU  -> ./natsedge
#   ./compile.sh --target linux-arm64     Bun, another target         -> dist/natsedge-linux-arm64
#   ./compile.sh --target all             every Bun target below      -> dist/natsedge-<target>
#   ./compile.sh --deno [--target T]      deno compile instead        -> ./natsedge-deno, dist/natsedge-deno-<target>
#   ./compile.sh ... --out PATH           write the executable to PATH instead
#
# Targets: linux-x64 linux-x64-baseline linux-arm64 darwin-x64 darwin-arm64.
#
# The executables never read a .env or bunfig.toml (or tsconfig.json/package.json) from the directory they run
# in: configuration comes from the command line, the config file and the environment only.
#
# Cross-compiling needs the target's Bun runtime. It comes from the npm registry as @oven/bun-<os>-<arch> at
# exactly this Bun's version (`npm pack`, cached in $NATSEDGE_CACHE, default ~/.cache/natsedge), so a build
# never fetches from anywhere but npm and works offline once cached.
#
# deno compile needs Deno's runtime for the target (denort). Deno downloads it from its own release host;
# where that is unreachable, set DENORT_BIN to a denort executable of this Deno's version for the target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

ENTRY=src/main.ts
TARGETS="linux-x64 linux-x64-baseline linux-arm64 darwin-x64 darwin-arm64"
CACHE=${NATSEDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/natsedge}

die() { echo "compile.sh: $*" >&2; exit "${CODE:-1}"; }

runtime=bun
target=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --deno) runtime=deno ;;
    --bun) runtime=bun ;;
    --target) [ $# -ge 2 ] || die "--target needs a value ($TARGETS, host or all)"; target=$2; shift ;;
    --target=*) target=${1#--target=} ;;
    --out|-o) [ $# -ge 2 ] || die "--out needs a path"; out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) CODE=2 die "unknown argument '$1' (see ./compile.sh --help)" ;;
  esac
  shift
done

host_target() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "unsupported build OS $(uname -s)" ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) die "unsupported build CPU $(uname -m)" ;; esac
  echo "$os-$arch"
}
HOST=$(host_target)

if [ "$target" = all ]; then
  [ -z "$out" ] || die "--out cannot be used with --target all"
  for t in $TARGETS; do "$0" ${runtime:+--$runtime} --target "$t"; done
  exit 0
fi
[ "$target" = host ] && target=""
if [ -n "$target" ]; then
  case " $TARGETS " in *" $target "*) ;; *) CODE=2 die "unknown target '$target' (one of: $TARGETS)" ;; esac
fi

tool() { # the project's pinned runtime (npm devDependency) first, then one on PATH
  if [ -x "$ROOT/node_modules/.bin/$1" ]; then echo "$ROOT/node_modules/.bin/$1"
  elif command -v "$1" >/dev/null 2>&1; then command -v "$1"
  else die "$1 not found: run npm install"; fi
}

# ---- Bun ------------------------------------------------------------------------------------------------

# The target's Bun runtime from npm, e.g. @oven/bun-linux-aarch64@1.4.5 -> $CACHE/bun-1.4.5/bun-linux-aarch64/bun
bun_runtime() {
  local t=$1 version=$2 pkg
  case "$t" in
    linux-x64) pkg=bun-linux-x64 ;;
    linux-x64-baseline) pkg=bun-linux-x64-baseline ;;
    linux-arm64) pkg=bun-linux-aarch64 ;;
    darwin-x64) pkg=bun-darwin-x64 ;;
    darwin-arm64) pkg=bun-darwin-aarch64 ;;
  esac
  local dir="$CACHE/bun-$version/$pkg"
  if [ ! -x "$dir/bun" ]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed to fetch @oven/$pkg@$version"
    local tmp
    tmp=$(mktemp -d)
    echo "compile.sh: fetching @oven/$pkg@$version from the npm registry (once; cached in $CACHE)" >&2
    (cd "$tmp" && npm pack --silent "@oven/$pkg@$version" >/dev/null 2>"$tmp/npm.err") ||
      { cat "$tmp/npm.err" >&2; rm -rf "$tmp"; die "could not fetch @oven/$pkg@$version from npm"; }
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/bin/bun || { rm -rf "$tmp"; die "@oven/$pkg@$version has no bin/bun"; }
    mkdir -p "$dir"
    mv "$tmp/package/bin/bun" "$dir/bun.part" && chmod +x "$dir/bun.part" && mv "$dir/bun.part" "$dir/bun"
    rm -rf "$tmp"
  fi
  echo "$dir/bun"
}

compile_bun() {
  local bun version t label
  bun=$(tool bun)
  version=$("$bun" --version)
  t=${target:-$HOST}
  label="bun-$t"
  [ -n "$out" ] || { if [ -z "$target" ]; then out=natsedge; else out="dist/natsedge-$t"; fi; }
  mkdir -p "$(dirname "$out")"
  local args=(build --compile "$ENTRY" --outfile "$out"
    --splitting --minify --no-compile-autoload-dotenv --no-compile-autoload-bunfig
    --no-compile-autoload-tsconfig --no-compile-autoload-package-json
    --define "NATSEDGE_BUILD_TARGET=\"$label\"")
  if [ "$t" != "$HOST" ]; then
    args+=(--target "$label" --compile-executable-path "$(bun_runtime "$t" "$version")")
  fi
  "$bun" "${args[@]}" >/dev/null || die "bun build --compile failed for $t"
  echo "compile.sh: built $out ($label, Bun $version, $(du -h "$out" | cut -f1))"
}

# ---- Deno -----------------------------------------------------------------------------------------------

compile_deno() {
  local deno triple t
  deno=$(tool deno)
  t=${target:-$HOST}
  case "$t" in
    linux-x64|linux-x64-baseline) triple=x86_64-unknown-linux-gnu ;;
    linux-arm64) triple=aarch64-unknown-linux-gnu ;;
    darwin-x64) triple=x86_64-apple-darwin ;;
    darwin-arm64) triple=aarch64-apple-darwin ;;
  esac
  [ -n "$out" ] || { if [ -z "$target" ]; then out=natsedge-deno; else out="dist/natsedge-deno-$t"; fi; }
  mkdir -p "$(dirname "$out")"
  if [ -n "${DENORT_BIN:-}" ] && [ ! -x "$DENORT_BIN" ]; then die "DENORT_BIN=$DENORT_BIN is not an executable"; fi
  local log
  log=$(mktemp)
  # --bundle embeds only the modules main.ts reaches (~300 KB), not the whole node_modules directory.
  if ! "$deno" compile -A --no-check --bundle --target "$triple" -o "$out" "$ENTRY" >"$log" 2>&1; then
    if grep -q "denort" "$log"; then
      rm -f "$log"
      CODE=3 die "deno compile needs Deno's runtime for $triple (denort-$triple.zip of Deno $("$deno" --version | head -1 | cut -d' ' -f2)), which cannot be downloaded here: set DENORT_BIN to a denort executable"
    fi
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\s*[├└│]' >&2
    rm -f "$log"
    die "deno compile failed for $t"
  fi
  rm -f "$log"
  echo "compile.sh: built $out (deno-$t, $(du -h "$out" | cut -f1))"
}

if [ "$runtime" = deno ]; then compile_deno; else compile_bun; fi
