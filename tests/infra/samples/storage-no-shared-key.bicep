// Bad on purpose: shared-key access left on. Everything else is compliant, and checkov's built-in checks pass it:
// only CKV2_INDUSTRACK_1 catches it.
// expect-only: CKV2_INDUSTRACK_1

resource keys 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stsamplesharedkey'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GRS'
  }
  properties: {
    allowSharedKeyAccess: true
    allowBlobPublicAccess: false
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
