"""The log's tables: hash lookups use the primary key; certificates by id and digest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cert_helpers import new_cert

from hub.store import Store
from hub.store.log_sql import LogTables


def test_hash_lookups_search_the_primary_key_not_the_table(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db")
    conn = sqlite3.connect(tmp_path / "hub.db")
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT hash FROM log_hashes WHERE level = ? AND idx = ?", (0, 1)
    ).fetchall()
    assert "SEARCH log_hashes USING INDEX sqlite_autoindex_log_hashes_1" in plan[0][3]
    store.close()


def test_certificates_are_found_by_id_digest_and_arrival(tmp_path: Path) -> None:
    tables = LogTables(Store(tmp_path / "hub.db"))
    certs = [new_cert(0), new_cert(1)]
    tables.append(certs, 0, [(0, 0, b"a" * 32), (0, 1, b"b" * 32), (1, 0, b"c" * 32)])
    assert tables.size() == 2
    assert tables.hashes([(0, 1), (1, 0), (2, 0)]) == {(0, 1): b"b" * 32, (1, 0): b"c" * 32}
    found = tables.certificate(certs[1].cert_id)
    assert found is not None and found.idx == 1 and found.body == certs[1].body
    assert tables.certificate_by_digest(certs[0].digest) == tables.certificate(certs[0].cert_id)
    assert tables.certificate("nope") is None and tables.certificates_of(1) == []
    assert [c.idx for c in tables.recent()] == [1, 0]
