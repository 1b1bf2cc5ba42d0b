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


def test_the_repr_of_a_config_shows_no_secret():
    config = Config.from_env({"CLAIMTRACK_API_KEYS": "ops:s3cr3t-key:admin,cms:an0ther:ingest",
                              "REDIS_URL": "redis://app:hunter2@127.0.0.1:6379/0"})
    shown = repr(config)
    assert "s3cr3t-key" not in shown and "an0ther" not in shown and "hunter2" not in shown
    assert "ops:***:admin" in shown and "redis://app:***@127.0.0.1:6379/0" in shown
    assert str(config) == shown


def test_run_sh_does_not_print_the_redis_password(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from helpers import free_port

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "VENV": str(Path(sys.executable).parent.parent),
           "REDIS_URL": f"redis://app:hunter2@127.0.0.1:{free_port()}/0"}
    done = subprocess.run(["bash", "scripts/run.sh"], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, "nothing answers on that port"
    assert "does not answer" in done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    assert "redis://app:***@127.0.0.1" in done.stderr


def test_operations_settings():
    config = Config.from_env({"CLAIMTRACK_STALL_AFTER": "120", "CLAIMTRACK_METRICS": "off",
                              "CLAIMTRACK_METRICS_PORT": "9100", "CLAIMTRACK_METRICS_ADDR": "0.0.0.0"})
    assert (config.stall_after, config.metrics, config.metrics_port, config.metrics_addr) == (120, False, 9100, "0.0.0.0")
    defaults = Config.from_env({})
    assert (defaults.stall_after, defaults.metrics, defaults.metrics_port) == (90, True, 0)
    with pytest.raises(ConfigError, match="CLAIMTRACK_STALL_AFTER"):
        Config.from_env({"CLAIMTRACK_STALL_AFTER": "0"})


def test_the_queue_redis_defaults_to_the_store_and_may_be_its_own():
    assert Config.from_env({"REDIS_URL": "redis://store:6379/0"}).queue_redis_url == "redis://store:6379/0"
    split = Config.from_env({"REDIS_URL": "redis://store:6379/0", "CLAIMTRACK_QUEUE_URL": "redis://jobs:6379/1"})
    assert split.queue_redis_url == "redis://jobs:6379/1"
    assert not split.redis_cluster


def test_a_cluster_store_needs_a_queue_redis_of_its_own():
    with pytest.raises(ConfigError, match="CLAIMTRACK_QUEUE_URL"):
        Config.from_env({"REDIS_URL": "redis://node1:7000", "CLAIMTRACK_REDIS_CLUSTER": "1"})
    config = Config.from_env({"REDIS_URL": "redis://node1:7000", "CLAIMTRACK_REDIS_CLUSTER": "1",
                              "CLAIMTRACK_QUEUE_URL": "redis://jobs:6379/0"})
    assert config.redis_cluster and config.queue_redis_url == "redis://jobs:6379/0"


@pytest.mark.parametrize("env,message", [
    ({"REDIS_URL": "redis://node1:7000/3"}, "database 3"),
    ({"REDIS_URL": "unix:///run/redis.sock"}, "redis://"),
    ({"CLAIMTRACK_REDIS_CLUSTER": "sometimes"}, "CLAIMTRACK_REDIS_CLUSTER"),
])
def test_cluster_settings_that_cannot_work_are_refused(env, message):
    env = {"CLAIMTRACK_REDIS_CLUSTER": "on", "CLAIMTRACK_QUEUE_URL": "redis://jobs:6379/0", **env}
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)


def test_the_queue_url_password_is_not_shown():
    config = Config.from_env({"CLAIMTRACK_QUEUE_URL": "redis://app:hunter2@jobs:6379/0"})
    assert "hunter2" not in repr(config)
