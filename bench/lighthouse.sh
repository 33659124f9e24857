#!/usr/bin/env bash
# Lighthouse scores (mobile, Lighthouse's default) of the public pages of a running demo.
#
#   make run                   # in another terminal: http://127.0.0.1:8000, demo contest
#   bench/lighthouse.sh        # approves the demo photos, audits, prints the scores
#   bench/lighthouse.sh http://localhost:8001     # another server (skip approval: NO_APPROVE=1)
#
# Audits the contest page, the gallery and the newest public photo's page with
# `npx --yes lighthouse@12` (from the npm registry) in Debian's Chromium (CHROME_PATH),
# headless, and prints the four category scores per page; target >= 0.90 each. The JSON
# and HTML reports are kept in $LIGHTHOUSE_OUT (default: a temp folder, printed).
#
# The demo photos are approved first by bench/demo_approve.py, which must see the database
# of that server: run this script with the environment `make run` had (COVERLINE_VAR_DIR,
# DATABASE_URL...). The default base URL is http://localhost:PORT rather than 127.0.0.1:
# SITE_URL's host, so the photo page's canonical link names the audited host.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8000}
BASE=${1:-http://localhost:$PORT}
SLUG=couvertures-2027
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
OUT=${LIGHTHOUSE_OUT:-$(mktemp -d -t coverline-lighthouse-XXXXXX)}
mkdir -p "$OUT"
FLAGS="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking"

if [[ "${NO_APPROVE:-0}" != 1 ]]; then
    PHOTO=$(DEBUG=${DEBUG:-1} .venv/bin/python bench/demo_approve.py | tail -n 1)
else
    PHOTO=${PHOTO_ID:?"with NO_APPROVE=1, set PHOTO_ID to a public photo's id"}
fi

declare -A PAGES=(
    [landing]="$BASE/concours/$SLUG/"
    [gallery]="$BASE/concours/$SLUG/galerie/"
    [photo]="$BASE/photo/$PHOTO/"
)
for name in landing gallery photo; do
    echo "Lighthouse: $name ${PAGES[$name]}" >&2
    npx --yes lighthouse@12 "${PAGES[$name]}" \
        --quiet \
        --chrome-flags="$FLAGS" \
        --only-categories=performance,accessibility,best-practices,seo \
        --output=json --output=html \
        --output-path="$OUT/$name"
done

.venv/bin/python - "$OUT" <<'PY'
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
categories = ("performance", "accessibility", "best-practices", "seo")
print(f"\n{'page':<10}" + "".join(f"{c:>16}" for c in categories))
below = []
for name in ("landing", "gallery", "photo"):
    report = json.loads((out / f"{name}.report.json").read_text())
    scores = {c: report["categories"][c]["score"] for c in categories}
    print(f"{name:<10}" + "".join(f"{scores[c]:>16.2f}" for c in categories))
    for c in categories:
        if scores[c] < 0.9:
            failed = [
                a["id"]
                for ref in report["categories"][c]["auditRefs"]
                if ref["weight"] and (a := report["audits"][ref["id"]])["score"] is not None
                and a["score"] < 1
            ]
            below.append(f"  {name} {c}: {', '.join(failed)}")
print(f"\nReports: {out}/<page>.report.html")
if below:
    print("Below 0.90, with the audits that lost points:\n" + "\n".join(below))
    sys.exit(1)
print("target >= 0.90 in every category: met")
PY
