"""The disk reserve (``assistant.storage.space``): made with real blocks, given up once,
and what counts as full."""

from __future__ import annotations

from pathlib import Path

from assistant.storage.space import MIB, Space


def test_the_reserve_is_made_released_and_made_again(tmp_path: Path) -> None:
    space = Space(tmp_path, 1 * MIB)
    assert not space.held()
    assert space.restore()
    assert space.reserve_path.stat().st_size == MIB
    assert space.reserve_path.stat().st_blocks * 512 >= MIB  # allocated, not a hole
    assert oct(space.reserve_path.stat().st_mode & 0o777) == "0o600"
    assert not space.restore()  # already there
    assert space.release()
    assert not space.release()  # nothing left to give
    assert space.restore()


def test_full_is_less_room_than_the_reserve_or_twice_it_once_given_up(tmp_path: Path) -> None:
    huge = Space(tmp_path, 1 << 50)  # no disk has that much free
    report = huge.report()
    assert report.full
    assert report.reserve == "released"
    assert "disk is full" in report.problem()
    assert not huge.restore()
    roomy = Space(tmp_path, MIB)
    assert not roomy.full()
    assert roomy.report().problem() == ""


def test_a_database_that_is_a_link_to_a_device_is_refused_and_the_device_untouched(
    tmp_path: Path,
) -> None:
    """As root, a chmod through a link once made /dev/null private (issue 15's corpus)."""
    import os

    import pytest

    from assistant.errors import StorageError
    from assistant.storage.database import Database

    before = os.stat("/dev/null").st_mode
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "xiaoan.db").symlink_to("/dev/null")
    with pytest.raises(StorageError):
        Database(tmp_path / "data" / "xiaoan.db").create()
    assert os.stat("/dev/null").st_mode == before
