// The Function App's identities, created before the app so that their role assignments exist (and have had time
// to propagate) when the site starts and resolves its Key Vault references and identity-based connections: a
// reference that fails at the first start is cached and the app would refuse to start for hours.
//   app:        the runtime identity of the code: Key Vault references, the app's own blobs and queues, Cosmos DB,
//               telemetry, e-mail (AZURE_CLIENT_ID, keyVaultReferenceIdentity).
//   host:       the Functions host's storage connection only (AzureWebJobsStorage__clientId): its keys, timer
//               leases and queue triggers. It holds Storage Blob Data Owner on the account (roles.bicep), which the
//               app's own identity must not have (it could rewrite the malware scan verdict of an upload).
//   deployment: used by the platform only, to read and write the deployment package container; the app code and
//               its connections never name it.

@description('Azure region of the identities.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the runtime identity of the Function App.')
param appIdentityName string

@description('Name of the identity of the Functions host\'s storage connection (AzureWebJobsStorage).')
param hostIdentityName string

@description('Name of the identity the platform uses for the deployment package.')
param deploymentIdentityName string

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

resource host 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: hostIdentityName
  location: location
  tags: tags
}

resource deployment 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: deploymentIdentityName
  location: location
  tags: tags
}

output appIdentityId string = app.id
output appPrincipalId string = app.properties.principalId
output appClientId string = app.properties.clientId
output hostIdentityId string = host.id
output hostPrincipalId string = host.properties.principalId
output hostClientId string = host.properties.clientId
output deploymentIdentityId string = deployment.id
output deploymentPrincipalId string = deployment.properties.principalId
