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
param authIssuer string

@description('Audience the bearer tokens must carry.')
param authAudience string

@description('JWKS URI of the issuer.')
param authJwksUri string

// ---- monitoring, e-mail, portal, photo uploads

@description('Days the Log Analytics workspace keeps logs.')
param logRetentionDays int = 30

@description('Where Azure Communication Services stores e-mail data at rest.')
param emailDataLocation string = 'United States'

@description('Local part of the sender address; the Azure-managed domain only allows DoNotReply.')
param emailSenderUsername string = 'DoNotReply'

@description('Region of the owner portal Static Web App (the service runs in a few regions only).')
param portalLocation string = 'westeurope'

@description('Custom domain of the owner portal (for example portal.example.com); empty when there is none.')
param portalCustomDomain string = ''

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

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: 'log-${baseName}'
    appInsightsName: 'appi-${baseName}'
    retentionDays: logRetentionDays
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
    queueNames: names.queueNames
    softDeleteDays: blobSoftDeleteDays
    previousVersionRetentionDays: previousVersionRetentionDays
    deleteAfterDays: blobDeleteAfterDays
    malwareScanningCapGBPerMonth: malwareScanningCapGBPerMonth
    workspaceId: monitoring.outputs.workspaceId
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

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: allTags
    vaultName: 'kv-${token}-${environmentName}'
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

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: allTags
    planName: 'plan-${baseName}'
    functionAppName: functionAppName
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    zoneRedundant: functionZoneRedundant
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
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    functionAppName: functionAppName
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    cosmosAccountName: cosmos.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    communicationServiceName: email.outputs.communicationServiceName
  }
}

module photoEvents 'modules/eventgrid.bicep' = if (photoEventsEnabled) {
  name: 'photo-events'
  params: {
    storageAccountName: storage.outputs.name
    systemTopicName: storage.outputs.systemTopicName
    blobContainerName: photoBlobContainer
    queueName: photoQueueName
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostname}/api'
output storageAccountName string = storage.outputs.name
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl
output cosmosEndpoint string = cosmos.outputs.endpoint
output keyVaultName string = keyVault.outputs.name
output portalUrl string = 'https://${portal.outputs.defaultHostname}'
output photoEventsEnabled bool = photoEventsEnabled
