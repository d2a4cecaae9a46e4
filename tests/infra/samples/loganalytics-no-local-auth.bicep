// Bad on purpose: the workspace still accepts shared-key ingestion and queries (features.disableLocalAuth absent).
// expect-only: CKV2_INDUSTRACK_11

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-sample'
  location: 'westeurope'
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    workspaceCapping: {
      dailyQuotaGb: 1
    }
  }
}
