#!/usr/bin/env bash
# Install CUPS with Debian's cups-pdf virtual printer and add the `fieldkit-pdf` queue the
# printing tests use. Idempotent: safe to run on every CI run. Needs root (or sudo).
#
#   .ci/setup-cups.sh            # installs if missing, starts cupsd, adds the queue
#
# Environment:
#   FIELDKIT_CUPS_QUEUE    queue name (default fieldkit-pdf)
#   FIELDKIT_CUPS_PDF_OUT  where cups-pdf writes its PDFs (default /var/spool/cups-pdf/fieldkit)
set -euo pipefail

QUEUE="${FIELDKIT_CUPS_QUEUE:-fieldkit-pdf}"
OUT_DIR="${FIELDKIT_CUPS_PDF_OUT:-/var/spool/cups-pdf/fieldkit}"
CONF=/etc/cups/cups-pdf.conf

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup-cups: run as root or install sudo" >&2; exit 1; }
    SUDO="sudo"
fi

if ! command -v cupsd >/dev/null || ! command -v lp >/dev/null || [ ! -f "$CONF" ]; then
    echo "setup-cups: installing cups and printer-driver-cups-pdf"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        cups cups-client cups-bsd printer-driver-cups-pdf >/dev/null
fi

# A fixed output directory the tests can find, and the job id in every file name
# (Label 2: "<title>-job_<id>.pdf") so a test finds the file of its own job.
$SUDO mkdir -p "$OUT_DIR"
$SUDO chmod 1777 "$OUT_DIR"
$SUDO sed -i -E \
    -e "s|^#?Out .*|Out ${OUT_DIR}|" \
    -e "s|^#?Label .*|Label 2|" \
    "$CONF"
grep -q "^Out ${OUT_DIR}\$" "$CONF" || echo "Out ${OUT_DIR}" | $SUDO tee -a "$CONF" >/dev/null
grep -q "^Label 2\$" "$CONF" || echo "Label 2" | $SUDO tee -a "$CONF" >/dev/null

# Start the scheduler unless it is already answering (no systemd in containers).
if ! lpstat -r 2>/dev/null | grep -q "is running"; then
    echo "setup-cups: starting cupsd"
    $SUDO cupsd
    for _ in $(seq 1 50); do
        lpstat -r 2>/dev/null | grep -q "is running" && break
        sleep 0.2
    done
fi
lpstat -r | grep -q "is running" || { echo "setup-cups: cupsd did not start" >&2; exit 1; }

if ! lpstat -p "$QUEUE" >/dev/null 2>&1; then
    PPD="$(lpinfo -m 2>/dev/null | grep -i 'cups-pdf' | head -n1 | cut -d' ' -f1)"
    [ -n "$PPD" ] || { echo "setup-cups: no cups-pdf PPD found by lpinfo -m" >&2; exit 1; }
    echo "setup-cups: adding queue $QUEUE ($PPD)"
    $SUDO lpadmin -p "$QUEUE" -E -v cups-pdf:/ -m "$PPD"
fi
$SUDO cupsenable "$QUEUE"
$SUDO cupsaccept "$QUEUE"

echo "setup-cups: queue $QUEUE ready, PDFs in $OUT_DIR"
echo "FIELDKIT_CUPS_QUEUE=$QUEUE"
echo "FIELDKIT_CUPS_PDF_OUT=$OUT_DIR"
