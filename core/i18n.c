#include "i18n.h"

#include <locale.h>

#include "paths.h"

void
i18n_init(void)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	bindtextdomain("watchkeep", paths_locale_dir());
	bind_textdomain_codeset("watchkeep", "UTF-8");
	textdomain("watchkeep");
}
