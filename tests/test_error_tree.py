"""The one exception tree: errors keep their kind and parameters when copied or pickled, as a
report holding one is (a sync run's report keeps the error that stopped it)."""

from __future__ import annotations

import copy
import pickle

import pytest

from emp_edge.errors import (
    CursorExpiredError,
    EdgeError,
    InputError,
    RegistryRefusedError,
    RegistryUnreachableError,
    SyncError,
)


@pytest.mark.parametrize(
    "error",
    [
        InputError("{field} is empty", where="line 3", field="name"),
        RegistryUnreachableError("the registry did not answer within {seconds} s", seconds=10),
        RegistryRefusedError("the registry refused: HTTP {status}", status=503),
        CursorExpiredError("the roster cursor expired", status=410),
    ],
)
def test_errors_survive_copy_and_pickle(error: EdgeError) -> None:
    for twin in (copy.deepcopy(error), pickle.loads(pickle.dumps(error))):
        assert type(twin) is type(error)
        assert str(twin) == str(error)
        assert twin.template == error.template
        assert twin.params == error.params
        assert twin.where == error.where


def test_a_refusal_says_whether_to_try_again() -> None:
    assert RegistryRefusedError("x", status=503).retryable
    assert RegistryRefusedError("x", status=429).retryable
    assert not RegistryRefusedError("x", status=401).retryable
    assert not CursorExpiredError("x", status=410).retryable
    assert isinstance(CursorExpiredError("x", status=410), SyncError)
