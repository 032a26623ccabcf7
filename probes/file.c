/*
 * The file probe: a pipeline output exists, is a regular file, was
 * modified recently enough and has a size within bounds. One stat(2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "probes/impl.h"

static int
file_init(struct probe *p, struct wk_err *err)
{
	(void)p;
	(void)err;
	return WK_OK;
}

/* Writes a size for people: "512 B", "12.3 KiB", "4.0 GiB". */
static void
file_format_size(char *out, size_t size, int64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, size, "%lld B", (long long)bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, "%.1f %s", v, units[u]);
}

static void
file_start(struct probe *p)
{
	const struct cfg_probe_file *f = &p->cfg->file;
	char age_text[32], size_text[32], limit[32];
	struct stat st;
	int64_t age_ms;

	if (stat(f->path, &st) != 0) {
		probe_report(p, 0, -1, "%s: %s", f->path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		probe_report(p, 0, -1, _("%s is not a regular file"), f->path);
		return;
	}
	age_ms = clk_wall_ms() - ((int64_t)st.st_mtim.tv_sec * 1000 +
	    st.st_mtim.tv_nsec / 1000000);
	clk_format_duration(age_text, sizeof age_text, age_ms < 0 ? 0 : age_ms);
	file_format_size(size_text, sizeof size_text, (int64_t)st.st_size);

	if (f->max_age_ms > 0 && age_ms > f->max_age_ms) {
		clk_format_duration(limit, sizeof limit, f->max_age_ms);
		probe_report(p, 0, -1, _("%s was modified %s ago, more than max_age %s"),
		    f->path, age_text, limit);
	} else if ((int64_t)st.st_size < f->min_size) {
		file_format_size(limit, sizeof limit, f->min_size);
		probe_report(p, 0, -1, _("%s has %s, less than min_size %s"),
		    f->path, size_text, limit);
	} else if (f->max_size >= 0 && (int64_t)st.st_size > f->max_size) {
		file_format_size(limit, sizeof limit, f->max_size);
		probe_report(p, 0, -1, _("%s has %s, more than max_size %s"),
		    f->path, size_text, limit);
	} else {
		probe_report(p, 1, -1, _("%s: %s, modified %s ago"), f->path,
		    size_text, age_text);
	}
}

static void
file_fini(struct probe *p)
{
	(void)p;
}

const struct probe_type_ops probe_file_ops = {
	file_init, file_start, NULL, file_fini
};
