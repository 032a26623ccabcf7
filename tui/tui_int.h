/*
 * Declarations shared by the files of the TUI (tui/tui_*.c):
 *
 *   tui_main.c      start, the frame loop, keys common to every view
 *   tui_model.c     the data of the overview, read from the store
 *   tui_draw.c      drawing primitives: cells, rules, tables, styles
 *   tui_input.c     prompts, confirmations, the command line, help
 *   tui_overview.c  the overview
 *   tui_runs.c      run history and run detail
 *   tui_logs.c      the stage log viewer
 *   tui_alerts.c    alerts and silences
 *   tui_probes.c    probes
 *   tui_slo.c       SLO detail
 *
 * Everything runs on one thread; the store is read in one read
 * transaction a refresh.
 */
#ifndef WK_TUI_INT_H
#define WK_TUI_INT_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/config_slos.h"
#include "core/forecast.h"
#include "core/slo.h"
#include "core/store.h"
#include "core/store_logs.h"
#include "core/store_probes.h"
#include "core/store_queue.h"
#include "core/store_view.h"
#include "tui/tui.h"
#include "tui/tui_text.h"

#define TUI_REFRESH_MS 1000        /* data refresh and redraw period */
#define TUI_SLOW_REFRESH_MS 60000  /* typical durations and forecasts */
#define TUI_STATUS_MS 6000         /* how long a status message shows */
#define TUI_MIN_COLS 40            /* smaller: "terminal too small" */
#define TUI_MIN_ROWS 10
#define TUI_SLOS_MAX 64            /* SLOs shown */
#define TUI_ALERTS_MAX 256         /* alerts kept, newest */
#define TUI_PROBES_MAX 128         /* probes shown */
#define TUI_SPARK_MAX 120          /* probe results kept for a sparkline */
#define TUI_FORECASTS_MAX 32       /* forecast warnings shown */
#define TUI_RUNS_MAX 400           /* runs in the history view */
#define TUI_QUEUED_MAX 256         /* queued runs read, of every pipeline */
#define TUI_GRID_MAX (TUI_RUNS_MAX * 16)  /* stage cells of those runs */
#define TUI_SILENCES_MAX 64        /* silences shown */
#define TUI_HISTORY_MAX 50         /* stage durations for the estimate */
#define TUI_HISTORY_USED 20        /* latest of them in the median */
#define TUI_HISTORY_DAYS 30        /* age of the durations looked at */
#define TUI_FORECAST_DAYS 14       /* warn of limits reached this soon */
#define TUI_SIGNATURES_MAX 32      /* error signatures of a stage run */
#define TUI_ERRORS_MAX 5           /* error lines in the run detail */
#define TUI_METRICS_MAX 32         /* metrics in the run detail */
#define TUI_LOG_LINES_MAX 200000   /* lines the log viewer keeps */
#define TUI_LOG_BYTES_MAX (64 << 20)  /* bytes of text it keeps */
#define TUI_LOG_CHUNK 64           /* rows read from the store at a time */
#define TUI_INPUT_MAX 200          /* characters of a prompt's input */
#define TUI_SERIES_MAX 2048        /* SLO evaluations read for a chart */

/* Screens; the user goes back through a stack of them. */
enum tui_view {
	TUI_OVERVIEW,
	TUI_RUNS,
	TUI_RUN,
	TUI_LOGS,
	TUI_ALERTS,
	TUI_PROBES,
	TUI_SLO,
	TUI_VIEW_COUNT
};

/* Styles of drawn text; each maps to colours or to attributes. */
enum tui_style {
	TUI_S_NORMAL,
	TUI_S_TITLE,    /* the top bar */
	TUI_S_HEAD,     /* table headers and section rules */
	TUI_S_FOCUS,    /* the rule of the pane with the focus */
	TUI_S_SELECT,   /* the selected row */
	TUI_S_OK,       /* succeeded, up, ok */
	TUI_S_FAIL,     /* failed, down, page */
	TUI_S_RUN,      /* running */
	TUI_S_WARN,     /* ticket, retrying, forecast */
	TUI_S_DIM,      /* pending, not run, unknown */
	TUI_S_MATCH,    /* a search match */
	TUI_S_QUEUED,   /* queued, not started yet */
	TUI_S_COUNT
};

/* Panes of the overview, in Tab order. */
enum tui_pane {
	TUI_PANE_STAGES,
	TUI_PANE_QUEUED,   /* shown only while runs are queued */
	TUI_PANE_SLOS,
	TUI_PANE_ALERTS,
	TUI_PANE_PROBES,
	TUI_PANE_FORECASTS,
	TUI_PANE_COUNT
};

/* One stage of the run the overview shows. */
struct tui_stage {
	char name[CFG_NAME_MAX];     /* stage name */
	struct store_stage_run sr;   /* latest attempt; sr.id 0: none yet */
	int64_t typical_ms;          /* median recent duration, -1: none */
	int64_t left_ms;             /* running: time left estimate, -1 */
	int has_slope;               /* ms_per_day is a fitted growth */
	double ms_per_day;           /* duration growth, ms a day */
	double done;                 /* 0..1 for the bar, -1: unknown */
};

/* One SLO with its latest evaluation. */
struct tui_slo {
	const struct cfg_slo *cfg;   /* in opts->cfg */
	int has_status;              /* st contains an evaluation */
	struct slo_status st;        /* latest stored evaluation */
	/* the burn rate of each window that pages or tickets, 0: none */
	double page_at[SLO_BURN_WINDOWS];
	double ticket_at[SLO_BURN_WINDOWS];  /* see page_at */
	struct slo_rule_eval rules[SLO_RULES_MAX];  /* resolved rules */
	size_t n_rules;              /* entries in rules */
};

/* One alert, copied out of the store. */
struct tui_alert {
	char fingerprint[24];        /* 16 hex digits */
	char source[32];             /* stage_failed, probe_down, ... */
	char severity[16];           /* page, ticket, info */
	char state[16];              /* pending, firing, resolved */
	char labels[512];            /* JSON object of strings */
	char summary[256];           /* one line */
	char details[1024];          /* several lines, may be "" */
	char ack_comment[128];       /* "" when none */
	int acked;                   /* acknowledged */
	int64_t ack_at;              /* ms since epoch */
	int64_t since;               /* fired_at, else active_since, ms */
	int64_t resolved_at;         /* ms since epoch, 0 unless resolved */
};

/* One probe with its latest results. */
struct tui_probe {
	struct store_probe_state ps;    /* current state */
	double lat[TUI_SPARK_MAX];      /* latency ms a result; -1 failed */
	size_t n_lat;                   /* entries in lat, oldest first */
	size_t n_up;                    /* results up among them */
};

/* A growth forecast worth a warning. */
struct tui_forecast {
	char pipeline[CFG_NAME_MAX];  /* pipeline name */
	char stage[CFG_NAME_MAX];     /* stage name, "" for the whole run */
	struct forecast f;            /* the forecast */
};

/* One active silence. */
struct tui_silence {
	int64_t id;                   /* alert_silences.id */
	char matchers[256];           /* JSON array of matcher strings */
	char comment[128];            /* why */
	int64_t ends_at;              /* ms since epoch */
};

/* The data of the overview, read once a refresh. */
struct tui_model {
	int64_t now_ms;                      /* wall clock of the refresh */
	char pipeline[CFG_NAME_MAX];         /* pipeline of run, or "" */
	int has_run;                         /* run is set */
	struct store_run run;                /* running, else latest run */
	struct tui_stage stages[CFG_MAX_STAGES];  /* in execution order */
	size_t n_stages;                     /* entries in stages */
	int64_t typical_run;                 /* run id typical_ms is for */
	int64_t slow_at_ms;                  /* last slow refresh, mono ms */
	struct tui_slo slos[TUI_SLOS_MAX];   /* configured SLOs */
	size_t n_slos;                       /* entries in slos */
	struct tui_alert alerts[TUI_ALERTS_MAX];  /* not resolved, sorted */
	size_t n_alerts;                     /* entries in alerts */
	size_t n_firing;                     /* firing among them */
	struct tui_probe probes[TUI_PROBES_MAX];  /* by name */
	size_t n_probes;                     /* entries in probes */
	struct tui_forecast forecasts[TUI_FORECASTS_MAX];  /* warnings */
	size_t n_forecasts;                  /* entries in forecasts */
	/* the agent's queue, first to start first; one more than shown */
	struct store_queued_run queued[TUI_QUEUED_MAX + 1];
	size_t n_queued;                     /* entries shown, at most
						TUI_QUEUED_MAX */
	int queued_more;                     /* more runs are queued */
};

/* The run history view. */
struct tui_runs {
	struct store_run runs[TUI_RUNS_MAX];       /* newest first */
	size_t n_runs;                             /* entries in runs */
	struct store_view_cell cells[TUI_GRID_MAX];  /* stage attempts */
	size_t n_cells;                            /* entries in cells */
	size_t queued[TUI_QUEUED_MAX];   /* the pipeline's, into m.queued */
	size_t n_queued;                 /* entries in queued */
	size_t n_lead;                   /* runs in progress listed first */
	struct tui_list list;            /* selected row, runs and queued */
};

/* The run detail view. */
struct tui_run {
	int64_t run_id;                            /* run shown */
	struct store_run run;                      /* the run */
	struct store_stage_run stages[CFG_MAX_STAGES]; /* latest attempts */
	size_t n_stages;                           /* entries in stages */
	struct store_metric metrics[TUI_METRICS_MAX];  /* selected stage */
	size_t n_metrics;                          /* entries in metrics */
	char errors[TUI_ERRORS_MAX][STORE_TEXT_MAX];   /* its last errors */
	size_t n_errors;                           /* entries in errors */
	struct tui_list list;                      /* selected stage */
};

/* One line kept by the log viewer; its text is in the arena. */
struct tui_log_line {
	size_t off;               /* offset of the text in the arena */
	uint32_t len;             /* bytes of text */
	int64_t line_no;          /* 1-based within its stream */
	uint8_t stream;           /* enum store_stream */
	uint8_t is_error;         /* flagged as an error */
	uint8_t marker;           /* a truncation marker */
};

/* The stage log viewer. */
struct tui_logs {
	struct store_logs_target target;      /* stage run shown */
	struct store_logs_query q;            /* read position */
	struct tui_log_line *lines;           /* owned, n_lines used */
	size_t n_lines;                       /* entries in lines */
	size_t cap_lines;                     /* allocated entries */
	char *text;                           /* owned arena of the texts */
	size_t text_used;                     /* bytes used in text */
	size_t text_cap;                      /* bytes allocated */
	int full;                             /* a limit stopped the reading */
	size_t n_errors;                      /* error lines among lines */
	size_t top;                           /* first line shown */
	size_t top_sub;                       /* its first wrapped row shown */
	size_t hoff;                          /* columns scrolled right */
	size_t cursor;                        /* line of the last jump */
	int has_cursor;                       /* cursor is highlighted */
	int wrap;                             /* wrap long lines */
	int follow;                           /* stay at the end */
	char search[TUI_INPUT_MAX * 4 + 1];   /* UTF-8 pattern, "" none */
	struct store_view_signature sigs[TUI_SIGNATURES_MAX];  /* signatures */
	size_t n_sigs;                        /* entries in sigs */
	int sig_focus;                        /* Tab: the signatures pane */
	struct tui_list sig_list;             /* selected signature */
	int body_rows;                        /* rows of the last drawn body */
};

/* The alerts view. */
struct tui_alerts {
	struct tui_alert alerts[TUI_ALERTS_MAX];  /* sorted, see model */
	size_t n_alerts;                          /* entries in alerts */
	struct tui_silence silences[TUI_SILENCES_MAX];  /* active */
	size_t n_silences;                        /* entries in silences */
	int resolved;                             /* H: list resolved too */
	int focus;                                /* 1: the silences pane */
	struct tui_list list;                     /* selected alert */
	struct tui_list sil_list;                 /* selected silence */
};

/* The SLO detail view. */
struct tui_slo_view {
	size_t index;                      /* SLO shown, in model.slos */
	struct slo_point series[TUI_SERIES_MAX];  /* evaluations, oldest first */
	size_t n_series;                   /* entries in series */
	int64_t series_minute;             /* latest minute read, for reuse */
	char series_name[CFG_NAME_MAX];    /* SLO the series is of */
};

/* Actions a prompt leads to. */
enum tui_act {
	TUI_ACT_NONE,
	TUI_ACT_RERUN,
	TUI_ACT_CANCEL,
	TUI_ACT_CANCEL_QUEUED, /* drops every queued run of a pipeline */
	TUI_ACT_RUN_NOW,
	TUI_ACT_ACK,
	TUI_ACT_SILENCE_FOR,   /* input: the duration of a silence */
	TUI_ACT_SILENCE,
	TUI_ACT_UNSILENCE,
	TUI_ACT_COMMAND,       /* input: the ':' command line */
	TUI_ACT_SEARCH         /* input: the '/' search */
};

/* An action waiting for its confirmation or its input. */
struct tui_pending {
	enum tui_act act;              /* what to do */
	char pipeline[CFG_NAME_MAX];   /* rerun, run-now, cancel-queued */
	char stage[CFG_NAME_MAX];      /* rerun */
	int64_t run_id;                /* rerun, cancel */
	char fingerprint[24];          /* ack */
	char labels[512];              /* silence: JSON object of strings */
	int64_t duration_ms;           /* silence */
	int64_t silence_id;            /* unsilence */
};

/* A question or an input line at the bottom of the screen. */
struct tui_prompt {
	int active;                    /* shown */
	int input;                     /* 1: an input line, 0: y/n */
	char label[512];               /* the question or the prompt */
	wchar_t text[TUI_INPUT_MAX + 1];  /* input typed so far */
	size_t len;                    /* characters in text */
	struct tui_pending p;          /* the action */
};

struct tui {
	const struct tui_opts *opts;   /* as given */
	const struct cfg *cfg;         /* opts->cfg */
	struct store *store;           /* read-only, NULL until it opens */
	char store_error[WK_ERR_MSG_MAX]; /* why it does not open, or "" */
	int utf8;                      /* the locale's charset is UTF-8 */
	int ascii;                     /* bars and lines in ASCII */
	int color;                     /* colours in use */
	attr_t styles[TUI_S_COUNT];    /* attributes of each style */
	int rows, cols;                /* size of the screen */
	enum tui_view stack[8];        /* views, [depth - 1] is shown */
	int depth;                     /* entries in stack */
	int quit;                      /* leave the loop */
	int help;                      /* the help overlay is shown */
	size_t pipeline_index;         /* p: pipeline chosen, or SIZE_MAX */
	enum tui_pane focus;           /* overview pane with the focus */
	struct tui_list panes[TUI_PANE_COUNT];  /* overview selections */
	struct tui_model m;            /* overview data */
	struct tui_runs runs;          /* run history */
	struct tui_run run;            /* run detail */
	struct tui_logs logs;          /* log viewer */
	struct tui_alerts alerts;      /* alerts view */
	struct tui_list probe_list;    /* probes view selection */
	struct tui_slo_view slo;       /* SLO detail */
	struct tui_prompt prompt;      /* prompt at the bottom */
	char status[512];              /* message at the bottom, or "" */
	int status_error;              /* status is an error */
	int64_t status_until;          /* mono ms when it disappears */
	int64_t next_refresh;          /* mono ms of the next refresh */
};

/* tui_main.c */

/* Returns the view shown. */
enum tui_view tui_view(const struct tui *t);

/* Shows view on top of the current one (or replaces it when equal). */
void tui_push(struct tui *t, enum tui_view view);

/* Goes back to the previous view; quits from the last one. */
void tui_pop(struct tui *t);

/* Shows a message at the bottom for a few seconds. */
void tui_say(struct tui *t, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Asks for a refresh of the data before the next frame. */
void tui_refresh_soon(struct tui *t);

/* Returns the monotonic clock in ms. */
int64_t tui_mono_ms(void);

/* tui_model.c */

/* Reads the overview data; every view shows its counts. */
int tui_model_refresh(struct tui *t);

/* Returns the pipeline names known: configured ones and stored ones. */
size_t tui_pipelines(const struct tui *t, const char **names, size_t max);

/* Returns the 1-based place of m.queued[i] in its pipeline's queue. */
size_t tui_queued_place(const struct tui *t, size_t i);

/* Returns the runs of pipeline in m.queued. */
size_t tui_queued_count(const struct tui *t, const char *pipeline);

/* tui_draw.c */

/* Sets t->styles for colour or monochrome; call after initscr. */
void tui_styles_init(struct tui *t);

/* Sets the attributes and colour pair of a (t->styles[...]) for drawing. */
void tui_attr(struct tui *t, attr_t a);

/*
 * Draws text at row y, column x, cut to cols columns (padded with spaces
 * when pad is set) in style s. Returns the columns drawn.
 */
int tui_put(struct tui *t, int y, int x, int cols, int pad,
	    enum tui_style s, const char *text);

/* As tui_put with pad, aligned to the right of the cols columns. */
int tui_put_right(struct tui *t, int y, int x, int cols, enum tui_style s,
		  const char *text);

/* Draws printf-formatted text like tui_put. */
int tui_putf(struct tui *t, int y, int x, int cols, enum tui_style s,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Draws a section rule with a title across the screen at row y. */
void tui_rule(struct tui *t, int y, const char *title, int focused);

/* Fills a row with style s (for a selected row). */
void tui_fill(struct tui *t, int y, int x, int cols, enum tui_style s);

/* Draws the header of a table at row y. */
void tui_table_head(struct tui *t, int y, const struct tui_col *cols,
		    size_t n);

/* Draws a cell of a table at row y (nothing when the column is hidden). */
void tui_cell(struct tui *t, int y, const struct tui_col *col,
	      enum tui_style s, const char *text);

/* Returns the style of a stage or run state. */
enum tui_style tui_state_style(const char *state);

/* Returns the translated, short name of a stage or run state. */
const char *tui_state_name(const char *state);

/* Returns a one-column symbol of a state ("✓", "✗", ...). */
const char *tui_state_symbol(const struct tui *t, const char *state);

/* Writes a wall-clock time as local "YYYY-MM-DD HH:MM". */
void tui_fmt_time(int64_t ms, char *out, size_t size);

/* tui_input.c */

/* Asks a yes/no question; a yes runs p. */
void tui_confirm(struct tui *t, const struct tui_pending *p,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens an input line with a label and initial text for p. */
void tui_ask(struct tui *t, const struct tui_pending *p, const char *label,
	     const char *initial);

/* Handles a key while a prompt is shown. */
void tui_prompt_key(struct tui *t, int function_key, wint_t ch);

/* Draws the prompt or the status or the key hints on the last row. */
void tui_draw_footer(struct tui *t, const char *hints);

/* Draws the help overlay of the current view. */
void tui_draw_help(struct tui *t);

/* Runs a ':' command line. */
void tui_command(struct tui *t, const char *line);

/* Tells whether actions are off, saying why when they are. */
int tui_actions_off(struct tui *t);

/* Shows pipeline name in the overview and the history, or says why not. */
void tui_pick_pipeline(struct tui *t, const char *name);

/* tui_overview.c */
void tui_overview_draw(struct tui *t);
void tui_overview_key(struct tui *t, int function_key, wint_t ch);

/* tui_runs.c */
int tui_runs_refresh(struct tui *t);
void tui_runs_draw(struct tui *t);
void tui_runs_key(struct tui *t, int function_key, wint_t ch);
int tui_run_refresh(struct tui *t);
void tui_run_draw(struct tui *t);
void tui_run_key(struct tui *t, int function_key, wint_t ch);

/* Opens the run detail of run_id. */
void tui_run_open(struct tui *t, int64_t run_id);

/* Asks to re-run pipeline from stage of run_id. */
void tui_rerun_ask(struct tui *t, const char *pipeline, int64_t run_id,
		   const char *stage);

/* Asks to drop every queued run of pipeline, as `cancel --queued`. */
void tui_queued_cancel_ask(struct tui *t, const char *pipeline);

/* tui_logs.c */

/* Opens the log viewer on the latest attempt of stage in run_id. */
void tui_logs_open(struct tui *t, const char *pipeline, const char *stage,
		   int64_t run_id);
int tui_logs_refresh(struct tui *t);
void tui_logs_draw(struct tui *t);
void tui_logs_key(struct tui *t, int function_key, wint_t ch);

/* Moves to the next (dir 1) or previous (-1) line matching the search. */
void tui_logs_search(struct tui *t, int dir);

/* Frees what the log viewer holds. */
void tui_logs_free(struct tui_logs *logs);

/* tui_alerts.c */
int tui_alerts_refresh(struct tui *t);
void tui_alerts_draw(struct tui *t);
void tui_alerts_key(struct tui *t, int function_key, wint_t ch);

/* Writes a JSON object of strings as "name=value name=value". */
void tui_labels_text(const char *json, char *out, size_t size);

/* Asks to acknowledge alert a. */
void tui_alert_ack_ask(struct tui *t, const struct tui_alert *a);

/* Asks for how long to silence the alerts with the labels of a. */
void tui_alert_silence_ask(struct tui *t, const struct tui_alert *a);

/* Reads the alerts into out (resolved too when set), sorted. */
int tui_alerts_read(struct tui *t, int resolved, struct tui_alert *out,
		    size_t max, size_t *count, size_t *firing);

/* tui_probes.c */
void tui_probes_draw(struct tui *t);
void tui_probes_key(struct tui *t, int function_key, wint_t ch);

/* tui_slo.c */

/* Shows the SLO detail of the SLO named name (NULL: the first). */
int tui_slo_open(struct tui *t, const char *name);
int tui_slo_refresh(struct tui *t);
void tui_slo_draw(struct tui *t);
void tui_slo_key(struct tui *t, int function_key, wint_t ch);

/* Writes what the SLI of slo counts as good. */
void tui_slo_describe(const struct cfg_slo *slo, char *out, size_t size);

#endif
