"""Keeps consultants' ownership permissions in step with every single save (see consultants.ownership)."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from consultants.models import Consultant
from consultants.ownership import OBJECT_PERMISSION_MODELS, consultant_owner_permissions_move, owner_permissions_sync


def _sync_owner_permissions(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:  # loading fixtures: the permission rows come from the fixture too
        return
    if not created and update_fields is not None and not {"consultant", "consultant_id"} & set(update_fields):
        return  # the owner cannot have changed
    owner_permissions_sync(model=sender, object_ids=[instance.pk])


for _model in OBJECT_PERMISSION_MODELS:
    receiver(post_save, sender=_model, dispatch_uid=f"ownership_{_model._meta.model_name}")(_sync_owner_permissions)


@receiver(pre_save, sender=Consultant, dispatch_uid="ownership_consultant_account_before")
def _remember_consultant_account(sender, instance, raw=False, **kwargs):
    if instance.pk and not raw:
        instance._previous_user_id = sender.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()


@receiver(post_save, sender=Consultant, dispatch_uid="ownership_consultant_account")
def _consultant_account_changed(sender, instance, created, raw=False, **kwargs):
    # The grants name the consultant's user: a profile moved to another account moves them too.
    previous = getattr(instance, "_previous_user_id", None)
    if raw or created or previous is None or previous == instance.user_id:
        return
    consultant_owner_permissions_move(consultant_id=instance.pk, previous_user_id=previous)
