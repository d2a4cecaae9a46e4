// Alerts that tell the operator to raise a capacity parameter before the crew feels it (docs/scaling.md, "Limits").
// Production runs Cosmos DB with autoscale sized to the crew (cosmosAutoscaleMaxThroughput): these alerts are the
// signal to raise that maximum. They go to an action group that e-mails opsAlertEmail; without an address the
// alerts still exist and show in the portal's alert list.

@description('Tags applied to every resource.')
param tags object

@description('Short name used in the alert names.')
param baseName string

@description('Resource id of the Cosmos DB account.')
param cosmosAccountId string

@description('Whether the Cosmos DB account is provisioned (autoscale). Serverless accounts have no maximum to raise.')
param provisioned bool

@description('E-mail address of the operator who receives the alerts (empty: no e-mail, the alerts are still shown).')
param opsAlertEmail string

@description('Share of the autoscale maximum, in percent, that an hour may use on average before the alert fires.')
@minValue(10)
@maxValue(100)
param normalizedRuPercent int = 70

var emailReceivers = empty(opsAlertEmail) ? [] : [
  {
    name: 'operator'
    emailAddress: opsAlertEmail
    useCommonAlertSchema: true
  }
]

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${baseName}-ops'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'industrack'
    enabled: true
    emailReceivers: emailReceivers
  }
}

// An hour above the share of the maximum: the crew grew; raise cosmosAutoscaleMaxThroughput before it is reached.
resource ruNearMaximum 'Microsoft.Insights/metricAlerts@2018-03-01' = if (provisioned) {
  name: 'alert-${baseName}-cosmos-ru-near-max'
  location: 'global'
  tags: tags
  properties: {
    description: 'Cosmos DB used more than ${normalizedRuPercent}% of its autoscale maximum on average for an hour: raise cosmosAutoscaleMaxThroughput (docs/scaling.md).'
    severity: 2
    enabled: true
    scopes: [
      cosmosAccountId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'normalizedRu'
          metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'
          metricName: 'NormalizedRUConsumption'
          operator: 'GreaterThan'
          threshold: normalizedRuPercent
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}

// Any request throttled (429) in 15 minutes: the maximum (or one partition) is already reached. The SDK retries and
// the queue holds pings, so nothing is lost, but owners see positions late.
resource throttled 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${baseName}-cosmos-throttled'
  location: 'global'
  tags: tags
  properties: {
    description: 'Cosmos DB throttled requests (429): raise cosmosAutoscaleMaxThroughput or look for a hot partition (docs/scaling.md).'
    severity: 1
    enabled: true
    scopes: [
      cosmosAccountId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'throttledRequests'
          metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'
          metricName: 'TotalRequests'
          dimensions: [
            {
              name: 'StatusCode'
              operator: 'Include'
              values: [
                '429'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Count'
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}

output actionGroupId string = operators.id
