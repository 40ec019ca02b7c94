"""The base of every app's test factories (``<app>/tests/factories.py``): factory_boy's model factory,
typed by the model it makes.

``class UserFactory(ModelFactory[User])`` makes ``UserFactory()``, ``UserFactory.create()`` and
``UserFactory.build()`` all typed as ``User``, so the type checker sees the tests' rows as the models
they are. factory_boy types ``create()`` and ``build()`` itself; calling the class is its metaclass's
doing, which type checkers do not follow, hence the declaration below (type checking only: nothing
changes at run time).
"""

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model
from factory.django import DjangoModelFactory

ModelT = TypeVar("ModelT", bound=Model)


class ModelFactory(DjangoModelFactory[ModelT]):
    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # Calling a factory class returns the model it makes (FactoryMetaClass.__call__), not the factory;
        # mypy insists that __new__ return the class's own instances.
        def __new__(cls, *args: Any, **kwargs: Any) -> ModelT: ...  # type: ignore[misc]
