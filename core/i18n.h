/*
 * Message translation through gettext. Every string shown to a person goes
 * through _() (or N_() where it must stay a constant and is translated
 * later with _()). The catalog domain is "watchkeep" for every program.
 */
#ifndef WK_I18N_H
#define WK_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)
#define P_(singular, plural, n) ngettext((singular), (plural), (n))

/*
 * Sets the locale from the environment and binds the catalog. Numbers keep
 * the C locale (LC_NUMERIC), so files and JSON always use a decimal point.
 */
void i18n_init(void);

#endif
