#!/usr/bin/env bash
# Build the installer for the platform this runs on, with briefcase, into dist/:
#   Linux   -> dist/workbench_<version>-1~<distro>-<codename>_<arch>.deb   (briefcase "system")
#   macOS   -> dist/MLOps Workbench-<version>.dmg                          (universal2 .app)
#   Windows -> dist/MLOps Workbench-<version>.msi                          (WiX)
#
# Needs internet access: briefcase clones its app templates from GitHub and downloads a
# Python support package (macOS, Windows), WiX (Windows) and every wheel. Offline, only
# `briefcase dev --test` works (see README "Installers"). .github/workflows/installers.yml
# runs this script on a runner per platform; our own CI (.ci/run) never does.
#
# Usage: packaging/build.sh [linux|macos|windows]     (default: the host's platform)
# Environment:
#   PYTHON               the interpreter for the build venv. Linux: must be the system Python
#                        (/usr/bin/python3, >= 3.11: Ubuntu 24.04 or Debian 12 and later),
#                        because a "system" package runs on the distribution's own Python.
#   MACOS_SIGN_IDENTITY  macOS: a "Developer ID Application" identity from the keychain to sign
#                        (and notarize) with; unset -> ad-hoc signature (runs on the building
#                        Mac; elsewhere Gatekeeper asks the user to allow it).
#   WINDOWS_SIGN_IDENTITY  Windows: SHA-1 thumbprint of a code-signing certificate in the
#                        certificate store; unset -> unsigned MSI.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  linux|macos|windows) target=$1 ;;
  "")
    case "$(uname -s)" in
      Linux) target=linux ;;
      Darwin) target=macos ;;
      MINGW*|MSYS*|CYGWIN*) target=windows ;;
      *) echo "build.sh: unknown host $(uname -s); name the platform: linux|macos|windows" >&2; exit 2 ;;
    esac ;;
  *) echo "usage: packaging/build.sh [linux|macos|windows]" >&2; exit 2 ;;
esac

app=workbench
app_id=org.mlopsworkbench.workbench

# The icons are committed; they must exist before briefcase copies them into the bundle.
for size in 16 32 48 64 128 256 512 1024; do
  test -f "icons/mlops-workbench-$size.png" || { echo "icons/mlops-workbench-$size.png missing: run packaging/make_icons.py" >&2; exit 1; }
done
test -f icons/mlops-workbench.icns && test -f icons/mlops-workbench.ico || {
  echo "icons/mlops-workbench.icns/.ico missing: run packaging/make_icons.py" >&2; exit 1; }

# A fresh build venv with briefcase only (the app's own requirements go into the bundle).
if [ "$target" = linux ]; then
  python=${PYTHON:-/usr/bin/python3}
else
  python=${PYTHON:-python3}
fi
venv=build/installer-venv
"$python" -m venv --clear "$venv"
if [ -x "$venv/Scripts/python.exe" ]; then bin="$venv/Scripts"; else bin="$venv/bin"; fi
"$bin/python" -m pip install -q --upgrade pip
"$bin/python" -m pip install -q "briefcase>=0.4.7"
briefcase() { "$bin/briefcase" "$@" --no-input; }

case "$target" in
  linux)
    briefcase create linux system
    # briefcase's template writes a minimal desktop entry; put ours (categories, keywords,
    # StartupWMClass matching Qt's WM_CLASS) and the AppStream metadata into the package tree.
    apps_dir=$(find build/$app/linux -type d -path "*/usr/share/applications" | head -n 1)
    test -n "$apps_dir" || { echo "build.sh: no usr/share/applications in build/$app/linux" >&2; exit 1; }
    install -m 0644 "packaging/linux/$app_id.desktop" "$apps_dir/$app_id.desktop"
    install -d "$apps_dir/../metainfo"
    install -m 0644 "packaging/linux/$app_id.metainfo.xml" "$apps_dir/../metainfo/$app_id.metainfo.xml"
    briefcase build linux system
    briefcase package linux system
    ;;
  macos)
    briefcase create macOS app
    briefcase build macOS app
    if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
      briefcase package macOS app --identity "$MACOS_SIGN_IDENTITY"
    else
      briefcase package macOS app --adhoc-sign
    fi
    ;;
  windows)
    briefcase create windows app
    briefcase build windows app
    if [ -n "${WINDOWS_SIGN_IDENTITY:-}" ]; then
      briefcase package windows app --identity "$WINDOWS_SIGN_IDENTITY"
    else
      briefcase package windows app --adhoc-sign
    fi
    ;;
esac

echo "build.sh: installers in dist/:"
ls -l dist/
