// Bad on purpose: anonymous blob access allowed. Everything else is compliant, and checkov's built-in checks pass
// it: only CKV2_INDUSTRACK_2 catches it.
// expect-only: CKV2_INDUSTRACK_2

resource anonymous 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stsamplepublicblob'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: true
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
    }
  }
}
