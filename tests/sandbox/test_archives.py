"""A student's zip or tar archive is unpacked within bounds, inside the student's own folder, links refused:
gradekit.intake.archive against the archives a hostile or careless student hands in."""

import io
import os
import stat
import tarfile
import zipfile

import pytest

from gradekit.core.files import RefusedFile
from gradekit.intake.archive import ArchiveBounds, ArchiveError, archive_stem, safe_member_path, unpack


def make_zip(path, members):
    """``members``: (ZipInfo or name, bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, data)
    return path


def symlink_info(name):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16  # how `zip --symlinks` stores a link: its target as data
    return info


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def test_a_zip_unpacks_its_files_in_their_folders(tmp_path):
    z = make_zip(tmp_path / "ada.zip", [("hw2/task1.py", b"def relu(X):\n    return X\n"),
                                        ("hw2/answers.json", b"{}"), ("hw2/", b"")])
    got = unpack(z, tmp_path / "out")
    assert got.files == ["hw2/task1.py", "hw2/answers.json"] and got.skipped == []
    assert (tmp_path / "out/hw2/task1.py").read_bytes() == b"def relu(X):\n    return X\n"


@pytest.mark.parametrize("name", ["../escape.py", "/tmp/abs.py", "hw2/../../escape.py", "C:/x.py", "..\\win.py"])
def test_a_path_that_leaves_the_folder_is_skipped_and_nothing_is_written_outside(tmp_path, name):
    z = make_zip(tmp_path / "slip.zip", [(name, b"x = 1\n"), ("task1.py", b"y = 2\n")])
    before = files_under(tmp_path)
    got = unpack(z, tmp_path / "in" / "out")
    assert got.files == ["task1.py"]
    assert got.skipped == [(name, "its path leaves the student's folder; not unpacked")]
    assert files_under(tmp_path) == sorted(before + ["in/out/task1.py"])  # nothing anywhere else


def test_a_symbolic_link_member_is_refused_and_never_made(tmp_path):
    z = make_zip(tmp_path / "link.zip", [(symlink_info("task1.py"), b"/work/gradekit/reference/mlp_numpy.py"),
                                         ("answers.json", b"{}")])
    got = unpack(z, tmp_path / "out")
    assert got.files == ["answers.json"]
    assert got.skipped == [("task1.py", "is a symbolic link; links are not graded, hand in the file itself")]
    assert not os.path.lexists(tmp_path / "out/task1.py")


def test_a_zip_bomb_is_refused_whole_by_its_ratio(tmp_path):
    z = make_zip(tmp_path / "bomb.zip", [("answers.json", b"{}"), ("zeros.npy", bytes(8 * 2**20))])
    assert os.path.getsize(z) < 20_000  # 8 MiB of zeros deflate to about 8 KiB: over 100 times
    with pytest.raises(ArchiveError, match=r"bomb\.zip: unpacks to more than 100 times its size \(a zip bomb\?\); "
                                           r"the archive is not unpacked"):
        unpack(z, tmp_path / "out", shown="bomb.zip")
    assert files_under(tmp_path / "out") == []  # nothing of it is kept


def test_the_total_size_bound_counts_bytes_as_they_come_out_not_as_headers_say(tmp_path):
    z = make_zip(tmp_path / "big.zip", [(f"f{k}.bin", os.urandom(300_000)) for k in range(4)])
    with pytest.raises(ArchiveError, match="unpacks to more than 1 MiB"):
        unpack(z, tmp_path / "out", ArchiveBounds(max_bytes=2**20), shown="big.zip")
    # a header that lies about a member's size: zipfile stops at the declared size and the CRC check fails
    data = bytearray(make_zip(tmp_path / "lie.zip", [("a.py", b"x = 1\n" * 1000)]).read_bytes())
    at = data.rfind(b"PK\x01\x02")  # the central directory's entry: its uncompressed size at +24
    data[at + 24:at + 28] = (10).to_bytes(4, "little")
    (tmp_path / "lie.zip").write_bytes(bytes(data))
    got = unpack(tmp_path / "lie.zip", tmp_path / "lie")
    assert got.files == [] and got.skipped[0][0] == "a.py" and "cannot be unpacked" in got.skipped[0][1]


def test_too_many_members_refuse_the_archive(tmp_path):
    z = make_zip(tmp_path / "many.zip", [(f"f{k}.py", b"") for k in range(11)])
    with pytest.raises(ArchiveError, match="has more than 10 members"):
        unpack(z, tmp_path / "out", ArchiveBounds(max_members=10))


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_name_given_twice_and_a_file_under_a_file_are_skipped(tmp_path):
    z = make_zip(tmp_path / "dup.zip", [("a.py", b"1"), ("a.py", b"2"), ("a.py/b.py", b"3")])
    got = unpack(z, tmp_path / "out")
    assert got.files == ["a.py"] and (tmp_path / "out/a.py").read_bytes() == b"1"
    assert [n for n, _ in got.skipped] == ["a.py", "a.py/b.py"]


def test_not_an_archive_and_an_archive_that_is_a_link(tmp_path):
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(ArchiveError, match="not a zip archive"):
        unpack(tmp_path / "fake.zip", tmp_path / "out")
    make_zip(tmp_path / "real.zip", [("a.py", b"")])
    (tmp_path / "link.zip").symlink_to(tmp_path / "real.zip")
    with pytest.raises(RefusedFile, match="is a symbolic link"):
        unpack(tmp_path / "link.zip", tmp_path / "out2")


def tar_bytes(members, mode="w"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def tar_info(name, data=b"", kind=tarfile.REGTYPE, target=""):
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data) if kind == tarfile.REGTYPE else 0, target
    return info, (data if kind == tarfile.REGTYPE else None)


def test_a_tar_refuses_links_devices_and_paths_that_leave(tmp_path):
    (tmp_path / "ada.tar.gz").write_bytes(tar_bytes([
        tar_info("hw2/task1.py", b"x = 1\n"),
        tar_info("hw2/ref.py", kind=tarfile.SYMTYPE, target="/work/reference/mlp_numpy.py"),
        tar_info("hw2/hard.py", kind=tarfile.LNKTYPE, target="hw2/task1.py"),
        tar_info("hw2/dev", kind=tarfile.CHRTYPE),
        tar_info("../../etc/cron.d/x", b"* * * * * root sh\n"),
    ], mode="w:gz"))
    got = unpack(tmp_path / "ada.tar.gz", tmp_path / "out")
    assert got.files == ["hw2/task1.py"]
    assert dict(got.skipped) == {
        "hw2/ref.py": "is a link; links are not graded, hand in the file itself",
        "hw2/hard.py": "is a link; links are not graded, hand in the file itself",
        "hw2/dev": "is not a regular file; not unpacked",
        "../../etc/cron.d/x": "its path leaves the student's folder; not unpacked"}
    assert files_under(tmp_path / "out") == ["hw2/task1.py"]


def test_a_tar_gz_bomb_stops_at_the_bound_while_decompressing(tmp_path):
    (tmp_path / "bomb.tgz").write_bytes(tar_bytes([tar_info("zeros.bin", bytes(4 * 2**20))], mode="w:gz"))
    with pytest.raises(ArchiveError, match="unpacks to more than (1 MiB|100 times its size)"):
        unpack(tmp_path / "bomb.tgz", tmp_path / "out", ArchiveBounds(max_bytes=2**20))


def test_member_paths_and_stems():
    assert safe_member_path("./hw2//task1.py") == "hw2/task1.py"
    assert safe_member_path("a\x00b") is None and safe_member_path("") is None
    assert [archive_stem(n) for n in ("ada.zip", "bob.TAR.GZ", "carl.tgz", "x.py")] == ["ada", "bob", "carl", "x.py"]


def test_a_class_folder_names_an_archive_refused_for_its_size_by_its_own_name(tmp_path):
    from gradekit.course.collect import ClassOptions
    from gradekit.course.batch import discover

    d = tmp_path / "subs"
    (d / "eve").mkdir(parents=True)
    make_zip(d / "eve" / "hw.zip", [("a.py", os.urandom(4000))])
    (d / "eve" / "task1.py").symlink_to("/etc/passwd")
    (entry,) = discover(d, options=ClassOptions(bounds=ArchiveBounds(max_archive_bytes=1000),
                                                unpack_to=tmp_path / "out" / ".gradekit-unpacked"))
    assert entry.path is None and "nothing gradable" in entry.problem
    assert dict(entry.skipped) == {
        "hw.zip": "has %d bytes; archives are at most 0 MiB" % os.path.getsize(d / "eve" / "hw.zip"),
        "task1.py": "is a symbolic link (to '/etc/passwd'); links are not graded, hand in the file itself"}
