#!/usr/bin/env bash
# Check a built .deb the way a person uses it: install it with apt-get (which also installs the
# system libraries it depends on), start the installed `workbench` until its first window is
# shown (under Xvfb when xvfb-run is there, else Qt's offscreen platform; a quit timer closes
# it), run `workbench --version` and `workbench demo --headless` from the installed copy, open
# every role's views on the demo's store and check the Qt calls that reach ICU (both with
# packaging/check_installed.py, importing only from the installed app), then uninstall it. Every
# step's output goes to a temp folder; a failing step prints its tail.
#
# Usage: packaging/check_deb.sh dist/workbench_<version>-1~<distro>-<codename>_<arch>.deb
# Needs root, or sudo for apt-get. Called by `packaging/build.sh deb`.
set -euo pipefail

deb=${1:?usage: packaging/check_deb.sh PATH.deb}
test -f "$deb" || { echo "check_deb.sh: $deb does not exist; build it with packaging/build.sh deb" >&2; exit 2; }
deb=$(realpath "$deb")
package=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
if [ "$(id -u)" = 0 ]; then as_root=(); else as_root=(sudo); fi
work=$(mktemp -d)
export DEBIAN_FRONTEND=noninteractive
started=$SECONDS

fail() {
  echo "check_deb.sh: $1" >&2
  [ -f "$2" ] && tail -n 30 "$2" >&2
  exit 1
}

# Run the installed command as a person would: from a folder outside any checkout, with its own
# data folders and none of a developer's or test run's settings (Python paths, keyring backend,
# store, user).
installed() {
  (cd "$work" && env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV -u PYTHON_KEYRING_BACKEND \
    -u WORKBENCH_STORE -u WORKBENCH_USER -u WORKBENCH_DEBUG XDG_DATA_HOME="$work/data" \
    XDG_CONFIG_HOME="$work/config" HOME="$work/home" "$@")
}
mkdir -p "$work/home"

"${as_root[@]}" apt-get install -y -q --reinstall --no-install-recommends "$deb" >"$work/install.txt" 2>&1 \
  || fail "apt-get install $deb failed" "$work/install.txt"
command -v workbench >/dev/null || fail "no workbench command after installing $package" "$work/install.txt"
# What the installed files take, measured before anything runs (a Python started as root would
# add __pycache__ folders to the installed tree).
files_bytes=$(dpkg -L "$package" | xargs -d '\n' stat -c '%s %F' | awk '/regular/ {s += $1} END {print s}')
tree_bytes=$(du -sb "$(dirname "$(dpkg -L "$package" | grep -m 1 '/app_packages$')")" | cut -f1)
echo "check_deb.sh: installed $package $version as $(command -v workbench): its files take" \
  "$files_bytes bytes ($((files_bytes / 1000000)) MB, $((files_bytes / 1048576)) MiB), du -sb of" \
  "its folder $tree_bytes ($((SECONDS - started)) s)"

# The first window: WORKBENCH_UI_TIMINGS makes the app print `first_window <time>` once it is
# shown; WORKBENCH_UI_QUIT_AFTER_MS quits it 3 s later (as .ci/run checks the README's command).
if command -v xvfb-run >/dev/null; then
  display=(xvfb-run -a -s "-screen 0 1366x768x24"); export QT_QPA_PLATFORM=xcb
else
  display=(); export QT_QPA_PLATFORM=offscreen
fi
installed env WORKBENCH_UI_TIMINGS=1 WORKBENCH_UI_QUIT_AFTER_MS=3000 \
  timeout 300 "${display[@]}" workbench >"$work/window.txt" 2>&1 \
  || fail "the installed workbench did not start and quit cleanly ($QT_QPA_PLATFORM)" "$work/window.txt"
grep -q '^first_window ' "$work/window.txt" \
  || fail "the installed workbench never showed its first window ($QT_QPA_PLATFORM)" "$work/window.txt"
echo "check_deb.sh: the installed workbench showed its first window ($QT_QPA_PLATFORM, $((SECONDS - started)) s)"
unset QT_QPA_PLATFORM

installed workbench --version >"$work/version.txt" 2>&1 || fail "workbench --version failed" "$work/version.txt"
grep -qx "workbench ${version%%-*}" "$work/version.txt" \
  || fail "workbench --version does not say ${version%%-*}" "$work/version.txt"
echo "check_deb.sh: $(cat "$work/version.txt")"

installed timeout 600 workbench --store "sqlite:///$work/demo.db" --user tester demo --headless \
  --folder "$work/demo" >"$work/demo.txt" 2>&1 || fail "workbench demo --headless failed" "$work/demo.txt"
grep -q '^Demo (a simulation) finished in' "$work/demo.txt" \
  || fail "workbench demo --headless printed no summary" "$work/demo.txt"
grep -q 'Traceback' "$work/demo.txt" && fail "workbench demo --headless printed a traceback" "$work/demo.txt"
echo "check_deb.sh: $(grep '^Demo (a simulation) finished in' "$work/demo.txt") ($((SECONDS - started)) s)"

# Through the installed launcher (it runs `-c CODE` as Python), so that only the installed copy's
# code and libraries are imported and the workbench's child processes start as for a person.
here=$(cd "$(dirname "$0")" && pwd)
run_file="import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
installed env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM timeout 300 workbench -c "$run_file" \
  "$here/check_installed.py" icu >"$work/icu.txt" 2>&1 \
  || fail "Qt's ICU calls in the installed copy differ from a whole ICU's" "$work/icu.txt"
echo "check_deb.sh: Qt's collation, codecs, time-zone names and case mapping work ($((SECONDS - started)) s)"
installed env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM timeout 600 workbench -c "$run_file" \
  "$here/check_installed.py" views "sqlite:///$work/demo.db" tester "$work/views" \
  >"$work/views.txt" 2>&1 || fail "a role's views did not open in the installed copy" "$work/views.txt"
grep -q Traceback "$work/views.txt" && fail "opening the role views printed a traceback" "$work/views.txt"
echo "check_deb.sh: $(grep '^check_installed: opened' "$work/views.txt") ($((SECONDS - started)) s)"

"${as_root[@]}" apt-get remove -y -q "$package" >"$work/remove.txt" 2>&1 \
  || fail "apt-get remove $package failed" "$work/remove.txt"
hash -r
if command -v workbench >/dev/null || dpkg -s "$package" 2>/dev/null | grep -q '^Status: install'; then
  fail "$package is still installed after apt-get remove" "$work/remove.txt"
fi
echo "check_deb.sh: uninstalled $package; all checks passed in $((SECONDS - started)) s"
rm -rf "$work"
