"""A ``--scheduler`` address that nothing answers at fails at once, before any work, in one line."""

import socket

import pytest

from wellled.errors import RunError, UsageError
from wellled.report.batch import reach_scheduler


def _closed_port() -> int:
    with socket.socket() as probe:  # a port just freed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("form", ["tcp://127.0.0.1:{port}", "127.0.0.1:{port}"])
def test_nothing_listening_is_a_run_error_at_once(form):
    address = form.format(port=_closed_port())
    with pytest.raises(RunError, match=f"cannot reach the Dask scheduler at {address}: Connection refused"):
        reach_scheduler(address)


def test_a_listening_scheduler_address_passes_and_an_address_without_host_is_bad_usage():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        reach_scheduler(f"tcp://127.0.0.1:{server.getsockname()[1]}")
    with pytest.raises(UsageError, match="names no host"):
        reach_scheduler("tcp://:8786")
