// Bad on purpose: no daily cap (workspaceCapping absent), so the workspace bills whatever reaches it.
// expect-only: CKV2_INDUSTRACK_12

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-sample-uncapped'
  location: 'westeurope'
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      disableLocalAuth: true
    }
  }
}
