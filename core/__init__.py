"""IndusTrack backend core: domain, services and adapters. Nothing here knows about HTTP or the host."""
