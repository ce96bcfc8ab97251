import pytest
from openai import OpenAI

from apps.api.services import api_key_create


@pytest.fixture
def alice_key(alice):
    return api_key_create(owner=alice, name="tests")[1]


@pytest.fixture
def bob_key(bob):
    return api_key_create(owner=bob, name="tests")[1]


@pytest.fixture
def openai_client(live_server, alice_key):
    return OpenAI(base_url=f"{live_server.url}/v1", api_key=alice_key, max_retries=0, timeout=120)
