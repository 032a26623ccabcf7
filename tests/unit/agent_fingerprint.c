/*
 * The fingerprint that decides whether an unchanged stage is skipped:
 * equal across runs and attempts of the same work, different when the
 * logical date, an input's content or a command naming the run directory
 * differs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/runner_policy.h"
#include "agent/stagectx.h"
#include "core/config.h"

/* A temporary directory with the stage's input file. */
struct fixture {
	char dir[64];              /* the directory */
	char input[128];           /* dir/in.txt */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/wk-fingerprint-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->input, sizeof f->input, "%s/in.txt", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->input);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
write_input(const struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->input, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Loads a pipeline with one stage "a" whose members are stage_json. */
static struct cfg *
load(const struct fixture *f, const char *stage_json)
{
	char text[1024];
	struct wk_err err;
	struct cfg *cfg;

	snprintf(text, sizeof text, "{\"pipelines\": [{\"name\": \"p\", "
	    "\"env\": {\"MODE\": \"full\"}, \"stages\": [{\"name\": \"a\", "
	    "\"inputs\": [\"%s\"], \"outputs\": [\"%s/out.txt\"], %s}]}]}",
	    f->input, f->dir, stage_json);
	cfg = cfg_load_text(text, strlen(text), "test.json", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	return cfg;
}

/* Computes the fingerprint of stage a in run run_id on date. */
static void
fingerprint(const struct cfg *cfg, int64_t run_id, const char *date,
	    int attempt, char hex[SHA256_HEX_SIZE])
{
	const struct cfg_pipeline *p = &cfg->pipelines[0];
	char run_dir[64], reason[256];
	struct stagectx_run run = { run_id, date, "/state", run_dir, attempt };
	struct wk_err err;
	struct stagectx ctx;
	int64_t bytes = 0;

	snprintf(run_dir, sizeof run_dir, "/state/runs/%lld",
	    (long long)run_id);
	assert_int_equal(stagectx_build(&ctx, p, &p->stages[0], &run, &err),
	    WK_OK);
	assert_int_equal(runner_policy_fingerprint(&ctx, &p->stages[0], hex,
	    &bytes, reason, sizeof reason), 0);
	stagectx_free(&ctx);
}

static void
fingerprint_same_across_runs(void **state)
{
	struct fixture *f = *state;
	char first[SHA256_HEX_SIZE], second[SHA256_HEX_SIZE];
	struct cfg *cfg;

	write_input(f, "v1\n");
	cfg = load(f, "\"working_dir\": \"/tmp\", "
	    "\"env\": {\"OUT\": \"${WATCHKEEP_LOGICAL_DATE}.csv\"}, "
	    "\"command\": [\"cp\", \"in.txt\", \"${OUT}\"]");
	fingerprint(cfg, 1, "2026-03-01", 1, first);
	fingerprint(cfg, 7, "2026-03-01", 3, second);
	assert_string_equal(first, second);
	cfg_free(cfg);
}

static void
fingerprint_covers_logical_date(void **state)
{
	struct fixture *f = *state;
	char first[SHA256_HEX_SIZE], second[SHA256_HEX_SIZE];
	struct cfg *cfg;

	write_input(f, "v1\n");
	cfg = load(f, "\"working_dir\": \"/tmp\", \"command\": \"true\"");
	fingerprint(cfg, 1, "2026-03-01", 1, first);
	fingerprint(cfg, 1, "2026-03-02", 1, second);
	assert_string_not_equal(first, second);
	cfg_free(cfg);
}

static void
fingerprint_covers_input_content(void **state)
{
	struct fixture *f = *state;
	char first[SHA256_HEX_SIZE], second[SHA256_HEX_SIZE];
	struct cfg *cfg;

	cfg = load(f, "\"working_dir\": \"/tmp\", \"command\": \"true\"");
	write_input(f, "v1\n");
	fingerprint(cfg, 1, "2026-03-01", 1, first);
	write_input(f, "v2\n");
	fingerprint(cfg, 2, "2026-03-01", 1, second);
	assert_string_not_equal(first, second);
	cfg_free(cfg);
}

/* A command naming the run directory, or the default working directory
 * (the stage directory), is per-run work. */
static void
fingerprint_differs_for_run_paths(void **state)
{
	struct fixture *f = *state;
	char first[SHA256_HEX_SIZE], second[SHA256_HEX_SIZE];
	struct cfg *cfg;

	write_input(f, "v1\n");
	cfg = load(f, "\"working_dir\": \"/tmp\", "
	    "\"command\": [\"ls\", \"${WATCHKEEP_RUN_DIR}\"]");
	fingerprint(cfg, 1, "2026-03-01", 1, first);
	fingerprint(cfg, 2, "2026-03-01", 1, second);
	assert_string_not_equal(first, second);
	cfg_free(cfg);

	cfg = load(f, "\"command\": \"true\"");
	fingerprint(cfg, 1, "2026-03-01", 1, first);
	fingerprint(cfg, 2, "2026-03-01", 1, second);
	assert_string_not_equal(first, second);
	cfg_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fingerprint_same_across_runs,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(fingerprint_covers_logical_date,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(fingerprint_covers_input_content,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(fingerprint_differs_for_run_paths,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
