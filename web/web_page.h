/* Helpers of the page files of web/ (web_page*.c), besides web_int.h's. */
#ifndef WK_WEB_PAGE_H
#define WK_WEB_PAGE_H

#include "web/web_int.h"

/*
 * Writes the request's query with key set to value (NULL: removed) and
 * without lang, as "?a=1&b=2" escaped for an attribute. Setting since
 * drops from and to.
 */
void web_page_query(struct web_req *r, const char *key, const char *value);

/* Writes a <time> of ms since epoch, or "-" for 0. */
void web_page_time(struct web_req *r, int64_t ms);

/* Writes member key of o, a duration in ms, or "-" when null. */
void web_page_ms(struct web_req *r, const json_t *o, const char *key);

/* Writes member key of o, a fraction, as a percentage or "-". */
void web_page_pct(struct web_req *r, const json_t *o, const char *key,
		  int digits);

/* Writes <a href="PREFIX + name">text (name when NULL)</a>, escaped. */
void web_page_link(struct web_req *r, const char *prefix, const char *name,
		   const char *text);

/* Writes an <h2> title. */
void web_page_section(struct web_req *r, const char *title);

/* Writes a table head of translated labels (marked with N_()). */
void web_page_th(struct web_req *r, const char *const *labels, size_t n);

/* Writes a paragraph that says a list is empty. */
void web_page_empty(struct web_req *r, const char *text);

/* Tables shared by several pages. */
void web_page_slo_table(struct web_req *r, const json_t *list);
void web_page_probe_states(struct web_req *r, const json_t *list, int stats);
void web_page_error_table(struct web_req *r, const json_t *list);
void web_page_incident_summary(struct web_req *r, const json_t *summary);
void web_page_incident_table(struct web_req *r, const json_t *list);

#endif
