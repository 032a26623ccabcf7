# Memory limits: a stage that allocates past its limit is killed and
# recorded as out of memory. Where the agent can make cgroup v2 memory
# cgroups it uses them; elsewhere it polls the group's resident memory
# (memory_mode auto) or also sets RLIMIT_AS (memory_mode rlimit).
. "$(dirname "$0")/../lib.sh"

if [ -f /sys/fs/cgroup/cgroup.controllers ] &&
	grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	echo "$TEST_NAME: cgroup v2 with the memory controller is available"
else
	echo "$TEST_NAME: no cgroup v2 memory controller here; testing RSS polling and RLIMIT_AS"
fi

# Grows by 8 MiB every 20 ms and touches every page, up to 1 GiB.
cat > "$TEST_DIR/grow.py" <<'PY'
import time
chunks = []
for i in range(128):
    chunks.append(bytearray(8 << 20))
    time.sleep(0.02)
print("allocated 1 GiB without being stopped")
PY
cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "polled", "stages": [
      { "name": "grow", "memory_limit": "128MiB",
        "command": ["/usr/bin/python3", "$TEST_DIR/grow.py"] }
    ] },
    { "name": "limited", "stages": [
      { "name": "grow", "memory_limit": "128MiB", "memory_mode": "rlimit",
        "command": ["/usr/bin/python3", "$TEST_DIR/grow.py"] }
    ] }
  ]
}
JSON
for p in polled limited; do
	status=0
	"$WATCHKEEP" run --once $p -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" \
		> "$TEST_DIR/$p.out" 2> "$TEST_DIR/$p.err" || status=$?
	expect_eq "$status" 1 "$p: exit status"
	state=$(sql "$TEST_DIR/s/store.db" "select s.state from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$p'")
	expect_eq "$state" out_of_memory "$p: stage state"
	grep -q "out of memory" "$TEST_DIR/$p.out" || fail "$p: no out-of-memory reason: $(cat "$TEST_DIR/$p.out")"
	grep -q "out of memory: .*limit.* of 128 MiB" "$TEST_DIR/$p.out" ||
		fail "$p: the reason does not name the limit: $(cat "$TEST_DIR/$p.out")"
done
# Under RLIMIT_AS Python raises MemoryError while its resident memory is
# still below the limit, so the reason names the address-space limit.
grep -q "out of memory: an allocation failed under the address-space limit (RLIMIT_AS) of 128 MiB; the stage's peak resident memory was [0-9]* MiB" \
	"$TEST_DIR/limited.out" || fail "limited: reason: $(cat "$TEST_DIR/limited.out")"

# Reads "state|attempts|max_rss_kb|reason" of the last attempt of pipeline $1.
last_attempt() {
	sql "$TEST_DIR/s/store.db" "select s.state, s.attempt, s.max_rss_kb, s.reason from stage_runs s join runs r on r.id = s.run_id where r.pipeline = '$1' order by s.id desc limit 1"
}

# Runs pipeline $1 once; its stdout and stderr go to $TEST_DIR/$1.out, .err.
run_once() {
	"$WATCHKEEP" run --once "$1" -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/s" \
		> "$TEST_DIR/$1.out" 2> "$TEST_DIR/$1.err" || true
}

# Allocates 512 MiB with malloc and reports the failure as perror does.
cat > "$TEST_DIR/alloc.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	char *p = malloc((size_t)512 << 20);

	if (p == NULL) {
		perror("malloc of 512 MiB");
		return 1;
	}
	memset(p, 1, (size_t)512 << 20);
	puts("allocated 512 MiB without being stopped");
	return 0;
}
C
cc_ok=0
if command -v cc > /dev/null && cc -o "$TEST_DIR/alloc" "$TEST_DIR/alloc.c"; then
	cc_ok=1
fi

# Three children of 60 MiB each: only their sum passes the limit. A child
# that leaves the stage's process group (setpgid, setsid) still counts.
cat > "$TEST_DIR/child.py" <<'PY'
import os, sys, time
if sys.argv[1] == "setpgid":
    os.setpgid(0, 0)
elif sys.argv[1] == "setsid":
    os.setsid()
x = bytearray(int(sys.argv[2]) << 20)
for i in range(0, len(x), 4096):
    x[i] = 1
time.sleep(20)
PY
py="/usr/bin/python3 $TEST_DIR/child.py"
rl='"memory_limit": "128MiB", "memory_mode": "rlimit", "retry_delay": "10ms"'
cat > "$TEST_DIR/config.json" <<JSON
{
  "pipelines": [
    { "name": "stdout_phrase", "stages": [ { "name": "s", $rl,
      "command": "echo 'batch 3: recovered from out of memory by halving batch size'; echo 'bad input data' >&2; exit 1" } ] },
    { "name": "fatal_code", "stages": [ { "name": "s", $rl, "retries": 2,
      "fatal_exit_codes": [65],
      "command": "echo 'batch 3: recovered from out of memory' >&2; echo 'bad input data' >&2; exit 65" } ] },
    { "name": "retry_code", "stages": [ { "name": "s", $rl, "retries": 1,
      "retry_exit_codes": [75],
      "command": "echo 'MemoryError in the cache, cleared' >&2; exit 75" } ] },
    { "name": "early_phrase", "stages": [ { "name": "s", $rl,
      "command": "echo 'MemoryError in the cache, cleared' >&2; for i in \$(seq 25); do echo \"row \$i rejected\" >&2; done; exit 1" } ] },
    { "name": "c_alloc", "stages": [ { "name": "s", $rl,
      "command": ["$TEST_DIR/alloc"] } ] },
    { "name": "children", "stages": [ { "name": "s", "memory_limit": "100MiB",
      "command": "for i in 1 2 3; do $py stay 60 & done; wait" } ] },
    { "name": "setpgid", "stages": [ { "name": "s", "memory_limit": "100MiB",
      "command": "$py setpgid 150; echo survived" } ] },
    { "name": "setsid", "stages": [ { "name": "s", "memory_limit": "100MiB",
      "command": "$py setsid 150; echo survived" } ] }
  ]
}
JSON

# Under RLIMIT_AS a memory phrase counts only in the last 20 lines of
# stderr and only with an exit code the stage did not declare.
run_once stdout_phrase
expect_eq "$(last_attempt stdout_phrase | cut -d'|' -f1)" failed "stdout_phrase: state"
run_once fatal_code
expect_eq "$(last_attempt fatal_code | cut -d'|' -f1,2)" "failed|1" "fatal_code: state and attempts"
last_attempt fatal_code | grep -q "exit status 65" || fail "fatal_code: reason: $(last_attempt fatal_code)"
run_once retry_code
expect_eq "$(last_attempt retry_code | cut -d'|' -f1,2)" "failed|2" "retry_code: state and attempts"
run_once early_phrase
expect_eq "$(last_attempt early_phrase | cut -d'|' -f1)" failed "early_phrase: state"
if [ "$cc_ok" -eq 1 ]; then
	run_once c_alloc
	expect_eq "$(last_attempt c_alloc | cut -d'|' -f1)" out_of_memory "c_alloc: state"
	last_attempt c_alloc | grep -q "allocation failed under the address-space limit (RLIMIT_AS) of 128 MiB" ||
		fail "c_alloc: reason: $(last_attempt c_alloc)"
else
	echo "$TEST_NAME: no C compiler; the malloc case is skipped"
fi

# The polled peak is the sum of the stage's processes, and MAX RSS (the
# stored max_rss_kb) shows that same peak as the reason.
for p in children setpgid setsid; do
	start=$(date +%s)
	run_once $p
	took=$(($(date +%s) - start))
	row=$(last_attempt $p)
	expect_eq "$(echo "$row" | cut -d'|' -f1)" out_of_memory "$p: state ($row)"
	[ "$took" -lt 15 ] || fail "$p: the kill took $took s"
	rss_kb=$(echo "$row" | cut -d'|' -f3)
	[ "$rss_kb" -ge 102400 ] || fail "$p: max_rss_kb $rss_kb is below the 100 MiB limit the stage passed"
	peak_mib=$(echo "$row" | sed -n 's/.*(peak \([0-9]*\) MiB).*/\1/p')
	expect_eq "$((rss_kb / 1024))" "$peak_mib" "$p: max_rss_kb against the peak in the reason"
done
grep -q "stopped 1 process that had left process group" "$TEST_DIR/setpgid.err" ||
	fail "setpgid: the escaped child was not reported: $(cat "$TEST_DIR/setpgid.err")"
echo "$TEST_NAME: ok"
