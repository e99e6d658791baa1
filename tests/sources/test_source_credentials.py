"""Source credentials in the configuration: literals, environment variables, files; a password written in the URL
moves out of it; secrets are masked in log records (whatever formats them) and JSON reports."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge.credentials import install_log_redaction, redact, redact_json, remember
from bridge.errors import ConfigError
from bridge.settings import SourceConfig, load_settings


def test_secrets_from_literals_environment_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "token").write_text("from-a-file-123\n")
    monkeypatch.setenv("SRC_TOKEN", "from-the-env-456")
    config = tmp_path / "bridge.toml"
    config.write_text(
        f"""
[[sources]]
name = "s"
type = "sos"
url = "https://user%40corp:p%3Ass-w0rd@sos.example.org/sos?service=SOS"
[sources.headers]
X-Literal = "literal-789"
X-Env = {{ env = "SRC_TOKEN" }}
X-File = {{ file = "{tmp_path / "token"}" }}
"""
    )
    (source,) = load_settings(config).sources
    assert source.url == "https://sos.example.org/sos?service=SOS"
    assert source.basic_auth() == ("user@corp", "p:ss-w0rd")
    assert source.request_headers() == {
        "X-Literal": "literal-789",
        "X-Env": "from-the-env-456",
        "X-File": "from-a-file-123",
    }
    shown = repr(source) + str(source.model_dump())
    assert "literal-789" not in shown and "p:ss-w0rd" not in shown  # SecretStr in reprs and dumps


def test_a_missing_secret_names_where_it_was_looked_for_not_its_value(tmp_path: Path) -> None:
    source = SourceConfig(name="s", type="sta", url="http://x/", headers={"A": {"env": "NOT_SET_ANYWHERE_42"}})
    with pytest.raises(ConfigError, match="environment variable NOT_SET_ANYWHERE_42 is not set"):
        source.request_headers()
    source = SourceConfig(name="s", type="sta", url="http://x/", password={"file": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="cannot be read"):
        source.basic_auth()
    with pytest.raises(ValueError, match="exactly one"):
        SourceConfig(name="s", type="sta", url="http://x/", headers={"A": {"env": "X", "file": "y"}})


def test_log_records_and_reports_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    remember("hunter2-secret")
    log = logging.getLogger("bridge.test")
    with caplog.at_level(logging.INFO):
        log.info("token %s sent to %s", "hunter2-secret", "http://x/")
        log.info("url %s, count %d", httpx_url("hunter2-secret"), 3)
        try:
            raise ValueError("upstream said hunter2-secret")
        except ValueError:
            log.exception("failed")
    assert "hunter2-secret" not in caplog.text
    assert "token *** sent to http://x/" in caplog.text and "count 3" in caplog.text
    assert redact("a hunter2-secret b") == "a *** b"
    assert redact_json({"errors": ["x hunter2-secret"], "n": 1}) == {"errors": ["x ***"], "n": 1}


def httpx_url(secret: str) -> object:
    """A non-string log argument whose text holds a secret."""
    import httpx

    return httpx.URL(f"http://h/?key={secret}")


def test_an_environment_option_inside_a_table_keeps_the_files_other_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text('[auth]\nrealm = "site-a"\nanonymous_roles = []\n')
    monkeypatch.setenv("BRIDGE_AUTH__ANONYMOUS_ROLES", '["read"]')
    auth = load_settings(config).auth
    assert auth.realm == "site-a" and [str(r) for r in auth.anonymous_roles] == ["read"]
