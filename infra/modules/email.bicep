// Azure Communication Services Email: an e-mail service with an Azure-managed sending domain, linked to a
// Communication Services resource that the Function App calls with its managed identity.

@description('Tags applied to every resource.')
param tags object

@description('Name of the Email Communication Services resource.')
param emailServiceName string

@description('Name of the Communication Services resource (globally unique).')
param communicationServiceName string

@description('Where ACS stores its data at rest.')
@allowed([
  'United States'
  'Europe'
  'UK'
  'Australia'
  'Japan'
  'France'
  'Switzerland'
  'Canada'
  'Germany'
  'Norway'
  'Korea'
  'India'
  'Asia Pacific'
  'Africa'
  'UAE'
  'Brazil'
])
param dataLocation string

@description('Local part of the sender address (before the @ of the Azure-managed domain).')
param senderUsername string

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

output communicationServiceName string = communication.name
output endpoint string = 'https://${communication.properties.hostName}'
output senderAddress string = '${senderUsername}@${managedDomain.properties.mailFromSenderDomain}'
