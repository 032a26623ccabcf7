#!/bin/sh
# Extracts the translatable strings of every C source into po/watchkeep.pot
# and merges them into each po/LANG.po. Run from the top of the source tree.
set -eu
find core netlib agent probes tui web pipeline -name '*.c' | LC_ALL=C sort > po/POTFILES
xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
	--keyword=P_:1,2 --add-comments=TRANSLATORS: --package-name=watchkeep \
	--msgid-bugs-address= --files-from=po/POTFILES -o po/watchkeep.pot
for po in po/*.po; do
	msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" po/watchkeep.pot
done
