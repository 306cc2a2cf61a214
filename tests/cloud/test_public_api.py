"""The public surface of pwtray.cloud is exactly what __all__ says, and errors form one tree
drawn in the errors module's docstring."""

from __future__ import annotations

import inspect

import pwtray.cloud as cloud
from pwtray.cloud import _exceptions


def test_public_names_are_exactly_all() -> None:
    public = {name for name in dir(cloud) if not name.startswith("_")}
    modules = {name for name, value in vars(cloud).items() if inspect.ismodule(value)}
    assert public - modules == set(cloud.__all__)


def test_every_error_is_a_cloud_error_and_drawn_in_the_tree() -> None:
    errors = [getattr(cloud, name) for name in cloud.__all__ if name.endswith("Error")]
    assert len(errors) == 14
    tree = _exceptions.__doc__ or ""
    for error in errors:
        assert issubclass(error, cloud.CloudError)
        assert error.__name__ in tree
