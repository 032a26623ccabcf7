#include "config_logs.h"

#include <string.h>

#include "core/config_run.h"
#include "core/i18n.h"

/*
 * Largest caps. The tails are held in memory for every running stage and
 * stream, so they stay far smaller than the head, which goes to disk.
 */
#define CFG_LOGS_FILE_HEAD_MAX (INT64_C(1) << 40)
#define CFG_LOGS_TAIL_MAX (INT64_C(64) << 20)
#define CFG_LOGS_TAIL_BYTES_MIN (INT64_C(64) << 10)
#define CFG_LOGS_HEAD_LINES_MAX 10000000
#define CFG_LOGS_TAIL_LINES_MAX 100000

static const char *const logs_keys[] = {
	"file_head", "file_tail", "head_lines", "tail_lines", "tail_bytes",
	"mask_quoted", NULL
};

void
cfg_logs_defaults(struct cfg_logs *logs)
{
	logs->file_head_bytes = CFG_LOGS_FILE_HEAD_DEFAULT;
	logs->file_tail_bytes = CFG_LOGS_FILE_TAIL_DEFAULT;
	logs->head_lines = CFG_LOGS_LINES_DEFAULT;
	logs->tail_lines = CFG_LOGS_LINES_DEFAULT;
	logs->tail_bytes = CFG_LOGS_TAIL_BYTES_DEFAULT;
	logs->mask_quoted = 1;
}

static int
logs_out_of_range(struct cfgcheck *ck, const struct cfgcheck_member *m,
		  int64_t value, int64_t lo, int64_t hi)
{
	return cfgcheck_fail_at(ck, cfgcheck_value_at(ck, m->node),
	    _("\"%s\" is %lld, outside %lld..%lld; give a value in that "
	      "range"), m->key, (long long)value, (long long)lo,
	    (long long)hi);
}

/* Reads a size: a whole number of bytes, or a string such as "8MiB". */
static int
logs_size(struct cfgcheck *ck, const struct cfgcheck_member *m, int64_t lo,
	  int64_t hi, int64_t *out)
{
	const char *text;
	int64_t value;
	size_t bad = 0;

	if (m->value == NULL)
		return WK_OK;
	if (json_is_integer(m->value)) {
		value = json_integer_value(m->value);
	} else if (json_is_string(m->value)) {
		text = json_string_value(m->value);
		if (cfg_parse_size(text, &value, &bad) != WK_OK)
			return cfgcheck_fail_at(ck,
			    jsonpos_string_loc(&ck->pos, m->node, bad),
			    _("invalid size \"%s\" for \"%s\"; write a whole "
			      "number and a unit: B, KiB, MiB, GiB, TiB, kB, "
			      "MB, GB or TB, such as \"8MiB\""),
			    cfgcheck_quote(text).text, m->key);
	} else {
		return cfgcheck_wrong_type(ck, m, _("a size"), "\"8MiB\"");
	}

	if (value < lo || value > hi)
		return logs_out_of_range(ck, m, value, lo, hi);
	*out = value;
	return WK_OK;
}

static int
logs_count(struct cfgcheck *ck, const struct cfgcheck_member *m, int64_t hi,
	   int64_t *out)
{
	int64_t value;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_integer(m->value))
		return cfgcheck_wrong_type(ck, m, _("an integer"), "2000");
	value = json_integer_value(m->value);
	if (value < 0 || value > hi)
		return logs_out_of_range(ck, m, value, 0, hi);
	*out = value;
	return WK_OK;
}

static int
logs_bool(struct cfgcheck *ck, const struct cfgcheck_member *m, int *out)
{
	if (m->value == NULL)
		return WK_OK;
	if (!json_is_boolean(m->value))
		return cfgcheck_wrong_type(ck, m, _("true or false"), "false");
	*out = json_is_true(m->value);
	return WK_OK;
}

/* Returns member key of the section object. */
static struct cfgcheck_member
logs_member(struct cfgcheck *ck, const struct cfgcheck_member *m,
	    const char *key)
{
	return cfgcheck_get_member(ck, m->value, m->node, key);
}

int
cfg_logs_read(struct cfgcheck *ck, const struct cfgcheck_member *m,
	      struct cfg_logs *logs)
{
	struct cfgcheck_member k;
	int rc;

	if (m->value == NULL)
		return WK_OK;
	if (!json_is_object(m->value))
		return cfgcheck_wrong_type(ck, m, _("an object"),
		    "{ \"file_head\": \"8MiB\" }");
	rc = cfgcheck_keys(ck, m->node, logs_keys, _("in \"logs\""));

	k = logs_member(ck, m, "file_head");
	if (rc == WK_OK)
		rc = logs_size(ck, &k, 0, CFG_LOGS_FILE_HEAD_MAX,
		    &logs->file_head_bytes);
	k = logs_member(ck, m, "file_tail");
	if (rc == WK_OK)
		rc = logs_size(ck, &k, 0, CFG_LOGS_TAIL_MAX,
		    &logs->file_tail_bytes);
	k = logs_member(ck, m, "head_lines");
	if (rc == WK_OK)
		rc = logs_count(ck, &k, CFG_LOGS_HEAD_LINES_MAX,
		    &logs->head_lines);
	k = logs_member(ck, m, "tail_lines");
	if (rc == WK_OK)
		rc = logs_count(ck, &k, CFG_LOGS_TAIL_LINES_MAX,
		    &logs->tail_lines);
	k = logs_member(ck, m, "tail_bytes");
	if (rc == WK_OK)
		rc = logs_size(ck, &k, CFG_LOGS_TAIL_BYTES_MIN,
		    CFG_LOGS_TAIL_MAX, &logs->tail_bytes);
	k = logs_member(ck, m, "mask_quoted");
	if (rc == WK_OK)
		rc = logs_bool(ck, &k, &logs->mask_quoted);
	return rc;
}

int
cfg_logs_load(struct cfgcheck *ck, struct cfg *cfg,
	      const struct cfgcheck_member *m)
{
	cfg_logs_defaults(&cfg->logs);
	return cfg_logs_read(ck, m, &cfg->logs);
}

void
cfg_logs_free(struct cfg *cfg)
{
	/* The section allocates nothing; reset it to the defaults. */
	cfg_logs_defaults(&cfg->logs);
}
