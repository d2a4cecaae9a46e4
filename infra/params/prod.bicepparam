// Production. Tenant-specific values and secrets come from environment variables (infra/README.md); the
// deployment fails if a required one is missing. A variable that is set but empty is read as '' (not as the default
// given here): the GitHub workflow gives each one its default (scripts/deploy_checks.py checks that). Cosmos DB throughput mode is fixed once the account exists.
using '../main.bicep'

param environmentName = 'prod'

param storageSkuName = 'Standard_GZRS'
param blobSoftDeleteDays = 14
param previousVersionRetentionDays = 14
param blobDeleteAfterDays = {
  exports: 7
}
param malwareScanningCapGBPerMonth = 1000

param cosmosThroughputMode = 'autoscale'
// Sized to the crew (docs/scaling.md, "Sizing the autoscale maximum"): 1,000 RU/s, the smallest autoscale maximum,
// holds about 2,200 workers on shift at the measured 0.445 RU/s each; the alerts (infra/modules/alerts.bicep) say
// when to raise it. Autoscale bills every hour at least a tenth of the maximum, so a maximum far above the crew is
// paid for all month.
param cosmosAutoscaleMaxThroughput = 1000
param opsAlertEmail = readEnvironmentVariable('INDUSTRACK_OPS_ALERT_EMAIL', '')
// Point-in-time restore for 7 days (docs/scaling.md, "Cost per worker-month"): the 7-day tier has no charge, the
// 30-day tier bills its storage (about 0.025 USD per worker-month with a year of pings). Erased data also leaves the
// backup 23 days sooner; the deletion notice states the deployed window (COSMOS_BACKUP_RETENTION_DAYS).
param cosmosBackupTier = 'Continuous7Days'
param cosmosZoneRedundant = true

param functionMaximumInstanceCount = 100
param functionInstanceMemoryMB = 2048
param functionZoneRedundant = true
param appSettingOverrides = {}

param authIssuer = readEnvironmentVariable('INDUSTRACK_AUTH_ISSUER')
param authAudience = readEnvironmentVariable('INDUSTRACK_AUTH_AUDIENCE', 'api://industrack')
param authJwksUri = readEnvironmentVariable('INDUSTRACK_AUTH_JWKS_URI')

param logRetentionDays = 90
param logDailyCapGb = 5
param emailDataLocation = 'Europe'
param emailCustomDomain = readEnvironmentVariable('INDUSTRACK_EMAIL_DOMAIN', '')
param emailCustomDomainVerified = bool(readEnvironmentVariable('INDUSTRACK_EMAIL_DOMAIN_VERIFIED', 'false'))
param portalLocation = 'westeurope'
param portalClientId = readEnvironmentVariable('INDUSTRACK_PORTAL_CLIENT_ID')
param portalAuthority = readEnvironmentVariable('INDUSTRACK_PORTAL_AUTHORITY', '')
param portalApiScope = readEnvironmentVariable('INDUSTRACK_PORTAL_API_SCOPE', '')
param portalMapStyle = readEnvironmentVariable('INDUSTRACK_PORTAL_MAP_STYLE', '')
param portalCustomDomain = readEnvironmentVariable('INDUSTRACK_PORTAL_DOMAIN', '')

param existingEventGridSystemTopicName = readEnvironmentVariable('INDUSTRACK_EVENTGRID_SYSTEM_TOPIC', '')
param keyVaultName = readEnvironmentVariable('INDUSTRACK_KEY_VAULT_NAME', '')
param keyVaultRecoverSoftDeleted = bool(readEnvironmentVariable('INDUSTRACK_KEY_VAULT_RECOVER', 'false'))

param stripeBillingEnabled = bool(readEnvironmentVariable('INDUSTRACK_STRIPE_BILLING', 'false'))
param stripePublishableKey = readEnvironmentVariable('INDUSTRACK_STRIPE_PUBLISHABLE_KEY', '')
param tokenSigningKey = readEnvironmentVariable('INDUSTRACK_TOKEN_SIGNING_KEY', '')
param stripeSecretKey = readEnvironmentVariable('INDUSTRACK_STRIPE_SECRET_KEY', '')
param stripeWebhookSecret = readEnvironmentVariable('INDUSTRACK_STRIPE_WEBHOOK_SECRET', '')
