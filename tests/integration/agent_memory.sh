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
echo "$TEST_NAME: ok"
