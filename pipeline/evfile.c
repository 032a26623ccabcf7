#include "pipeline/evfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/i18n.h"

/* Records written or checked between two progress calls. */
#define EVFILE_SLICE 65536

_Static_assert(sizeof(struct evfile_header) == 160, "header layout");
_Static_assert(sizeof(struct evfile_user) == 24, "user layout");
_Static_assert(sizeof(struct evfile_name) == 24, "name layout");
_Static_assert(sizeof(struct evfile_record) == 24, "record layout");

static uint64_t
evfile_align8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

static void
evfile_layout(struct evfile_header *h, size_t user_text_len,
	      size_t name_text_len)
{
	memcpy(h->magic, EVFILE_MAGIC, sizeof h->magic);
	h->version = EVFILE_VERSION;
	h->byte_order = EVFILE_BYTE_ORDER;
	h->header_size = sizeof *h;
	h->users_offset = sizeof *h;
	h->user_text_offset = h->users_offset +
	    h->n_users * sizeof(struct evfile_user);
	h->user_text_size = evfile_align8(user_text_len);
	h->names_offset = h->user_text_offset + h->user_text_size;
	h->name_text_offset = h->names_offset +
	    h->n_names * sizeof(struct evfile_name);
	h->name_text_size = evfile_align8(name_text_len);
	h->records_offset = h->name_text_offset + h->name_text_size;
	memset(h->reserved, 0, sizeof h->reserved);
}

/* Writes len bytes of text and the NUL padding up to a multiple of 8. */
static void
evfile_write_text(struct outfile *of, const char *text, size_t len)
{
	static const char zeros[8];

	outfile_write(of, text, len);
	outfile_write(of, zeros, evfile_align8(len) - len);
}

int
evfile_write(struct outfile *of, struct evfile_data *data,
	     evfile_progress_fn progress, void *arg)
{
	struct evfile_header *h = &data->header;
	uint64_t i;

	evfile_layout(h, data->user_text_len, data->name_text_len);
	outfile_write(of, h, sizeof *h);
	outfile_write(of, data->users, h->n_users * sizeof data->users[0]);
	evfile_write_text(of, data->user_text, data->user_text_len);
	outfile_write(of, data->names, h->n_names * sizeof data->names[0]);
	evfile_write_text(of, data->name_text, data->name_text_len);

	for (i = 0; i < h->n_events; i += EVFILE_SLICE) {
		uint64_t n = h->n_events - i < EVFILE_SLICE ?
		    h->n_events - i : EVFILE_SLICE;

		if (outfile_write(of, data->records + i,
		    n * sizeof data->records[0]) != WK_OK)
			return WK_ERR_IO;
		if (progress != NULL)
			progress(arg, (double)(i + n) / (double)h->n_events);
	}
	return of->write_errno == 0 ? WK_OK : WK_ERR_IO;
}

/* Fills err with "'path' is not a valid event file: ..." and the fix. */
__attribute__((format(printf, 3, 4)))
static int
evfile_invalid(struct wk_err *err, const char *path, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return wk_err_set(err, WK_ERR_INVALID, _("'%s' is not a valid event "
	    "file: %s; create it again with churn ingest"), path, detail);
}

/* Checks that count elements of size bytes at offset lie inside the file. */
static int
evfile_check_section(const struct evfile *ef, const char *path,
		     const char *name, uint64_t offset, uint64_t count,
		     uint64_t size, struct wk_err *err)
{
	if (offset % 8 != 0 || offset > ef->map_size ||
	    (size != 0 && count > (ef->map_size - offset) / size))
		return evfile_invalid(err, path, _("its %s section (offset "
		    "%" PRIu64 ", %" PRIu64 " x %" PRIu64 " bytes) does not "
		    "lie inside the %zu-byte file"), name, offset, count, size,
		    ef->map_size);
	return WK_OK;
}

static int
evfile_check_header(struct evfile *ef, const char *path, struct wk_err *err)
{
	const struct evfile_header *h = ef->header;

	if (ef->map_size < sizeof *h)
		return evfile_invalid(err, path, _("it is %zu bytes long, "
		    "shorter than the %zu-byte header"), ef->map_size,
		    sizeof *h);
	if (memcmp(h->magic, EVFILE_MAGIC, sizeof h->magic) != 0)
		return evfile_invalid(err, path, _("it does not start with "
		    "the bytes %s"), EVFILE_MAGIC);
	if (h->byte_order != EVFILE_BYTE_ORDER)
		return evfile_invalid(err, path, _("it was written on a host "
		    "of another byte order"));
	if (h->version != EVFILE_VERSION || h->header_size != sizeof *h)
		return evfile_invalid(err, path, _("it has format version %"
		    PRIu32 " with a %" PRIu32 "-byte header, this program "
		    "reads version %d"), h->version, h->header_size,
		    EVFILE_VERSION);
	if (h->n_users > UINT32_MAX || h->n_names > UINT32_MAX - 1 ||
	    h->n_users > h->n_events || h->time_min_ms > h->time_max_ms)
		return evfile_invalid(err, path, _("its header counts or time "
		    "range are impossible"));
	return WK_OK;
}

static int
evfile_check_sections(struct evfile *ef, const char *path,
		      struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	const char *base = ef->map;

	if (evfile_check_section(ef, path, "user", h->users_offset,
	    h->n_users, sizeof(struct evfile_user), err) != WK_OK ||
	    evfile_check_section(ef, path, "user id", h->user_text_offset,
	    h->user_text_size, 1, err) != WK_OK ||
	    evfile_check_section(ef, path, "name", h->names_offset,
	    h->n_names, sizeof(struct evfile_name), err) != WK_OK ||
	    evfile_check_section(ef, path, "name text", h->name_text_offset,
	    h->name_text_size, 1, err) != WK_OK ||
	    evfile_check_section(ef, path, "record", h->records_offset,
	    h->n_events, sizeof(struct evfile_record), err) != WK_OK)
		return WK_ERR_INVALID;

	ef->users = (const void *)(base + h->users_offset);
	ef->user_text = base + h->user_text_offset;
	ef->names = (const void *)(base + h->names_offset);
	ef->name_text = base + h->name_text_offset;
	ef->records = (const void *)(base + h->records_offset);
	return WK_OK;
}

/* Checks that a string lies in its text section and ends with a NUL. */
static int
evfile_text_ok(const char *text, uint64_t text_size, uint64_t offset,
	       uint32_t len)
{
	return offset < text_size && len < text_size - offset &&
	    text[offset + len] == '\0' &&
	    memchr(text + offset, '\0', len) == NULL;
}

/* Compares two NUL-free byte strings as memcmp does, shorter first. */
static int
evfile_compare_text(const char *a, uint32_t a_len, const char *b,
		    uint32_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	return c != 0 ? c : (a_len > b_len) - (a_len < b_len);
}

static int
evfile_check_users(struct evfile *ef, const char *path, struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	uint64_t i, next = 0;

	for (i = 0; i < h->n_users; i++) {
		const struct evfile_user *u = &ef->users[i];

		if (!evfile_text_ok(ef->user_text, h->user_text_size,
		    u->text_offset, u->text_len))
			return evfile_invalid(err, path, _("the id of user %"
			    PRIu64 " lies outside the user id text"), i);
		if (u->first_event != next || u->n_events == 0 ||
		    u->n_events > h->n_events - next)
			return evfile_invalid(err, path, _("the records of "
			    "user %" PRIu64 " do not follow those of the "
			    "previous user"), i);
		if (i > 0 && evfile_compare_text(ef->user_text +
		    ef->users[i - 1].text_offset, ef->users[i - 1].text_len,
		    ef->user_text + u->text_offset, u->text_len) >= 0)
			return evfile_invalid(err, path, _("user ids are not "
			    "sorted and unique at user %" PRIu64), i);
		next += u->n_events;
	}
	if (next != h->n_events)
		return evfile_invalid(err, path, _("the users have %" PRIu64
		    " records, the header says %" PRIu64), next, h->n_events);
	return WK_OK;
}

static int
evfile_check_names(struct evfile *ef, const char *path, struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	uint64_t i, total = 0;

	for (i = 0; i < h->n_names; i++) {
		const struct evfile_name *n = &ef->names[i];

		if (!evfile_text_ok(ef->name_text, h->name_text_size,
		    n->text_offset, n->text_len))
			return evfile_invalid(err, path, _("event name %"
			    PRIu64 " lies outside the name text"), i);
		if (i > 0 && evfile_compare_text(ef->name_text +
		    ef->names[i - 1].text_offset, ef->names[i - 1].text_len,
		    ef->name_text + n->text_offset, n->text_len) >= 0)
			return evfile_invalid(err, path, _("event names are not "
			    "sorted and unique at name %" PRIu64), i);
		total += n->n_events;
	}
	if (h->n_names > 0 && total != h->n_events)
		return evfile_invalid(err, path, _("the event names count %"
		    PRIu64 " records, the header says %" PRIu64), total,
		    h->n_events);
	return WK_OK;
}

/* Checks the records of user u, the ones at [first, first + n). */
static int
evfile_check_user_records(struct evfile *ef, const char *path, uint64_t u,
			  struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	const struct evfile_user *user = &ef->users[u];
	uint64_t i;

	for (i = user->first_event; i < user->first_event + user->n_events;
	    i++) {
		const struct evfile_record *r = &ef->records[i];

		if (r->user != u)
			return evfile_invalid(err, path, _("record %" PRIu64
			    " belongs to user %" PRIu32 " but lies among the "
			    "records of user %" PRIu64), i, r->user, u);
		if (r->time_ms < h->time_min_ms || r->time_ms > h->time_max_ms ||
		    (i > user->first_event && r->time_ms < r[-1].time_ms))
			return evfile_invalid(err, path, _("record %" PRIu64
			    " is out of time order or outside the header's "
			    "time range"), i);
		if (h->n_names > 0 ? r->name >= h->n_names :
		    r->name != EVFILE_NO_NAME)
			return evfile_invalid(err, path, _("record %" PRIu64
			    " has event name %" PRIu32 " of %" PRIu64), i,
			    r->name, h->n_names);
		if (!isfinite(r->value))
			return evfile_invalid(err, path, _("record %" PRIu64
			    " has a value that is not a finite number"), i);
	}
	return WK_OK;
}

static int
evfile_check_records(struct evfile *ef, const char *path,
		     evfile_progress_fn progress, void *arg,
		     struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	uint64_t u, checked = 0, reported = 0;
	int rc;

	for (u = 0; u < h->n_users; u++) {
		rc = evfile_check_user_records(ef, path, u, err);
		if (rc != WK_OK)
			return rc;
		checked += ef->users[u].n_events;
		if (progress != NULL && checked - reported >= EVFILE_SLICE) {
			progress(arg, (double)checked / (double)h->n_events);
			reported = checked;
		}
	}
	return WK_OK;
}

static int
evfile_map(struct evfile *ef, const char *path, struct wk_err *err)
{
	struct stat st;
	int fd, rc = WK_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wk_err_set(err, WK_ERR_NOTFOUND, _("cannot open '%s': "
		    "%s; check the path and its permissions"), path,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = wk_err_set(err, WK_ERR_NOTFOUND, _("'%s' is not a "
		    "regular file"), path);
		goto out;
	}
	ef->map_size = (size_t)st.st_size;
	if (ef->map_size == 0)
		goto out;
	ef->map = mmap(NULL, ef->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (ef->map == MAP_FAILED) {
		ef->map = NULL;
		rc = wk_err_set(err, WK_ERR_IO, _("cannot map '%s' into "
		    "memory: %s"), path, strerror(errno));
		goto out;
	}
	madvise(ef->map, ef->map_size, MADV_SEQUENTIAL);

out:
	close(fd);
	return rc;
}

int
evfile_open(struct evfile *ef, const char *path,
	    evfile_progress_fn progress, void *arg, struct wk_err *err)
{
	static const struct evfile_header empty;
	int rc;

	memset(ef, 0, sizeof *ef);
	rc = evfile_map(ef, path, err);
	if (rc != WK_OK)
		return rc;
	ef->header = ef->map != NULL ? ef->map : &empty;

	rc = evfile_check_header(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_sections(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_users(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_names(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_records(ef, path, progress, arg, err);
	if (rc != WK_OK)
		evfile_close(ef);
	return rc;
}

void
evfile_close(struct evfile *ef)
{
	if (ef->map != NULL)
		munmap(ef->map, ef->map_size);
	memset(ef, 0, sizeof *ef);
}

const char *
evfile_user_id(const struct evfile *ef, uint64_t user)
{
	return ef->user_text + ef->users[user].text_offset;
}

const char *
evfile_name(const struct evfile *ef, uint32_t name)
{
	return ef->name_text + ef->names[name].text_offset;
}
