#!/bin/sh
# Install the Debian packages the tests use, when missing. As root this installs them;
# otherwise it prints the one command to run and fails, so nothing is silently skipped.
set -eu

missing=""
need() { # need BINARY PACKAGE
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
        missing="$missing $2"
    fi
}
need /usr/bin/chromium chromium
need /usr/bin/chromedriver chromium-driver
# The export tests render Word documents to PDF and read what a person would see.
need soffice libreoffice-writer-nogui
need pdftotext poppler-utils
# The Nu Html Checker (npm vnu-jar) validates every page the browser tests visit.
need java default-jre-headless
# LibreOffice installed without its recommended packages brings no fonts to render with.
if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
    missing="$missing fonts-dejavu-core"
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing="$missing postgresql"
fi

if [ -z "$missing" ]; then
    echo "Test packages present: chromium, chromium-driver, postgresql, LibreOffice Writer, poppler-utils, fonts, Java."
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages for the tests:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "The tests need these Debian packages:$missing" >&2
    echo "Install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
