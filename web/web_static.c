/*
 * The stylesheet, the script and the icon of the pages, built into the
 * binary so that the pages load nothing from elsewhere. The stylesheet
 * also gives the charts their colours, and has print rules for the
 * report.
 */
#include <string.h>

#include "web/web_int.h"

/*
 * The stylesheet, in parts of less than 4095 bytes each (the longest
 * string literal C11 compilers must accept); web_static_init() joins them.
 */
static const char *const web_css_parts[] = {
	":root{--fg:#1b1f24;--muted:#5b6470;--line:#d0d7de;--bg:#fff;"
	"--ok:#1a7f37;--bad:#cf222e;--warn:#bf8700;--info:#0969da;"
	"--idle:#8c959f;--queued:#8250df}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',"
	"'Noto Sans','IPAGothic','IPAPGothic',sans-serif;color:var(--fg);"
	"background:var(--bg)}\n"
	"header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;"
	"padding:.6rem 1.2rem;border-bottom:1px solid var(--line);"
	"background:#f6f8fa}\n"
	".brand{font-weight:700;color:var(--fg);text-decoration:none}\n"
	"nav a{margin-right:.9rem;color:var(--info);text-decoration:none}\n"
	"nav a[aria-current]{color:var(--fg);font-weight:600;"
	"border-bottom:2px solid var(--info)}\n"
	".lang{margin-left:auto;font-size:.9rem}\n"
	"main{padding:1rem 1.2rem 2rem;max-width:1400px}\n"
	"h1{font-size:1.6rem;margin:.3rem 0 .8rem}\n"
	"h2{font-size:1.2rem;margin:1.6rem 0 .5rem}\n"
	"h3{font-size:1rem;margin:1rem 0 .3rem}\n"
	"a{color:var(--info)}\n",
	"table.grid{border-collapse:collapse;width:100%;margin:.4rem 0}\n"
	"table.grid th,table.grid td{border-bottom:1px solid var(--line);"
	"padding:.3rem .5rem;text-align:left;vertical-align:top}\n"
	"table.grid th{font-size:.85rem;color:var(--muted);font-weight:600}\n"
	"td.num,dd.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
	"font-size:.85rem}\n"
	"pre.log{background:#f6f8fa;border:1px solid var(--line);"
	"padding:.5rem;overflow:auto;white-space:pre-wrap;"
	"word-break:break-all}\n"
	".sample{color:var(--muted);font-size:.85rem;word-break:break-all}\n"
	".state{display:inline-block;padding:0 .45rem;border-radius:.8rem;"
	"font-size:.85rem;border:1px solid currentColor}\n"
	".s-succeeded,.s-up,.s-ok,.s-resolved{color:var(--ok)}\n"
	".s-failed,.s-down,.s-page,.s-timed_out,.s-out_of_memory,"
	".s-data_error,.s-firing{color:var(--bad)}\n"
	".s-ticket,.s-retry_wait,.s-pending{color:var(--warn)}\n"
	".s-running{color:var(--info)}\n"
	".s-queued{color:var(--queued);border-style:dashed}\n"
	".s-not_run,.s-skipped,.s-unknown,.s-no_data,.s-not_evaluated"
	"{color:var(--idle)}\n",
	"dl.facts{display:grid;grid-template-columns:max-content auto;"
	"gap:.2rem 1rem;margin:.5rem 0}\n"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}\n"
	"dl.metrics{display:grid;grid-template-columns:max-content auto;"
	"gap:0 1rem;font-size:.9rem}dl.metrics dd{margin:0}\n"
	".period,.empty,.detail,footer{color:var(--muted)}\n"
	".spans a{margin-left:.4rem}.spans a[aria-current]{font-weight:700}\n"
	".error{color:var(--bad);font-weight:600}\n"
	"footer{padding:1rem 1.2rem;font-size:.85rem;"
	"border-top:1px solid var(--line)}\n"
	"figure.chart{margin:.4rem 0 1rem}\n"
	"figure.chart svg,svg.gantt,svg.bars,svg.timeline{width:100%;"
	"height:auto;max-width:1000px;display:block}\n"
	"figcaption{font-size:.85rem;color:var(--muted)}\n"
	".key{display:inline-block;width:.9rem;height:.25rem;"
	"vertical-align:middle;margin-right:.25rem;background:currentColor}\n"
	"svg text{font-size:11px;fill:var(--muted)}\n"
	"svg .ylab{text-anchor:end}svg .xlab{text-anchor:middle}\n"
	"svg .glab{text-anchor:end;font-size:12px;fill:var(--fg)}\n"
	"svg .grid{stroke:#eaeef2;stroke-width:1}\n",
	"svg .rule{stroke-width:1.5;stroke-dasharray:6 4}\n"
	"svg .r-limit,svg .r-page{stroke:var(--bad)}\n"
	"svg .r-objective{stroke:var(--ok)}svg .r-ticket{stroke:var(--warn)}\n"
	"svg polyline{fill:none;stroke-width:2}\n"
	"svg .c-primary,.key.c-primary{color:var(--info);stroke:var(--info);"
	"fill:var(--info)}\n"
	"svg .c-forecast,.key.c-forecast{color:var(--idle);"
	"stroke:var(--idle);fill:var(--idle)}\n"
	"svg .c-forecast polyline{stroke-dasharray:5 4}\n"
	"svg .c-b1,.key.c-b1{color:#8250df;stroke:#8250df;fill:#8250df}\n"
	"svg .c-b2,.key.c-b2{color:#0969da;stroke:#0969da;fill:#0969da}\n"
	"svg .c-b3,.key.c-b3{color:#bc4c00;stroke:#bc4c00;fill:#bc4c00}\n"
	"svg .c-b4,.key.c-b4{color:#1a7f37;stroke:#1a7f37;fill:#1a7f37}\n"
	"svg circle.pt{stroke:none}\n"
	"svg .bar{stroke:none}svg .bar.s-succeeded,svg .bar.met"
	"{fill:var(--ok)}\n"
	"svg .bar.s-failed,svg .bar.s-timed_out,svg .bar.s-out_of_memory,"
	"svg .bar.miss,svg .bar.sev-page{fill:var(--bad)}\n"
	"svg .bar.s-running{fill:var(--info)}svg .bar.sev-other,"
	"svg .bar.s-retry_wait{fill:var(--warn)}\n",
	"svg .bar.s-not_run,svg .bar.s-skipped,svg .bar.none,"
	"svg .bar.s-pending{fill:var(--idle)}\n"
	"svg .ack{stroke:var(--fg);stroke-width:2}\n"
	"svg.spark{width:120px;height:24px}svg.spark circle{fill:var(--ok)}\n"
	"svg.spark circle.s-failed{fill:var(--bad)}\n"
	"svg.gantt.compact{width:240px;height:auto}\n"
	"form{margin:.5rem 0}\n"
	"@media print{header nav,.lang,.noprint,.export,.spans{display:none}"
	"body{font-size:11pt}main{padding:0}a{color:inherit;"
	"text-decoration:none}h2{break-after:avoid}table,figure,dl"
	"{break-inside:avoid}}\n"
};

#define WEB_CSS_MAX 16384
static char web_css[WEB_CSS_MAX];
static size_t web_css_len;

static const char web_js[] =
	"\"use strict\";\n"
	"(function () {\n"
	"  /* The overview reloads itself each minute, for a wall screen. */\n"
	"  var refresh = Number(document.body.getAttribute(\"data-refresh\"));\n"
	"  if (refresh > 0) {\n"
	"    setTimeout(function () { location.reload(); }, refresh * 1000);\n"
	"  }\n"
	"  /* The report page copies its text form, for chat. */\n"
	"  var copy = document.getElementById(\"copy-report\");\n"
	"  var link = document.getElementById(\"report-text\");\n"
	"  if (copy && link && navigator.clipboard) {\n"
	"    copy.hidden = false;\n"
	"    copy.addEventListener(\"click\", function () {\n"
	"      fetch(link.href, { credentials: \"same-origin\" })\n"
	"        .then(function (r) { return r.text(); })\n"
	"        .then(function (t) { return navigator.clipboard.writeText(t); })\n"
	"        .then(function () { copy.disabled = true; })\n"
	"        .catch(function () { location.href = link.href; });\n"
	"    });\n"
	"  }\n"
	"})();\n";

static const char web_icon[] =
	"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
	"<circle cx=\"8\" cy=\"8\" r=\"7\" fill=\"#0969da\"/>"
	"<path d=\"M4 8l3 3 5-6\" stroke=\"#fff\" stroke-width=\"2\" "
	"fill=\"none\"/></svg>";

void
web_static_init(void)
{
	size_t i, len;

	web_css_len = 0;
	for (i = 0; i < sizeof web_css_parts / sizeof web_css_parts[0]; i++) {
		len = strlen(web_css_parts[i]);
		if (web_css_len + len >= sizeof web_css)
			break;
		memcpy(web_css + web_css_len, web_css_parts[i], len);
		web_css_len += len;
	}
	web_css[web_css_len] = '\0';
}

const char *
web_static_get(const char *path, const char **content_type, size_t *len)
{
	if (strcmp(path, "/static/app.css") == 0) {
		*content_type = "text/css; charset=utf-8";
		*len = web_css_len;
		return web_css;
	}
	if (strcmp(path, "/static/app.js") == 0) {
		*content_type = "text/javascript; charset=utf-8";
		*len = sizeof web_js - 1;
		return web_js;
	}
	if (strcmp(path, "/static/icon.svg") == 0 ||
	    strcmp(path, "/favicon.ico") == 0) {
		*content_type = "image/svg+xml";
		*len = sizeof web_icon - 1;
		return web_icon;
	}
	return NULL;
}
