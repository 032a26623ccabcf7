#include "pipeline/evfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * Fills the layout fields of h from its counts: the records right after
 * the header, then the tables. Returns the size of the file.
 */
static uint64_t
evfile_layout(struct evfile_header *h, size_t user_text_len,
	      size_t name_text_len)
{
	memcpy(h->magic, EVFILE_MAGIC, sizeof h->magic);
	h->version = EVFILE_VERSION;
	h->byte_order = EVFILE_BYTE_ORDER;
	h->header_size = sizeof *h;
	h->records_offset = sizeof *h;
	h->users_offset = h->records_offset +
	    h->n_events * sizeof(struct evfile_record);
	h->user_text_offset = h->users_offset +
	    h->n_users * sizeof(struct evfile_user);
	h->user_text_size = evfile_align8(user_text_len);
	h->names_offset = h->user_text_offset + h->user_text_size;
	h->name_text_offset = h->names_offset +
	    h->n_names * sizeof(struct evfile_name);
	h->name_text_size = evfile_align8(name_text_len);
	memset(h->reserved, 0, sizeof h->reserved);
	return h->name_text_offset + h->name_text_size;
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
evfile_writer_begin(struct evfile_writer *w, struct outfile *of)
{
	memset(w, 0, sizeof *w);
	w->of = of;
	return outfile_seek(of, sizeof(struct evfile_header));
}

void
evfile_writer_records(struct evfile_writer *w, const struct evfile_record *r,
		      size_t n)
{
	outfile_write(w->of, r, n * sizeof *r);
	w->n_records += n;
}

int
evfile_writer_tables(struct evfile_writer *w, uint64_t n_users,
		     size_t user_text_len, uint64_t n_names,
		     size_t name_text_len)
{
	w->layout.n_events = w->n_records;
	w->layout.n_users = n_users;
	w->layout.n_names = n_names;
	w->size = evfile_layout(&w->layout, user_text_len, name_text_len);
	return outfile_seek(w->of, w->layout.users_offset);
}

void
evfile_writer_text(struct evfile_writer *w, const char *text, size_t len)
{
	evfile_write_text(w->of, text, len);
}

int
evfile_writer_finish(struct evfile_writer *w, struct evfile_header *header)
{
	const struct evfile_header *l = &w->layout;

	if (header->n_events != l->n_events || header->n_users != l->n_users ||
	    header->n_names != l->n_names || w->of->pos != w->size)
		return WK_ERR_STATE;
	evfile_layout(header, (size_t)l->user_text_size,
	    (size_t)l->name_text_size);
	if (outfile_seek(w->of, 0) != WK_OK ||
	    outfile_write(w->of, header, sizeof *header) != WK_OK)
		return WK_ERR_IO;
	return outfile_set_size(w->of, w->size);
}

int
evfile_write(struct outfile *of, struct evfile_data *data,
	     evfile_progress_fn progress, void *arg)
{
	struct evfile_header *h = &data->header;
	uint64_t i;

	evfile_layout(h, data->user_text_len, data->name_text_len);
	outfile_write(of, h, sizeof *h);
	for (i = 0; i < h->n_events; i += EVFILE_SLICE) {
		uint64_t n = h->n_events - i < EVFILE_SLICE ?
		    h->n_events - i : EVFILE_SLICE;

		if (outfile_write(of, data->records + i,
		    n * sizeof data->records[0]) != WK_OK)
			return WK_ERR_IO;
		if (progress != NULL)
			progress(arg, (double)(i + n) / (double)h->n_events);
	}
	outfile_write(of, data->users, h->n_users * sizeof data->users[0]);
	evfile_write_text(of, data->user_text, data->user_text_len);
	outfile_write(of, data->names, h->n_names * sizeof data->names[0]);
	evfile_write_text(of, data->name_text, data->name_text_len);
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
	if (h->version < 1 || h->version > EVFILE_VERSION ||
	    h->header_size != sizeof *h)
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

/* Checks that the last user's records end at the last record. */
static int
evfile_check_total(const struct evfile *ef, const char *path,
		   struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	const struct evfile_user *last = h->n_users > 0 ?
	    &ef->users[h->n_users - 1] : NULL;

	if (last == NULL ? h->n_events == 0 : last->first_event <=
	    h->n_events && last->n_events == h->n_events - last->first_event)
		return WK_OK;
	return evfile_invalid(err, path, _("the records of the users do not "
	    "end with the %" PRIu64 " records the header counts"),
	    h->n_events);
}

/*
 * Checks the entry of user u: its id, and that its records follow those
 * of user u - 1. Version 1 also had the ids sorted by bytes.
 */
static int
evfile_check_user_entry(const struct evfile *ef, const char *path,
			uint64_t u, struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	const struct evfile_user *user = &ef->users[u];
	const struct evfile_user *prev = u > 0 ? &ef->users[u - 1] : NULL;
	uint64_t first = prev == NULL ? 0 : prev->first_event + prev->n_events;

	if (!evfile_text_ok(ef->user_text, h->user_text_size,
	    user->text_offset, user->text_len))
		return evfile_invalid(err, path, _("the id of user %" PRIu64
		    " lies outside the user id text"), u);
	if (user->first_event != first || first > h->n_events ||
	    user->n_events == 0 || user->n_events > h->n_events - first)
		return evfile_invalid(err, path, _("the records of user %"
		    PRIu64 " do not follow those of the previous user"), u);
	if (h->version == 1 && prev != NULL &&
	    evfile_compare_text(ef->user_text + prev->text_offset,
	    prev->text_len, ef->user_text + user->text_offset,
	    user->text_len) >= 0)
		return evfile_invalid(err, path, _("user ids are not sorted "
		    "and unique at user %" PRIu64), u);
	return WK_OK;
}

/* An event name, for sorting. */
struct evfile_text_ref {
	const char *text;  /* the name's bytes */
	uint32_t len;      /* bytes */
	uint32_t index;    /* index in the name table */
};

static int
evfile_compare_refs(const void *a, const void *b)
{
	const struct evfile_text_ref *x = a, *y = b;

	return evfile_compare_text(x->text, x->len, y->text, y->len);
}

/* Checks that no event name occurs twice, by sorting copies of them. */
static int
evfile_check_names_unique(const struct evfile *ef, const char *path,
			  struct wk_err *err)
{
	uint64_t n = ef->header->n_names, i;
	struct evfile_text_ref *refs;
	int rc = WK_OK;

	if (n < 2)
		return WK_OK;
	refs = malloc((size_t)n * sizeof *refs);
	if (refs == NULL)
		return wk_err_set(err, WK_ERR_NOMEM, _("out of memory"));
	for (i = 0; i < n; i++)
		refs[i] = (struct evfile_text_ref){ ef->name_text +
		    ef->names[i].text_offset, ef->names[i].text_len,
		    (uint32_t)i };
	qsort(refs, (size_t)n, sizeof *refs, evfile_compare_refs);
	for (i = 1; i < n && rc == WK_OK; i++) {
		if (evfile_compare_refs(&refs[i - 1], &refs[i]) == 0)
			rc = evfile_invalid(err, path, _("event name %" PRIu32
			    " occurs twice"), refs[i].index);
	}
	free(refs);
	return rc;
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
		if (h->version == 1 && i > 0 && evfile_compare_text(
		    ef->name_text + ef->names[i - 1].text_offset,
		    ef->names[i - 1].text_len, ef->name_text + n->text_offset,
		    n->text_len) >= 0)
			return evfile_invalid(err, path, _("event names are not "
			    "sorted and unique at name %" PRIu64), i);
		total += n->n_events;
	}
	if (h->n_names > 0 && total != h->n_events)
		return evfile_invalid(err, path, _("the event names count %"
		    PRIu64 " records, the header says %" PRIu64), total,
		    h->n_events);
	return h->version == 1 ? WK_OK : evfile_check_names_unique(ef, path,
	    err);
}

/* Checks the records of user u, the ones at [first, first + n). */
static int
evfile_check_user_records(const struct evfile *ef, const char *path,
			  uint64_t u, struct wk_err *err)
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

int
evfile_check_user(const struct evfile *ef, uint64_t u, struct wk_err *err)
{
	int rc;

	rc = evfile_check_user_entry(ef, ef->path, u, err);
	if (rc == WK_OK)
		rc = evfile_check_user_records(ef, ef->path, u, err);
	return rc;
}

static int
evfile_check_records(struct evfile *ef, evfile_progress_fn progress,
		     void *arg, struct wk_err *err)
{
	const struct evfile_header *h = ef->header;
	uint64_t u, checked = 0, reported = 0;
	int rc;

	for (u = 0; u < h->n_users; u++) {
		rc = evfile_check_user(ef, u, err);
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

/* Maps path and checks all but the users and their records. */
static int
evfile_open_tables(struct evfile *ef, const char *path, struct wk_err *err)
{
	static const struct evfile_header empty;
	int rc;

	memset(ef, 0, sizeof *ef);
	ef->path = path;
	rc = evfile_map(ef, path, err);
	if (rc != WK_OK)
		return rc;
	ef->header = ef->map != NULL ? ef->map : &empty;

	rc = evfile_check_header(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_sections(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_names(ef, path, err);
	if (rc == WK_OK)
		rc = evfile_check_total(ef, path, err);
	if (rc != WK_OK)
		evfile_close(ef);
	return rc;
}

int
evfile_open_lazy(struct evfile *ef, const char *path, struct wk_err *err)
{
	return evfile_open_tables(ef, path, err);
}

int
evfile_open(struct evfile *ef, const char *path,
	    evfile_progress_fn progress, void *arg, struct wk_err *err)
{
	int rc;

	rc = evfile_open_tables(ef, path, err);
	if (rc != WK_OK)
		return rc;
	rc = evfile_check_records(ef, progress, arg, err);
	if (rc != WK_OK)
		evfile_close(ef);
	return rc;
}

/* Drops the whole pages of [start, end) of the mapping. */
static void
evfile_drop(const struct evfile *ef, const char *start, const char *end)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)start + page - 1) & ~(page - 1);
	uintptr_t to = (uintptr_t)end & ~(page - 1);

	if (ef->map != NULL && to > from)
		madvise((void *)from, to - from, MADV_DONTNEED);
}

void
evfile_release(const struct evfile *ef, uint64_t user_end)
{
	const struct evfile_user *last;

	if (user_end == 0 || ef->map == NULL)
		return;
	last = &ef->users[user_end - 1];
	evfile_drop(ef, (const char *)ef->users,
	    (const char *)(ef->users + user_end));
	evfile_drop(ef, (const char *)ef->records, (const char *)(ef->records +
	    last->first_event + last->n_events));
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
