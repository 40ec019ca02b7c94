"""The RBAC catalog, as data: the system roles, every permission, and what each role gets by default.

Permissions follow Django's naming so that ``user.has_perm("support.assign_supportticket")`` can be
answered from our rows: the row (resource ``support.supportticket``, action ``assign``) has the codename
``support.assign_supportticket`` (see ``Permission.codename``). Our model names never contain ``_``, so a
codename splits back into (resource, action) at its last underscore; ``resource_action_from_codename``
does that and the catalog refuses a model name that would break it.

A role grant is model-wide: it covers every object of the model (``accounts.backends``). So the
CONSULTANT and CLIENT roles carry only what is not about someone else's objects: creating things and
reading public reference data. Their access to their own bookings, reports and studies comes from
per-object grants (django-guardian, ``consultants.ownership``), and a client's own tickets from the
help center's requester scoping. See docs/decisions/0007-rbac-backend-and-caching.md.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from accounts.models import permission_codename

# Operations sits below this catalog, so it names its own permissions; they are re-exported here with the rest.
from operations.permissions import CHANGE_SYSTEM_SETTINGS as CHANGE_SYSTEM_SETTINGS
from operations.permissions import RUN_JOB as RUN_JOB
from operations.permissions import VIEW_JOB_RUNS as VIEW_JOB_RUNS
from operations.permissions import VIEW_SYSTEM_SETTINGS as VIEW_SYSTEM_SETTINGS

RBAC_APP_LABELS = settings.DOMAIN_APPS
CRUD_ACTIONS = ("view", "add", "change", "delete")
# How each action reads on the pages (the matrix, the admin's permission list); the stored action stays
# the code word, which is part of the permission's name.
ACTION_LABELS = {
    "view": _("view"),
    "add": _("add"),
    "change": _("change"),
    "delete": _("delete"),
    "manage": _("manage"),
    "export": _("export"),
    "assign": _("assign"),
    "handle": _("handle"),
    "view_internal": _("view internal"),
    "approve": _("approve"),
    "process": _("process"),
    "download_private": _("download private"),
    "run": _("run"),
    "restore": _("restore"),
    "act_for": _("act for"),
}

SUPER_ADMIN = "SUPER_ADMIN"
ADMIN = "ADMIN"
CONSULTANT = "CONSULTANT"
CLIENT = "CLIENT"

# The permissions code asks for by name (``user.has_perm(MANAGE_ROLES)``, ``@permission_required(...)``).
# Each string is written here once and imported wherever it is checked: a misspelt name then fails at
# import instead of quietly denying everyone. A test checks that every name is one the catalog seeds.
# Model-wide permissions (view/add/change/delete) come from the models themselves (``_crud_permissions``);
# only those that code checks by name are named here.
VIEW_ROLE = "accounts.view_role"
VIEW_USER_ROLE = "accounts.view_userrole"
VIEW_PERMISSION = "accounts.view_permission"
VIEW_AUDIT_LOG = "auditing.view_auditlog"
VIEW_SYSTEM_LOG = "auditing.view_systemlog"
DELETE_SYSTEM_LOG = "auditing.delete_systemlog"
VIEW_TICKET = "support.view_supportticket"
ADD_TICKET = "support.add_supportticket"
CHANGE_TICKET = "support.change_supportticket"
# Actions beyond view/add/change/delete, seeded from ``CUSTOM_PERMISSIONS`` below.
MANAGE_ROLES = "accounts.manage_roles"
EXPORT_AUDIT_LOG = "auditing.export_auditlog"
ASSIGN_TICKET = "support.assign_supportticket"
HANDLE_TICKET = "support.handle_supportticket"
VIEW_INTERNAL_COMMENTS = "support.view_internal_ticketcomment"
APPROVE_REFUND = "billing.approve_refund"
PROCESS_REFUND = "billing.process_refund"
EXPORT_PAYMENTS = "billing.export_payment"
VIEW_PAYMENT = "billing.view_payment"
VIEW_REFUND = "billing.view_refund"
ADD_REFUND = "billing.add_refund"
VIEW_COMMISSION = "billing.view_servicecommission"
DOWNLOAD_PRIVATE_ATTACHMENT = "attachments.download_private_fileattachment"
RUN_BACKUP = "backups.run_backup"
RESTORE_BACKUP = "backups.restore_backup"
VIEW_DASHBOARD = "analytics.view_dashboard"


# Resources that are not models, as the reader reads them (models go by their verbose names).
NON_MODEL_RESOURCE_LABELS = {
    "accounts.roles": _("Roles"),
    "analytics.dashboard": _("Dashboard"),
}


def action_label(action: str) -> str:
    """The action as the reader reads it, in their language; an action the catalog does not know yet
    reads as its code word."""
    return str(ACTION_LABELS.get(action, action.replace("_", " ")))


def resource_action_from_codename(codename: str) -> tuple[str, str]:
    """Split ``"support.assign_supportticket"`` into ``("support.supportticket", "assign")``.

    The inverse of ``Permission.codename`` for every row in the catalog. Raises ``ValueError`` for a
    string that is not ``app_label.action_model``.
    """
    app_label, dot, rest = codename.partition(".")
    action, underscore, model = rest.rpartition("_")
    if not (app_label and dot and action and underscore and model):
        raise ValueError(f"not a permission codename: {codename!r}")
    return f"{app_label}.{model}", action


@dataclass(frozen=True)
class PermissionSpec:
    resource: str
    action: str
    description: str

    @classmethod
    def named(cls, codename: str, description: str) -> "PermissionSpec":
        """The spec of the permission named ``codename``: resource and action are read from the name."""
        resource, action = resource_action_from_codename(codename)
        return cls(resource, action, description)

    @property
    def codename(self) -> str:
        return permission_codename(self.resource, self.action)


@dataclass(frozen=True)
class RoleSpec:
    """A system role. ``grants=None`` means every permission in the catalog except ``withheld``."""

    description: str
    grants: frozenset[str] | None
    withheld: frozenset[str] = frozenset()


# Acting for others: without these, whoever creates a row is its owner (sender, author, consultant, ...)
# and an existing row's owner cannot change (``core.owner_fields``). Services and admin forms check them.
# Named as specs: ``ACT_FOR_USER.codename`` is the permission an ``OwnerField`` asks for.
ACT_FOR_USER = PermissionSpec.named(
    "accounts.act_for_user",
    "Can name another user as the sender of a message, the client of a booking, the requester of a "
    "support ticket or the uploader of a file (otherwise it is always the signed-in user)",
)
ACT_FOR_CONSULTANT = PermissionSpec.named(
    "consultants.act_for_consultant",
    "Can put services, reports, feasibility studies and articles in another consultant's name, and "
    "deliver or publish them for that consultant (otherwise only one's own)",
)

# Actions the later parts of the roadmap check for, beyond view/add/change/delete.
CUSTOM_PERMISSIONS = (
    PermissionSpec.named(ASSIGN_TICKET, "Can assign support tickets to agents"),
    PermissionSpec.named(HANDLE_TICKET, "Can be assigned support tickets and work on them"),
    PermissionSpec.named(VIEW_INTERNAL_COMMENTS, "Can see internal notes on support tickets"),
    PermissionSpec.named(APPROVE_REFUND, "Can approve or reject refund requests (not one's own)"),
    PermissionSpec.named(PROCESS_REFUND, "Can process approved refunds: the money goes back to the payer"),
    PermissionSpec.named(EXPORT_PAYMENTS, "Can export payments and refunds as CSV"),
    PermissionSpec.named(DOWNLOAD_PRIVATE_ATTACHMENT, "Can download private attachments"),
    PermissionSpec.named(EXPORT_AUDIT_LOG, "Can export the audit log"),
    PermissionSpec.named(RUN_BACKUP, "Can start a backup"),
    PermissionSpec.named(RUN_JOB, "Can run a periodic job now, whether or not it is switched on"),
    PermissionSpec.named(RESTORE_BACKUP, "Can restore the database from a backup"),
    PermissionSpec.named(VIEW_DASHBOARD, "Can see the KPI dashboard"),
    PermissionSpec.named(MANAGE_ROLES, "Can manage roles, their permissions and who holds them"),
    ACT_FOR_USER,
    ACT_FOR_CONSULTANT,
)

AUDIT_RECORD_MODELS = ("auditlog", "auditseal", "auditverification")
# The audit trail, its seals and verification runs are append-only and written only by the application,
# and the system log only by its log handler, so no role may add, change or delete their rows by hand,
# whatever else it is granted. (Deleting system log entries is pruning, which the log's retention allows.)
NEVER_GRANTED = frozenset(
    {
        *(f"auditing.{action}_{model}" for action in ("add", "change", "delete") for model in AUDIT_RECORD_MODELS),
        "auditing.add_systemlog",
        "auditing.change_systemlog",
    }
)

SYSTEM_ROLES: dict[str, RoleSpec] = {
    SUPER_ADMIN: RoleSpec(
        description="Full control of the platform, including restoring backups and pruning system logs.",
        grants=None,
    ),
    ADMIN: RoleSpec(
        description="Runs the business day to day: everything except restoring backups and deleting logs.",
        grants=None,
        withheld=frozenset({RESTORE_BACKUP, DELETE_SYSTEM_LOG}),
    ),
    CONSULTANT: RoleSpec(
        description="A consultant: offers services, writes reports, studies, articles and messages, and asks the "
        "support desk for help. "
        "Sees and changes their own sessions and deliverables through per-object grants.",
        grants=frozenset(
            {
                "consultants.view_service",
                "consultants.add_service",
                "consultants.add_report",
                "consultants.add_feasibilitystudy",
                "consultants.view_article",
                "consultants.add_article",
                "consultants.add_message",
                # Asking the support desk for help, through the help center (their own tickets only).
                ADD_TICKET,
                # Reference data a consultant picks from when describing a service.
                "consultants.view_specialty",
                "consultants.view_servicecategory",
                # Files on the records they own: adding and deleting also need "change" on the record,
                # downloading a private one "view" on it (attachments.owners), both granted per object.
                "attachments.add_fileattachment",
                "attachments.delete_fileattachment",
                DOWNLOAD_PRIVATE_ATTACHMENT,
            }
        ),
    ),
    CLIENT: RoleSpec(
        description="A client: books sessions, writes messages, reads articles and raises support tickets. "
        "Sees their own sessions, deliverables and tickets only.",
        grants=frozenset(
            {
                ADD_TICKET,
                "support.add_ticketcomment",
                "consultants.add_booking",
                "consultants.add_message",
                "consultants.view_service",
                "consultants.view_article",
                # Files on their own tickets and sessions (the record's own grants decide which).
                "attachments.add_fileattachment",
                DOWNLOAD_PRIVATE_ATTACHMENT,
            }
        ),
    ),
}


def permission_catalog() -> list[PermissionSpec]:
    """Every permission we seed: view/add/change/delete on each model of our apps, then the custom ones.

    Raises ``ValueError`` if a model name contains ``_`` (its codenames could not be split back).
    """
    return [*_crud_permissions(), *CUSTOM_PERMISSIONS]


def role_default_codenames(role: RoleSpec, catalog: list[PermissionSpec]) -> frozenset[str]:
    """The codenames ``role`` holds by default. Raises ``ValueError`` if it names one not in ``catalog``."""
    known = frozenset(spec.codename for spec in catalog)
    named = role.withheld if role.grants is None else role.grants
    if unknown := named - known:
        raise ValueError(f"the RBAC catalog names unknown permissions: {', '.join(sorted(unknown))}")
    granted = known - role.withheld if role.grants is None else role.grants
    return granted - NEVER_GRANTED


def _crud_permissions() -> Iterator[PermissionSpec]:
    for app_label in RBAC_APP_LABELS:
        for model in apps.get_app_config(app_label).get_models():
            if issubclass(model, UserObjectPermissionBase):
                continue  # guardian's per-object grant tables are plumbing, granted by code, not by roles
            model_name = str(model._meta.model_name)
            if "_" in model_name:
                raise ValueError(f"model name {model_name!r} contains '_': its permission codenames are ambiguous")
            for action in CRUD_ACTIONS:
                yield PermissionSpec(
                    resource=f"{app_label}.{model_name}",
                    action=action,
                    description=f"Can {action} {model._meta.verbose_name}",
                )
