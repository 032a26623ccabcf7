/*
 * libmicrohttpd, opened at its first use (netlib/netlib.h). The web
 * server calls it through the table netlib_mhd, whose members have the
 * types of the MHD_* functions they are named after.
 */
#ifndef WK_NETLIB_MHD_H
#define WK_NETLIB_MHD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "core/rc.h"

/* The libmicrohttpd functions watchkeep calls; MHD_NAME is in member NAME. */
struct netlib_mhd_fns {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
	    MHD_AcceptPolicyCallback apc, void *apc_cls,
	    MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	enum MHD_Result (*set_connection_option)(
	    struct MHD_Connection *connection,
	    enum MHD_CONNECTION_OPTION option, ...);
	const char *(*lookup_connection_value)(
	    struct MHD_Connection *connection, enum MHD_ValueKind kind,
	    const char *key);
	int (*get_connection_values)(struct MHD_Connection *connection,
	    enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
	    void *iterator_cls);
	void (*suspend_connection)(struct MHD_Connection *connection);
	void (*resume_connection)(struct MHD_Connection *connection);
	enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
	    unsigned int status_code, struct MHD_Response *response);
	struct MHD_Response *(*create_response_from_buffer)(size_t size,
	    void *buffer, enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *response,
	    const char *header, const char *content);
	enum MHD_Result (*del_response_header)(struct MHD_Response *response,
	    const char *header, const char *content);
	void (*destroy_response)(struct MHD_Response *response);
	const union MHD_ConnectionInfo *(*get_connection_info)(
	    struct MHD_Connection *connection,
	    enum MHD_ConnectionInfoType info_type, ...);
};

/*
 * The functions of libmicrohttpd. Every pointer is NULL until
 * netlib_mhd_load() returns WK_OK, and stays valid from then on.
 */
extern struct netlib_mhd_fns netlib_mhd;

/*
 * Loads libmicrohttpd (WK_MHD_SONAME, libmicrohttpd.so.12 on Debian)
 * unless it is loaded. user names what needs it, for the error message.
 * Returns WK_OK, or an error with err naming the library and the Debian
 * package to install (see netlib_load()).
 */
int netlib_mhd_load(const char *user, struct wk_err *err);

/* Returns 1 when libmicrohttpd is loaded, 0 before. */
int netlib_mhd_loaded(void);

#endif
