"""Use cases. Each takes keyword-only, typed arguments with its stores and clock passed in."""
