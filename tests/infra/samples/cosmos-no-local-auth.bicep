// Bad on purpose: local (key) authentication left on. Without kind: 'GlobalDocumentDB' spelled out, the built-in
// CKV_AZURE_140 does not look at the account; only CKV2_INDUSTRACK_5 catches it.
// expect-only: CKV2_INDUSTRACK_5

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: 'cosmos-sample'
  location: 'westeurope'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: false
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Disabled'
    enableMultipleWriteLocations: false
    locations: [
      {
        locationName: 'westeurope'
        failoverPriority: 0
      }
    ]
    backupPolicy: {
      type: 'Continuous'
    }
  }
}
