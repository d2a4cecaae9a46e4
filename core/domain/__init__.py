"""Pure domain models and errors: no I/O, no SDKs."""
