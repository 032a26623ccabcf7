/*
 * `churn export`: compresses a file with gzip (zlib) into OUTPUT and
 * writes OUTPUT.sha256 in the format of sha256sum(1), "HEX  NAME\n", with
 * the SHA-256 of OUTPUT and its file name, so that `sha256sum -c` run in
 * OUTPUT's directory checks it. Both files are written atomically, the
 * checksum last.
 */
#ifndef WK_PIPELINE_EXPORT_H
#define WK_PIPELINE_EXPORT_H

#include "pipeline/notify.h"

/* `churn export ARGS`: argv[0] is "export". Returns an exit status. */
int export_main(int argc, char **argv, struct notify *nt);

#endif
