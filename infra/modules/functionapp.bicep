// The Function App on the Flex Consumption plan: Python 3.11, user-assigned identities (created with their roles
// before this module runs: identity.bicep, roles.bicep), HTTPS only, TLS 1.2, FTP and SCM basic publishing
// credentials off, the platform's CORS list empty (the app answers CORS itself for the portal), and the app
// settings. The runtime identity resolves the Key Vault references (keyVaultReferenceIdentity) and is the SDK
// clients' identity (AZURE_CLIENT_ID); the host identity is the host's storage connection
// (AzureWebJobsStorage__clientId); the deployment identity only reaches the deployment package container.
//
// siteConfig holds only what a Flex Consumption site accepts: Azure refuses other site-config properties on Flex
// (error 51021, "The following site configuration property ... for Flex Consumption sites is invalid": FtpsState,
// LinuxFxVersion, AlwaysOn, FunctionAppScaleLimit, Use32BitWorkerProcess, ...). The runtime, scale and deployment
// live in functionAppConfig. FLEX_SITE_CONFIG_ALLOWED in scripts/deploy_checks.py is the allow-list that
// `make infra-check` enforces; Microsoft's Flex Consumption samples set no more than these.
//
// App settings = names.json appSettings (copied from local.settings.sample.json), appSettingOverrides (per
// environment), names.json queueSettings and infraSettings below (the Azure values). Every key of the sample is
// in one of them or listed as local-only in names.json (tests/infra/test_names.py checks it).

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Flex Consumption plan.')
param planName string

@description('Globally unique Function App name.')
param functionAppName string

@description('Storage account of the host (identity-based AzureWebJobsStorage).')
param storageAccountName string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Resource id of the runtime identity (user-assigned).')
param identityId string

@description('Client id of the runtime identity.')
param identityClientId string

@description('Resource id of the identity of the host\'s storage connection (AzureWebJobsStorage).')
param hostIdentityId string

@description('Client id of the identity of the host\'s storage connection.')
param hostIdentityClientId string

@description('Resource id of the identity the platform uses for the deployment package.')
param deploymentIdentityId string

@description('Set the Stripe Key Vault references (the secrets must exist in the vault); false leaves billing unconfigured (503 billing-not-configured).')
param stripeBillingEnabled bool

@description('Most instances the app scales out to (40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Spread the instances over availability zones (the region must support it for Flex Consumption).')
param zoneRedundant bool

@description('Address of the owner portal that e-mailed links open (PORTAL_BASE_URL): its custom domain when it has one.')
param portalBaseUrl string

@description('Origins allowed by CORS: the owner portal only. The app answers CORS itself (PORTAL_ORIGINS, functions/_cors.py); the platform list stays empty, or it would answer preflights first and add its headers twice.')
param allowedOrigins array

@description('Settings copied from local.settings.sample.json (names.json appSettings).')
param copiedSettings object

@description('Queue app settings (names.json queueSettings): setting name to queue name.')
param queueSettings object

@description('Per-environment overrides of the copied settings.')
param appSettingOverrides object

@description('Cosmos DB endpoint.')
param cosmosEndpoint string

@description('Cosmos DB database name.')
param cosmosDatabase string

@description('Key Vault name, for the Key Vault references.')
param keyVaultName string

@description('Secret names in the vault: tokenSigningKey, stripeSecretKey, stripeWebhookSecret.')
param secretNames object

@description('OpenID Connect issuer of the bearer tokens (Microsoft Entra External ID).')
param authIssuer string

@description('Audience the bearer tokens must carry.')
param authAudience string

@description('JWKS URI of the issuer.')
param authJwksUri string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Azure Communication Services endpoint.')
param acsEndpoint string

@description('Sender address of the e-mail domain.')
param emailSenderAddress string

@description('Days deleted blobs stay in soft delete (storage.bicep output), told to the people whose data it is.')
param blobSoftDeleteDays int

@description('Whether the storage account keeps blob versions (storage.bicep output).')
param blobVersioningEnabled bool

@description('Days a previous blob version is kept by the lifecycle rule (storage.bicep output).')
param blobVersionRetentionDays int

@description('Days the Cosmos DB continuous backup can restore (cosmos.bicep output).')
param cosmosBackupRetentionDays int

@description('Client id (uniqueId) of the Azure Maps account of the portal\'s base map.')
param mapsClientId string

// The app's sampling ratio as this environment sets it (the sample's value unless appSettingOverrides changes it;
// the app's default if neither names it). tests/infra checks every value set is a ratio from 0 to 1: the host and
// the distro read a bad OTEL_TRACES_SAMPLER_ARG as 1 (every trace), where the app falls back to its default.
var appSettingsBeforeInfra = union(copiedSettings, appSettingOverrides)
var telemetrySamplingRatio = contains(appSettingsBeforeInfra, 'TELEMETRY_SAMPLING_RATIO') ? appSettingsBeforeInfra.TELEMETRY_SAMPLING_RATIO : '0.05'

var infraSettings = {
  APP_ENVIRONMENT: 'azure'
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: hostIdentityClientId
  AZURE_CLIENT_ID: identityClientId
  COSMOS_ENDPOINT: cosmosEndpoint
  COSMOS_DATABASE: cosmosDatabase
  COSMOS_VERIFY_TLS: 'true'
  AUTH_ISSUER: authIssuer
  AUTH_AUDIENCE: authAudience
  AUTH_JWKS_URI: authJwksUri
  TOKEN_SIGNING_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secretNames.tokenSigningKey})'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
  ACS_EMAIL_ENDPOINT: acsEndpoint
  EMAIL_SENDER_ADDRESS: emailSenderAddress
  PHOTO_MALWARE_SCAN: 'defender'
  LOG_FORMAT: 'json'
  // One export path (host.json telemetryMode OpenTelemetry): the worker exports its own logs and spans through the
  // distro the app configures (sampled by TELEMETRY_SAMPLING_RATIO), and the host stops forwarding them as well.
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
  // The host's own invocation spans sampled at the app's ratio (host 4.1048.100 and later read these, Azure/azure-
  // functions-host#11568). The worker's distro reads the same two and gets the same ratio, and Application Insights'
  // sampler decides by trace id in both, so a trace is kept or dropped whole (docs/observability.md).
  OTEL_TRACES_SAMPLER: 'microsoft.fixed_percentage'
  OTEL_TRACES_SAMPLER_ARG: telemetrySamplingRatio
  PORTAL_ORIGINS: join(allowedOrigins, ',')
  PORTAL_BASE_URL: portalBaseUrl
  // What deleted data leaves behind (issue 28): the erasure answer, the export's README and the privacy centre say it.
  BLOB_SOFT_DELETE_DAYS: string(blobSoftDeleteDays)
  BLOB_VERSIONING_ENABLED: string(blobVersioningEnabled)
  BLOB_VERSION_RETENTION_DAYS: string(blobVersionRetentionDays)
  COSMOS_BACKUP_RETENTION_DAYS: string(cosmosBackupRetentionDays)
  AZURE_MAPS_CLIENT_ID: mapsClientId
}

// Billing is optional: the Stripe references exist only when billing is enabled, because a reference to a missing
// secret reaches the code as its literal text (the app then answers 503 billing-not-configured on billing routes).
var stripeReferences = {
  STRIPE_SECRET_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secretNames.stripeSecretKey})'
  STRIPE_WEBHOOK_SECRET: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secretNames.stripeWebhookSecret})'
}
var billingSettings = stripeBillingEnabled ? stripeReferences : {}

// Later sources win: an override cannot replace a queue or an infra setting.
var allSettings = union(copiedSettings, appSettingOverrides, queueSettings, infraSettings, billingSettings)

// azd deploy finds the app to publish to by this tag (azure.yaml, service `api`).
var azdTags = {
  'azd-service-name': 'api'
}

var appSettings = [for setting in items(allSettings): {
  name: setting.key
  value: setting.value
}]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  // checkov:skip=CKV_AZURE_225:zone redundancy is the zoneRedundant parameter (on in prod), which checkov cannot evaluate
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, azdTags)
  kind: 'functionapp,linux'
  // checkov:skip=CKV_AZURE_212:scale to zero is intended on Flex Consumption (billed per execution); always-ready instances can be added with functionAppConfig.scaleAndConcurrency.alwaysReady
  // checkov:skip=CKV_AZURE_213:no App Service health check: /api/health answers 503 when Cosmos DB or Storage is down, which would mark every instance unhealthy at once during a dependency outage
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
      '${hostIdentityId}': {}
      '${deploymentIdentityId}': {}
    }
  }
  // checkov:skip=CKV_AZURE_17:clients are browsers and the mobile app, which present no client certificate
  // checkov:skip=CKV_AZURE_222:the API is public by design (mobile app and owner portal); access is controlled per request by the bearer token
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    // checkov:skip=CKV_AZURE_78:ftpsState is refused on Flex Consumption sites (error 51021); FTP publishing is off through the ftp basicPublishingCredentialsPolicies resource below
    // checkov:skip=CKV_AZURE_67:http20Enabled is not among the site-config properties known to be accepted on Flex Consumption (allow-list in scripts/deploy_checks.py), so the HTTP version stays the platform default
    // checkov:skip=CKV_AZURE_18:same as CKV_AZURE_67 (the web-app variant of the check): http20Enabled is not among the site-config properties known to be accepted on Flex Consumption (allow-list in scripts/deploy_checks.py), so the HTTP version stays the platform default
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
      cors: {
        allowedOrigins: []
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: deploymentIdentityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostname string = site.properties.defaultHostName
