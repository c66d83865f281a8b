"""Every form class in casework/, and the fields each declares, for the tests that hold
all forms to one rule (length limits, the wording of messages)."""

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import casework
from casework.victims.forms.risk import assessment_form_class
from casework.victims.services import riskmatrix


def form_classes() -> Iterator[type[FlaskForm]]:
    """Every form class in casework/, and a risk assessment form for the default matrix
    (its class is made for each matrix)."""
    for module_info in pkgutil.walk_packages(casework.__path__, "casework."):
        if not (module_info.name.endswith(".forms") or ".forms." in module_info.name):
            continue
        module = importlib.import_module(module_info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                yield cls
    yield assessment_form_class(riskmatrix.parse(riskmatrix.packaged_default()))


def fields_of(form: type[FlaskForm]) -> Iterator[tuple[str, UnboundField]]:
    for name in dir(form):
        value = getattr(form, name)
        if isinstance(value, UnboundField):
            yield name, value


def declared_by(form: type[FlaskForm], name: str) -> str:
    """The class that declares the field (a form may inherit its fields)."""
    for cls in form.__mro__:
        if isinstance(vars(cls).get(name), UnboundField):
            return cls.__name__
    raise AssertionError(f"{form.__name__}.{name} is declared nowhere")


FIELDS = sorted(
    {(declared_by(form, name), name): (form, name) for form in form_classes() for name, _ in fields_of(form)}.values(),
    key=lambda pair: (pair[0].__module__, pair[0].__name__, pair[1]),
)
