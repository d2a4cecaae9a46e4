// Bad on purpose: access policies instead of RBAC (purge protection and soft delete are on, so the built-ins pass).
// expect-only: CKV2_INDUSTRACK_8

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-sample-policies'
  location: 'westeurope'
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: false
    accessPolicies: []
    enableSoftDelete: true
    enablePurgeProtection: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
    }
  }
}
