"""examples/rag_chatbot.py: the LCEL chain, offline stand-in and configured models."""

from __future__ import annotations

import re

import pytest
import rag_chatbot
from langchain_core.language_models import FakeListChatModel


def test_offline_answer_quotes_and_cites_retrieved_passages(corpus_store, capsys):
    result = rag_chatbot.ask(corpus_store, "How do I stop database is locked errors in SQLite?")
    out = capsys.readouterr().out
    assert out.startswith(f"Chat model: {rag_chatbot.OFFLINE_LABEL}\n")
    assert "offline extractive stand-in" in out
    cited = re.findall(r"\[([^\]]+)\]", result["answer"])
    sources = rag_chatbot.sources(result["docs"])
    assert cited
    assert set(cited) <= set(sources)
    assert sources[0] == "sqlite-busy-timeout.md"
    assert "busy timeout" in result["answer"]
    for source in sources:
        assert f"  - {source}" in out
    text = " ".join(d.page_content for d in result["docs"])
    for sentence in re.split(r" \[[^\]]+\] ?", result["answer"]):
        if sentence:
            assert sentence in " ".join(text.split())


def test_configured_model_gets_prompt_with_labelled_passages(corpus_store, capsys):
    llm = FakeListChatModel(responses=["Retry with backoff [http-retries-backoff.md]."])
    seen = []
    llm = llm.with_listeners(on_start=lambda run: seen.append(run.inputs))
    result = rag_chatbot.ask(corpus_store, "How should a client retry?", llm=llm, label="fake")
    assert result["answer"] == "Retry with backoff [http-retries-backoff.md]."
    assert "Chat model: fake" in capsys.readouterr().out
    prompt = str(seen[0])
    assert "Answer the question using only the passages below" in prompt
    for source in rag_chatbot.sources(result["docs"]):
        assert f"[{source}]" in prompt


def test_chat_model_from_env(monkeypatch):
    monkeypatch.delenv("CHAT_MODEL", raising=False)
    assert rag_chatbot.chat_model_from_env() == (None, rag_chatbot.OFFLINE_LABEL)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    model, label = rag_chatbot.chat_model_from_env("bedrock:anthropic.claude-3-haiku-20240307-v1:0")
    assert type(model).__name__ == "ChatBedrockConverse"
    assert label.startswith("bedrock:")
    with pytest.raises(SystemExit, match="langchain"):
        # Not installed here: the message says what to install.
        rag_chatbot.chat_model_from_env("openai:gpt-4o-mini")


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """No AWS credentials or configuration anywhere."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CHAT_MODEL", "bedrock:anthropic.claude-3-haiku-20240307-v1:0")


@pytest.mark.usefixtures("no_aws")
def test_bedrock_without_credentials_is_one_line_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(SystemExit) as caught:
        rag_chatbot.main(["a question", "--path", str(tmp_path / "store")])
    message = caught.value.code
    assert isinstance(message, str)
    assert "\n" not in message
    assert message.startswith("CHAT_MODEL='bedrock:anthropic.claude-3-haiku-20240307-v1:0' needs")
    assert "aws configure" in message
    assert "unset CHAT_MODEL" in message
    assert not (tmp_path / "store").exists()  # refused before any work


@pytest.mark.usefixtures("no_aws")
def test_bedrock_without_a_region_is_one_line_with_the_fix():
    with pytest.raises(SystemExit) as caught:
        rag_chatbot.chat_model_from_env()
    assert isinstance(caught.value.code, str)
    assert "needs an AWS region: set AWS_REGION" in caught.value.code
