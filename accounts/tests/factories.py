import factory

from accounts.models import Notification, NotificationChannel, Permission, Role, RolePermission, User, UserRole
from core.factories import ModelFactory


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+1555{n:07d}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save(update_fields=["password"])


class RoleFactory(ModelFactory[Role]):
    class Meta:
        model = Role
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"ROLE_{n}")
    description = factory.Faker("sentence")


class PermissionFactory(ModelFactory[Permission]):
    class Meta:
        model = Permission
        django_get_or_create = ("resource", "action")

    resource = factory.Sequence(lambda n: f"app.model{n}")
    action = "view"


class RolePermissionFactory(ModelFactory[RolePermission]):
    class Meta:
        model = RolePermission

    role = factory.SubFactory(RoleFactory)
    permission = factory.SubFactory(PermissionFactory)


class UserRoleFactory(ModelFactory[UserRole]):
    class Meta:
        model = UserRole

    user = factory.SubFactory(UserFactory)
    role = factory.SubFactory(RoleFactory)


class NotificationFactory(ModelFactory[Notification]):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
    channel = NotificationChannel.EMAIL


def fresh(user: User) -> User:
    """``user`` as the next request would load them: a new object, with no permissions memoised."""
    return User.objects.get(pk=user.pk)


def holder_of(role: Role | str, *, is_staff: bool = True, **fields) -> User:
    """A new user (staff unless told otherwise) holding ``role``, or the seeded role of that name, freshly loaded."""
    if isinstance(role, str):
        role = Role.objects.get(name=role)
    user = UserFactory(is_staff=is_staff, **fields)
    UserRoleFactory(user=user, role=role)
    return fresh(user)


def staff_holding(*codenames: str, **fields) -> User:
    """A staff member whose one role grants exactly ``codenames`` (created when missing), freshly loaded."""
    from accounts.rbac_catalog import resource_action_from_codename

    role = RoleFactory()
    for codename in codenames:
        resource, action = resource_action_from_codename(codename)
        RolePermissionFactory(role=role, permission=PermissionFactory(resource=resource, action=action))
    return holder_of(role, **fields)
