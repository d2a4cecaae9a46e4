// The owner portal: a Static Web App (Standard, required to link a backend).

@description('Region of the Static Web App (a region where the service is offered).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Static Web App.')
param name string

resource portal 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
    enterpriseGradeCdnStatus: 'Disabled'
  }
}

output name string = portal.name
output defaultHostname string = portal.properties.defaultHostname
