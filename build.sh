#!/bin/sh
# Sets up a fresh Debian 12 machine and builds watchkeep.
#
#   ./build.sh run    install what the build needs, build, and run the churn
#                     pipeline once on the bundled CDNOW log
#   ./build.sh test   install what the build and the tests need, build with
#                     warnings as errors, run every test, then build with
#                     AddressSanitizer and UndefinedBehaviorSanitizer and run
#                     every test again, the fuzz targets for a short time
#                     among them
#
# Missing Debian packages are installed with apt-get (through sudo when not
# root). Services that packages would start on install are held back: the
# tests start their own servers on 127.0.0.1.
set -eu

top=$(cd "$(dirname "$0")" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

build_packages="build-essential cmake pkg-config gettext clang
	libcurl4-openssl-dev libjansson-dev libsqlite3-dev libncurses-dev
	libmicrohttpd-dev libcrypt-dev zlib1g-dev libzstd-dev liblinear-dev libxgboost-dev
	tzdata"
test_packages="libcmocka-dev python3 python3-sklearn python3-pandas python3-botocore zstd locales prometheus-alertmanager prometheus tmux
	chromium fonts-ipafont-gothic wrk curl libclang-rt-dev libfaketime"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "build.sh: need root to run: $*; install sudo or run as root" >&2
		exit 1
	fi
}

# Installs the packages of the list that are not installed yet.
install_missing() {
	missing=""
	for p in $1; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -n "$missing" ] || return 0
	echo "build.sh: installing Debian packages:$missing"
	policy=/usr/sbin/policy-rc.d
	added_policy=""
	if [ ! -e "$policy" ]; then
		# Exit status 101 tells invoke-rc.d not to start services.
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 755 "$policy"
		added_policy=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
	[ -z "$added_policy" ] || as_root rm -f "$policy"
}

# Makes the Japanese locale available, for the translated messages.
ensure_ja_locale() {
	if locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
		return 0
	fi
	as_root localedef -i ja_JP -f UTF-8 ja_JP.UTF-8 || \
		echo "build.sh: ja_JP.UTF-8 could not be generated; Japanese tests will be skipped" >&2
}

configure_and_build() {
	dir=$1
	shift
	cmake -S "$top" -B "$dir" "$@"
	cmake --build "$dir" -j "$jobs"
}

case "${1:-}" in
run)
	install_missing "$build_packages"
	configure_and_build "$top/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
	shift
	exec "$top/build/bin/watchkeep" run --once "$@"
	;;
test)
	install_missing "$build_packages $test_packages"
	ensure_ja_locale
	# Optimized, so that warnings that need the optimizer's analysis
	# (-Wformat-truncation, -Wmaybe-uninitialized) stop the build too.
	configure_and_build "$top/build-test" -DWK_WERROR=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo
	(cd "$top/build-test" && ctest --output-on-failure -j "$jobs")
	configure_and_build "$top/build-asan" -DWK_WERROR=ON -DWK_SANITIZE=ON \
		-DWK_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug
	(cd "$top/build-asan" && ctest --output-on-failure -j "$jobs")
	echo "build.sh: all tests passed (gcc build and clang sanitizer and fuzzing build)"
	;;
*)
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
