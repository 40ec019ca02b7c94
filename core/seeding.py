"""What an idempotent seeding service reports: how many rows it created and how many were already there."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedTally:
    created: int
    existing: int

    def __str__(self) -> str:
        return f"{self.created} created, {self.existing} up to date"
