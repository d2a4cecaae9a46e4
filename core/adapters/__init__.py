"""The only modules that import Azure, Stripe or e-mail SDKs; raw documents become domain models here."""
