#!/bin/sh
# azd preprovision hook (azure.yaml): checks the azd environment before `azd provision` or `azd up` reaches Azure.
#   - Values without a default (INDUSTRACK_AUTH_ISSUER, INDUSTRACK_AUTH_JWKS_URI, INDUSTRACK_PORTAL_CLIENT_ID):
#     asked for when azd runs in a terminal and stored with `azd env set`; otherwise the hook stops and names the
#     `azd env set` commands to run. Their form is checked (https URLs, a GUID).
#   - Values that are set but empty get their default written back (azd would pass the empty value on).
#   - Booleans must be true or false; billing (INDUSTRACK_STRIPE_BILLING=true) needs the Stripe publishable key.
#   - The token signing key: the app's Key Vault reference to token-signing-key must resolve at its first start,
#     or the app does not start. When the azd environment has no INDUSTRACK_TOKEN_SIGNING_KEY and the vault holds
#     none (asked with `az` when it is installed), a random 48-byte key is generated and stored in the azd
#     environment for this provision, which writes it to Key Vault; the postprovision hook removes it from the azd
#     environment again, so later provisions keep the vault's key (rotation: infra/README.md, "Secrets").
# POSIX sh (dash, bash, zsh): Linux, macOS, WSL or Git Bash on Windows.
set -eu

say() { printf 'preprovision: %s\n' "$*"; }
fail() { printf 'preprovision: %s\n' "$*" >&2; failed=1; }
failed=0

value_of() { printenv "$1" 2>/dev/null || true; }

store() { # store NAME VALUE: in the azd environment and in this process
  azd env set "$1" "$2" >/dev/null
  export "$1=$2"
}

is_https_url() { printf '%s' "$1" | grep -Eq '^https://[^/[:space:]]+(/[^[:space:]]*)?$'; }
is_guid() { printf '%s' "$1" | grep -Eq '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'; }

# require NAME KIND DESCRIPTION: a value without a default; KIND is url or guid.
require() {
  name=$1 kind=$2 what=$3
  value=$(value_of "$name")
  if [ -z "$value" ] && [ -t 0 ]; then
    printf '%s (%s): ' "$what" "$name"
    read -r value || value=""
    [ -n "$value" ] && store "$name" "$value"
  fi
  if [ -z "$value" ]; then
    fail "$name is not set: $what. Run: azd env set $name <value>"
    return 0
  fi
  case $kind in
    url) is_https_url "$value" || fail "$name must be an https URL, not '$value'" ;;
    guid) is_guid "$value" || fail "$name must be a GUID (the app registration's client id), not '$value'" ;;
  esac
}

# default NAME VALUE: a value that is set but empty gets its default (an empty value would reach the deployment).
default() {
  if printenv "$1" >/dev/null 2>&1 && [ -z "$(value_of "$1")" ]; then
    store "$1" "$2"
    say "$1 was empty: set to its default '$2'"
  fi
}

boolean() {
  value=$(value_of "$1")
  case $value in
    '' | true | false) ;;
    *) fail "$1 must be true or false, not '$value'" ;;
  esac
}

require INDUSTRACK_AUTH_ISSUER url \
  "OpenID Connect issuer of the API's bearer tokens, e.g. https://<tenant-id>.ciamlogin.com/<tenant-id>/v2.0"
require INDUSTRACK_AUTH_JWKS_URI url \
  "JWKS URI of that issuer, e.g. https://<tenant>.ciamlogin.com/<tenant-id>/discovery/v2.0/keys"
require INDUSTRACK_PORTAL_CLIENT_ID guid \
  "application (client) id of the owner portal's app registration (MSAL sign-in)"

default INDUSTRACK_AUTH_AUDIENCE 'api://industrack'
default INDUSTRACK_ENVIRONMENT dev
for name in INDUSTRACK_STRIPE_BILLING INDUSTRACK_EMAIL_DOMAIN_VERIFIED INDUSTRACK_KEY_VAULT_RECOVER; do
  default "$name" false
  boolean "$name"
done
if [ "$(value_of INDUSTRACK_STRIPE_BILLING)" = true ] && [ -z "$(value_of INDUSTRACK_STRIPE_PUBLISHABLE_KEY)" ]; then
  fail "INDUSTRACK_STRIPE_BILLING is true: set the portal's Stripe publishable key. Run: azd env set INDUSTRACK_STRIPE_PUBLISHABLE_KEY pk_..."
fi
case $(value_of INDUSTRACK_STRIPE_PUBLISHABLE_KEY) in
  '' | pk_*) ;;
  *) fail "INDUSTRACK_STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_...); a secret key never goes to the portal" ;;
esac

if [ "$failed" -ne 0 ]; then
  printf 'preprovision: nothing was provisioned; infra/README.md, "azd", lists every value.\n' >&2
  exit 1
fi

# ---- the token signing key

vault=$(value_of INDUSTRACK_KEY_VAULT_NAME)
[ -n "$vault" ] || vault=$(value_of keyVaultName) # output of an earlier provision of this azd environment
group=$(value_of AZURE_RESOURCE_GROUP)

key_in_vault() { # 0: the vault holds token-signing-key; 1: it does not; 2: cannot tell (no az, no vault name)
  [ -n "$vault" ] && [ -n "$group" ] || return 2
  command -v az >/dev/null 2>&1 || return 2
  if az resource show --resource-group "$group" --namespace Microsoft.KeyVault --parent "vaults/$vault" \
    --resource-type secrets --name token-signing-key --api-version 2023-07-01 --query id --output tsv \
    >/dev/null 2>&1; then
    return 0
  fi
  return 1
}

new_key() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -base64 48
  else
    head -c 48 /dev/urandom | base64 | tr -d '\n'
  fi
}

if [ -n "$(value_of INDUSTRACK_TOKEN_SIGNING_KEY)" ]; then
  say "INDUSTRACK_TOKEN_SIGNING_KEY is set: this provision writes it to Key Vault"
  exit 0
fi
status=0
key_in_vault || status=$?
if [ "$status" -eq 0 ]; then
  say "token-signing-key is already in Key Vault $vault: kept"
elif [ "$status" -eq 2 ] && [ -n "$vault" ]; then
  say "an earlier provision created Key Vault $vault: its token-signing-key is kept (install az to have it checked)"
else
  store INDUSTRACK_TOKEN_SIGNING_KEY "$(new_key)"
  say "generated a new token signing key (48 random bytes) for the first provision: it is written to Key Vault"
  say "and removed from the azd environment afterwards (postprovision hook)"
fi
