/* Pieces shared by the model files of web/ (web_model*.c). */
#ifndef WK_WEB_MODEL_H
#define WK_WEB_MODEL_H

#include "core/store_logs.h"
#include "core/store_probes.h"
#include "web/web_int.h"

#define WEB_PROBES_MAX 2048   /* probes listed */
#define WEB_SLOS_MAX 256      /* SLOs listed */

/* {"from", "to", "label"} of a period. */
json_t *web_model_period(const struct web_period *p);

/*
 * Reads the pipeline names: the configured ones in file order, then the
 * ones only the store knows. Sets *count.
 */
int web_model_pipelines(struct web_req *r, char (*names)[STORE_NAME_MAX],
			size_t max, size_t *count);

/* A run as JSON. */
json_t *web_model_run_json(const struct store_run *run);

/* An attempt as JSON; full adds exit status, resources and reasons. */
json_t *web_model_attempt_json(const struct store_stage_run *s, int full);

/*
 * Sets member "attempts" of o to the attempts of run_id, read into
 * rows[0..max-1].
 */
int web_model_attempts(struct web_req *r, int64_t run_id, json_t *o,
		       int full, struct store_stage_run *rows, size_t max);

/* The current state of a probe as JSON. */
json_t *web_model_probe_state_json(const struct store_probe_state *s);

/* An error signature as JSON. */
json_t *web_model_signature_json(const struct store_logs_signature *g);

/*
 * Sets member key of m to the up to max signatures seen in p, of one
 * pipeline (NULL: all).
 */
int web_model_signatures(struct web_req *r, const struct web_period *p,
			 const char *pipeline, size_t max, json_t *m,
			 const char *key);

/* Reads ?pipeline=; returns 0 after failing r when it is not a name. */
int web_model_pipeline_arg(struct web_req *r, const char **pipeline);

/* Returns the path segment after name, or NULL. */
const char *web_model_seg_after(const struct web_req *r, const char *name);

/*
 * Sets member "queued" of m to the runs the agent has queued, of pipeline
 * (NULL: every pipeline), first to start first: {count, truncated, items}.
 */
int web_model_queued(struct web_req *r, const char *pipeline, json_t *m);

/* Sets member key of m to the latest evaluation of every SLO. */
int web_model_slo_summaries(struct web_req *r, json_t *m, const char *key);

/* Computes the incidents of [from, to) into member "incidents" and
 * "summary" of m. */
int web_model_incident_list(struct store *st, int64_t from, int64_t to,
			    int64_t now, json_t *m);

/* Reads the availability and latency of every probe over [from, to). */
int web_model_probe_list(struct store *st, int64_t from, int64_t to,
			 json_t *m);

/*
 * Adds the forecast of every stage of every pipeline as member "trends"
 * of m, fastest growing first, at most max of them.
 */
int web_model_trend_list(struct store *st, const struct cfg *cfg,
			 int64_t now, size_t max, json_t *m);

/* Builds the report model of period p for r (web_model_report.c). */
json_t *web_report_build(struct web_req *r, const struct web_period *p);

#endif
