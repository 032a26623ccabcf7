#include "netlib/netlib_mhd.h"

#include "netlib/netlib.h"

#define MHD_SYM(member) \
	{ "MHD_" #member, offsetof(struct netlib_mhd_fns, member) }

struct netlib_mhd_fns netlib_mhd;

static const struct netlib_sym mhd_syms[] = {
	MHD_SYM(start_daemon), MHD_SYM(stop_daemon),
	MHD_SYM(set_connection_option), MHD_SYM(lookup_connection_value),
	MHD_SYM(get_connection_values), MHD_SYM(suspend_connection),
	MHD_SYM(resume_connection), MHD_SYM(queue_response),
	MHD_SYM(create_response_from_buffer), MHD_SYM(add_response_header),
	MHD_SYM(del_response_header), MHD_SYM(destroy_response),
	MHD_SYM(get_connection_info)
};

static struct netlib_lib mhd_lib = {
	WK_MHD_SONAME, "libmicrohttpd12", mhd_syms,
	sizeof mhd_syms / sizeof mhd_syms[0], &netlib_mhd, NULL, NULL
};

/*
 * Does nothing at run time. Each comparison sits inside sizeof, so it is
 * not evaluated and refers to no symbol, but the compiler warns when a
 * member's type differs from that of the function in microhttpd.h.
 */
static inline void
mhd_check_types(struct netlib_mhd_fns *f)
{
	(void)sizeof(f->start_daemon == MHD_start_daemon);
	(void)sizeof(f->stop_daemon == MHD_stop_daemon);
	(void)sizeof(f->set_connection_option == MHD_set_connection_option);
	(void)sizeof(f->lookup_connection_value == MHD_lookup_connection_value);
	(void)sizeof(f->get_connection_values == MHD_get_connection_values);
	(void)sizeof(f->suspend_connection == MHD_suspend_connection);
	(void)sizeof(f->resume_connection == MHD_resume_connection);
	(void)sizeof(f->queue_response == MHD_queue_response);
	(void)sizeof(f->create_response_from_buffer ==
	    MHD_create_response_from_buffer);
	(void)sizeof(f->add_response_header == MHD_add_response_header);
	(void)sizeof(f->del_response_header == MHD_del_response_header);
	(void)sizeof(f->destroy_response == MHD_destroy_response);
	(void)sizeof(f->get_connection_info == MHD_get_connection_info);
}

int
netlib_mhd_load(const char *user, struct wk_err *err)
{
	mhd_check_types(&netlib_mhd);
	return netlib_load(&mhd_lib, user, err);
}

int
netlib_mhd_loaded(void)
{
	return netlib_loaded(&mhd_lib);
}
