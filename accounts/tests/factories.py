import factory
from factory.django import DjangoModelFactory

from accounts.models import Notification, NotificationChannel, Permission, Role, RolePermission, User, UserRole


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+1555{n:07d}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save(update_fields=["password"])


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"ROLE_{n}")
    description = factory.Faker("sentence")


class PermissionFactory(DjangoModelFactory):
    class Meta:
        model = Permission
        django_get_or_create = ("resource", "action")

    resource = factory.Sequence(lambda n: f"app.model{n}")
    action = "view"


class RolePermissionFactory(DjangoModelFactory):
    class Meta:
        model = RolePermission

    role = factory.SubFactory(RoleFactory)
    permission = factory.SubFactory(PermissionFactory)


class UserRoleFactory(DjangoModelFactory):
    class Meta:
        model = UserRole

    user = factory.SubFactory(UserFactory)
    role = factory.SubFactory(RoleFactory)


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
    channel = NotificationChannel.EMAIL


def staff_holding(*codenames: str, **fields) -> User:
    """A staff member whose one role grants exactly ``codenames`` (created when missing), freshly loaded."""
    from accounts.rbac_catalog import resource_action_from_codename

    user = UserFactory(is_staff=True, **fields)
    role = RoleFactory()
    for codename in codenames:
        resource, action = resource_action_from_codename(codename)
        RolePermissionFactory(role=role, permission=PermissionFactory(resource=resource, action=action))
    UserRoleFactory(user=user, role=role)
    return User.objects.get(pk=user.pk)
