#!/usr/bin/env bash
# `make infra-check`: static checks of infra/ that need no Azure access and no Bicep CLI.
#   1. infra/names.json matches the code (scripts/infra_names.py --check);
#   2. every .bicep and .bicepparam file parses (scripts/bicep_parse.py, tree-sitter-bicep from requirements-dev);
#   3. what would stop a first deployment (scripts/deploy_checks.py): a site-config property a Flex Consumption
#      site refuses, a workflow variable without its default, a missing azd preprovision hook;
#   4. the deployment workflows under .github/workflows pass actionlint (requirements-dev);
#   5. checkov (pinned in infra/requirements-checkov.txt, installed into .local/checkov-venv) over infra/ with the
#      bicep framework, its built-in checks plus the project's policies in infra/policies/. Fails on any failed
#      check, parsing error, or skip without a written reason (infra/checkov_summary.py).
# `bash infra/check.sh install` only installs checkov (tests/infra/test_policies.py uses it).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.local/checkov-venv
REQ=infra/requirements-checkov.txt
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

install_checkov() {
  if [ -f "$VENV/.installed" ] && [ ! "$REQ" -nt "$VENV/.installed" ] && [ -x "$VENV/bin/checkov" ]; then
    return 0
  fi
  echo "installing checkov into $VENV (from $REQ)"
  test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  touch "$VENV/.installed"
}

if [ "${1:-}" = "install" ]; then
  install_checkov
  exit 0
fi

install_checkov

if [ ! -x .venv/bin/python ]; then
  echo "infra-check: .venv is missing; run 'make install' first (scripts/infra_names.py imports the code)" >&2
  exit 1
fi
.venv/bin/python -m scripts.infra_names --check
.venv/bin/python -m scripts.bicep_parse
.venv/bin/python -m scripts.deploy_checks
workflows=$(ls .github/workflows/*.yml 2>/dev/null || true)
if [ -n "$workflows" ]; then
  # shellcheck disable=SC2086 # one argument per workflow file
  .venv/bin/actionlint -no-color $workflows
  echo "actionlint $(.venv/bin/actionlint -version | head -1): $(echo $workflows | wc -w) workflow(s), no findings"
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
report=$workdir/checkov.json
set +e
"$VENV/bin/checkov" --directory infra --framework bicep --external-checks-dir infra/policies \
  --skip-download --compact --output json > "$report" 2> "${report%.json}.log"
rc=$?
set -e
if [ ! -s "$report" ]; then
  echo "checkov did not produce a report (exit $rc):" >&2
  tail -20 "${report%.json}.log" >&2
  exit 1
fi
echo "checkov $("$VENV/bin/checkov" --version) --directory infra --framework bicep --external-checks-dir infra/policies --skip-download"
"$VENV/bin/python" infra/checkov_summary.py "$report" infra/policies
