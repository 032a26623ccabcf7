# The configuration the tests of `watchkeep top` run an agent with (sourced
# after lib.sh): a pipeline whose second stage fails with hostile output,
# one that writes a line every 0.3 s for 6 s, a probe that is up and one
# that is down, and two SLOs.
write_tui_config() {
	cat > "$TEST_DIR/fail.sh" <<'SH'
#!/bin/sh
echo "loading 23570 users"
echo "学習データを読み込みました: 23570 人"
printf '\033[31mERROR\033[0m matrix is singular at column <b>recency</b>\n' >&2
printf '\033]0;owned\007ERROR cannot fit: <script>alert(1)</script>\n' >&2
exit 3
SH
	chmod +x "$TEST_DIR/fail.sh"
	cat > "$1" <<JSON
{
  "pipelines": [
    { "name": "p", "stages": [
      { "name": "prepare", "command": "echo prepared; seq 1 300" },
      { "name": "fit", "depends_on": ["prepare"], "command": ["$TEST_DIR/fail.sh"] },
      { "name": "publish", "depends_on": ["fit"], "command": "echo published" }
    ] },
    { "name": "slow", "stages": [
      { "name": "tick", "command": "for i in \$(seq 1 20); do echo tick \$i; sleep 0.3; done" }
    ] }
  ],
  "probes": [
    { "name": "api-up", "type": "exec", "command": ["true"], "interval": "2s", "timeout": "1s" },
    { "name": "db-down", "type": "tcp", "address": "127.0.0.1:1", "interval": "2s", "timeout": "1s" }
  ],
  "slos": [
    { "name": "p-success", "sli": {"kind": "run_success", "pipeline": "p"}, "objective": 0.9, "window": "1h" },
    { "name": "db-available", "sli": {"kind": "probe_availability", "probe": "db-down"}, "objective": 0.99, "window": "30d" }
  ]
}
JSON
}
