# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# test/real/fetch-build.sh - sourced by test/real/run.sh and bench/real/run.sh.
#
# Fetches Debian bookworm's sqlite3 and lua5.4 SOURCE packages with a PRIVATE
# apt configuration under $work/apt (the system's apt sources are neither read
# nor changed) and builds them in $work/{sqlite,lua}-FLAVOUR. The caller sets
# `work` (a directory under the build dir) and defines skip() and fail(); it
# then calls real_fetch and real_build_sqlite / real_build_lua FLAVOUR CC
# [CFLAGS] (default -O2; CC may carry flags, e.g. "clang-19 -fsanitize=address").
# bench/real/whole.sh also calls real_fetch_libxml2 and real_build_libxml2
# (libxml2's xmllint: a parser that builds a tree of >= 1 M live blocks).
# Builds are cached: a tree with its binaries is rebuilt only when what it
# was built with changed (real_cc_stamp: CC, CFLAGS and, for tmcc, the pass
# and the runtime it links; a tm build links the runtime statically, so a
# tree kept across a runtime change would measure and test the old one).

# shellcheck disable=SC2154 # work is set by the caller (above)
real_apt_opts=()
real_apt_setup() { # the private apt configuration -> real_apt_opts
  command -v apt-get >/dev/null || skip "apt-get is not available"
  local apt_dir=$work/apt
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" \
           "$apt_dir/cache/archives/partial" "$work/src"
  cat > "$apt_dir/sources.list.d/bookworm-src.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  real_apt_opts=(-o Dir::Etc::SourceList=/dev/null
            -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
            -o "Dir::State::Lists=$apt_dir/lists"
            -o "Dir::Cache=$apt_dir/cache"
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
}

real_fetch_packages() { # package... : download-only into $work/src
  apt-get "${real_apt_opts[@]}" update >"$work/apt.log" 2>&1 ||
    skip "apt-get update failed (no network?): $(tail -1 "$work/apt.log")"
  (cd "$work/src" && apt-get "${real_apt_opts[@]}" source --download-only "$@") \
    >>"$work/apt.log" 2>&1 || skip "apt-get source failed: $(tail -1 "$work/apt.log")"
}

real_fetch() {
  real_apt_setup
  if ! ls "$work"/src/sqlite3_*.orig.tar.* "$work"/src/lua5.4_*.orig.tar.* >/dev/null 2>&1; then
    real_fetch_packages sqlite3 lua5.4
  fi
}

real_fetch_libxml2() {
  real_apt_setup
  if ! ls "$work"/src/libxml2_*.orig.tar.* >/dev/null 2>&1; then
    real_fetch_packages libxml2
  fi
}

# The identity of a toolchain: a checksum of CC and CFLAGS, the compiler's
# version, and, when CC is a script (tmcc, tmc++), the script and every pass
# plugin and runtime library beside it.
real_cc_stamp() { # cc cflags -> checksum on stdout
  local -a argv
  read -r -a argv <<<"$1"
  local exe
  exe=$(command -v "${argv[0]}" 2>/dev/null) || exe=${argv[0]}
  {
    printf '%s\n' "$1" "$2"
    "${argv[@]}" --version 2>/dev/null | head -1 || true
    if [ "$(head -c 2 "$exe" 2>/dev/null)" = '#!' ]; then
      # Where the script finds them: its `plugin=$here/...` and
      # `libdir=$here/...` lines (the build tree's layout or an install's).
      local bin plugins libdir
      bin=$(dirname "$(readlink -f "$exe")")
      # shellcheck disable=SC2016 # a literal $here and $major in the patterns
      plugins=$(sed -n 's|^plugin=\$here/\(.*\)/llvm-\$major/libtmpass\.so$|\1|p' "$exe")
      # shellcheck disable=SC2016
      libdir=$(sed -n 's|^libdir=\$here/||p' "$exe")
      cat "$exe" "$bin/$plugins"/llvm-*/libtmpass.so \
        "$bin/$libdir"/libtracemalloc*.a 2>/dev/null || true
    fi
  } | sha256sum | cut -d' ' -f1
}

# Is the tree at $1 to be (re)built with the toolchain of stamp $2? (Its
# binaries $3... missing, or made by another toolchain.)
real_stale() { # dir stamp binary...
  local d=$1 stamp=$2 b
  shift 2
  [ "$(cat "$d/.toolchain" 2>/dev/null)" = "$stamp" ] || return 0
  for b in "$@"; do [ -x "$d/$b" ] || return 0; done
  return 1
}

real_build_sqlite() { # flavour cc [cflags [targets]]: $work/sqlite-FLAVOUR/{speedtest1,sqlite3}
  local d=$work/sqlite-$1 stamp
  stamp=$(real_cc_stamp "$2" "${3:-}")
  # Each target compiles the whole amalgamation: the benchmark builds only
  # speedtest1.
  local -a targets
  read -r -a targets <<<"${4:-speedtest1 sqlite3}"
  if real_stale "$d" "$stamp" "${targets[@]}"; then
    # SQLite's source tree generates its amalgamation with tclsh.
    command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"
    rm -rf "$d" && mkdir -p "$d"
    tar -xf "$work"/src/sqlite3_*.orig.tar.xz -C "$d" --strip-components=1
    (cd "$d" && CC=$2 CFLAGS="${3:--O2}" ./configure --disable-tcl --disable-readline \
       >"$d/configure.log" 2>&1 && make -j"$(nproc)" "${targets[@]}" >"$d/make.log" 2>&1) ||
      fail "sqlite ($1) did not build: see $d/*.log"
    echo "$stamp" >"$d/.toolchain"
  fi
}

real_build_lua() { # flavour cc [cflags]: $work/lua-FLAVOUR/src/lua
  local d=$work/lua-$1 stamp
  stamp=$(real_cc_stamp "$2" "${3:-}")
  if real_stale "$d" "$stamp" src/lua; then
    rm -rf "$d" && mkdir -p "$d"
    tar -xf "$work"/src/lua5.4_*.orig.tar.gz -C "$d" --strip-components=1
    make -C "$d/src" -j"$(nproc)" linux CC="$2" MYCFLAGS="${3:--O2}" >"$d/make.log" 2>&1 ||
      fail "lua ($1) did not build: see $d/make.log"
    echo "$stamp" >"$d/.toolchain"
  fi
}

real_build_libxml2() { # flavour cc [cflags]: $work/libxml2-FLAVOUR/xmllint
  local d=$work/libxml2-$1 stamp
  stamp=$(real_cc_stamp "$2" "${3:-}")
  if real_stale "$d" "$stamp" xmllint; then
    rm -rf "$d" && mkdir -p "$d"
    local tarballs=("$work"/src/libxml2_*.orig.tar.*)
    tar -xf "${tarballs[0]}" -C "$d" --strip-components=1
    # Static, and only what parsing a file needs: xmllint is then one
    # executable (no libtool wrapper, no LD_LIBRARY_PATH), and every build
    # flavour compiles the same code.
    (cd "$d" && { [ -x configure ] || NOCONFIGURE=1 ./autogen.sh; } &&
       CC=$2 CFLAGS="${3:--O2}" ./configure --disable-shared --enable-static \
         --without-python --without-zlib --without-lzma --without-iconv \
         --without-icu --without-readline --without-history --without-http \
         --without-ftp >"$d/configure.log" 2>&1 &&
       make -j"$(nproc)" xmllint >"$d/make.log" 2>&1) ||
      fail "libxml2 ($1) did not build: see $d/*.log"
    echo "$stamp" >"$d/.toolchain"
  fi
}
