"""Staff pages for roles and permissions: the role matrix, a user's roles, who holds a permission.

Each view checks its permission, validates a form, calls one service and redirects with a message.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors, services
from accounts.forms import RoleForm, UserRoleGrantForm
from accounts.models import Permission, Role, User, UserRole
from accounts.rbac_catalog import MANAGE_ROLES, VIEW_PERMISSION, VIEW_ROLE, VIEW_USER_ROLE
from accounts.services.roles import holds_every_permission, role_edit_refusal, role_keeps_every_permission
from core.access import permission_required
from core.ids import database_id


def _form_errors(form) -> ValidationError:
    return ValidationError([message for messages_ in form.errors.values() for message in messages_])


def _report(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_GET
@permission_required(VIEW_ROLE)
def role_list(request):
    can_manage = request.user.has_perm(MANAGE_ROLES)
    return render(
        request,
        "accounts/role_list.html",
        {
            "roles": selectors.roles_with_counts(),
            "can_manage": can_manage,
            "can_edit_system_roles": can_manage and holds_every_permission(actor=request.user),
            "create_form": RoleForm(),
        },
    )


@require_POST
@permission_required(MANAGE_ROLES)
def role_create(request):
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            role = services.role_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Role %(role)s created. Now choose its permissions.") % {"role": role.name})
            return redirect("accounts:role_detail", role.pk)
    else:
        _report(request, _form_errors(form))
    return redirect("accounts:role_list")


@require_GET
@permission_required(VIEW_ROLE)
def role_detail(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    matrix = selectors.permission_matrix(role=role)
    holders = list(selectors.role_holders(role=role)[:51])
    can_manage = request.user.has_perm(MANAGE_ROLES)
    # The services' own rule, so the page offers only what saving would accept and says why not; a
    # system role says so to every visitor, others only to those who manage roles.
    refusal = role_edit_refusal(role=role, actor=request.user) if can_manage or role.is_system else None
    can_edit = can_manage and refusal is None
    return render(
        request,
        "accounts/role_detail.html",
        {
            "role": role,
            "role_form": RoleForm(initial={"name": role.name, "description": role.description}),
            "matrix": matrix.groups,
            "actions": matrix.actions,
            "granted_count": matrix.granted_count,
            "permission_count": matrix.permission_count,
            "holders": holders[:50],
            "more_holders": len(holders) > 50,
            "can_manage": can_manage,
            "can_edit": can_edit,
            "edit_refusal": refusal,
            "matrix_editable": can_edit and not role_keeps_every_permission(role=role),
        },
    )


@require_POST
@permission_required(MANAGE_ROLES)
def role_update(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        services.role_update(role=role, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("Role details saved."))
    return redirect("accounts:role_detail", role.pk)


@require_POST
@permission_required(MANAGE_ROLES)
def role_permissions(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    try:
        ids = {database_id(value) for value in request.POST.getlist("permission")}
        added, removed = services.role_permissions_set(role=role, permission_ids=ids, actor=request.user)
    except ValueError:
        messages.error(request, _("The form was tampered with: permission ids must be numbers."))
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("Permissions of %(role)s saved: %(added)d added, %(removed)d removed.")
            % {"role": role.name, "added": len(added), "removed": len(removed)},
        )
    return redirect("accounts:role_detail", role.pk)


@require_POST
@permission_required(MANAGE_ROLES)
def role_delete(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    try:
        services.role_delete(role=role, actor=request.user)
    except ValidationError as error:
        _report(request, error)
        return redirect("accounts:role_detail", role.pk)
    messages.success(request, _("Role %(role)s deleted.") % {"role": role.name})
    return redirect("accounts:role_list")


@require_GET
@permission_required(VIEW_USER_ROLE)
def user_roles(request, user_id: int):
    subject = get_object_or_404(User, pk=user_id)
    return render(
        request,
        "accounts/user_roles.html",
        {
            "subject": subject,
            "assignments": selectors.user_role_assignments(user=subject),
            "grant_form": UserRoleGrantForm(),
            "can_manage": request.user.has_perm(MANAGE_ROLES),
        },
    )


@require_POST
@permission_required(MANAGE_ROLES)
def user_role_grant(request, user_id: int):
    subject = get_object_or_404(User, pk=user_id)
    form = UserRoleGrantForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        assignment = services.user_role_grant(user=subject, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _report(request, error)
    else:
        held = {"user": subject, "role": assignment.role.name}
        if assignment.expires_at is None:
            messages.success(request, _("%(user)s now holds %(role)s.") % held)
        else:
            expires = f"{assignment.expires_at:%Y-%m-%d %H:%M}"
            messages.success(
                request, _("%(user)s now holds %(role)s until %(expires)s.") % {**held, "expires": expires}
            )
    return redirect("accounts:user_roles", subject.pk)


@require_POST
@permission_required(MANAGE_ROLES)
def user_role_revoke(request, user_id: int, assignment_id: int):
    assignment = get_object_or_404(UserRole.objects.select_related("role", "user"), pk=assignment_id, user_id=user_id)
    try:
        services.user_role_revoke(assignment=assignment, actor=request.user)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request, _("%(role)s revoked from %(user)s.") % {"role": assignment.role.name, "user": assignment.user}
        )
    return redirect("accounts:user_roles", user_id)


@require_GET
@permission_required(VIEW_USER_ROLE, VIEW_PERMISSION)
def permission_holders(request):
    permission = None
    try:
        permission = Permission.objects.filter(pk=database_id(request.GET.get("permission", ""))).first()
    except ValueError:
        pass  # nothing chosen, or garbage in the address: show the chooser
    context: dict[str, Any] = {
        "permissions": Permission.objects.order_by("resource", "action"),
        "permission": permission,
    }
    if permission is not None:
        context["granting_roles"] = Role.objects.filter(role_permissions__permission=permission).order_by("name")
        page = Paginator(selectors.permission_holders(permission=permission), 50).get_page(request.GET.get("page"))
        context.update(page_obj=page, querystring_base=f"permission={permission.pk}&")
    return render(request, "accounts/permission_holders.html", context)
