"""Remote devices over SSH (paramiko): verified connection, commands with timeouts, uploads.

- Host keys are checked against the device's known_hosts file and unknown hosts are rejected;
  `trust_host_key` is the one explicit way to record a new host's key.
- A command runs as `echo $$; exec CMD`: the remote shell prints its PID and becomes the command,
  so a command that times out or is interrupted is killed on the remote side (closing the channel
  alone would leave it running).
- A command has finished when its exit status *and* the end of its output have arrived: sshd may
  send the status before the last of the output.
- Uploads stream the file into `cat` over an exec channel (no SFTP subsystem needed: dropbear and
  minimal images have none) to a content-addressed name in the device's working directory, are
  checked with `sha256sum`, and are reused when an identical file is already there.
- A link that drops or freezes (a Pi on Wi-Fi: the TCP connection stays open and silent) is
  noticed within the device's `keepalive_s + timeout_s`: whenever a running command has sent
  nothing, or taken none of its input, for `keepalive_s`, the link is probed by opening a channel,
  which the device answers within `timeout_s` unless the link is lost (paramiko's keepalives ask
  for no answer and notice nothing). Every other wait for the device is bounded by `timeout_s`
  as well. A lost link raises `LinkLostError` and closes the connection; the command it was
  running is killed over a new connection where one can be made (a frozen session leaves the
  device's sshd accepting new ones), and the message says whether it was.
- Every failure becomes a one-line `ThesislabError`; key material never appears in messages.
"""

from __future__ import annotations

import contextlib
import logging
import select
import shlex
import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import paramiko

from thesislab.bench.devices import DeviceSpec
from thesislab.bench.hosts import (
    SETUP_TIMEOUT_S,
    CommandResult,
    HostFile,
    LinkLostError,
    during,
    sha256_file,
)
from thesislab.errors import ThesislabError

# paramiko logs a dropped connection's errors, which `LinkLostError` reports in one line; with no
# handler anywhere, Python would print them to standard error
logging.getLogger("paramiko").addHandler(logging.NullHandler())

_CHUNK = 65536
RECEIVED_OTHER = 65
"""The exit status of `RECEIVE` when what arrived is not what was sent."""
RECEIVE = (
    'cat > "$1" && sum=$(sha256sum "$1") || exit; sum=${sum%% *}; '
    f'if [ "$sum" != "$2" ]; then rm -f "$1"; echo "$sum"; exit {RECEIVED_OTHER}; fi; '
    'exec mv -f "$1" "$3"'
)
"""The device's side of an upload, in one command (one round trip): write standard input to $1
(the partial file), check that its SHA-256 is $2, and only then move it to $3; what arrived
otherwise is removed and its digest printed."""
_LEAST_UPLOAD_BYTES_PER_S = 100_000
"""An upload may take as long as this rate needs (a Pi on a slow link), or `SETUP_TIMEOUT_S`."""


class _UnknownHostError(paramiko.SSHException):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("host key not in known_hosts")
        self.key = key


class _RejectUnknownHost(paramiko.RejectPolicy):
    """`RejectPolicy` that keeps the offered key, to show its fingerprint."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: Any) -> NoReturn:
        raise _UnknownHostError(key)


def _known_hosts_path(spec: DeviceSpec) -> Path:
    return Path(spec.known_hosts).expanduser()


def _host_key_name(spec: DeviceSpec) -> str:
    """How known_hosts names the host: `host`, or `[host]:port` off port 22."""
    host = spec.host or ""
    return host if spec.port == 22 else f"[{host}]:{spec.port}"


def _connection_error(spec: DeviceSpec, error: BaseException) -> ThesislabError:
    address, known_hosts = spec.address, _known_hosts_path(spec)
    timeout = f"{spec.timeout_s:g} s"
    if isinstance(error, _UnknownHostError):
        message = (
            f"unknown host {address}: expected its key in {known_hosts}, received "
            f"{error.key.get_name()} {error.key.fingerprint}; to trust it, run "
            f"'thesislab devices add {spec.name} ... --trust-host-key --replace'"
        )
    elif isinstance(error, paramiko.BadHostKeyException):
        message = (
            f"host key of {address} changed: expected {error.expected_key.fingerprint} "
            f"({known_hosts}), received {error.key.fingerprint}; refusing to connect (if the "
            "device was reinstalled, delete its line in known_hosts and trust it again)"
        )
    elif isinstance(error, paramiko.PasswordRequiredException):
        message = (
            f"key file {spec.key_file} for {address} is encrypted: expected an unencrypted key"
        )
    elif isinstance(error, paramiko.AuthenticationException):
        key = f"key file {spec.key_file}" if spec.key_file else "the SSH agent's keys"
        message = f"SSH authentication failed for {address}: the server refused {key}"
    elif isinstance(error, paramiko.ssh_exception.NoValidConnectionsError):
        message = f"cannot connect to {address}: connection refused (expected an SSH server)"
    elif isinstance(error, socket.gaierror):
        message = f"unknown host name {spec.host!r}: it does not resolve ({error.strerror})"
    elif isinstance(error, TimeoutError):
        message = f"timed out after {timeout} connecting to {address}"
    elif isinstance(error, paramiko.SSHException) and "banner" in str(error):
        message = f"no SSH answer from {address} within {timeout}: is it an SSH server?"
    elif isinstance(error, (paramiko.SSHException, ValueError)) and "key" in str(error).lower():
        message = f"cannot use key file {spec.key_file} for {address}: {str(error)[:120]}"
    elif isinstance(error, OSError):
        message = f"cannot connect to {address}: {error.strerror or error}"
    else:
        message = f"SSH error with {address}: {str(error)[:160]}"
    return ThesislabError(message)


_LINK_ERRORS = (paramiko.SSHException, EOFError, OSError)
"""What paramiko raises when the link closes or stops answering under a call."""


def _close(channel: paramiko.Channel) -> None:
    """Close `channel`; a link that died meanwhile leaves nothing to close."""
    with contextlib.suppress(*_LINK_ERRORS):
        channel.close()


def _take_pid(stdout: bytearray) -> int | None:
    """Remove the first line (the PID printed by `echo $$`) from `stdout` once it is complete."""
    head, newline, rest = bytes(stdout).partition(b"\n")
    if not newline:
        return None
    stdout[:] = rest
    return int(head)


def _key_file(spec: DeviceSpec) -> str | None:
    if spec.key_file is None:
        return None
    path = Path(spec.key_file).expanduser()
    if not path.is_file():
        raise ThesislabError(
            f"key file for {spec.address}: expected a private key at {path}, found none"
        )
    return str(path)


class SshHost:
    """A connected remote device (see the module docstring)."""

    def __init__(self, spec: DeviceSpec) -> None:
        self.name = spec.name
        self._spec = spec
        self._client = paramiko.SSHClient()
        known_hosts = _known_hosts_path(spec)
        if known_hosts.is_file():
            self._client.load_host_keys(str(known_hosts))
        self._client.set_missing_host_key_policy(_RejectUnknownHost())
        key_file = _key_file(spec)
        try:
            self._client.connect(
                spec.host or "",
                port=spec.port,
                username=spec.user,
                key_filename=key_file,
                allow_agent=key_file is None,
                look_for_keys=key_file is None,
                # paramiko's handshake wait gives up silently at `timeout`: let the banner
                # timeout, which raises a clear error, come first
                timeout=2 * spec.timeout_s,
                banner_timeout=spec.timeout_s,
                auth_timeout=spec.timeout_s,
                channel_timeout=spec.timeout_s,
            )
        except (paramiko.SSHException, OSError, ValueError) as error:
            self._client.close()
            raise _connection_error(spec, error) from None
        self._workdir: str | None = None

    def _active(self) -> bool:
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def _no_answer(self) -> str:
        return f"no answer within {self._spec.timeout_s:g} s"

    def _lost(self, detail: str | None = None) -> LinkLostError:
        """The link is lost: close the connection, of no more use, and say why (`detail`, or
        whether the connection closed or stopped answering)."""
        if detail is None:
            detail = self._no_answer() if self._active() else "the connection closed"
        self._client.close()
        return LinkLostError(self.name, detail)

    def _open_channel(self) -> paramiko.Channel:
        """A new session channel; a link that cannot open one within the timeout is lost."""
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise self._lost("the connection closed")
        try:
            return transport.open_session(timeout=self._spec.timeout_s)
        except paramiko.ChannelException as error:
            raise ThesislabError(
                f"{self._spec.address} refused a new SSH channel: {error.text}"
            ) from None
        except _LINK_ERRORS:
            raise self._lost() from None

    def _start(self, channel: paramiko.Channel, command: str) -> None:
        """Start `command` on `channel`. paramiko waits for the device's answer without limit: a
        watchdog closes the connection when none came within the timeout."""
        unanswered = threading.Event()

        def give_up() -> None:
            unanswered.set()
            self._client.close()

        watchdog = threading.Timer(self._spec.timeout_s, give_up)
        watchdog.start()
        try:
            channel.exec_command(command)
        except _LINK_ERRORS:
            if unanswered.is_set():
                raise self._lost(self._no_answer()) from None
            if not self._active():
                raise self._lost("the connection closed") from None
            raise ThesislabError(f"{self.name} refused to run: {command[:120]}") from None
        finally:
            watchdog.cancel()

    def _probe(self) -> None:
        """Open and close a channel, which the device answers unless the link is lost
        (paramiko's keepalives ask for no answer: they notice nothing)."""
        _close(self._open_channel())

    def run(
        self, argv: Sequence[str], timeout_s: float, stdin: Path | None = None
    ) -> CommandResult:
        """Run `argv` remotely, fed the file `stdin` if given; past `timeout_s`, or on
        interruption, kill it there. A lost link raises `LinkLostError`."""
        channel = self._open_channel()
        stdout, stderr = bytearray(), bytearray()
        pid: int | None = None
        try:
            self._start(channel, f"echo $$; exec {shlex.join(argv)}")
            deadline = time.monotonic() + timeout_s
            if stdin is not None:
                self._send(channel, stdin, deadline)
            heard = time.monotonic()
            while not (channel.exit_status_ready() and (channel.eof_received or channel.closed)):
                now = time.monotonic()
                if now >= deadline:
                    raise TimeoutError
                if now >= heard + self._spec.keepalive_s:
                    self._probe()
                    heard = time.monotonic()
                    continue
                wait = min(deadline, heard + self._spec.keepalive_s) - now
                readable, _, _ = select.select([channel], [], [], wait)
                if readable:
                    if self._drain(channel, stdout, stderr):
                        heard = time.monotonic()
                    else:
                        channel.status_event.wait(min(wait, 0.05))  # end of output, no status yet
                pid = pid if pid is not None else _take_pid(stdout)
            self._drain(channel, stdout, stderr)
            pid = pid if pid is not None else _take_pid(stdout)
            returncode = channel.recv_exit_status()
            if returncode == -1 and not self._active():
                raise self._lost("the connection closed")
        except TimeoutError:
            pid = self._pid(channel, stdout, stderr, pid)
            if pid is not None:
                with during("the cleanup of a command past its timeout"):
                    self._end(pid)
            raise ThesislabError(
                f"command on {self.name} timed out after {timeout_s:g} s and was killed: "
                f"{shlex.join(argv)[:120]}"
            ) from None
        except (LinkLostError, *_LINK_ERRORS) as error:
            lost = error if isinstance(error, LinkLostError) else self._lost()
            pid = self._pid(channel, stdout, stderr, pid)
            raise (lost if pid is None else lost.noting(self._kill_anew(pid))) from None
        except KeyboardInterrupt:
            pid = self._pid(channel, stdout, stderr, pid)
            if pid is not None:
                with contextlib.suppress(ThesislabError):
                    self._kill(pid)
            raise
        finally:
            _close(channel)
        return CommandResult(
            returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace")
        )

    def _send(self, channel: paramiko.Channel, path: Path, deadline: float) -> None:
        """Stream the file at `path` into the command's standard input, then close it; whenever
        the device takes nothing for `keepalive_s`, probe the link. A command that stops
        reading ends the stream (its exit status says why)."""
        channel.settimeout(self._spec.keepalive_s)
        try:
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(_CHUNK), b""):
                    while chunk:
                        if time.monotonic() >= deadline:
                            raise TimeoutError
                        try:
                            sent = channel.send(chunk)
                        except TimeoutError:
                            self._probe()
                            continue
                        except _LINK_ERRORS:  # the channel, or the link, closed
                            return
                        if not sent:
                            return
                        chunk = chunk[sent:]
            with contextlib.suppress(*_LINK_ERRORS):
                channel.shutdown_write()
        finally:
            channel.settimeout(None)

    @staticmethod
    def _drain(channel: paramiko.Channel, stdout: bytearray, stderr: bytearray) -> bool:
        """Move whatever output has arrived into the buffers; whether there was any."""
        moved = False
        while channel.recv_ready():
            stdout += channel.recv(_CHUNK)
            moved = True
        while channel.recv_stderr_ready():
            stderr += channel.recv_stderr(_CHUNK)
            moved = True
        return moved

    def _pid(
        self, channel: paramiko.Channel, stdout: bytearray, stderr: bytearray, pid: int | None
    ) -> int | None:
        """The remote command's PID, from the output that has arrived, once it is known."""
        self._drain(channel, stdout, stderr)
        return pid if pid is not None else _take_pid(stdout)

    def _kill(self, pid: int) -> bool:
        """Kill the remote process `pid`; whether there was one."""
        channel = self._open_channel()
        try:
            self._start(channel, f"kill -KILL {pid}")
            if not channel.status_event.wait(self._spec.timeout_s):
                raise self._lost()
            status = channel.recv_exit_status()
            if status == -1 and not self._active():
                raise self._lost("the connection closed")
            return status == 0
        finally:
            _close(channel)

    def _end(self, pid: int) -> None:
        """Kill the remote process `pid`, over a new connection if the link is lost meanwhile."""
        try:
            self._kill(pid)
        except LinkLostError as lost:
            raise lost.noting(self._kill_anew(pid)) from None

    def _kill_anew(self, pid: int) -> str:
        """After the link was lost: kill the command `pid` over a new connection (a frozen link
        leaves the device accepting new ones); what became of it, to tell."""
        try:
            other = SshHost(self._spec)
            try:
                killed = other._kill(pid)
            finally:
                other.close()
        except ThesislabError:
            return f"its command there (PID {pid}) may still run"
        return f"its command there (PID {pid}) was " + (
            "killed over a new connection" if killed else "already gone"
        )

    def workdir(self) -> str:
        """The absolute remote working directory, created on first use."""
        if self._workdir is None:
            relative = self._spec.workdir.removeprefix("~/")
            made = self.run(
                ["sh", "-c", 'mkdir -p "$1" && cd "$1" && pwd', "sh", relative],
                SETUP_TIMEOUT_S,
            )
            if made.returncode != 0 or not made.stdout.strip():
                raise ThesislabError(
                    f"cannot create working directory {self._spec.workdir!r} on {self.name}: "
                    f"{made.reason()}"
                )
            self._workdir = made.stdout.strip().splitlines()[-1]
        return self._workdir

    def _sha256(self, remote: str) -> str | None:
        result = self.run(["sha256sum", remote], SETUP_TIMEOUT_S)
        return result.stdout.split()[0] if result.returncode == 0 and result.stdout else None

    def put(self, path: Path) -> HostFile:
        """Upload `path` unless an identical file is already there; verify its checksum."""
        with during(f"the upload of {path.name}"):
            return self._put(path)

    def _put(self, path: Path) -> HostFile:
        digest = sha256_file(path)
        remote = f"{self.workdir()}/{digest[:16]}-{path.name}"
        if self._sha256(remote) == digest:
            return HostFile(remote, copied=False)
        timeout_s = max(SETUP_TIMEOUT_S, path.stat().st_size / _LEAST_UPLOAD_BYTES_PER_S)
        receive = ["sh", "-c", RECEIVE, "sh", f"{remote}.part", digest, remote]
        try:
            written = self.run(receive, timeout_s, stdin=path)
        except LinkLostError:
            raise
        except ThesislabError as error:
            raise ThesislabError(f"upload of {path.name} to {self.name} failed: {error}") from None
        if written.returncode == RECEIVED_OTHER:
            raise ThesislabError(
                f"upload of {path.name} to {self.name}: expected sha256 {digest}, "
                f"received {written.stdout.strip()}"
            )
        if written.returncode != 0:
            raise ThesislabError(f"upload of {path.name} to {self.name} failed: {written.reason()}")
        return HostFile(remote, copied=True)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


def fetch_host_key(spec: DeviceSpec) -> paramiko.PKey:
    """The host key the device offers, unverified (to show it and, if asked, trust it)."""
    try:
        sock = socket.create_connection((spec.host or "", spec.port), timeout=spec.timeout_s)
    except OSError as error:
        if isinstance(error, ConnectionRefusedError):
            error = paramiko.ssh_exception.NoValidConnectionsError(
                {(spec.host or "", spec.port): error}
            )
        raise _connection_error(spec, error) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = spec.timeout_s
    try:
        transport.start_client(timeout=spec.timeout_s)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, OSError) as error:
        raise _connection_error(spec, error) from None
    finally:
        transport.close()


def trust_host_key(spec: DeviceSpec) -> str:
    """Record the device's host key in its known_hosts file; return the key's fingerprint.

    A host already known with the same key is left as it is; one known with a different key is
    refused, as when connecting.
    """
    key = fetch_host_key(spec)
    known_hosts = _known_hosts_path(spec)
    name = _host_key_name(spec)
    recorded = paramiko.HostKeys(str(known_hosts)) if known_hosts.is_file() else None
    entry = recorded.lookup(name) if recorded is not None else None
    if entry is not None and key.get_name() in entry:
        if entry[key.get_name()] != key:
            raise _connection_error(
                spec, paramiko.BadHostKeyException(name, key, entry[key.get_name()])
            )
        return key.fingerprint
    known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with known_hosts.open("a", encoding="utf-8") as handle:
        handle.write(f"{name} {key.get_name()} {key.get_base64()}\n")
    return key.fingerprint
