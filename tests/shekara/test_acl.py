"""The broker ACL derived from the wire contract."""

from __future__ import annotations

import pytest

from shekara import acl
from shekara.wire import Address


def test_acl_grants_each_its_own_topics_only() -> None:
    text = acl.render(
        [("shekara-hub-temirbaba", "temirbaba")],
        [
            Address("temirbaba", "exit-1", "tmb-exit-1"),
            Address("temirbaba", "entry-1", "tmb-entry-1"),
        ],
    )
    assert [line for line in text.splitlines()[1:] if line] == [
        "user shekara-hub-temirbaba",
        "topic read shekara/v1/temirbaba/+/+/events",
        "topic read shekara/v1/temirbaba/+/+/status",
        "topic read shekara/v1/temirbaba/+/+/evidence",
        "topic write shekara/v1/temirbaba/+/+/commands",
        "user tmb-entry-1",
        "topic write shekara/v1/temirbaba/entry-1/tmb-entry-1/events",
        "topic write shekara/v1/temirbaba/entry-1/tmb-entry-1/status",
        "topic write shekara/v1/temirbaba/entry-1/tmb-entry-1/evidence",
        "topic read shekara/v1/temirbaba/entry-1/tmb-entry-1/commands",
        "user tmb-exit-1",
        "topic write shekara/v1/temirbaba/exit-1/tmb-exit-1/events",
        "topic write shekara/v1/temirbaba/exit-1/tmb-exit-1/status",
        "topic write shekara/v1/temirbaba/exit-1/tmb-exit-1/evidence",
        "topic read shekara/v1/temirbaba/exit-1/tmb-exit-1/commands",
    ]


def test_a_hub_of_every_checkpoint_and_bad_names() -> None:
    assert "topic read shekara/v1/+/+/+/events" in acl.hub_rules("hub", None)
    with pytest.raises(ValueError, match="no spaces"):
        acl.hub_rules("two words", "temirbaba")
