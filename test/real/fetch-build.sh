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
# Builds are cached: a tree with its binaries is not rebuilt, so a FLAVOUR
# names one CC and CFLAGS for good.

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

real_build_sqlite() { # flavour cc [cflags [targets]]: $work/sqlite-FLAVOUR/{speedtest1,sqlite3}
  local d=$work/sqlite-$1 t missing=0
  # Each target compiles the whole amalgamation: the benchmark builds only
  # speedtest1.
  local -a targets
  read -r -a targets <<<"${4:-speedtest1 sqlite3}"
  for t in "${targets[@]}"; do [ -x "$d/$t" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    # SQLite's source tree generates its amalgamation with tclsh.
    command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"
    rm -rf "$d" && mkdir -p "$d"
    tar -xf "$work"/src/sqlite3_*.orig.tar.xz -C "$d" --strip-components=1
    (cd "$d" && CC=$2 CFLAGS="${3:--O2}" ./configure --disable-tcl --disable-readline \
       >"$d/configure.log" 2>&1 && make -j"$(nproc)" "${targets[@]}" >"$d/make.log" 2>&1) ||
      fail "sqlite ($1) did not build: see $d/*.log"
  fi
}

real_build_lua() { # flavour cc [cflags]: $work/lua-FLAVOUR/src/lua
  local d=$work/lua-$1
  if [ ! -x "$d/src/lua" ]; then
    rm -rf "$d" && mkdir -p "$d"
    tar -xf "$work"/src/lua5.4_*.orig.tar.gz -C "$d" --strip-components=1
    make -C "$d/src" -j"$(nproc)" linux CC="$2" MYCFLAGS="${3:--O2}" >"$d/make.log" 2>&1 ||
      fail "lua ($1) did not build: see $d/make.log"
  fi
}

real_build_libxml2() { # flavour cc [cflags]: $work/libxml2-FLAVOUR/xmllint
  local d=$work/libxml2-$1
  if [ ! -x "$d/xmllint" ]; then
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
  fi
}
