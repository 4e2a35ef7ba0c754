"""Loading the embedding model: no implicit downloads, no progress bar unless asked."""

from __future__ import annotations

import langchain_huggingface
import pytest

from langchain_s3vectors.app import embeddings as emb_mod
from langchain_s3vectors.app.embeddings import default_embeddings
from langchain_s3vectors.errors import ConfigurationError


def test_a_model_that_is_not_installed_fails_at_once_without_downloading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without HF_HUB_OFFLINE, sentence-transformers would try the hub and retry for
    # about a minute before failing; the check happens before it is ever asked.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # never the internet

    def must_not_load(**_: object) -> None:
        raise AssertionError("HuggingFaceEmbeddings was asked to load a missing model")

    monkeypatch.setattr(langchain_huggingface, "HuggingFaceEmbeddings", must_not_load)
    with pytest.raises(ConfigurationError) as info:
        default_embeddings("someone/not-installed-model", device="cpu")
    message = str(info.value)
    assert message.startswith(
        "Embedding model 'someone/not-installed-model' is not installed: "
        "'someone/not-installed-model' is neither a local directory nor in the Hugging Face "
        "cache, and models are never downloaded implicitly. To use it, download it once with "
        "`hf download someone/not-installed-model`, or point EMBEDDING_MODEL at a model "
        "directory."
    )
    assert "\n" not in message


def test_loading_shows_no_progress_bar_unless_asked(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(emb_mod, "_CACHE", {})
    default_embeddings(device="cpu", backend="torch")
    assert "Loading weights" not in capfd.readouterr().err
    monkeypatch.setattr(emb_mod, "_CACHE", {})
    default_embeddings(device="cpu", backend="torch", show_progress=True)
    assert "Loading weights" in capfd.readouterr().err
