"""Process supervision of `thutuc run`: a service manager's SIGTERM must stop both servers, not orphan them."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

from bot.servers import BotServers
from base.settings import Settings


def test_sigterm_stops_both_children(tmp_path):
    servers = BotServers(model=Path("unused.tar.gz"), settings=Settings(), rasa_port=1, action_port=2,
                         api_token="t", work_dir=tmp_path)
    children = [subprocess.Popen(["sleep", "60"], start_new_session=True) for _ in range(2)]
    servers._processes.extend(children)
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    servers.wait()
    assert all(child.poll() is not None for child in children)
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is restored
