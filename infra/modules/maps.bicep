// Azure Maps for the owner portal's base map (docs/portal.md, "Base map"). Entra ID only: local (key) authentication is
// disabled, so no subscription key exists to leak; the app's runtime identity reads the map (Azure Maps Data Reader)
// and hands browsers short-lived tokens (GET /api/maps/token). CORS admits only the portal's origins.
// Gen2 (G2) is the tier a new account gets; the account is global, not regional.

@description('Tags of every resource.')
param tags object

@description('Name of the Azure Maps account.')
param name string

@description('Principal id of the Function App runtime identity (it asks Entra ID for Azure Maps tokens).')
param principalId string

@description('Origins the browser may call Azure Maps from (the portal).')
param allowedOrigins array

// Azure Maps Data Reader (infra/builtin-roles.json).
var mapsDataReaderRoleId = '423170ca-a8f6-4b0f-8487-9e4eb8f49bfa'

resource maps 'Microsoft.Maps/accounts@2023-06-01' = {
  name: name
  location: 'global'
  tags: tags
  sku: {
    name: 'G2'
  }
  kind: 'Gen2'
  properties: {
    disableLocalAuth: true
    cors: {
      corsRules: [
        {
          allowedOrigins: allowedOrigins
        }
      ]
    }
  }
}

resource mapsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(maps.id, principalId, mapsDataReaderRoleId)
  scope: maps
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', mapsDataReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = maps.name
@description('The account\'s client id (x-ms-client-id of Entra-authenticated requests): AZURE_MAPS_CLIENT_ID.')
output clientId string = maps.properties.uniqueId
