/* The store's numbered schema migrations; used by store.c only. */
#ifndef WK_STORE_SCHEMA_H
#define WK_STORE_SCHEMA_H

/* Number of migrations, which is the latest schema version. */
int store_schema_count(void);

/* SQL of migration version (1-based), or NULL when out of range. */
const char *store_schema_migration(int version);

#endif
