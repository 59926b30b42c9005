"""The repr reader (no eval): round-trips Python reprs, keeps opaque objects, survives
truncation."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stsdiag.logparse import pyrepr

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=30),
    st.binary(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=10), inner, max_size=4),
    ),
    max_leaves=20,
)


def normal(v: Any) -> Any:
    """What the reader gives back: tuples as lists, bytes as latin-1-ish text."""
    if isinstance(v, dict):
        return {k: normal(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normal(x) for x in v]
    if isinstance(v, bytes):
        return pyrepr.parse(repr(v))  # bytes reprs read as strings with \\x escapes decoded
    return v


@settings(max_examples=300, deadline=None)
@given(values)
def test_round_trip(v: Any) -> None:
    got = pyrepr.parse(repr(v))
    if isinstance(v, bytes):
        assert isinstance(got, str)
        return
    assert got == normal(v)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(0, 400))
def test_truncated_never_raises(v: Any, cut: int) -> None:
    pyrepr.parse(repr(v)[:cut])


def test_botocore_params_with_objects() -> None:
    text = (
        "{'body': <s3transfer.utils.ReadFileChunk object at 0x7f3a4777f110>, "
        "'url': u'https://s3.amazonaws.com/foo', 'context': {'client_config': "
        "<botocore.config.Config object at 0x7f3a47896410>, 'client_region': 'us-east-1', "
        "'op': OperationModel(name=PutObject)}}"
    )
    d = pyrepr.parse(text)
    assert pyrepr.get_str(d, "url") == "https://s3.amazonaws.com/foo"
    assert pyrepr.get_str(d, "context", "client_region") == "us-east-1"
    assert isinstance(pyrepr.get(d, "body"), pyrepr.Opaque)
    assert pyrepr.get(d, "context", "op") == pyrepr.Opaque("OperationModel(name=PutObject)")
