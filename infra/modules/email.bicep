// Azure Communication Services Email: an e-mail service with an Azure-managed sending domain (for testing: low
// sending limits, a generic azurecomm.net address) and, for production, the company's own domain (customDomain),
// linked to a Communication Services resource that accepts only Entra ID (disableLocalAuth: no access keys) and
// that the Function App calls with its managed identity. E-mail data stays in dataLocation (Europe by default).

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

@description('Local part of the sender address (before the @ of the sending domain).')
param senderUsername string

@description('Own sending domain (for example mail.example.com); empty: only the Azure-managed domain.')
param customDomain string = ''

@description('True once the DNS records of customDomain are verified in ACS; only then is it linked and used as the sender domain.')
param customDomainVerified bool = false

var useCustomDomain = !empty(customDomain) && customDomainVerified

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

// Created as soon as it is named, so that ACS shows the DNS records (SPF, DKIM, ...) to publish; linked and used
// only once customDomainVerified is set (linking an unverified domain fails).
resource ownDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (!empty(customDomain)) {
  parent: emailService
  name: empty(customDomain) ? 'unused' : customDomain
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    disableLocalAuth: true
    linkedDomains: useCustomDomain ? [ managedDomain.id, ownDomain.id ] : [ managedDomain.id ]
  }
}

output communicationServiceName string = communication.name
output endpoint string = 'https://${communication.properties.hostName}'
output senderAddress string = useCustomDomain ? '${senderUsername}@${customDomain}' : '${senderUsername}@${managedDomain.properties.mailFromSenderDomain}'
