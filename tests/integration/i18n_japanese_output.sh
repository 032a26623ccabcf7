# Under a Japanese locale, `watchkeep run --once` and `watchkeep status`
# print the translations of the build tree's catalog (found without
# WATCHKEEP_LOCALE_DIR), and their tables stay aligned by display width,
# where a wide character takes two columns.
. "$(dirname "$0")/../lib.sh"

need_ja_catalog

cat > "$TEST_DIR/config.json" <<'JSON'
{
  "pipelines": [
    {
      "name": "nightly",
      "stages": [
        { "name": "load",
          "command": "echo 'loading'; echo 'ERROR: input.csv not found' >&2; exit 3" }
      ]
    }
  ]
}
JSON

unset LC_ALL WATCHKEEP_LOCALE_DIR
export LANG=ja_JP.UTF-8 LANGUAGE=ja

status=0
"$WATCHKEEP" run --once -c "$TEST_DIR/config.json" --state-dir "$TEST_DIR/state" \
	> "$TEST_DIR/run.txt" 2> "$TEST_DIR/run.err" || status=$?
expect_eq "$status" 1 "exit status of the failed run"
status=0
"$WATCHKEEP" status --state-dir "$TEST_DIR/state" > "$TEST_DIR/status.txt" \
	2> "$TEST_DIR/status.err" || status=$?
expect_eq "$status" 0 "exit status of watchkeep status"

# The expected texts come from the compiled catalog, so the test follows
# the translations. It fails when a text is missing or still English, and
# when a cell starts at another display column than its header (ends, for
# a right-aligned column).
/usr/bin/python3 - "$mo" "$TEST_DIR/run.txt" "$TEST_DIR/status.txt" <<'PY'
import gettext
import re
import sys
import unicodedata

catalog = gettext.GNUTranslations(open(sys.argv[1], "rb"))
translate = catalog.gettext
run_text = open(sys.argv[2], encoding="utf-8").read()
status_text = open(sys.argv[3], encoding="utf-8").read()
failures = []


def width(text):
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1
               for char in text)


def is_japanese(text):
    return any(unicodedata.east_asian_width(char) in "WF" for char in text)


def cells(line):
    """Returns (start, end, text) of each cell, in display columns."""
    found, col, pos = [], 0, 0
    for match in re.finditer(r"\S+(?: \S+)*", line):
        col += width(line[pos:match.start()])
        found.append((col, col + width(match.group()), match.group()))
        col += width(match.group())
        pos = match.end()
    return found


def check_table(name, text, msgids, first_cells):
    """Checks the header of a table and the alignment of its rows."""
    headers = [translate(msgid) for msgid in msgids]
    right = [h.startswith(">") for h in headers]
    headers = [h[1:] if r else h for h, r in zip(headers, right)]
    for msgid, header in zip(msgids, headers):
        if msgid.lstrip(">") not in ("CPU",) and not is_japanese(header):
            failures.append(f"{name}: header {msgid!r} is not translated "
                            f"to Japanese: {header!r}")
    lines = text.splitlines()
    try:
        head = next(i for i, line in enumerate(lines)
                    if [cell[2] for cell in cells(line)] == headers)
    except StopIteration:
        failures.append(f"{name}: no header line {headers!r} in:\n{text}")
        return
    head_cells = cells(lines[head])
    rows = [cells(line)
            for line in lines[head + 1:head + 1 + len(first_cells)]]
    for row, first in zip(rows, first_cells):
        if len(row) != len(headers) or row[0][2] != first:
            failures.append(f"{name}: row {[cell[2] for cell in row]!r} does not "
                            f"have {len(headers)} cells starting with "
                            f"{first!r}")
            continue
        for k, (head_cell, cell) in enumerate(zip(head_cells, row)):
            edge = 1 if right[k] else 0
            if head_cell[edge] != cell[edge]:
                side = "ends" if right[k] else "starts"
                failures.append(f"{name}: cell {cell[2]!r} {side} at display "
                                f"column {cell[edge]}, its header "
                                f"{head_cell[2]!r} at {head_cell[edge]}")
    if not any(is_japanese(cell[2]) for row in rows for cell in row):
        failures.append(f"{name}: no row holds a translated state")


stage_headers = ["STAGE", "STATE", ">ATTEMPT", ">DURATION", ">EXIT", ">CPU",
                 ">MAX RSS"]
run_headers = [">RUN", "PIPELINE", "STATE", "LOGICAL DATE", "STARTED",
               ">DURATION"]
check_table("run: stage table", run_text, stage_headers, ["load"])
check_table("status: run table", status_text, run_headers, ["1"])
check_table("status: stage table", status_text, stage_headers, ["load"])

# The reason of the failed run, translated, in both outputs.
exit_status = translate("exit status %d%s%s") % (3, "", "")
reason_label = translate("  reason: %s\n").split("%s")[0]
for name, text in (("run", run_text), ("status", status_text)):
    if not is_japanese(exit_status) or exit_status not in text:
        failures.append(f"{name}: no translated reason {exit_status!r}")
    if not any(line.startswith(reason_label) and exit_status in line
               for line in text.splitlines()):
        failures.append(f"{name}: no line starting with {reason_label!r} "
                        f"that gives the reason")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
PY
echo "$TEST_NAME: ok"
