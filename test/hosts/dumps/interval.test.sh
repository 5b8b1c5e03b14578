# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# TRACEMALLOC_DUMP_INTERVAL: a dump every SECONDS (decimals allowed) while 4
# threads allocate, with %n numbering them; invalid values warn once and
# change nothing.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/dumps/server.inc.sh"

export TRACEMALLOC=5
TRACEMALLOC_DUMP=tick-%n.tmd TRACEMALLOC_DUMP_INTERVAL=0.25 start_server
wait_for "four periodic dumps" test -e tick-3.tmd
kill -USR1 "$SERVER_PID"
server_wait
expect_eq "the server ends normally" 0 "$SERVER_STATUS"
expect_eq "no warning" "" "$(cat server.err)"
for n in 0 1 2 3; do
  check_loadable "periodic dump $n loads" "tick-$n.tmd"
done
# Spaced by the interval: 4 dumps took at least 3 intervals after the first
# (mtime resolution allowing).
first=$(stat -c %.3Y tick-0.tmd) fourth=$(stat -c %.3Y tick-3.tmd)
expect_eq "4 dumps span at least 0.7 s" 1 \
  "$(awk -v a="$first" -v b="$fourth" 'BEGIN { print (b - a >= 0.7) }')"

# Invalid values: one warning line, then a normal run.
for bad in 0 0.0009 -1 1e3 abc 1.5s ' 1' 1.2345678901 2000000000; do
  rm -f bad.tmd
  out=$(TRACEMALLOC_DUMP=bad.tmd TRACEMALLOC_DUMP_INTERVAL="$bad" \
    ./server 2>&1 >/dev/null &
    pid=$!
    sleep 0.3
    kill -USR1 "$pid"
    wait "$pid" && echo "status 0")
  expect_eq "TRACEMALLOC_DUMP_INTERVAL=$bad: one warning, a normal run" \
    "tracemalloc: warning: TRACEMALLOC_DUMP_INTERVAL=$bad: invalid number of seconds (from 0.001 to 1000000000, e.g. 60 or 0.5), no periodic dumps
status 0" "$out"
  check_loadable "TRACEMALLOC_DUMP_INTERVAL=$bad: the exit dump" bad.tmd
done

# Exit while periodic dumps are being written (every millisecond): the
# exit waits for the one in progress, so no temporary file is left behind
# and the last dump is the exit dump, whole.
for run in 1 2 3 4 5; do
  TRACEMALLOC_DUMP=fast.tmd TRACEMALLOC_DUMP_INTERVAL=0.001 start_server
  sleep 0.2
  kill -USR1 "$SERVER_PID"
  server_wait
  expect_eq "fast periodic dumps, run $run: a normal exit" 0 "$SERVER_STATUS"
  expect_eq "fast periodic dumps, run $run: only fast.tmd, no temporary" \
    "./fast.tmd" "$(find . -maxdepth 1 -name '*fast*')"
  check_loadable "fast periodic dumps, run $run: the exit dump" fast.tmd
done
