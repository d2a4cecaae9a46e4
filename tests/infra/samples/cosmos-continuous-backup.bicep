// Bad on purpose: periodic backup, no point-in-time restore.
// expect-only: CKV2_INDUSTRACK_6

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: 'cosmos-sample'
  location: 'westeurope'
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
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
      type: 'Periodic'
    }
  }
}
