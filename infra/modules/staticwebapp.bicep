// The owner portal: a Static Web App (Standard). Its files (portal/dist-azure, with the config.json written from
// this deployment's outputs) are uploaded by `azd deploy` (service `portal`, found by the azd-service-name tag) or
// by the GitHub workflow; infra/README.md, "The owner portal".

@description('Region of the Static Web App (a region where the service is offered).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Static Web App.')
param name string

// azd deploy finds the Static Web App to upload to by this tag (azure.yaml, service `portal`).
var azdTags = {
  'azd-service-name': 'portal'
}

resource portal 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: union(tags, azdTags)
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
