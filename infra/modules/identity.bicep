// The Function App's identities, created before the app so that their role assignments exist (and have had time
// to propagate) when the site starts and resolves its Key Vault references and identity-based connections: a
// reference that fails at the first start is cached and the app would refuse to start for hours.
//   app:        the runtime identity: Key Vault references, AzureWebJobsStorage, Cosmos DB, telemetry, e-mail
//               (AZURE_CLIENT_ID and every `__clientId`).
//   deployment: used by the platform only, to read and write the deployment package container; the app code and
//               its connections never name it.

@description('Azure region of the identities.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the runtime identity of the Function App.')
param appIdentityName string

@description('Name of the identity the platform uses for the deployment package.')
param deploymentIdentityName string

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
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
output deploymentIdentityId string = deployment.id
output deploymentPrincipalId string = deployment.properties.principalId
