/*
 * Error lines of a stage's output: which lines belong to an error (an error
 * line, or a traceback or stack trace with its continuation lines) and the
 * signature that groups the same error across lines and runs.
 *
 * A signature is the error's first line with the parts that change from
 * one occurrence to the next masked: numbers become <n>, UUIDs and long hex
 * ids <id>, hex addresses <addr>, URLs <url>, file paths <path> and, when
 * asked, quoted strings '<str>'. So "cannot open /data/2024-01-05/x.csv:
 * errno 2" and "cannot open /data/2024-01-06/y.csv: errno 2" share the
 * signature "cannot open <path>: errno <n>".
 */
#ifndef WK_LOGSIG_H
#define WK_LOGSIG_H

#include <stddef.h>

#define LOGSIG_MAX 256   /* bytes of a signature, NUL included */

/*
 * Writes the signature of a sanitized line into out (at most size - 1
 * bytes, cut at a character boundary, then a NUL): masked as above, runs
 * of white space made one space, leading and trailing space removed.
 * Quoted strings are masked when mask_quoted is set. Returns its length.
 */
size_t logsig_normalize(const char *line, int mask_quoted, char *out,
			size_t size);

/* Kinds of error blocks a stream can be in. */
enum logsig_state {
	LOGSIG_NONE,       /* no open block */
	LOGSIG_ERROR,      /* an error line; indented lines and Java frames follow */
	LOGSIG_PYTHON,     /* a Python traceback before its exception line */
	LOGSIG_GO          /* a Go panic with its goroutine dumps */
};

/* The state of a stream between two lines. */
struct logsig_block {
	enum logsig_state state;    /* the open block */
	char header[LOGSIG_MAX];    /* Python: the "Traceback" line, sanitized */
};

/* The result of logsig_classify() for one line. */
struct logsig_verdict {
	int is_error;            /* flag the line as part of an error */
	const char *group_line;  /* count one error under the signature of
				    this line or of the block's header, or
				    NULL: nothing to count */
};

/*
 * Classifies the next sanitized line of a stream and moves the block on.
 * An error line, a Go panic or the exception line that ends a Python
 * traceback counts one error under its signature. The traceback or
 * stack-trace lines around it are flagged without being counted again. A
 * traceback cut short by a blank line counts under its header. v may
 * point into b, so read it before the next call.
 */
void logsig_classify(struct logsig_block *b, const char *line,
		     struct logsig_verdict *v);

/*
 * Returns the header of a Python traceback that the stream left without
 * its exception line, to be counted at the end of the stream, or NULL.
 */
const char *logsig_unfinished(const struct logsig_block *b);

/*
 * Tells whether a sanitized line reads as an error. It does when it has a
 * word such as error, fatal, panic, traceback or exception, or a word
 * ending in Error or Exception (ValueError). A syslog level counts too:
 * CRIT, ALERT, EMERG, or crit: and the like. A word right after "0" or
 * "no" does not count.
 */
int logsig_is_error(const char *line);

#endif
