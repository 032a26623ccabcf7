#include "logsig.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define LOGSIG_QUOTE_SCAN 1024   /* bytes searched for a closing quote */

/* The signature being written. */
struct sig_out {
	char *buf;     /* destination */
	size_t size;   /* bytes of buf, NUL included */
	size_t len;    /* bytes written */
	int space;     /* a space is due before the next output */
	int full;      /* something did not fit: stop */
};

/* Appends n bytes as one piece, or marks the output full. */
static void
sig_put(struct sig_out *o, const void *bytes, size_t n)
{
	size_t need = n + (o->space && o->len > 0);

	if (o->full || o->len + need >= o->size) {
		o->full = 1;
		return;
	}
	if (o->space && o->len > 0)
		o->buf[o->len++] = ' ';
	o->space = 0;
	memcpy(o->buf + o->len, bytes, n);
	o->len += n;
}

static void
sig_put_str(struct sig_out *o, const char *s)
{
	sig_put(o, s, strlen(s));
}

static int
is_ident(unsigned char c)
{
	return isalnum(c) || c == '_';
}

static int
is_hex(unsigned char c)
{
	return isxdigit(c);
}

/* Tells whether a path or URL may start after the character c. */
static int
is_token_start(unsigned char c)
{
	return c == '\0' || c == ' ' || strchr("\"'`([{<=,:", c) != NULL;
}

/* Tells whether c ends a path or URL token. */
static int
ends_token(unsigned char c)
{
	return c == '\0' || c == ' ' || strchr("\"'`,;()[]{}<>|", c) != NULL;
}

/* Length of a UUID (8-4-4-4-12 hex digits) at s, or 0. */
static size_t
uuid_len(const unsigned char *s)
{
	static const size_t groups[5] = { 8, 4, 4, 4, 12 };
	size_t g, k, i = 0;

	for (g = 0; g < 5; g++) {
		for (k = 0; k < groups[g]; k++, i++) {
			if (!is_hex(s[i]))
				return 0;
		}
		if (g < 4 && s[i++] != '-')
			return 0;
	}
	return is_ident(s[i]) ? 0 : i;
}

/* Length of a URL (scheme://...) at s, or 0. */
static size_t
url_len(const unsigned char *s)
{
	size_t i = 0;

	if (!isalpha(s[0]))
		return 0;
	while (isalnum(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-')
		i++;
	if (strncmp((const char *)s + i, "://", 3) != 0)
		return 0;
	while (!ends_token(s[i]))
		i++;
	while (i > 0 && strchr(".:", s[i - 1]) != NULL)
		i--;
	return i;
}

/*
 * Length of a file path at s, or 0: an absolute path, one starting with
 * ./ ../ or ~/, a Windows path (C:\...), or a relative path with at least
 * two slashes. A path stops at a colon, so "x.go:42" keeps its line
 * number, and loses trailing dots, which end sentences.
 */
static size_t
path_len(const unsigned char *s)
{
	size_t i = 0, slashes = 0;
	int anchored;

	anchored = (s[0] == '/' && s[1] != '\0' && !ends_token(s[1])) ||
	    strncmp((const char *)s, "./", 2) == 0 ||
	    strncmp((const char *)s, "../", 3) == 0 ||
	    strncmp((const char *)s, "~/", 2) == 0;
	if (isalpha(s[0]) && s[1] == ':' && s[2] == '\\') {
		anchored = 1;
		i = 2;
	}
	while (!ends_token(s[i]) && s[i] != ':') {
		slashes += s[i] == '/' || s[i] == '\\';
		i++;
	}
	while (i > 0 && s[i - 1] == '.')
		i--;
	if (!anchored && slashes < 2)
		return 0;
	return i;
}

/* Index of the quote closing the one at s[0], or 0 when there is none. */
static size_t
quote_end(const unsigned char *s)
{
	size_t i;

	for (i = 1; s[i] != '\0' && i < LOGSIG_QUOTE_SCAN; i++) {
		if (s[i] == s[0] && !is_ident(s[i + 1]))
			return i;
	}
	return 0;
}

/* Length of an identifier-like word at s. */
static size_t
word_len(const unsigned char *s)
{
	size_t i = 0;

	while (is_ident(s[i]))
		i++;
	return i;
}

/* Length of a number (digits, then .digits groups) at s. */
static size_t
number_len(const unsigned char *s)
{
	size_t i = 0;

	for (;;) {
		while (isdigit(s[i]))
			i++;
		if (s[i] != '.' || !isdigit(s[i + 1]))
			return i;
		i++;
	}
}

/*
 * Writes a word with its digit runs masked. When the word starts with a
 * digit ("05T10", "12ms") every run is masked. Otherwise only runs of three
 * or more digits, or after an underscore ("job_12"), are masked, so "sha1"
 * and "utf8" stay as they are.
 */
static void
put_word(struct sig_out *o, const unsigned char *w, size_t n)
{
	int lead_digit = isdigit(w[0]);
	size_t i = 0, run;

	while (i < n) {
		if (!isdigit(w[i])) {
			sig_put(o, w + i, 1);
			i++;
			continue;
		}
		for (run = 0; i + run < n && isdigit(w[i + run]); run++)
			;
		if (lead_digit || run >= 3 || (i > 0 && w[i - 1] == '_'))
			sig_put_str(o, "<n>");
		else
			sig_put(o, w + i, run);
		i += run;
	}
}

/* Writes the word at s (after a non-word character); returns its length. */
static size_t
put_masked_word(struct sig_out *o, const unsigned char *s)
{
	size_t n = word_len(s), i, hex = 0, digits = 0;

	if (isdigit(s[0]) && number_len(s) >= n) {
		n = number_len(s);
		sig_put_str(o, "<n>");
		return n;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && n > 2) {
		for (i = 2; i < n && is_hex(s[i]); i++)
			;
		if (i == n) {
			sig_put_str(o, "<addr>");
			return n;
		}
	}
	for (i = 0; i < n; i++) {
		hex += is_hex(s[i]) != 0;
		digits += isdigit(s[i]) != 0;
	}
	if (n >= 8 && hex == n && digits > 0) {
		sig_put_str(o, "<id>");
		return n;
	}
	put_word(o, s, n);
	return n;
}

/* Bytes of the UTF-8 character whose first byte is c. */
static size_t
char_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Writes what starts at s[i] after prev; returns the bytes consumed. */
static size_t
put_piece(struct sig_out *o, const unsigned char *s, unsigned char prev,
	  int mask_quoted)
{
	size_t n;

	if (strchr("\"'`", s[0]) != NULL && !is_ident(prev)) {
		n = quote_end(s);
		if (n > 0 && mask_quoted) {
			sig_put(o, s, 1);
			sig_put_str(o, "<str>");
			sig_put(o, s, 1);
			return n + 1;
		}
		sig_put(o, s, 1);
		return 1;
	}
	if (is_token_start(prev) && (n = url_len(s)) > 0) {
		sig_put_str(o, "<url>");
		return n;
	}
	if (is_token_start(prev) && (n = path_len(s)) > 0) {
		sig_put_str(o, "<path>");
		return n;
	}
	if (!is_ident(prev) && (n = uuid_len(s)) > 0) {
		sig_put_str(o, "<id>");
		return n;
	}
	if (is_ident(s[0]))
		return is_ident(prev) ? (put_word(o, s, 1), 1) :
		    put_masked_word(o, s);

	n = char_len(s[0]);
	sig_put(o, s, n);
	return n;
}

size_t
logsig_normalize(const char *line, int mask_quoted, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)line;
	struct sig_out o = { out, size, 0, 0, 0 };
	unsigned char prev = '\0';
	size_t i = 0, n;

	if (size == 0)
		return 0;
	while (s[i] != '\0' && !o.full) {
		if (s[i] == ' ' || s[i] == '\t') {
			o.space = 1;
			prev = ' ';
			i++;
			continue;
		}
		n = put_piece(&o, s + i, prev, mask_quoted);
		i += n;
		prev = s[i - 1];
	}
	out[o.len] = '\0';
	return o.len;
}

/* A word with its length, so that lines are matched without strlen(). */
struct sig_word {
	const char *text;  /* the word, lower case */
	size_t len;        /* its length */
};

#define SIG_WORD(s) { s, sizeof s - 1 }

static int
word_is(const char *word, size_t len, const struct sig_word *w)
{
	return w->len == len && strncasecmp(word, w->text, len) == 0;
}

/*
 * Tells whether word ends with w as a part of its own: the whole word, a
 * capital after a lower-case start ("ValueError") or after '_'
 * ("io_error"), so that "onerror" does not count.
 */
static int
word_ends(const char *word, size_t len, const struct sig_word *w)
{
	size_t at = len - w->len;

	if (len < w->len || strncasecmp(word + at, w->text, w->len) != 0)
		return 0;
	return at == 0 || isupper((unsigned char)word[at]) ||
	    word[at - 1] == '_';
}

static int
is_upper_word(const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!isupper((unsigned char)word[i]))
			return 0;
	}
	return 1;
}

/*
 * Tells whether one word marks an error line; next is the character after
 * it. The syslog levels crit, alert and emerg count only as levels: in
 * capitals, or followed by ':' or ']', so "sending an alert" does not.
 */
static int
error_word(const char *word, size_t len, char next)
{
	static const struct sig_word suffixes[] = {
		SIG_WORD("error"), SIG_WORD("errors"), SIG_WORD("exception"),
	};
	static const struct sig_word words[] = {
		SIG_WORD("err"), SIG_WORD("fatal"), SIG_WORD("critical"),
		SIG_WORD("panic"), SIG_WORD("traceback"), SIG_WORD("failed"),
		SIG_WORD("failure"), SIG_WORD("abort"), SIG_WORD("aborted"),
	};
	static const struct sig_word levels[] = {
		SIG_WORD("crit"), SIG_WORD("alert"), SIG_WORD("emerg"),
	};
	size_t i;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		if (word_ends(word, len, &suffixes[i]))
			return 1;
	}
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (word_is(word, len, &words[i]))
			return 1;
	}
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (word_is(word, len, &levels[i]) && (next == ':' ||
		    next == ']' || is_upper_word(word, len)))
			return 1;
	}
	return 0;
}

/* Tells whether a word negates the error word after it: "0 errors". */
static int
negating_word(const char *word, size_t len)
{
	static const struct sig_word zero = SIG_WORD("0"), no = SIG_WORD("no");

	return word != NULL && (word_is(word, len, &zero) ||
	    word_is(word, len, &no));
}

/*
 * Tells whether the text after an error word gives a zero count:
 * "errors: none", "failed=0".
 */
static int
negated_after(const char *p)
{
	static const struct sig_word zero = SIG_WORD("0"),
	    none = SIG_WORD("none");
	const char *start;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == ':' || *p == '=')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return word_is(start, (size_t)(p - start), &zero) ||
	    word_is(start, (size_t)(p - start), &none);
}

int
logsig_is_error(const char *line)
{
	const char *p = line, *prev = NULL;
	size_t prev_len = 0;

	while (*p != '\0') {
		const char *start;
		size_t len;

		while (*p != '\0' && !isalnum((unsigned char)*p))
			p++;
		start = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		len = (size_t)(p - start);
		if (len == 0)
			break;
		if (error_word(start, len, *p) &&
		    !negating_word(prev, prev_len) && !negated_after(p))
			return 1;
		prev = start;
		prev_len = len;
	}
	return 0;
}

static int
starts_with(const char *s, const char *prefix)
{
	/* Most lines differ at the first byte: skip strlen() for them. */
	return s[0] == prefix[0] && strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *
skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Lines of a Java stack trace that may start without indentation. */
static int
is_java_frame(const char *line)
{
	const char *s = skip_spaces(line);

	return starts_with(s, "at ") || starts_with(s, "Caused by:") ||
	    starts_with(s, "Suppressed:") ||
	    (starts_with(s, "... ") && isdigit((unsigned char)s[4]));
}

/* Python's lines between the tracebacks of chained exceptions. */
static int
is_python_chain(const char *line)
{
	return starts_with(line, "During handling of the above exception") ||
	    starts_with(line, "The above exception was the direct cause");
}

/* Lines of a Go panic's goroutine dump: "main.main()", "goroutine 1 ...". */
static int
is_go_dump(const char *line)
{
	const char *paren = strchr(line, '(');
	size_t len = strlen(line);

	if (line[0] == '\0' || line[0] == ' ' || line[0] == '\t' ||
	    starts_with(line, "goroutine ") || starts_with(line, "created by ") ||
	    starts_with(line, "[signal ") || starts_with(line, "exit status "))
		return 1;
	return paren != NULL && line[len - 1] == ')' &&
	    memchr(line, ' ', (size_t)(paren - line)) == NULL &&
	    memchr(line, '.', (size_t)(paren - line)) != NULL;
}

/* Starts a block, or flags a lone error line, from state LOGSIG_NONE. */
static void
classify_new(struct logsig_block *b, const char *line,
	     struct logsig_verdict *v)
{
	b->state = LOGSIG_NONE;
	if (starts_with(line, "Traceback (most recent call last)")) {
		v->is_error = 1;
		b->state = LOGSIG_PYTHON;
		strncpy(b->header, line, sizeof b->header - 1);
		b->header[sizeof b->header - 1] = '\0';
		return;
	}
	if (is_python_chain(line)) {
		v->is_error = 1;
		return;
	}
	if (starts_with(line, "panic: ") || starts_with(line, "fatal error: ")) {
		v->is_error = 1;
		v->group_line = line;
		b->state = LOGSIG_GO;
		return;
	}
	if (logsig_is_error(line)) {
		v->is_error = 1;
		v->group_line = line;
		b->state = LOGSIG_ERROR;
	}
}

void
logsig_classify(struct logsig_block *b, const char *line,
		struct logsig_verdict *v)
{
	int blank = *skip_spaces(line) == '\0';
	int indented = !blank && (line[0] == ' ' || line[0] == '\t');

	v->is_error = 0;
	v->group_line = NULL;
	if (b->state == LOGSIG_PYTHON && indented) {
		v->is_error = 1;
		return;
	}
	if (b->state == LOGSIG_PYTHON) {
		/* The exception line that ends the traceback names the error. */
		b->state = LOGSIG_NONE;
		v->is_error = !blank;
		v->group_line = blank ? b->header : line;
		return;
	}
	if ((b->state == LOGSIG_GO && is_go_dump(line)) ||
	    (b->state == LOGSIG_ERROR && (indented || is_java_frame(line)))) {
		v->is_error = 1;
		return;
	}
	classify_new(b, line, v);
}

const char *
logsig_unfinished(const struct logsig_block *b)
{
	return b->state == LOGSIG_PYTHON ? b->header : NULL;
}
