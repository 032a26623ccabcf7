/*
 * libFuzzer target of `churn ingest` on JSON Lines (pipeline/ingest*.c):
 * runs the whole stage on the input, with the time format picked by the
 * first byte, and checks that it ends with one of its exit statuses and
 * counts every row once: accepted, skipped or bad. Outputs go to
 * /dev/shm when it exists, where fsync(2) costs nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "pipeline/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char input[96], output[96], quarantine[128];

/* Removes the scratch files when libFuzzer exits. */
static void
fuzz_cleanup(void)
{
	unlink(input);
	unlink(output);
	unlink(quarantine);
}

static void
fuzz_setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	long pid = (long)getpid();

	snprintf(input, sizeof input, "%s/fuzz_jsonl.%ld.in", base, pid);
	snprintf(output, sizeof output, "%s/fuzz_jsonl.%ld.wkev", base, pid);
	snprintf(quarantine, sizeof quarantine, "%s.quarantine.csv", output);
	atexit(fuzz_cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum timefmt formats[] = { TIMEFMT_EPOCH_MS,
		TIMEFMT_EPOCH_S, TIMEFMT_ISO8601, TIMEFMT_YYYYMMDD };
	struct ingest_opts o = {
		.input = input, .output = output, .format = INGEST_JSONL,
		.user_column = "userId", .time_column = "ts",
		.event_column = "page", .value_column = "length",
		.max_bad_fraction = 1.0, .sort_mib = 1,
	};
	struct ingest_result res;
	struct wk_err err;
	FILE *fp;
	int status;

	if (size == 0)
		return 0;
	if (input[0] == '\0')
		fuzz_setup();
	o.time_format = formats[data[0] % 4];
	o.skip_empty_user = (data[0] & 4) != 0;
	o.keep_duplicates = (data[0] & 8) != 0;
	fp = fopen(input, "wb");
	if (fp == NULL || fwrite(data + 1, 1, size - 1, fp) != size - 1)
		abort();
	fclose(fp);

	status = ingest_run(&o, NULL, &res, &err);
	if (status != EX_OK && status != EX_DATAERR)
		abort();
	if (status == EX_OK && res.events + res.bad.total + res.rows_skipped +
	    res.notes.count[BADROW_DUPLICATE] != res.rows_in)
		abort();
	unlink(output);
	unlink(quarantine);
	return 0;
}
