# shellcheck shell=bash
# Shared Deno bootstrap for ./ipx and ./scripts/test (sourced, never executed).
#
# ipx_deno ROOT  sets IPX_DENO_BIN to a usable deno (2.x, >= 2.9), trying in order:
#   1. $IPX_DENO (an explicit path, if set)
#   2. `deno` on PATH
#   3. ROOT/.tools/node_modules/deno/deno
#   4. ROOT/.tools/node_modules/@deno/<platform>/deno
# and otherwise installs the pinned npm package deno@$IPX_DENO_VERSION into ROOT/.tools
# (git-ignored), printing one line about it to stderr. Returns non-zero with a message
# on stderr when no deno can be found or installed.

IPX_DENO_VERSION="2.9.6"
IPX_DENO_MIN_MINOR=9

# ipx_deno_usable PATH: succeeds when PATH runs and reports deno 2.x with x >= 9. Asking it
# (`deno --version`) costs ~30 ms on every ipx command, so a yes is kept in $IPX_DENO_STAMP
# (set by ipx_deno) with the file's identity (path, inode, size, modification and change times,
# from GNU stat; none where it is missing), and believed while the identity is the same:
# another binary there, or the same one replaced or changed, is asked again.
ipx_deno_usable() {
  local bin="$1" line id="" kept
  [[ -n "$bin" && -x "$bin" && ! -d "$bin" ]] || return 1
  if [[ -n "${IPX_DENO_STAMP:-}" ]]; then
    # a command substitution of one simple command: one fork, straight into stat
    id="$(stat -L -c '%n %i %s %Y %Z' -- "$bin" 2>/dev/null)" || id=""
    if [[ -n "$id" && -f "$IPX_DENO_STAMP" ]] && IFS= read -r kept <"$IPX_DENO_STAMP" &&
      [[ "$kept" == "$id" ]]; then
      return 0
    fi
  fi
  line="$("$bin" --version 2>/dev/null | head -n 1)" || return 1
  [[ "$line" =~ ^deno\ ([0-9]+)\.([0-9]+)\. ]] || return 1
  [[ "${BASH_REMATCH[1]}" == 2 && "${BASH_REMATCH[2]}" -ge "$IPX_DENO_MIN_MINOR" ]] || return 1
  if [[ -n "$id" ]]; then
    { printf '%s\n' "$id" >"$IPX_DENO_STAMP"; } 2>/dev/null || true
  fi
  return 0
}

# ipx_deno_on_path: sets IPX_DENO_ON_PATH to the first executable file named deno in a PATH
# directory (an empty entry is the current one, as for `command -v`), or to nothing. It reads
# PATH itself because every command substitution forks the shell, ~5 ms here, and the launcher
# runs before every ipx command.
ipx_deno_on_path() {
  IPX_DENO_ON_PATH=""
  local rest="${PATH:-}:" dir
  while [[ -n "$rest" ]]; do
    dir="${rest%%:*}"
    rest="${rest#*:}"
    [[ -n "$dir" ]] || dir=.
    if [[ -f "$dir/deno" && -x "$dir/deno" ]]; then
      IPX_DENO_ON_PATH="$dir/deno"
      return 0
    fi
  done
}

# ipx_deno_find ROOT: sets IPX_DENO_FOUND to the first usable deno, or fails (no output, no
# subshell: see ipx_deno_on_path).
ipx_deno_find() {
  local root="$1" candidate
  local -a candidates=()
  IPX_DENO_FOUND=""
  [[ -n "${IPX_DENO:-}" ]] && candidates+=("$IPX_DENO")
  ipx_deno_on_path
  [[ -n "$IPX_DENO_ON_PATH" ]] && candidates+=("$IPX_DENO_ON_PATH")
  candidates+=("$root/.tools/node_modules/deno/deno")
  for candidate in "$root"/.tools/node_modules/@deno/*/deno; do
    candidates+=("$candidate")
  done
  for candidate in "${candidates[@]}"; do
    if ipx_deno_usable "$candidate"; then
      IPX_DENO_FOUND="$candidate"
      return 0
    fi
  done
  return 1
}

# ipx_deno_install ROOT: installs deno@$IPX_DENO_VERSION into ROOT/.tools with npm.
ipx_deno_install() {
  local root="$1" tools="$1/.tools" log="$1/.tools/npm-install.log"
  if ! command -v npm >/dev/null 2>&1; then
    echo "ipx: cannot find Deno >= 2.$IPX_DENO_MIN_MINOR and npm is not installed to fetch it;" \
      "install Deno $IPX_DENO_VERSION (https://docs.deno.com/runtime/getting_started/installation/)" \
      "and put it on PATH, or set IPX_DENO to its path" >&2
    return 1
  fi
  mkdir -p "$tools" || return 1
  # Serialise concurrent bootstraps where flock(1) exists; a second caller then finds the result.
  if command -v flock >/dev/null 2>&1; then
    exec {IPX_DENO_LOCK_FD}>"$tools/.bootstrap.lock" && flock "$IPX_DENO_LOCK_FD"
    if ipx_deno_find "$root"; then
      exec {IPX_DENO_LOCK_FD}>&-
      return 0
    fi
  fi
  echo "ipx: no Deno >= 2.$IPX_DENO_MIN_MINOR found; installing deno@$IPX_DENO_VERSION into" \
    "$tools with npm (one time, log: $log)" >&2
  local rc=0
  npm install --prefix "$tools" --no-audit --no-fund "deno@$IPX_DENO_VERSION" >"$log" 2>&1 || rc=$?
  [[ -n "${IPX_DENO_LOCK_FD:-}" ]] && exec {IPX_DENO_LOCK_FD}>&-
  if [[ $rc -ne 0 ]]; then
    tail -n 15 "$log" >&2
    echo "ipx: npm install deno@$IPX_DENO_VERSION failed (exit $rc, full log: $log);" \
      "fix npm's registry access or install Deno $IPX_DENO_VERSION yourself and put it on PATH" >&2
    return 1
  fi
}

# ipx_deno ROOT: sets IPX_DENO_BIN, bootstrapping if needed.
ipx_deno() {
  local root="$1"
  # where ipx_deno_usable keeps its yes (only where ROOT/.tools can be made: git-ignored)
  IPX_DENO_STAMP=""
  if [[ -d "$root/.tools" ]] || mkdir -p "$root/.tools" 2>/dev/null; then
    IPX_DENO_STAMP="$root/.tools/deno-usable"
  fi
  if ipx_deno_find "$root"; then
    IPX_DENO_BIN="$IPX_DENO_FOUND"
    return 0
  fi
  ipx_deno_install "$root" || return 1
  if ipx_deno_find "$root"; then
    IPX_DENO_BIN="$IPX_DENO_FOUND"
    return 0
  fi
  echo "ipx: installed deno@$IPX_DENO_VERSION into $root/.tools but found no runnable deno" \
    "binary there (unsupported platform?); install Deno $IPX_DENO_VERSION yourself and put it" \
    "on PATH, or set IPX_DENO to its path" >&2
  return 1
}

# glibc malloc tuning for ipx's processes (why: lib/engine/allocator_env.ts, which holds the same
# value; a test checks they match): big buffers stay in the process instead of going back to the
# system after every 16 MiB transfer, and come in 2 MiB huge pages where the kernel offers them.
IPX_GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864:glibc.malloc.hugetlb=1"

# ipx_allocator_env: exports GLIBC_TUNABLES=$IPX_GLIBC_TUNABLES unless the user set any of
# glibc's allocator variables (then theirs apply as they are).
ipx_allocator_env() {
  local name
  for name in GLIBC_TUNABLES MALLOC_ARENA_MAX MALLOC_ARENA_TEST MALLOC_CHECK_ MALLOC_MMAP_MAX_ \
    MALLOC_MMAP_THRESHOLD_ MALLOC_PERTURB_ MALLOC_TOP_PAD_ MALLOC_TRIM_THRESHOLD_; do
    [[ -n "${!name+set}" ]] && return 0
  done
  export GLIBC_TUNABLES="$IPX_GLIBC_TUNABLES"
}
