/*
 * Logging to stderr: one line an event, with the UTC time, the level and the
 * ids involved (run, stage, probe, alert).
 *
 *   2026-12-04T20:36:36.123Z info  run=12 stage=churn/train: started pid 4242
 *
 * The macros compare the level before they evaluate or format anything, so
 * a debug line costs one comparison when debug logging is off. Control
 * characters in the formatted text are written as \xNN, so a hostile stage
 * name or log line cannot move the cursor of the terminal that shows it.
 * The sink is shared by threads: each line is written with one write(2).
 *
 * The macros evaluate their arguments, and so the _() of the format, under
 * the process's global locale. A thread that composes a reply under
 * another locale (uselocale(), as the control socket does for a client's
 * language) still logs in the language of the process.
 */
#ifndef WK_LOG_H
#define WK_LOG_H

#include <locale.h>

enum log_level {
	LL_DEBUG = 0,
	LL_INFO = 1,
	LL_WARN = 2,
	LL_ERROR = 3,
	LL_OFF = 4
};

/* Ids a log line is about; zero or NULL fields are left out of the line. */
struct log_ids {
	long long run;      /* run id, 0 when none */
	const char *stage;  /* "pipeline/stage", or NULL */
	const char *probe;  /* probe name, or NULL */
	const char *alert;  /* alert fingerprint, or NULL */
};

extern enum log_level log_min_level;

#define LOG(level, ...) LOG_IDS((level), NULL, __VA_ARGS__)

#define LOG_IDS(level, ids, ...) \
	do { \
		if ((level) >= log_min_level) { \
			locale_t log_locale_ = uselocale(LC_GLOBAL_LOCALE); \
			log_write((level), (ids), __VA_ARGS__); \
			uselocale(log_locale_); \
		} \
	} while (0)

/* Logs about a run and, when stage is not NULL, one of its stages. */
#define LOG_RUN(level, run_id, stage_name, ...) \
	do { \
		if ((level) >= log_min_level) { \
			struct log_ids log_ids_ = { .run = (run_id), \
						    .stage = (stage_name) }; \
			LOG_IDS((level), &log_ids_, __VA_ARGS__); \
		} \
	} while (0)

/* Formats and writes one line; callers use the macros above. */
void log_write(enum log_level level, const struct log_ids *ids,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Parses "debug", "info", "warn" or "error" into *level. Returns 0, or -1
 * for any other name.
 */
int log_parse_level(const char *name, enum log_level *level);

/* Sends log lines to fd instead of stderr (2); -1 discards them. */
void log_set_fd(int fd);

#endif
