"""Adapters raise the core's DependencyUnavailable when their SDK reports an unreachable service
(core/adapters/errors.py), and the composition root hands out every adapter it builds that way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError, ServiceRequestError
from azure.cosmos.exceptions import CosmosHttpResponseError

from core.adapters.cosmos import CosmosAccountStore
from core.adapters.errors import raising_core_errors
from core.adapters.mail import SmtpMailer
from core.bootstrap import Container
from core.domain.errors import DependencyUnavailable
from core.settings import Settings


def _cosmos(status: int) -> Exception:
    error: Any = CosmosHttpResponseError  # the SDK leaves its constructor unannotated
    built: Exception = error(status_code=status, message=f"status {status}")
    return built


class Flaky:
    def __init__(self, failure: Exception) -> None:
        self.failure = failure
        self.name = "flaky"

    def read(self) -> str:
        raise self.failure

    def pages(self) -> Iterator[int]:
        yield 1
        raise self.failure

    def ok(self) -> str:
        return "fine"


@pytest.mark.parametrize(
    "failure", [ServiceRequestError("refused"), TimeoutError(), ConnectionResetError(), _cosmos(503), _cosmos(429)]
)
def test_an_unreachable_service_is_dependency_unavailable(failure: Exception) -> None:
    adapter = raising_core_errors(Flaky(failure))
    with pytest.raises(DependencyUnavailable) as raised:
        adapter.read()
    assert raised.value.__cause__ is failure  # the SDK's error stays attached for the logs
    pages = adapter.pages()  # a generator's later pages fail while it is consumed
    assert next(pages) == 1
    with pytest.raises(DependencyUnavailable):
        next(pages)


@pytest.mark.parametrize("failure", [ResourceNotFoundError("gone"), KeyError("bug"), _cosmos(412)])
def test_other_errors_pass_unchanged(failure: Exception) -> None:
    with pytest.raises(type(failure)):
        raising_core_errors(Flaky(failure)).read()


def test_the_adapter_keeps_its_attributes_answers_and_class() -> None:
    adapter = raising_core_errors(Flaky(TimeoutError()))
    assert adapter.ok() == "fine" and adapter.name == "flaky" and isinstance(adapter, Flaky)
    adapter.name = "renamed"
    assert adapter.name == "renamed"


class _UnreachableDatabase:
    def get_container_client(self, name: str) -> Any:
        return self

    def read_item(self, **kwargs: Any) -> Any:
        raise ServiceRequestError("connection refused")


def test_the_root_hands_out_adapters_that_raise_the_core_error() -> None:
    root = Container(Settings())
    root.__dict__["database"] = _UnreachableDatabase()
    assert isinstance(root.accounts, CosmosAccountStore)
    with pytest.raises(DependencyUnavailable):
        root.accounts.get_account("acc-1")
    assert root.accounts is root.accounts  # built once, as before
    # The mailer keeps the mail service's own errors: the outbox records their type ("ConnectionRefusedError").
    assert type(root.mailer) is SmtpMailer and type(root.accounts) is not CosmosAccountStore  # type() sees a proxy
