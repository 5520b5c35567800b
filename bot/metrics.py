"""What operators see of the delivery side at ``GET /metrics``, in Prometheus' text format.

One registry per process, built with the app (never prometheus-client's global one): counters
move as things happen (sends and 429s per channel, replies given up); the gauges that describe
the database (outbox rows by state, the oldest due row, deletions waiting) are read when the
page is asked for, in one short query each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.replies import ReplyQueue
from storage.models import OUTBOX_OPEN, ObjectDeletionRow, OutboxRow

CONTENT_TYPE = CONTENT_TYPE_LATEST
OUTBOX_STATES = ("pending", "sending", "failed", "sent", "dead")


class Metrics:
    """The process's counters and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sends = Counter(
            "asesorbot_outbox_sends",
            "Proactive messages the dispatcher handed to a platform, by outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "asesorbot_platform_429",
            "Answers 429 (slow down) from a platform, for replies and for the outbox",
            ["channel", "source"],
            registry=self.registry,
        )
        self.replies_failed = Counter(
            "asesorbot_replies_failed",
            "Replies that could not be sent after every retry",
            ["channel"],
            registry=self.registry,
        )
        self.outbox_rows = Gauge(
            "asesorbot_outbox_rows", "Outbox rows by state", ["state"], registry=self.registry
        )
        self.outbox_oldest_due = Gauge(
            "asesorbot_outbox_oldest_due_age_seconds",
            "How long the oldest row that is due and not yet sent has waited",
            registry=self.registry,
        )
        self.deletions_waiting = Gauge(
            "asesorbot_object_deletions_waiting",
            "Objects the store has yet to delete (it refused, or has not been asked yet)",
            registry=self.registry,
        )
        self.reply_queue_depth = Gauge(
            "asesorbot_reply_queue_depth",
            "Replies waiting to be sent (a 429, the network, the platform down)",
            ["channel"],
            registry=self.registry,
        )
        self.reply_queue_oldest_age = Gauge(
            "asesorbot_reply_queue_oldest_age_seconds",
            "How long the oldest waiting reply has waited",
            ["channel"],
            registry=self.registry,
        )
        self.heartbeat_age = Gauge(
            "asesorbot_dispatcher_heartbeat_age_seconds",
            "Seconds since the dispatcher's loop last came round (absent: no dispatcher here)",
            registry=self.registry,
        )

    def watch_replies(self, channel: str, queue: ReplyQueue) -> None:
        """The channel's reply queue, read at each scrape."""
        self.reply_queue_depth.labels(channel).set_function(queue.depth)
        self.reply_queue_oldest_age.labels(channel).set_function(queue.oldest_age)

    async def render(
        self,
        engine: AsyncEngine,
        heartbeat: Callable[[], float] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> bytes:
        """The page: the database-side gauges read now, then everything in text format."""
        at = now()
        async with engine.connect() as connection:
            counts = dict(
                (
                    await connection.execute(
                        select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
                    )
                ).all()
            )
            oldest = await connection.scalar(
                select(func.min(OutboxRow.due_at)).where(
                    OutboxRow.status.in_(OUTBOX_OPEN), OutboxRow.due_at <= at
                )
            )
            waiting = await connection.scalar(select(func.count()).select_from(ObjectDeletionRow))
        for state in OUTBOX_STATES:
            self.outbox_rows.labels(state).set(counts.get(state, 0))
        self.outbox_oldest_due.set(max(0.0, (at - oldest).total_seconds()) if oldest else 0.0)
        self.deletions_waiting.set(waiting or 0)
        if heartbeat is not None:
            self.heartbeat_age.set(max(0.0, time.monotonic() - heartbeat()))
        return generate_latest(self.registry)
