// Least-privilege roles of the Function App's identities, each on the narrowest scope that works, created before
// the site (main.bicep makes the Function App depend on this module). Role ids: infra/builtin-roles.json.
//   runtime identity (the code): blobs of the containers the code uses (one assignment per container), user
//     delegation keys for SAS links (account scope: the only scope the action exists at), queue messages, the
//     Defender scan verdict (blob index tags) of the quarantine container only, the secrets of its vault,
//     data-plane Cosmos DB, telemetry to its Application Insights, e-mail through its Communication Services.
//   host identity (AzureWebJobsStorage): Storage Blob Data Owner and Storage Queue Data Contributor on the account,
//     the documented minimum of an identity-based host storage connection (host keys, timer leases, queue
//     triggers); granted to this identity only, so the code's own identity cannot write blob index tags (forge a
//     scan verdict) or manage containers.
//   deployment identity: the deployment package container only. The runtime identity has no role on it.
// Every assignment name is guid(scope, principal id, role): a new identity gets new assignments instead of
// colliding with the previous identity's (RoleAssignmentUpdateNotPermitted on a redeploy).

@description('Principal id of the Function App runtime identity (user-assigned).')
param principalId string

@description('Principal id of the identity of the Functions host\'s storage connection (AzureWebJobsStorage).')
param hostPrincipalId string

@description('Principal id of the identity the platform uses to read and write the deployment package.')
param deploymentPrincipalId string

@description('Storage account of the app.')
param storageAccountName string

@description('Blob containers the code uses (names.json blobContainers).')
param appBlobContainers array

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Quarantine container where Defender for Storage writes its scan verdict as a blob index tag.')
param quarantineContainerName string

@description('Key Vault of the app.')
param keyVaultName string

@description('Cosmos DB account of the app.')
param cosmosAccountName string

@description('Application Insights component of the app.')
param appInsightsName string

@description('Communication Services resource of the app.')
param communicationServiceName string

// Built-in role definition ids, each listed with its name and source in infra/builtin-roles.json.
var roleIds = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
}

// Cosmos DB Built-in Data Contributor: a data-plane role of the account itself, not an Azure RBAC role.
var cosmosDataContributorId = '00000000-0000-0000-0000-000000000002'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for name in appBlobContainers: {
  parent: blobService
  name: name
}]

resource quarantine 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: quarantineContainerName
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deploymentContainerName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: communicationServiceName
}

resource blobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (containerName, i) in appBlobContainers: {
  name: guid(containers[i].id, principalId, roleIds.storageBlobDataContributor)
  scope: containers[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

// The host's storage connection: blob ownership of the account (the documented role of identity-based
// AzureWebJobsStorage, as in Microsoft's Flex Consumption samples) and the queue messages of the queue triggers.
resource hostBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, hostPrincipalId, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: hostPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource hostQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, hostPrincipalId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: hostPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource delegationKeys 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageBlobDelegator)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDelegator)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Reading a blob's index tags (blobs/tags/read) is in no built-in role narrower than Storage Blob Data Owner, which
// would also let the app write tags (forge a verdict) and manage the container. This custom role grants that one
// data action, assigned on the quarantine container only. Creating a role definition needs
// Microsoft.Authorization/roleDefinitions/write (Owner or User Access Administrator on the resource group).
resource scanResultReader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'industrack-scan-result-reader')
  properties: {
    roleName: 'IndusTrack scan result reader (${resourceGroup().name})'
    description: 'Reads blob index tags (the Defender for Storage malware scan verdict) and nothing else.'
    type: 'customRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read'
        ]
        notDataActions: []
      }
    ]
  }
}

resource scanResults 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(quarantine.id, principalId, scanResultReader.id)
  scope: quarantine
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', scanResultReader.name)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource deploymentPackage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deploymentContainer.id, deploymentPrincipalId, roleIds.storageBlobDataContributor)
  scope: deploymentContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: deploymentPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleIds.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// ACS has no built-in role limited to sending e-mail; this one is the documented role for sending with an Entra
// identity, scoped to the app's own Communication Services resource (infra/README.md).
resource email 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, principalId, roleIds.communicationAndEmailServiceOwner)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.communicationAndEmailServiceOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource cosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, principalId, cosmosDataContributorId)
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributorId}'
    principalId: principalId
    scope: cosmos.id
  }
}
