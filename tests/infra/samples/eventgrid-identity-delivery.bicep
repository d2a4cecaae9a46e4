// Bad on purpose: the subscription delivers to the queue with a plain destination (account keys), no identity.
// expect-only: CKV2_INDUSTRACK_10

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: 'evgt-sample'
}

resource keyDelivery 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'to-queue-with-keys'
  properties: {
    destination: {
      endpointType: 'StorageQueue'
      properties: {
        resourceId: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stsample'
        queueName: 'photo-uploads'
      }
    }
  }
}
