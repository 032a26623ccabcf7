/*
 * Request bodies of alert messages, one format per chat platform. Each
 * follows the platform's published schema and stays within its size
 * limits; docs/alerting.md lists the limits and their sources.
 */
#ifndef WK_ALERT_FORMAT_H
#define WK_ALERT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/alert.h"
#include "core/buf.h"
#include "core/config.h"

#define ALERT_BODY_MAX (256 * 1024)  /* bytes of any request body */
#define ALERT_MSG_ALERTS_MAX 20      /* alerts in one message */

/* Platform limits, in the unit each platform counts. */
#define ALERT_SLACK_SECTION_MAX 3000  /* section text, characters */
#define ALERT_SLACK_HEADER_MAX 150    /* header plain_text, characters */
#define ALERT_SLACK_BLOCKS_MAX 50     /* blocks in a message */
#define ALERT_MATTERMOST_TEXT_MAX 16383 /* post message, characters */
#define ALERT_DISCORD_CONTENT_MAX 2000
#define ALERT_DISCORD_EMBEDS_MAX 10
#define ALERT_DISCORD_TITLE_MAX 256
#define ALERT_DISCORD_DESC_MAX 4096
#define ALERT_DISCORD_FIELD_MAX 1024  /* field value */
#define ALERT_DISCORD_FOOTER_MAX 2048
#define ALERT_DISCORD_TOTAL_MAX 6000  /* all embed text of a message */
#define ALERT_TEAMS_BYTES_MAX 27000   /* under the 28 KB message limit */
#define ALERT_GCHAT_BYTES_MAX 30000   /* under the 32,000-byte limit */
#define ALERT_JSON_DETAILS_MAX 16384  /* details in our JSON, bytes */
#define ALERT_AM_ANNOTATION_MAX 16384 /* an Alertmanager annotation, bytes */

/* One message to one receiver. */
struct alert_message {
	const struct cfg_alert_receiver *receiver;  /* type and language */
	const char *base_url;         /* links to the web page; NULL: none */
	const char *group_key;        /* "pipeline=churn,run=12" */
	const char *idempotency_key;  /* same on every retry of the message */
	const struct alert_view *alerts;
	size_t n_alerts;              /* 1..ALERT_MSG_ALERTS_MAX */
	int64_t now;                  /* ms since epoch */
};

/*
 * Writes the request body of msg in the receiver's format and language to
 * out (reset first). Returns WK_OK, WK_ERR_NOMEM or WK_ERR_LIMIT.
 */
int alert_format(const struct alert_message *msg, struct buf *out);

/*
 * Returns the path a receiver type appends to its URL:
 * "/api/v2/alerts" for Alertmanager, "" for the others.
 */
const char *alert_format_url_suffix(enum cfg_alert_type type);

/* Returns the translated title of a source, "Stage failed", ... */
const char *alert_source_title(enum alert_source source, const char *lang);

#endif
