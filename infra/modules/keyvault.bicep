// Key Vault in RBAC mode with purge protection: the Stripe secret key, the Stripe webhook secret and the token
// signing key. The Function App reads them through Key Vault references; nobody reads them with access policies.
// A secret is written only when its parameter is given (see infra/README.md, "Secrets"); otherwise it is set
// out of band with `az keyvault secret set` and this template leaves it alone.

@description('Azure region of the vault.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Globally unique vault name (3 to 24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Secret names in the vault: tokenSigningKey, stripeSecretKey, stripeWebhookSecret.')
param secretNames object

@description('Value of the token signing key; empty leaves the secret as it is.')
@secure()
param tokenSigningKey string

@description('Stripe secret API key; empty leaves the secret as it is.')
@secure()
param stripeSecretKey string

@description('Stripe webhook signing secret; empty leaves the secret as it is.')
@secure()
param stripeWebhookSecret string

@description('Expiry (seconds since the epoch) written on the secrets this deployment sets: a rotation reminder.')
param secretExpiry int

@description('Log Analytics workspace that receives the vault audit events.')
param workspaceId string

@description('Recover a soft-deleted vault of this name (after its resource group was deleted) instead of creating one.')
param recoverSoftDeleted bool = false

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  // checkov:skip=CKV_AZURE_109:the Flex Consumption app resolves Key Vault references over the public endpoint; every call needs an Entra token and an RBAC role, firewall rules wait for the VNet step (infra/README.md)
  // checkov:skip=CKV_AZURE_189:same reason as CKV_AZURE_109
  properties: {
    tenantId: subscription().tenantId
    createMode: recoverSoftDeleted ? 'recover' : 'default'
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForTemplateDeployment: false
    enabledForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource tokenSigningKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(tokenSigningKey)) {
  // checkov:skip=CKV_AZURE_41:exp is set below; checkov does not look inside a conditional (if) resource
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not look inside a conditional (if) resource
  parent: vault
  name: secretNames.tokenSigningKey
  properties: {
    value: tokenSigningKey
    contentType: 'text/plain'
    attributes: {
      enabled: true
      exp: secretExpiry
    }
  }
}

resource stripeSecretKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeSecretKey)) {
  // checkov:skip=CKV_AZURE_41:exp is set below; checkov does not look inside a conditional (if) resource
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not look inside a conditional (if) resource
  parent: vault
  name: secretNames.stripeSecretKey
  properties: {
    value: stripeSecretKey
    contentType: 'text/plain'
    attributes: {
      enabled: true
      exp: secretExpiry
    }
  }
}

resource stripeWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeWebhookSecret)) {
  // checkov:skip=CKV_AZURE_41:exp is set below; checkov does not look inside a conditional (if) resource
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not look inside a conditional (if) resource
  parent: vault
  name: secretNames.stripeWebhookSecret
  properties: {
    value: stripeWebhookSecret
    contentType: 'text/plain'
    attributes: {
      enabled: true
      exp: secretExpiry
    }
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
