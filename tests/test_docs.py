"""Every CLI command has working help and a section in docs/cli.md (as sqlite-utils does)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.cli import build_parser as edge_parser
from hub.cli import build_parser as hub_parser
from shekara.pki_cli import build_parser as pki_parser

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(parser: argparse.ArgumentParser, prefix: str) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (prefix, *name.split())
                for deeper in _commands(sub, prefix):
                    yield (prefix, name, *deeper[1:])


PARSERS = {"shekara-edge": edge_parser, "shekara-hub": hub_parser, "shekara-pki": pki_parser}
COMMANDS = sorted({c for prog, parser in PARSERS.items() for c in _commands(parser(), prog)})


def test_the_command_list_is_not_empty() -> None:
    assert ("shekara-edge", "run") in COMMANDS
    assert ("shekara-hub", "device", "add") in COMMANDS
    assert ("shekara-pki", "ca") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_is_documented(command: tuple[str, ...]) -> None:
    headings = re.findall(r"^### `(.+)`$", (DOCS / "cli.md").read_text(), re.M)
    assert " ".join(command) in headings


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_has_help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    parser = PARSERS[command[0]]()
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args([*command[1:], "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_readme_opens_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text().splitlines()
    block = readme[readme.index("```sh") + 1 : readme.index("```sh") + 3]
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]
