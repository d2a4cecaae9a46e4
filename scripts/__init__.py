"""Developer commands: the local stack, provisioning, the development token issuer, poison replay."""
