"""A worker's tracking schedule and ping ingest, tracks and the owner's latest positions (functions/tracking.py).
The pings writer (the location-pings queue) is its own object, `core.services.ping_writer.PingWriter`: one per
process, so the messages of one delivery batch are written together."""

from __future__ import annotations

from core.services import ping_writer, tracking, tracking_preview, tracks
from core.services.wiring import UseCases, built, inject


class TrackingUseCases(UseCases):
    put_schedule = inject(tracking.put_schedule)
    schedule = inject(tracking.get_schedule)
    delete_schedule = inject(tracking.delete_schedule)
    # Lays windows on the coming days; stores nothing.
    preview = inject(tracking_preview.preview_windows)
    ingest = inject(tracking.ingest_pings)
    my_track = inject(tracks.read_my_track)
    member_track = inject(tracks.read_member_track)
    latest_positions = inject(tracks.latest_positions)
    # The pings writer's group commit: ONE per root (so one per process), so the queue invocations of one delivery
    # batch, which the host runs concurrently, share it and their messages are written together.
    writer = built(ping_writer.start_writer)
