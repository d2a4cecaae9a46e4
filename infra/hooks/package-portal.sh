#!/bin/sh
# azd prepackage hook of service `portal` (azure.yaml): build the owner portal for Azure (portal/dist-azure: MSAL
# sign-in only) and write its config.json from the deployment outputs in the azd environment
# (scripts/portal_config.py), so that azd uploads a complete, configured portal to the Static Web App.
set -eu
cd "$(dirname "$0")/../.."
npm run --silent portal:build:azure
python3 -m scripts.portal_config --dist portal/dist-azure
