"""Configuration from environment variables, with the documented defaults."""
from __future__ import annotations

import pytest

from service.config import DEFAULT_REDIS_URL, Config, ConfigError


def test_defaults_need_nothing_set():
    config = Config.from_env({})
    assert config.redis_url == DEFAULT_REDIS_URL
    assert config.max_text_chars == 200_000
    assert config.job_retries == 3
    assert config.spacy_model is None


def test_values_are_read_from_the_environment():
    config = Config.from_env({
        "REDIS_URL": "redis://cache:6380/2",
        "CLAIMTRACK_API_KEYS": "a:b:read",
        "CLAIMTRACK_JOB_TIMEOUT": "60",
        "CLAIMTRACK_RETRY_INTERVALS": "1, 2,3",
        "CLAIMTRACK_MAX_TEXT_CHARS": "1000",
        "CLAIMTRACK_SPACY_MODEL": "en_core_web_sm",
    })
    assert config.redis_url == "redis://cache:6380/2"
    assert config.job_timeout == 60
    assert config.retry_intervals == (1, 2, 3)
    assert config.max_text_chars == 1000
    assert config.spacy_model == "en_core_web_sm"


@pytest.mark.parametrize("name,value", [
    ("CLAIMTRACK_JOB_TIMEOUT", "soon"),
    ("CLAIMTRACK_JOB_TIMEOUT", "0"),
    ("CLAIMTRACK_RETRY_INTERVALS", "1,x"),
    ("CLAIMTRACK_RETRY_INTERVALS", "-1"),
    ("CLAIMTRACK_MAX_BODY_BYTES", "10"),
])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Config.from_env({name: value})


def test_replace_refuses_unknown_settings():
    with pytest.raises(TypeError):
        Config().replace(redis_uri="x")
    assert Config().replace(job_retries=0).job_retries == 0
