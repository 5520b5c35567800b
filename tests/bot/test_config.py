"""Configuration: embedded defaults, one clear line for a bad setting, secrets kept secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, environment_names, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_configuration(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.delenv("DATABASE_URL")
    clean_env.delenv("STORAGE_LOCAL_DIR")
    settings = load_settings(env_file=None)
    assert settings.database.url == "sqlite+aiosqlite:///./var/asesorbot.db"
    assert settings.storage.backend == "local"
    assert settings.storage.local_dir == Path("var/objects")
    assert settings.app.default_timezone == "Asia/Jakarta"
    assert settings.telegram.bot_token is None
    assert not settings.whatsapp.enabled


def test_plain_postgresql_url_gets_the_async_driver(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://bot:pw@db.internal:5432/asesor")
    assert load_settings(env_file=None).database.url == (
        "postgresql+asyncpg://bot:pw@db.internal:5432/asesor"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("DATABASE_URL", "not a url"),
        ("STORAGE_BACKEND", "ftp"),
        ("S3_ENDPOINT_URL", "localhost:9000"),
        ("S3_PART_SIZE_MB", "1"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("TELEGRAM_API_BASE", "not-a-url"),
        ("WEBHOOK_PORT", "70000"),
        ("MAX_UPLOAD_MB", "zero"),
    ],
)
def test_malformed_setting_names_itself_in_one_line(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(env_file=None)
    message = str(raised.value)
    assert message.startswith(f"configuration: {variable}: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"BOT_TOKEN": "123:abc", "WEBHOOK_BASE_URL": "https://bot.example.org"}, "WEBHOOK_SECRET"),
        ({"WHATSAPP_TOKEN": "EAAG"}, "WHATSAPP_PHONE_ID"),
        (
            {"WHATSAPP_TOKEN": "EAAG", "WHATSAPP_PHONE_ID": "1", "WHATSAPP_APP_SECRET": "s"},
            "WHATSAPP_VERIFY_TOKEN",
        ),
        ({"STORAGE_BACKEND": "s3", "S3_ACCESS_KEY_ID": "AKIA"}, "S3_SECRET_ACCESS_KEY"),
    ],
)
def test_settings_that_need_each_other(
    clean_env: pytest.MonkeyPatch, given: dict[str, str], missing: str
) -> None:
    for name, value in given.items():
        clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^configuration: {missing}: "):
        load_settings(env_file=None)


def test_secrets_never_show(clean_env: pytest.MonkeyPatch) -> None:
    secrets = {
        "BOT_TOKEN": "123456:telegram-secret-value",
        "WEBHOOK_SECRET": "webhook-secret-value",
        "S3_SECRET_ACCESS_KEY": "s3-secret-value",
        "S3_ACCESS_KEY_ID": "s3-access-value",
        "WHATSAPP_TOKEN": "whatsapp-secret-value",
        "WHATSAPP_APP_SECRET": "app-secret-value",
        "WHATSAPP_VERIFY_TOKEN": "verify-secret-value",
        "WHATSAPP_PHONE_ID": "1234",
    }
    for name, value in secrets.items():
        clean_env.setenv(name, value)
    settings = load_settings(env_file=None)
    shown = repr(settings) + str(settings)
    for name, value in secrets.items():
        if name != "WHATSAPP_PHONE_ID":
            assert value not in shown, name
    assert settings.telegram.bot_token is not None
    assert settings.telegram.bot_token.get_secret_value() == secrets["BOT_TOKEN"]


def test_env_file_is_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.delenv("DATABASE_URL")
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgresql://u@h/db\nDEFAULT_TIMEZONE=Asia/Jayapura\n")
    settings = load_settings(env_file=env_file)
    assert settings.database.url == "postgresql+asyncpg://u@h/db"
    assert settings.app.default_timezone == "Asia/Jayapura"


def test_readme_and_env_example_document_every_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    example_names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    for name in environment_names():
        assert f"`{name}`" in readme, f"README does not document {name}"
        assert name in example_names, f".env.example does not list {name}"


def test_webhook_secret_uses_telegrams_alphabet(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("WEBHOOK_SECRET", "has spaces!")
    with pytest.raises(ConfigError, match=r"^configuration: WEBHOOK_SECRET: "):
        load_settings(env_file=None)
