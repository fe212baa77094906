"""THUTUC_ENV=production refuses every unsafe setting with a message that names it (and never its value)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from base.production import UnsafeProductionSettings, check_production, production_problems
from base.settings import PROJECT_ROOT, Settings

SAFE = {
    "env": "production",
    "dossier_contact_salt": "s" * 32,
    "client_key_secret": "k" * 32,
    "webchat_secret": "w" * 32,
    "rasa_api_token": "a" * 32,
    "data_key": "d" * 32,
}


def production(**overrides) -> Settings:
    return Settings(**{**SAFE, **overrides})


def test_safe_production_settings_pass_and_development_is_never_checked():
    assert production_problems(production()) == []
    check_production(production())
    assert production_problems(Settings(env="development")) == []


@pytest.mark.parametrize("overrides, named", [
    ({"dossier_contact_salt": "thutuc-development-salt"}, "DOSSIER_CONTACT_SALT is the public development value"),
    ({"client_key_secret": "thutuc-development-client-key"}, "THUTUC_CLIENT_KEY_SECRET is the public development value"),
    ({"webchat_secret": None}, "THUTUC_WEBCHAT_SECRET is not set"),
    ({"rasa_api_token": None}, "RASA_API_TOKEN is not set"),
    ({"rasa_api_token": "short"}, "RASA_API_TOKEN is shorter than 16 characters"),
    ({"data_key": None}, "THUTUC_DATA_KEY is not set"),
    ({"data_key": "short"}, "THUTUC_DATA_KEY is shorter than 16 characters"),
    ({"action_bind_host": "0.0.0.0"}, "THUTUC_ACTION_BIND_HOST is '0.0.0.0' (beyond loopback) but THUTUC_ACTION_SECRET"),
    ({"action_bind_host": "10.0.0.5", "action_secret": "x" * 8}, "THUTUC_ACTION_SECRET is shorter than 16"),
    ({"zalo_app_id": "123", "zalo_app_secret": "z" * 20}, "ZALO_OA_SECRET_KEY is not"),
    ({"zalo_app_id": "123", "zalo_oa_secret_key": "z" * 20}, "ZALO_APP_SECRET is not"),
])
def test_each_unsafe_setting_is_refused_by_name(overrides, named):
    with pytest.raises(UnsafeProductionSettings) as refusal:
        check_production(production(**overrides))
    assert any(named in problem for problem in refusal.value.problems), refusal.value.problems
    assert named in str(refusal.value)


def test_an_action_server_on_loopback_or_with_a_secret_is_fine():
    assert production_problems(production(action_bind_host="127.0.0.1")) == []
    assert production_problems(production(action_bind_host="::1")) == []
    assert production_problems(production(action_bind_host="0.0.0.0", action_secret="x" * 32)) == []


def test_the_message_never_shows_a_value():
    refusal = UnsafeProductionSettings(production_problems(production(rasa_api_token="tiny-secret-x")))
    assert "tiny-secret-x" not in str(refusal)


@pytest.mark.parametrize("module", ["bot.rasa_server", "bot.action_server"])
def test_servers_refuse_to_start_before_doing_anything(module, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("THUTUC_", "DOSSIER_", "RASA_"))}
    env.update(THUTUC_ENV="production", PYTHONPATH=str(PROJECT_ROOT), THUTUC_WEBCHAT_SECRET="w" * 32)
    done = subprocess.run([sys.executable, "-m", module, *(["run"] if module == "bot.rasa_server" else [])],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "THUTUC_ENV=production refuses to start" in done.stderr
    assert "DOSSIER_CONTACT_SALT is the public development value" in done.stderr
    assert "RASA_API_TOKEN is not set" in done.stderr
    assert "THUTUC_DATA_KEY is not set" in done.stderr
