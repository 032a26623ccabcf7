/*
 * The disk probe: free space on the file system of a path, in bytes
 * available to unprivileged users and in percent of its size. One
 * statvfs(2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "core/i18n.h"
#include "probes/impl.h"

#define DISK_GIB (1024.0 * 1024.0 * 1024.0)

static int
disk_init(struct probe *p, struct wk_err *err)
{
	(void)p;
	(void)err;
	return WK_OK;
}

/* NOTE: statvfs() can block on an unreachable network file system. */
static void
disk_start(struct probe *p)
{
	const struct cfg_probe_disk *d = &p->cfg->disk;
	struct statvfs vfs;
	double free_bytes, total, percent;

	if (statvfs(d->path, &vfs) != 0) {
		probe_report(p, 0, -1, "%s: %s", d->path, strerror(errno));
		return;
	}
	free_bytes = (double)vfs.f_bavail * (double)vfs.f_frsize;
	total = (double)vfs.f_blocks * (double)vfs.f_frsize;
	percent = total > 0 ? 100.0 * free_bytes / total : 0;

	if (d->min_free > 0 && free_bytes < (double)d->min_free)
		probe_report(p, 0, -1, _("%.2f GiB free on %s, less than min_free %.2f GiB"),
		    free_bytes / DISK_GIB, d->path,
		    (double)d->min_free / DISK_GIB);
	else if (d->min_free_percent > 0 && percent < d->min_free_percent)
		probe_report(p, 0, -1, _("%.1f%% free on %s, less than min_free_percent %.1f%%"),
		    percent, d->path, d->min_free_percent);
	else
		probe_report(p, 1, -1, _("%.2f GiB free on %s (%.1f%% of %.2f GiB)"),
		    free_bytes / DISK_GIB, d->path, percent, total / DISK_GIB);
}

static void
disk_fini(struct probe *p)
{
	(void)p;
}

const struct probe_type_ops probe_disk_ops = {
	disk_init, disk_start, NULL, disk_fini
};
