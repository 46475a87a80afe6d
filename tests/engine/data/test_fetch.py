"""Resolution order, checked downloads, atomic writes and clear messages when offline."""

import hashlib
import http.server
import threading

import pytest

from genre_core.data.dataset import load_dataset
from genre_core.data.fetch import download, locate
from genre_core.data.registry import FileSpec
from genre_core.errors import DataError

PAYLOAD = b"genre,energy\npop,0.1\npop,0.2\nrock,0.8\nrock,0.9\n"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/songs.csv"
    httpd.shutdown()


@pytest.fixture
def folders(tmp_path, monkeypatch):
    data, cache = tmp_path / "shared", tmp_path / "cache"
    monkeypatch.setenv("GENRE_DATA_DIR", str(data))
    monkeypatch.setenv("GENRE_CACHE_DIR", str(cache))
    return data, cache


def test_download_is_checked_and_cached(server, folders):
    _, cache = folders
    seen = []
    spec = FileSpec("songs.csv", SHA, server)
    found = locate("demo", spec, progress=lambda done, total: seen.append((done, total)))
    assert found.origin == "download" and found.verified
    assert found.path == cache / "demo" / "songs.csv"
    assert found.path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert locate("demo", spec).origin == "cache"  # no second download


def test_checksum_mismatch_keeps_nothing(server, folders):
    _, cache = folders
    with pytest.raises(DataError, match="does not match its published sha256"):
        locate("demo", FileSpec("songs.csv", "0" * 64, server))
    assert not any((cache / "demo").iterdir())


def test_offline_message_says_where_to_put_the_file(tmp_path):
    with pytest.raises(DataError, match=r"could not download .* Put songs.csv in"):
        download("http://127.0.0.1:9/songs.csv", tmp_path / "songs.csv", sha256=SHA, timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_no_public_download(folders):
    with pytest.raises(DataError, match="has no public download; put a copy in"):
        locate("demo", FileSpec("songs.csv", SHA, None))


def test_data_dir_wins_over_cache(folders):
    data, cache = folders
    for folder in (data, cache):
        (folder / "demo").mkdir(parents=True)
        (folder / "demo" / "songs.csv").write_bytes(PAYLOAD)
    found = locate("demo", FileSpec("songs.csv", SHA, None))
    assert found.origin == "data dir" and found.verified


def test_a_changed_local_copy_is_flagged_not_refused(folders):
    data, _ = folders
    (data / "demo").mkdir(parents=True)
    (data / "demo" / "songs.csv").write_bytes(PAYLOAD + b"jazz,0.5\njazz,0.4\n")
    assert locate("demo", FileSpec("songs.csv", SHA, None)).verified is False


def test_unknown_dataset_name(folders):
    with pytest.raises(DataError, match="neither a known dataset"):
        load_dataset("spotify-31k")
