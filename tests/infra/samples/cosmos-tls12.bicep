// Bad on purpose: TLS 1.0 still accepted.
// expect-only: CKV2_INDUSTRACK_7

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: 'cosmos-sample'
  location: 'westeurope'
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls'
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
