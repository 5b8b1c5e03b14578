# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# test/real/fetch-build.sh - sourced by test/real/run.sh and bench/real/run.sh.
#
# Fetches Debian bookworm's sqlite3 and lua5.4 SOURCE packages with a PRIVATE
# apt configuration under $work/apt (the system's apt sources are neither read
# nor changed) and builds them in $work/{sqlite,lua}-FLAVOUR. The caller sets
# `work` (a directory under the build dir) and defines skip() and fail(); it
# then calls real_fetch and real_build_sqlite / real_build_lua FLAVOUR CC.
# Builds are cached: a tree with its binaries is not rebuilt.

# shellcheck disable=SC2154 # work is set by the caller (above)
real_fetch() {
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
  local apt_opts=(-o Dir::Etc::SourceList=/dev/null
            -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
            -o "Dir::State::Lists=$apt_dir/lists"
            -o "Dir::Cache=$apt_dir/cache"
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
  if ! ls "$work"/src/sqlite3_*.orig.tar.* "$work"/src/lua5.4_*.orig.tar.* >/dev/null 2>&1; then
    apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 ||
      skip "apt-get update failed (no network?): $(tail -1 "$work/apt.log")"
    (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only sqlite3 lua5.4) \
      >>"$work/apt.log" 2>&1 || skip "apt-get source failed: $(tail -1 "$work/apt.log")"
  fi
}

real_build_sqlite() { # flavour cc: $work/sqlite-FLAVOUR/{speedtest1,sqlite3}
  local d=$work/sqlite-$1
  if [ ! -x "$d/speedtest1" ] || [ ! -x "$d/sqlite3" ]; then
    # SQLite's source tree generates its amalgamation with tclsh.
    command -v tclsh >/dev/null || fail "SQLite's build needs tclsh (apt-get install tcl)"
    rm -rf "$d" && mkdir -p "$d"
    tar -xf "$work"/src/sqlite3_*.orig.tar.xz -C "$d" --strip-components=1
    (cd "$d" && CC=$2 CFLAGS="-O2" ./configure --disable-tcl --disable-readline \
       >"$d/configure.log" 2>&1 && make -j"$(nproc)" speedtest1 sqlite3 >"$d/make.log" 2>&1) ||
      fail "sqlite ($1) did not build: see $d/*.log"
  fi
}

real_build_lua() { # flavour cc: $work/lua-FLAVOUR/src/lua
  local d=$work/lua-$1
  if [ ! -x "$d/src/lua" ]; then
    rm -rf "$d" && mkdir -p "$d"
    tar -xf "$work"/src/lua5.4_*.orig.tar.gz -C "$d" --strip-components=1
    make -C "$d/src" -j"$(nproc)" linux CC="$2" MYCFLAGS="-O2" >"$d/make.log" 2>&1 ||
      fail "lua ($1) did not build: see $d/make.log"
  fi
}
