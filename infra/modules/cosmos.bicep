// Cosmos DB for NoSQL: the account (Entra ID only, continuous backup), the database and every container the code
// declares in core/schema.py (names.json), each with its partition key, indexing policy and default TTL.

@description('Azure region of the account.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Globally unique account name (3 to 44 lowercase letters, digits and hyphens).')
@minLength(3)
@maxLength(44)
param accountName string

@description('Database name (names.json cosmos.database).')
param databaseName string

@description('Containers (names.json cosmos.containers): name, partitionKey, defaultTtl, indexingPolicy.')
param containers array

@description('serverless: pay per request; autoscale: provisioned throughput shared by the database containers.')
@allowed([
  'serverless'
  'autoscale'
])
param throughputMode string

@description('Highest RU/s of the autoscale database throughput (ignored when serverless).')
@minValue(1000)
param autoscaleMaxThroughput int

@description('Point-in-time restore window of the continuous backup.')
@allowed([
  'Continuous7Days'
  'Continuous30Days'
])
param backupTier string

@description('Zone redundancy of the single region (not available in every region).')
param zoneRedundant bool

@description('Log Analytics workspace that receives the control-plane audit logs.')
param workspaceId string

var serverless = throughputMode == 'serverless'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  // checkov:skip=CKV_AZURE_101:the Flex Consumption app reaches Cosmos DB over the public endpoint; every request needs an Entra token (local auth is off), private endpoints wait for the VNet step (infra/README.md)
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
    enableAutomaticFailover: false
    enableMultipleWriteLocations: false
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
    ]
    capabilities: serverless ? [ { name: 'EnableServerless' } ] : []
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: backupTier
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    // defaultTtl only where the code declares one (null in names.json means no TTL on the container)
    resource: union({
      id: c.name
      partitionKey: {
        paths: [
          c.partitionKey
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: c.indexingPolicy
    }, c.defaultTtl == null ? {} : { defaultTtl: c.defaultTtl })
  }
}]

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'ControlPlaneRequests'
        enabled: true
      }
    ]
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
// Days the continuous backup can restore (deleted records included), for the app's settings (functionapp.bicep).
output backupRetentionDays int = backupTier == 'Continuous30Days' ? 30 : 7
