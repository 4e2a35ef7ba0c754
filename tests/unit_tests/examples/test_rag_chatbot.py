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
