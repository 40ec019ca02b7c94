"""How many rows of each kind ``seed_demo --scale N`` makes.

The sizing is a contract with the benchmarks: every table that grows without bound in production
(audit and system logs, notifications, KPI values, bookings, payments) gets about 1,000 x N rows, users
about 50 x N and consultants 5 x N. Scale 1 is what ``make run`` uses; scale 1000 is about a million rows
per big table.
"""

from dataclasses import dataclass

UNBOUNDED_ROWS_PER_SCALE = 1_000
HISTORY_DAYS = 730


@dataclass(frozen=True)
class DemoPlan:
    scale: int
    staff: int
    consultants: int
    clients: int
    bookings: int
    notifications: int
    audit_logs: int
    system_logs: int
    kpi_metrics: int
    tickets: int
    messages: int
    attachments: int
    object_grants: int

    @classmethod
    def for_scale(cls, scale: int) -> "DemoPlan":
        """The plan for ``scale`` (at least 1). Raises ``ValueError`` below 1."""
        if scale < 1:
            raise ValueError(f"scale must be at least 1, got {scale}")
        unbounded = UNBOUNDED_ROWS_PER_SCALE * scale
        staff = max(4, scale)
        consultants = 5 * scale
        return cls(
            scale=scale,
            staff=staff,
            consultants=consultants,
            clients=50 * scale - consultants - staff,
            bookings=unbounded,
            notifications=unbounded,
            audit_logs=unbounded,
            system_logs=unbounded,
            kpi_metrics=unbounded,
            tickets=40 * scale,
            messages=300 * scale,
            attachments=20 * scale,
            object_grants=10 * scale,
        )

    @property
    def estimated_rows(self) -> int:
        """About how many rows the whole run writes, for the progress bar."""
        users = self.staff + self.consultants + self.clients
        per_booking = 1 + 0.99 + 0.11 + 0.1 + 0.02 + 2  # booking, payments, refunds, reports, studies, owner grants
        return int(
            users * 2  # users and their role assignments
            + self.consultants * (1 + 2 + 3 + 3)  # consultants, specialty links, services, articles
            + self.bookings * per_booking
            + self.notifications
            + self.audit_logs
            + self.system_logs
            + self.kpi_metrics
            + self.tickets * 4  # tickets and their comments
            + self.messages
            + self.attachments
            + self.object_grants
        )
