#!/bin/sh
# azd prepackage hook of service `api` (azure.yaml): build the clean function app package that azd deploys
# (dist: .local/package/api): only what the app reads at run time (scripts/deploy_package.py).
set -eu
cd "$(dirname "$0")/../.."
python3 -m scripts.deploy_package --out .local/package/api
