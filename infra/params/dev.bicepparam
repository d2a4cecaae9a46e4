// Development environment. Tenant-specific values and secrets come from environment variables (infra/README.md);
// the deployment fails if a required one is missing. A variable that is set but empty is read as '' (not as the
// default given here): the GitHub workflow gives each one its default (scripts/deploy_checks.py checks that).
using '../main.bicep'

param environmentName = 'dev'

param storageSkuName = 'Standard_ZRS'
param blobSoftDeleteDays = 7
param previousVersionRetentionDays = 7
param blobDeleteAfterDays = {
  exports: 7
}
param malwareScanningCapGBPerMonth = 100

param cosmosThroughputMode = 'serverless'
param cosmosBackupTier = 'Continuous7Days'
param cosmosZoneRedundant = false

param functionMaximumInstanceCount = 40
param functionInstanceMemoryMB = 2048
param functionZoneRedundant = false
param appSettingOverrides = {}

param authIssuer = readEnvironmentVariable('INDUSTRACK_AUTH_ISSUER')
param authAudience = readEnvironmentVariable('INDUSTRACK_AUTH_AUDIENCE', 'api://industrack')
param authJwksUri = readEnvironmentVariable('INDUSTRACK_AUTH_JWKS_URI')

param logRetentionDays = 30
param logDailyCapGb = 1
param emailDataLocation = 'Europe'
param emailCustomDomain = ''
param portalLocation = 'westeurope'
param portalClientId = readEnvironmentVariable('INDUSTRACK_PORTAL_CLIENT_ID')
param portalAuthority = readEnvironmentVariable('INDUSTRACK_PORTAL_AUTHORITY', '')
param portalApiScope = readEnvironmentVariable('INDUSTRACK_PORTAL_API_SCOPE', '')
param portalMapStyle = readEnvironmentVariable('INDUSTRACK_PORTAL_MAP_STYLE', '')
param portalCustomDomain = ''

param existingEventGridSystemTopicName = readEnvironmentVariable('INDUSTRACK_EVENTGRID_SYSTEM_TOPIC', '')
param keyVaultName = readEnvironmentVariable('INDUSTRACK_KEY_VAULT_NAME', '')
param keyVaultRecoverSoftDeleted = bool(readEnvironmentVariable('INDUSTRACK_KEY_VAULT_RECOVER', 'false'))

param stripeBillingEnabled = bool(readEnvironmentVariable('INDUSTRACK_STRIPE_BILLING', 'false'))
param stripePublishableKey = readEnvironmentVariable('INDUSTRACK_STRIPE_PUBLISHABLE_KEY', '')
param tokenSigningKey = readEnvironmentVariable('INDUSTRACK_TOKEN_SIGNING_KEY', '')
param stripeSecretKey = readEnvironmentVariable('INDUSTRACK_STRIPE_SECRET_KEY', '')
param stripeWebhookSecret = readEnvironmentVariable('INDUSTRACK_STRIPE_WEBHOOK_SECRET', '')
