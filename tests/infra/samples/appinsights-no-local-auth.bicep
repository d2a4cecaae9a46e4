// Bad on purpose: Application Insights still accepts the bare instrumentation key.
// expect-only: CKV2_INDUSTRACK_9

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-sample'
  location: 'westeurope'
  kind: 'web'
  properties: {
    Application_Type: 'web'
    DisableLocalAuth: false
  }
}
