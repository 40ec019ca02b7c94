"""Keeps consultants' ownership permissions in step with every single save (see consultants.ownership)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from consultants.ownership import OBJECT_PERMISSION_MODELS, owner_permissions_sync


def _sync_owner_permissions(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:  # loading fixtures: the permission rows come from the fixture too
        return
    if not created and update_fields is not None and "consultant" not in update_fields:
        return  # the owner cannot have changed
    owner_permissions_sync(model=sender, object_ids=[instance.pk])


for _model in OBJECT_PERMISSION_MODELS:
    receiver(post_save, sender=_model, dispatch_uid=f"ownership_{_model._meta.model_name}")(_sync_owner_permissions)
