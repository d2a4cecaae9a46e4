// IndusTrack in Azure: one resource group holding the Function App (Flex Consumption), its storage account,
// Cosmos DB, Key Vault, monitoring, e-mail and the owner portal. Deploy with infra/params/<env>.bicepparam
// (infra/README.md). Names of containers, queues, blob containers and app settings come from names.json,
// which scripts/infra_names.py renders from the code (core/schema.py, local.settings.sample.json).

targetScope = 'resourceGroup'

metadata description = 'IndusTrack backend: Function App, Storage, Cosmos DB, Key Vault, monitoring, e-mail, owner portal.'

// ---- naming and placement

@description('Azure region of the resources; it must offer the Flex Consumption plan.')
param location string = resourceGroup().location

@description('Short application name used in resource names (letters, digits, hyphens).')
@minLength(2)
@maxLength(12)
param appName string = 'industrack'

@description('Environment name, used in resource names and tags.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Extra tags for every resource (application and environment are always added).')
param tags object = {}

// ---- storage

@description('Replication of the storage account.')
param storageSkuName string = 'Standard_ZRS'

@description('Days a deleted blob or container stays recoverable (soft delete).')
param blobSoftDeleteDays int = 7

@description('Days a previous blob version is kept after it was written.')
param previousVersionRetentionDays int = 7

@description('Lifecycle backstop: blob container name to days after the last change when its blobs are deleted.')
param blobDeleteAfterDays object = {
  exports: 7
}

@description('Monthly cap, in GB, of Defender malware scanning on upload.')
param malwareScanningCapGBPerMonth int = 1000

// ---- Cosmos DB

@description('serverless (pay per request) or autoscale (provisioned RU/s shared by the database). Fixed at creation.')
@allowed([
  'serverless'
  'autoscale'
])
param cosmosThroughputMode string = 'serverless'

@description('Highest RU/s of the autoscale throughput (autoscale only).')
param cosmosAutoscaleMaxThroughput int = 1000

@description('E-mail address that receives the capacity alerts (infra/modules/alerts.bicep); empty: none is e-mailed.')
param opsAlertEmail string = ''

@description('Point-in-time restore window of the continuous backup.')
@allowed([
  'Continuous7Days'
  'Continuous30Days'
])
param cosmosBackupTier string = 'Continuous7Days'

@description('Zone redundancy of the Cosmos DB region.')
param cosmosZoneRedundant bool = false

// ---- Function App

@description('Most instances the Function App scales out to.')
param functionMaximumInstanceCount int = 100

@description('Spread the Function App instances over availability zones (needs a region that supports it).')
param functionZoneRedundant bool = false

@description('Memory of each Function App instance, in MB.')
param functionInstanceMemoryMB int = 2048

@description('Per-environment overrides of the settings copied from local.settings.sample.json.')
param appSettingOverrides object = {}

@description('OpenID Connect issuer of the bearer tokens (Microsoft Entra External ID tenant).')
@minLength(1)
param authIssuer string

@description('Audience the bearer tokens must carry.')
@minLength(1)
param authAudience string

@description('JWKS URI of the issuer.')
@minLength(1)
param authJwksUri string

// ---- monitoring, e-mail, portal, photo uploads

@description('Days the Log Analytics workspace keeps logs.')
param logRetentionDays int = 30

@description('Daily ingestion cap of the Log Analytics workspace (GB a day; docs/observability.md sizes it).')
param logDailyCapGb int = 1

@description('Where Azure Communication Services stores e-mail data at rest (Europe, like every other resource).')
param emailDataLocation string = 'Europe'

@description('Local part of the sender address; the Azure-managed domain only allows DoNotReply.')
param emailSenderUsername string = 'DoNotReply'

@description('Own e-mail sending domain for production (the Azure-managed domain is for testing); empty: none.')
param emailCustomDomain string = ''

@description('Set to true once the DNS records of emailCustomDomain are verified in ACS: then it is linked and used as the sender domain.')
param emailCustomDomainVerified bool = false

@description('Name of an Event Grid system topic that already exists for the storage account (Defender for Storage enabled by a subscription policy creates one, and an account can have only one); empty: the deployment creates it.')
param existingEventGridSystemTopicName string = ''

@description('Region of the owner portal Static Web App (the service runs in a few regions only).')
param portalLocation string = 'westeurope'

@description('Custom domain of the owner portal (for example portal.example.com); empty when there is none. Its links (PORTAL_BASE_URL) then use it.')
param portalCustomDomain string = ''

@description('Application (client) id of the owner portal\'s app registration (MSAL.js sign-in, written to the portal\'s config.json).')
@minLength(1)
param portalClientId string

@description('MSAL authority of the owner portal\'s sign-in; empty: the issuer without its trailing /v2.0.')
param portalAuthority string = ''

@description('Scope the owner portal asks for when it calls the API; empty: <authAudience>/.default.')
param portalApiScope string = ''

@description('Map style URL of the owner portal\'s maps (MapLibre); empty: Azure Maps road tiles (the maps module).')
param portalMapStyle string = ''

@description('Stripe publishable key of the owner portal\'s billing page (not a secret; needed when billing is enabled).')
param stripePublishableKey string = ''

@description('App setting of the photo-upload queue in core/schema.py; the Event Grid subscription is created once that queue and the photo container exist in names.json.')
param photoUploadQueueSetting string = 'QUEUE_PHOTO_UPLOADS'

@description('Blob container whose uploads go to the photo-upload queue: the private quarantine where the app uploads (verified copies go to photos).')
param photoBlobContainer string = 'photo-quarantine'

// ---- secrets (optional: empty leaves the Key Vault secret as it is)

@description('Token signing key to store in Key Vault; empty leaves the current secret.')
@secure()
param tokenSigningKey string = ''

@description('Stripe secret API key to store in Key Vault; empty leaves the current secret.')
@secure()
param stripeSecretKey string = ''

@description('Stripe webhook signing secret to store in Key Vault; empty leaves the current secret.')
@secure()
param stripeWebhookSecret string = ''

@description('Billing with Stripe: true sets the Stripe Key Vault references (the two Stripe secrets must be in the vault, given now or earlier). false: billing routes answer 503 billing-not-configured.')
param stripeBillingEnabled bool = false

@description('Key Vault name; empty: kv-<token>-<environment>. Give a new name when a purge-protected vault of the old name is still soft-deleted (infra/README.md, "Key Vault name after a resource group was deleted").')
@maxLength(24)
param keyVaultName string = ''

@description('Recover the soft-deleted vault named keyVaultName (or the default name) instead of creating a new one.')
param keyVaultRecoverSoftDeleted bool = false

@description('ISO 8601 duration after which the secrets written by this deployment are marked expired.')
param secretLifetime string = 'P1Y'

@description('Time of the deployment (leave the default).')
param deploymentTime string = utcNow()

var names = loadJsonContent('names.json')

var token = take(uniqueString(subscription().id, resourceGroup().id, appName, environmentName), 8)
var baseName = '${appName}-${environmentName}'
var storageAccountName = take(toLower('st${replace(appName, '-', '')}${environmentName}${token}'), 24)
var functionAppName = 'func-${baseName}-${token}'
var deploymentContainerName = 'deployment-package'
var deadLetterContainerName = 'eventgrid-deadletter'
// The Functions host's own containers (timer locks, host keys), created with the account so that they carry its
// settings from the start (the host identity, Storage Blob Data Owner on the account, could create them itself).
var hostContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
]
var vaultName = empty(keyVaultName) ? 'kv-${token}-${environmentName}' : keyVaultName
var systemTopicName = empty(existingEventGridSystemTopicName) ? 'evgt-${storageAccountName}' : existingEventGridSystemTopicName
var billingEnabled = stripeBillingEnabled || !empty(stripeSecretKey)
var secretNames = {
  tokenSigningKey: 'token-signing-key'
  stripeSecretKey: 'stripe-secret-key'
  stripeWebhookSecret: 'stripe-webhook-secret'
}
var allTags = union(tags, {
  application: appName
  environment: environmentName
})
var photoQueues = filter(names.queues, q => q.setting == photoUploadQueueSetting)
var photoEventsEnabled = !empty(photoQueues) && contains(names.blobContainers, photoBlobContainer)
var photoQueueName = first(concat(photoQueues, [
  {
    name: ''
  }
])).name
// Where e-mailed links (invitations, verification, unsubscribe) open the portal: its custom domain when it has one.
var portalBaseUrl = empty(portalCustomDomain) ? 'https://${portal.outputs.defaultHostname}' : 'https://${portalCustomDomain}'
var msalAuthority = empty(portalAuthority) ? replace(authIssuer, '/v2.0', '') : portalAuthority
var msalApiScope = empty(portalApiScope) ? '${authAudience}/.default' : portalApiScope

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: 'log-${baseName}'
    appInsightsName: 'appi-${baseName}'
    retentionDays: logRetentionDays
    dailyCapGb: logDailyCapGb
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    tags: allTags
    appIdentityName: 'id-${baseName}-${token}'
    hostIdentityName: 'id-${baseName}-host-${token}'
    deploymentIdentityName: 'id-${baseName}-deploy-${token}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: allTags
    storageAccountName: storageAccountName
    skuName: storageSkuName
    blobContainers: names.blobContainers
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    hostContainerNames: hostContainerNames
    systemTopicName: systemTopicName
    queueNames: names.queueNames
    softDeleteDays: blobSoftDeleteDays
    previousVersionRetentionDays: previousVersionRetentionDays
    deleteAfterDays: blobDeleteAfterDays
    malwareScanningCapGBPerMonth: malwareScanningCapGBPerMonth
    workspaceId: monitoring.outputs.workspaceId
    // The portal's photo upload (issue 29): a PUT from the portal's pages to the upload grant's URL.
    uploadCorsOrigins: empty(portalCustomDomain) ? [ 'https://${portal.outputs.defaultHostname}' ] : [ 'https://${portal.outputs.defaultHostname}', 'https://${portalCustomDomain}' ]
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    tags: allTags
    accountName: 'cosmos-${baseName}-${token}'
    databaseName: names.cosmos.database
    containers: names.cosmos.containers
    throughputMode: cosmosThroughputMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    backupTier: cosmosBackupTier
    zoneRedundant: cosmosZoneRedundant
    workspaceId: monitoring.outputs.workspaceId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    tags: allTags
    baseName: baseName
    cosmosAccountId: cosmos.outputs.id
    provisioned: cosmosThroughputMode == 'autoscale'
    opsAlertEmail: opsAlertEmail
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: allTags
    vaultName: vaultName
    recoverSoftDeleted: keyVaultRecoverSoftDeleted
    secretNames: secretNames
    tokenSigningKey: tokenSigningKey
    stripeSecretKey: stripeSecretKey
    stripeWebhookSecret: stripeWebhookSecret
    secretExpiry: dateTimeToEpoch(dateTimeAdd(deploymentTime, secretLifetime))
    workspaceId: monitoring.outputs.workspaceId
  }
}

module email 'modules/email.bicep' = {
  name: 'email'
  params: {
    tags: allTags
    emailServiceName: 'email-${baseName}-${token}'
    communicationServiceName: 'acs-${baseName}-${token}'
    dataLocation: emailDataLocation
    senderUsername: emailSenderUsername
    customDomain: emailCustomDomain
    customDomainVerified: emailCustomDomainVerified
  }
}

module portal 'modules/staticwebapp.bicep' = {
  name: 'portal'
  params: {
    location: portalLocation
    tags: allTags
    name: 'swa-${baseName}-${token}'
  }
}

// The owner portal's base map: Azure Maps, Entra ID only (the runtime identity reads it and hands browsers tokens).
module maps 'modules/maps.bicep' = {
  name: 'maps'
  params: {
    tags: allTags
    name: 'map-${baseName}-${token}'
    principalId: identity.outputs.appPrincipalId
    allowedOrigins: empty(portalCustomDomain) ? [ 'https://${portal.outputs.defaultHostname}' ] : [ 'https://${portal.outputs.defaultHostname}', 'https://${portalCustomDomain}' ]
  }
}

// Roles before the site: the Function App starts with its Key Vault references and identity connections already
// granted (a reference that fails at the first start is cached and keeps the app down).
module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.appPrincipalId
    hostPrincipalId: identity.outputs.hostPrincipalId
    deploymentPrincipalId: identity.outputs.deploymentPrincipalId
    storageAccountName: storage.outputs.name
    appBlobContainers: names.blobContainers
    deploymentContainerName: deploymentContainerName
    quarantineContainerName: photoBlobContainer
    keyVaultName: keyVault.outputs.name
    cosmosAccountName: cosmos.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    communicationServiceName: email.outputs.communicationServiceName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: allTags
    planName: 'plan-${baseName}'
    functionAppName: functionAppName
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    identityId: identity.outputs.appIdentityId
    identityClientId: identity.outputs.appClientId
    hostIdentityId: identity.outputs.hostIdentityId
    hostIdentityClientId: identity.outputs.hostClientId
    deploymentIdentityId: identity.outputs.deploymentIdentityId
    stripeBillingEnabled: billingEnabled
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    zoneRedundant: functionZoneRedundant
    portalBaseUrl: portalBaseUrl
    allowedOrigins: empty(portalCustomDomain) ? [ 'https://${portal.outputs.defaultHostname}' ] : [ 'https://${portal.outputs.defaultHostname}', 'https://${portalCustomDomain}' ]
    copiedSettings: names.appSettings
    queueSettings: names.queueSettings
    appSettingOverrides: appSettingOverrides
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabase: names.cosmos.database
    keyVaultName: keyVault.outputs.name
    secretNames: secretNames
    authIssuer: authIssuer
    authAudience: authAudience
    authJwksUri: authJwksUri
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    acsEndpoint: email.outputs.endpoint
    emailSenderAddress: email.outputs.senderAddress
    blobSoftDeleteDays: storage.outputs.softDeleteDays
    blobVersioningEnabled: storage.outputs.versioningEnabled
    blobVersionRetentionDays: storage.outputs.previousVersionRetentionDays
    cosmosBackupRetentionDays: cosmos.outputs.backupRetentionDays
    mapsClientId: maps.outputs.clientId
  }
  dependsOn: [
    roles
  ]
}

module photoEvents 'modules/eventgrid.bicep' = if (photoEventsEnabled) {
  name: 'photo-events'
  params: {
    storageAccountName: storage.outputs.name
    systemTopicName: storage.outputs.systemTopicName
    topicPrincipalId: storage.outputs.systemTopicPrincipalId
    blobContainerName: photoBlobContainer
    queueName: photoQueueName
    deadLetterContainerName: deadLetterContainerName
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostname}/api'
output storageAccountName string = storage.outputs.name
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl
output cosmosEndpoint string = cosmos.outputs.endpoint
output keyVaultName string = keyVault.outputs.name
output portalUrl string = 'https://${portal.outputs.defaultHostname}'
output portalBaseUrl string = portalBaseUrl
output portalName string = portal.outputs.name
output photoEventsEnabled bool = photoEventsEnabled
output appIdentityClientId string = identity.outputs.appClientId

// The owner portal's config.json, written by scripts/portal_config.py after the portal is built (azd: the portal
// service's prepackage hook, which sees these outputs as environment variables of the azd environment; the GitHub
// workflow: from `az deployment group show`). Upper-case names because azd stores outputs under their own names.
output PORTAL_CONFIG_API_BASE string = 'https://${functionApp.outputs.defaultHostname}/api'
output PORTAL_CONFIG_MSAL_CLIENT_ID string = portalClientId
output PORTAL_CONFIG_MSAL_AUTHORITY string = msalAuthority
output PORTAL_CONFIG_API_SCOPE string = msalApiScope
output PORTAL_CONFIG_MAP_STYLE string = portalMapStyle
output PORTAL_CONFIG_MAP_PROVIDER string = 'azure-maps'
output PORTAL_CONFIG_BLOB_ORIGIN string = storage.outputs.blobEndpoint
output mapsAccountName string = maps.outputs.name
output PORTAL_CONFIG_STRIPE_PUBLISHABLE_KEY string = billingEnabled ? stripePublishableKey : ''
