// Links the Function App to the owner portal as its backend: the portal's /api/* is proxied to the app.
// A separate step because the Function App needs the portal's host name first (for CORS).

@description('Name of the Static Web App.')
param staticWebAppName string

@description('Resource id of the Function App.')
param functionAppId string

@description('Region of the Function App.')
param functionAppLocation string

resource portal 'Microsoft.Web/staticSites@2023-12-01' existing = {
  name: staticWebAppName
}

resource backend 'Microsoft.Web/staticSites/userProvidedFunctionApps@2023-12-01' = {
  parent: portal
  name: 'backend'
  properties: {
    functionAppResourceId: functionAppId
    functionAppRegion: functionAppLocation
  }
}
