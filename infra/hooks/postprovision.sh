#!/bin/sh
# azd postprovision hook (azure.yaml): the provision has written INDUSTRACK_TOKEN_SIGNING_KEY (given, or generated
# by the preprovision hook) to Key Vault; remove it from the azd environment, so that the secret is not kept in
# .azure/<env>/.env and a later provision keeps the vault's key instead of writing this one back over a rotation.
set -eu
if [ -n "$(printenv INDUSTRACK_TOKEN_SIGNING_KEY 2>/dev/null || true)" ]; then
  azd env set INDUSTRACK_TOKEN_SIGNING_KEY '' >/dev/null
  printf 'postprovision: the token signing key is in Key Vault %s; removed from the azd environment\n' \
    "$(printenv keyVaultName 2>/dev/null || echo '(see output keyVaultName)')"
fi
