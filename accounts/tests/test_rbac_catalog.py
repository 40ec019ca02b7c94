"""The permission names in the catalog: each name code checks is a permission the catalog seeds."""

from accounts import rbac_catalog
from accounts.rbac_catalog import ACT_FOR_USER, MANAGE_ROLES, PermissionSpec, permission_catalog


def permission_names() -> dict[str, str]:
    """The catalog's named permissions: upper-case constants whose value is an ``app.action_model`` string."""
    return {
        name: value
        for name, value in vars(rbac_catalog).items()
        if name.isupper() and isinstance(value, str) and "." in value
    }


def test_every_named_permission_is_seeded():
    # given what seeding creates
    seeded = {spec.codename for spec in permission_catalog()}
    # then every name the code checks is one of them: a misspelt name would quietly deny everyone
    names = permission_names()
    assert "MANAGE_ROLES" in names and "VIEW_AUDIT_LOG" in names
    assert {name: codename for name, codename in names.items() if codename not in seeded} == {}


def test_a_spec_named_by_its_codename_seeds_that_codename():
    # given a custom permission written once, as its name
    spec = PermissionSpec.named(MANAGE_ROLES, "Can manage roles")
    # then its row answers to that name, and to the resource and action the role pages show
    assert (spec.resource, spec.action, spec.codename) == ("accounts.roles", "manage", MANAGE_ROLES)
    assert ACT_FOR_USER.codename == "accounts.act_for_user"
