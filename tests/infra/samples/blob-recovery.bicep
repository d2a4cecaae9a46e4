// Bad on purpose: soft delete on, but versioning off.
// expect-only: CKV2_INDUSTRACK_4

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: 'stsampleexisting'
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: false
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}
