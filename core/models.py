"""Abstract building blocks shared by every app's models."""

from django.db import models


class TimeStampedModel(models.Model):
    """Adds ``created_at`` (indexed: every staff list sorts or filters on it) and ``updated_at``."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
