#include "pipeline/badrows.h"

#include <inttypes.h>
#include <string.h>

#include "core/i18n.h"

/* What each reason means and how to fix it, untranslated. */
static const struct {
	const char *description;  /* completes "N rows ..." */
	const char *fix;          /* sentence telling what to change */
} badrows_texts[BADROW_REASONS] = {
	[BADROW_OK] = { "", "" },
	[BADROW_COLUMNS] = { N_("with a field count other than the "
	    "header's"), N_("give every row as many fields as the header; "
	    "quote fields that contain commas") },
	[BADROW_TIME] = { N_("with a time that does not parse"),
	    N_("check --time-format (yyyymmdd, epoch_ms, epoch_s or "
	    "iso8601) against the time column") },
	[BADROW_EMPTY_USER] = { N_("with an empty user id"),
	    N_("pass --skip-empty-user to skip such rows (logged-out "
	    "events)") },
	[BADROW_VALUE] = { N_("with a value that is not a decimal number"),
	    N_("write values like 12.5 or leave them empty") },
	[BADROW_UTF8] = { N_("with text that is not valid UTF-8"),
	    N_("convert the file to UTF-8") },
	[BADROW_TOO_LONG] = { N_("longer than 1 MiB"),
	    N_("split or shorten those lines") },
	[BADROW_QUOTES] = { N_("with malformed quotes"),
	    N_("quote fields as RFC 4180 says: \"a \"\"b\"\" c\"") },
	[BADROW_JSON] = { N_("with text that is not one JSON object"),
	    N_("write one JSON object a line") },
	[BADROW_FIELD] = { N_("with a missing field or a field of the "
	    "wrong type"), N_("check --user-column, --time-column and "
	    "--event-column against the field names") },
	[BADROW_AFTER_MAX_DATE] = { N_("with a time after the end of "
	    "--max-date"), N_("check the clock or the time unit of the "
	    "source, or raise --max-date") },
	[BADROW_DUPLICATE] = { N_("equal to an earlier row in user, time, "
	    "event and value"), N_("the stage drops such rows; pass "
	    "--keep-duplicates if they are separate events") },
	[BADROW_DUPLICATE_KEPT] = { N_("equal to an earlier row in user, "
	    "time, event and value"), N_("the stage keeps such rows, as "
	    "--keep-duplicates asks") },
	[BADROW_OUT_OF_ORDER] = { N_("earlier than an earlier row of the "
	    "same user"), N_("the stage keeps such rows and sorts them by "
	    "time") },
};

static const char *const badrows_codes[BADROW_REASONS] = {
	[BADROW_OK] = "ok", [BADROW_COLUMNS] = "columns",
	[BADROW_TIME] = "time", [BADROW_EMPTY_USER] = "empty_user",
	[BADROW_VALUE] = "value", [BADROW_UTF8] = "utf8",
	[BADROW_TOO_LONG] = "too_long", [BADROW_QUOTES] = "quotes",
	[BADROW_JSON] = "json", [BADROW_FIELD] = "field",
	[BADROW_AFTER_MAX_DATE] = "after_max_date",
	[BADROW_DUPLICATE] = "duplicate", [BADROW_DUPLICATE_KEPT] = "duplicate",
	[BADROW_OUT_OF_ORDER] = "out_of_order",
};

const char *
badrows_code(enum badrow_reason reason)
{
	return badrows_codes[reason];
}

void
badrows_init(struct badrows *b)
{
	memset(b, 0, sizeof *b);
}

void
badrows_add(struct badrows *b, enum badrow_reason reason, uint64_t line,
	    const char *text, size_t len)
{
	uint64_t n = b->count[reason];
	size_t i;

	b->total++;
	b->count[reason]++;
	if (n < BADROWS_LINES_MAX)
		b->lines[reason][n] = line;
	if (n > 0 || text == NULL)
		return;

	/* Keep a printable copy: the value may hold a terminal escape. */
	if (len > BADROWS_EXAMPLE_MAX - 1)
		len = BADROWS_EXAMPLE_MAX - 1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		b->example[reason][i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	b->example[reason][len] = '\0';
}

static void
badrows_report_one(const struct badrows *b, enum badrow_reason reason,
		   const char *path, FILE *out)
{
	uint64_t n = b->count[reason];
	size_t i, n_shown = BADROWS_LINES_MAX;

	if (n < BADROWS_LINES_MAX)
		n_shown = (size_t)n;

	fprintf(out, P_("churn ingest: %s: %" PRIu64 " row %s, line ",
	    "churn ingest: %s: %" PRIu64 " rows %s, lines ", n), path, n,
	    _(badrows_texts[reason].description));
	for (i = 0; i < n_shown; i++)
		fprintf(out, "%s%" PRIu64, i > 0 ? ", " : "",
		    b->lines[reason][i]);
	if (n > n_shown)
		fprintf(out, ", ...");
	if (b->example[reason][0] != '\0' && reason == BADROW_FIELD)
		fprintf(out, _(" (first field: '%s')"), b->example[reason]);
	else if (b->example[reason][0] != '\0')
		fprintf(out, _(" (first value: '%s')"), b->example[reason]);
	fprintf(out, "; %s\n", _(badrows_texts[reason].fix));
}

void
badrows_report(const struct badrows *b, const char *path, FILE *out)
{
	int reason;

	for (reason = 1; reason < BADROW_REASONS; reason++) {
		if (b->count[reason] > 0)
			badrows_report_one(b, (enum badrow_reason)reason, path,
			    out);
	}
}
