"""The device inventory file and the `devices` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.bench.sshd import SshServer
from thesislab.bench.cli import devices_app
from thesislab.bench.devices import ENV_VARIABLE, LOCAL, DeviceSpec, Inventory, inventory_path
from thesislab.errors import ThesislabError


@pytest.fixture
def app() -> typer.Typer:
    wrapper = typer.Typer()
    wrapper.add_typer(devices_app, name="devices")
    return wrapper


def test_inventory_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert inventory_path() == tmp_path / "config" / "thesislab" / "devices.yaml"
    (tmp_path / "devices.yaml").write_text("devices: {}\n")
    assert inventory_path() == Path("devices.yaml")
    monkeypatch.setenv(ENV_VARIABLE, str(tmp_path / "env.yaml"))
    assert inventory_path() == tmp_path / "env.yaml"
    assert inventory_path(tmp_path / "explicit.yaml") == tmp_path / "explicit.yaml"


def test_add_save_load_remove(tmp_path: Path):
    path = tmp_path / "devices.yaml"
    inventory = Inventory.load(path)
    assert inventory.all() == [LOCAL]
    pi = DeviceSpec(
        name="pi3",
        host="192.0.2.7",
        user="pi",
        key_file="~/.ssh/id_ed25519",
        runtime="benchmark_model",
        benchmark_model="/home/pi/benchmark_model",
    )
    inventory.add(pi)
    assert "key_file: ~/.ssh/id_ed25519" in path.read_text()
    assert Inventory.load(path).get("pi3") == pi
    with pytest.raises(ThesislabError, match=r"already exists .*expected a new name, or --replace"):
        inventory.add(pi)
    inventory.remove("pi3")
    assert Inventory.load(path).all() == [LOCAL]


def test_local_is_built_in(tmp_path: Path):
    inventory = Inventory.load(tmp_path / "devices.yaml")
    assert inventory.get("local") is LOCAL and not LOCAL.is_remote
    with pytest.raises(ThesislabError, match="built in"):
        inventory.remove("local")
    with pytest.raises(ThesislabError, match="built in"):
        inventory.add(DeviceSpec(name="local", host="192.0.2.1"))
    with pytest.raises(ThesislabError, match=r"unknown device 'pi': expected one of local"):
        inventory.get("pi")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("devices: [\n", r"not valid YAML"),
        ("- pi\n", r"expected a mapping 'devices: "),
        ("devices:\n  pi: {host: h, port: many}\n", r"device 'pi', field 'port': .*integer"),
        ("devices:\n  pi: {host: h, runtime: benchmark_model}\n", r"needs the path of the binary"),
        ("devices:\n  pi: {host: h, colour: red}\n", r"field 'colour': unknown key"),
        ("devices:\n  local: {host: h}\n", r"'local' is built in"),
    ],
)
def test_bad_inventory_files(tmp_path: Path, text: str, message: str):
    path = tmp_path / "devices.yaml"
    path.write_text(text)
    with pytest.raises(ThesislabError, match=message) as caught:
        Inventory.load(path)
    assert "\n" not in str(caught.value)


@pytest.mark.ssh
def test_devices_commands_over_ssh(
    app: typer.Typer, ssh_server: SshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    inventory = tmp_path / "devices.yaml"
    monkeypatch.setenv(ENV_VARIABLE, str(inventory))
    known_hosts = tmp_path / "known_hosts"
    runner = CliRunner()
    add = [
        "devices", "add", "box", "--host", "127.0.0.1", "--port", str(ssh_server.port),
        "--key-file", str(ssh_server.client_key), "--known-hosts", str(known_hosts),
        "--workdir", str(tmp_path / "remote"), "--python", sys.executable,
        "--timeout", "5", "--keepalive", "2",
    ]  # fmt: skip
    untrusted = runner.invoke(app, add)
    assert untrusted.exit_code == 0, untrusted.output
    checked = runner.invoke(app, ["devices", "check", "box"])
    assert isinstance(checked.exception, ThesislabError)
    assert str(checked.exception).startswith("unknown host 127.0.0.1")
    trusted = runner.invoke(app, [*add, "--trust-host-key", "--replace"])
    assert trusted.exit_code == 0, trusted.output
    assert "trusted host key of 127.0.0.1" in trusted.output and "SHA256:" in trusted.output
    box = Inventory.load(inventory).get("box")
    assert (box.timeout_s, box.keepalive_s) == (5.0, 2.0)
    checked = runner.invoke(app, ["devices", "check", "box"])
    assert checked.exit_code == 0, checked.output
    assert "ai-edge-litert" in checked.output and "kernel" in checked.output
    listed = runner.invoke(app, ["devices", "list"])
    assert "local" in listed.output and "box" in listed.output
    assert runner.invoke(app, ["devices", "remove", "box"]).exit_code == 0
    assert "box" not in runner.invoke(app, ["devices", "list"]).output


def test_every_command_has_an_example(app: typer.Typer):
    runner = CliRunner()
    for command in ("list", "add", "check", "remove"):
        result = runner.invoke(app, ["devices", command, "--help"])
        assert result.exit_code == 0 and "Example: thesislab devices" in result.output
