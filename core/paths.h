/*
 * Where the programs find their bundled files and keep their state.
 *
 * A binary started from the build tree uses the source tree's data/ and
 * the build tree's message catalogs, so that a fresh clone runs without
 * an install; an installed binary uses the install prefix. The
 * environment variables WATCHKEEP_DATA_DIR and WATCHKEEP_LOCALE_DIR
 * override both.
 */
#ifndef WK_PATHS_H_
#define WK_PATHS_H_

/* Directory of the running executable, without a trailing slash. */
const char *paths_exe_dir(void);

/* Directory of the bundled data (the data/ folder). */
const char *paths_data_dir(void);

/* Directory that holds LANG/LC_MESSAGES/watchkeep.mo. */
const char *paths_locale_dir(void);

/*
 * Default state directory: $XDG_STATE_HOME/watchkeep, else
 * $HOME/.local/state/watchkeep. Returns NULL when neither variable is set.
 */
const char *paths_default_state_dir(void);

/*
 * Creates dir and its missing parents with mode 0700. Returns 0, or -1 with
 * errno set.
 */
int paths_mkdir_p(const char *dir);

#endif
