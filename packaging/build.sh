#!/usr/bin/env bash
# Build the installer for a platform with briefcase, into dist/:
#   deb     -> dist/workbench_<version>-1~<distro>-<codename>_<arch>.deb, then checked: installed
#              with apt-get, started to its first window, `workbench --version` and
#              `workbench demo --headless` run from the installed copy, uninstalled
#   linux   -> the same .deb, not checked (briefcase "system" package)
#   macos   -> dist/MLOps Workbench-<version>.dmg                          (universal2 .app)
#   windows -> dist/MLOps Workbench-<version>.msi                          (WiX)
#
# Every bundle is trimmed to what the app loads at run time (packaging/trim_bundle.py prints the
# size of each big package left). Linux builds offline with the briefcase template in
# ../shared/vendor/briefcase-linux-system-template (or $BRIEFCASE_LINUX_TEMPLATE) when it is
# there, otherwise briefcase clones its template from GitHub; the requirements come from the
# package index pip is configured with. macOS and Windows need internet access (templates, a
# Python support package, WiX). .github/workflows/installers.yml runs this script on a runner per
# platform; our own CI (.ci/run) does not (see README "Installers").
#
# Usage: packaging/build.sh [deb|linux|macos|windows]     (default: the host's platform)
# Environment:
#   PYTHON               the interpreter for the build venv. Linux: must be the system Python
#                        (/usr/bin/python3, >= 3.11: Ubuntu 24.04 or Debian 12 and later),
#                        because a "system" package runs on the distribution's own Python.
#   BRIEFCASE_LINUX_TEMPLATE  a local copy of briefcase's linux-system template (offline builds).
#   DPKG_DEB_COMPRESSOR_LEVEL, DPKG_DEB_THREADS_MAX  passed to dpkg-deb (default: xz level 6,
#                        all cores); a lower level builds faster and makes a bigger .deb.
#   MACOS_SIGN_IDENTITY  macOS: a "Developer ID Application" identity from the keychain to sign
#                        (and notarize) with; unset -> ad-hoc signature (runs on the building
#                        Mac; elsewhere Gatekeeper asks the user to allow it).
#   WINDOWS_SIGN_IDENTITY  Windows: SHA-1 thumbprint of a code-signing certificate in the
#                        certificate store; unset -> unsigned MSI.
set -euo pipefail
cd "$(dirname "$0")/.."

check=no
case "${1:-}" in
  deb) target=linux; check=yes ;;
  linux|macos|windows) target=$1 ;;
  "")
    case "$(uname -s)" in
      Linux) target=linux ;;
      Darwin) target=macos ;;
      MINGW*|MSYS*|CYGWIN*) target=windows ;;
      *) echo "build.sh: unknown host $(uname -s); name the platform: linux|macos|windows" >&2; exit 2 ;;
    esac ;;
  *) echo "usage: packaging/build.sh [deb|linux|macos|windows]" >&2; exit 2 ;;
esac

app=workbench
app_id=org.mlopsworkbench.workbench

# The icons are committed; they must exist before briefcase copies them into the bundle.
for size in 16 32 48 64 128 256 512 1024; do
  test -f "icons/mlops-workbench-$size.png" || { echo "icons/mlops-workbench-$size.png missing: run packaging/make_icons.py" >&2; exit 1; }
done
test -f icons/mlops-workbench.icns && test -f icons/mlops-workbench.ico || {
  echo "icons/mlops-workbench.icns/.ico missing: run packaging/make_icons.py" >&2; exit 1; }

started=$SECONDS
step() { echo "build.sh: $* ($((SECONDS - started)) s so far)"; }

# A build venv with briefcase only (the app's own requirements go into the bundle); kept between
# builds while it holds the briefcase release this script was tried with.
briefcase_spec="briefcase==0.4.7"
if [ "$target" = linux ]; then
  python=${PYTHON:-/usr/bin/python3}
else
  python=${PYTHON:-python3}
fi
venv=build/installer-venv
if [ -x "$venv/Scripts/python.exe" ]; then bin="$venv/Scripts"; else bin="$venv/bin"; fi
if ! "$bin/python" -m pip show briefcase 2>/dev/null | grep -qx "Version: ${briefcase_spec#briefcase==}"; then
  step "making the build venv with $python and $briefcase_spec"
  "$python" -m venv --clear "$venv"
  if [ -x "$venv/Scripts/python.exe" ]; then bin="$venv/Scripts"; else bin="$venv/bin"; fi
  "$bin/python" -m pip install -q --upgrade pip
  "$bin/python" -m pip install -q "$briefcase_spec"
fi
briefcase() { "$bin/briefcase" "$@" --no-input; }
# Each build starts from a fresh bundle, so that nothing trimmed or left over carries across.
rm -rf "build/$app"

trim() {  # trim the bundle that `briefcase create` made for $1 (its folder under build/$app)
  local app_packages
  app_packages=$(find "build/$app/$1" -type d -name app_packages | head -n 1)
  test -n "$app_packages" || { echo "build.sh: no app_packages folder under build/$app/$1" >&2; exit 1; }
  "$bin/python" packaging/trim_bundle.py "$app_packages"
}

case "$target" in
  linux)
    template=${BRIEFCASE_LINUX_TEMPLATE:-../shared/vendor/briefcase-linux-system-template}
    if [ -d "$template" ]; then
      step "briefcase create linux system, offline template $template"
      briefcase create linux system -C "template=\"$(realpath "$template")\""
    else
      step "briefcase create linux system (its template from GitHub)"
      briefcase create linux system
    fi
    bundle_dir=$(find "build/$app" -mindepth 2 -maxdepth 2 -type d | head -n 1)
    step "trimming the bundle"
    trim "${bundle_dir#build/$app/}"
    # briefcase's template writes a minimal desktop entry; put ours (categories, keywords,
    # StartupWMClass matching Qt's WM_CLASS) and the AppStream metadata into the package tree.
    apps_dir=$(find "build/$app" -type d -path "*/usr/share/applications" | head -n 1)
    test -n "$apps_dir" || { echo "build.sh: no usr/share/applications in build/$app" >&2; exit 1; }
    install -m 0644 "packaging/linux/$app_id.desktop" "$apps_dir/$app_id.desktop"
    install -d "$apps_dir/../metainfo"
    install -m 0644 "packaging/linux/$app_id.metainfo.xml" "$apps_dir/../metainfo/$app_id.metainfo.xml"
    step "briefcase build linux system"
    briefcase build linux system
    step "briefcase package linux system (dpkg-deb)"
    briefcase package linux system
    deb=$(ls -t dist/*.deb | head -n 1)
    installed_bytes=$(dpkg-deb --contents "$deb" | awk '{s += $3} END {print s}')
    step "built $deb: $(( $(stat -c %s "$deb") / 1048576 )) MiB, installs $(( installed_bytes / 1048576 )) MiB ($(( installed_bytes / 1000000 )) MB)"
    if [ "$check" = yes ]; then
      packaging/check_deb.sh "$deb"
      step "checked $deb"
    fi
    ;;
  macos)
    briefcase create macOS app
    trim macos
    briefcase build macOS app
    if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
      briefcase package macOS app --identity "$MACOS_SIGN_IDENTITY"
    else
      briefcase package macOS app --adhoc-sign
    fi
    ;;
  windows)
    briefcase create windows app
    trim windows
    briefcase build windows app
    if [ -n "${WINDOWS_SIGN_IDENTITY:-}" ]; then
      briefcase package windows app --identity "$WINDOWS_SIGN_IDENTITY"
    else
      briefcase package windows app --adhoc-sign
    fi
    ;;
esac

echo "build.sh: installers in dist/ ($((SECONDS - started)) s in all):"
ls -l dist/
