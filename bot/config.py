"""Configuration from environment variables (and an optional ``.env``), one section per concern.

With nothing set the bot runs on embedded defaults: SQLite and a local object store under
``./var/`` and the terminal chat.  A missing or malformed setting stops start-up with one line
that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class DatabaseSettings(BaseSettings):
    model_config = _config("DATABASE_")

    url: str = "sqlite+aiosqlite:///./var/asesorbot.db"
    pool_size: int = Field(20, ge=1, le=500)
    """Connections kept open: at least the updates handled at once, or every extra one connects
    anew (measured: 87 reconnects in a 800-update bench run with 5 + 10 overflow)."""
    max_overflow: int = Field(10, ge=0, le=500)
    schema_name: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_SCHEMA"), pattern=r"^[a-z_][a-z0-9_]{0,62}$"
    )
    """PostgreSQL schema for the bot's tables (its ``search_path``); default ``public``."""

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept ``postgresql://`` and ``sqlite://`` too, and use their async drivers."""
        try:
            url = make_url(value)
        except ArgumentError as error:
            raise ValueError("not a database URL") from error
        backend = url.get_backend_name()
        if backend not in ASYNC_DRIVERS:
            raise ValueError("use a sqlite or postgresql URL")
        return url.set(drivername=ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class StorageSettings(BaseSettings):
    model_config = _config("STORAGE_")

    backend: Literal["local", "s3"] = "local"
    local_dir: Path = Path("var/objects")


class S3Settings(BaseSettings):
    model_config = _config("S3_")

    endpoint_url: HttpUrl | None = None
    bucket: str = Field("asesorbot-documents", min_length=3, max_length=63)
    region: str = "us-east-1"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    sse: Literal["AES256", "aws:kms", ""] = "AES256"
    """Server-side encryption to request; empty for stores that do not support it."""
    part_size_mb: int = Field(8, ge=5, le=512)
    create_bucket: bool = False
    connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    read_timeout_seconds: float = Field(5.0, gt=0, le=300)
    """Silence on an open connection this long is a failure (a store that accepts and hangs)."""
    max_attempts: int = Field(2, ge=1, le=10)
    """Tries per call, botocore's own retries included."""
    deadline_seconds: float = Field(12.0, gt=0, le=600)
    """No call to the store, retries and all, takes longer: the person hears "try again"."""


class TelegramSettings(BaseSettings):
    model_config = _config("TELEGRAM_")

    bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("BOT_TOKEN", "TELEGRAM_BOT_TOKEN")
    )
    api_base: HttpUrl | None = None
    file_limit_mb: int = Field(20, ge=1, le=2000)
    """The Bot API's getFile limit: 20 MB, higher on a self-hosted server in local mode."""


class WebhookSettings(BaseSettings):
    model_config = _config("WEBHOOK_")

    base_url: HttpUrl | None = None
    secret: SecretStr | None = None

    @field_validator("secret")
    @classmethod
    def _telegram_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram's ``secret_token``: 1–256 characters of A–Z, a–z, 0–9, _ and -."""
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    host: str = "0.0.0.0"  # noqa: S104  (the webhook server must be reachable from outside)
    port: int = Field(8080, ge=1, le=65535)


class WhatsAppSettings(BaseSettings):
    model_config = _config("WHATSAPP_")

    token: SecretStr | None = None
    phone_id: str | None = None
    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    api_base: HttpUrl | None = None
    """Graph API base URL (default ``https://graph.facebook.com``); the tests' fake server."""
    api_version: str = Field("v23.0", pattern=r"^v\d+\.\d+$")
    templates: dict[str, str] = Field(default_factory=dict)
    """Approved template name per notice kind (JSON), for messages outside the 24-hour window;
    a kind not named uses ``asesorbot_<kind>``."""

    @property
    def enabled(self) -> bool:
        return self.token is not None


class OutboxSettings(BaseSettings):
    """The dispatcher of proactive messages (``asesorbot worker``, also inside ``run``)."""

    model_config = _config("OUTBOX_")

    batch_size: int = Field(200, ge=1, le=5000)
    lease_seconds: float = Field(120, gt=0)
    """A claimed row not finished within this goes back to pending (its worker died)."""
    poll_seconds: float = Field(1.0, gt=0)
    max_attempts: int = Field(6, ge=1)
    concurrency: int = Field(32, ge=1, le=5000)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    """Non-urgent messages wait for the end of the recipient's local quiet hours."""
    telegram_rate: float = Field(30, gt=0)
    """Messages a second over the whole bot (Bot API: about 30)."""
    telegram_per_chat_seconds: float = Field(1.0, ge=0)
    whatsapp_rate: float = Field(80, gt=0)
    """Messages a second per business phone number (Cloud API default: 80)."""
    whatsapp_per_chat_seconds: float = Field(6.0, ge=0)
    """WhatsApp's pair rate limit: about one message every 6 seconds to one person."""
    in_run: bool = True
    """Run the dispatcher inside ``asesorbot run`` (set false when workers run apart)."""


class LspSettings(BaseSettings):
    """How people reach the LSP other than through the bot, shown in /bantuan (issue 16): the
    LSP's own data, so none is shipped; what is left unset is not shown."""

    model_config = _config("LSP_")

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    hours: str | None = None
    """Office hours as people read them, e.g. "Senin–Jumat 08.00–16.00 WIB"."""


class AppSettings(BaseSettings):
    model_config = _config("")

    default_timezone: str = "Asia/Jakarta"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    max_upload_mb: int = Field(20, ge=1, le=2000)
    scheme_file: Path | None = None
    """A scheme data file to use instead of the shipped one (an LSP's corrected copy)."""

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                "unknown time zone (try Asia/Jakarta, Asia/Makassar or Asia/Jayapura)"
            ) from error
        return value


SECTIONS: dict[str, tuple[type[BaseSettings], str]] = {
    "app": (AppSettings, ""),
    "database": (DatabaseSettings, "DATABASE_"),
    "storage": (StorageSettings, "STORAGE_"),
    "s3": (S3Settings, "S3_"),
    "telegram": (TelegramSettings, "TELEGRAM_"),
    "webhook": (WebhookSettings, "WEBHOOK_"),
    "whatsapp": (WhatsAppSettings, "WHATSAPP_"),
    "outbox": (OutboxSettings, "OUTBOX_"),
    "lsp": (LspSettings, "LSP_"),
}


@dataclass(frozen=True, slots=True)
class Settings:
    app: AppSettings
    database: DatabaseSettings
    storage: StorageSettings
    s3: S3Settings
    telegram: TelegramSettings
    webhook: WebhookSettings
    whatsapp: WhatsAppSettings
    outbox: OutboxSettings
    lsp: LspSettings


def _variable(prefix: str, error: dict[str, Any], model: type[BaseSettings]) -> str:
    """The environment variable a pydantic error is about."""
    field = str(error["loc"][0]) if error["loc"] else ""
    info = model.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"{prefix}{field}".upper()


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read every section; raise :class:`ConfigError` naming the first bad variable."""
    values: dict[str, BaseSettings] = {}
    for name, (model, prefix) in SECTIONS.items():
        try:
            values[name] = model(_env_file=env_file if env_file and env_file.exists() else None)
        except ValidationError as failure:
            first = failure.errors()[0]
            raise ConfigError(
                f"configuration: {_variable(prefix, dict(first), model)}: {first['msg']}"
            ) from None
    settings = Settings(**values)  # type: ignore[arg-type]
    _check_together(settings)
    return settings


def _check_together(settings: Settings) -> None:
    """Settings that only make sense with others."""
    if settings.webhook.base_url and settings.telegram.bot_token and not settings.webhook.secret:
        raise ConfigError("configuration: WEBHOOK_SECRET: required when WEBHOOK_BASE_URL is set")
    if settings.whatsapp.enabled:
        for variable, value in (
            ("WHATSAPP_PHONE_ID", settings.whatsapp.phone_id),
            ("WHATSAPP_APP_SECRET", settings.whatsapp.app_secret),
            ("WHATSAPP_VERIFY_TOKEN", settings.whatsapp.verify_token),
        ):
            if not value:
                raise ConfigError(f"configuration: {variable}: required when WHATSAPP_TOKEN is set")
    s3 = settings.s3
    if settings.storage.backend == "s3" and bool(s3.access_key_id) != bool(s3.secret_access_key):
        raise ConfigError(
            "configuration: S3_SECRET_ACCESS_KEY: give both S3_ACCESS_KEY_ID and "
            "S3_SECRET_ACCESS_KEY, or neither"
        )


def environment_names() -> list[str]:
    """Every variable the bot reads, for the README and ``.env.example`` checks."""
    names: list[str] = []
    for model, prefix in SECTIONS.values():
        for field, info in model.model_fields.items():
            alias = info.validation_alias
            names.append(
                str(alias.choices[0])
                if isinstance(alias, AliasChoices)
                else f"{prefix}{field}".upper()
            )
    return names
