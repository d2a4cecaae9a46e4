// Bad on purpose: the account does not default to Entra ID authorization (the property is absent).
// expect-only: CKV2_INDUSTRACK_3

resource noOauthDefault 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stsampleoauth'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
    }
  }
}
