"""examples/file_service.py chooses the full-text language of its index from the
settings (TEXT_SEARCH_LANGUAGE, environment or .env), with the real model."""

from __future__ import annotations

import file_service
from fastapi.testclient import TestClient

from langchain_s3vectors import S3VectorsStore


def test_text_search_language_setting_reaches_the_services_new_index(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("S3VECTORS_BACKEND", raising=False)
    monkeypatch.setenv("S3VECTORS_LOCAL_PATH", str(tmp_path / "kb"))
    monkeypatch.setenv("TEXT_SEARCH_LANGUAGE", "zh")
    with TestClient(file_service.create_app()) as client:
        body = "# 向量\n\n向量数据库用于相似度检索。".encode()
        upload = client.post("/files", files={"file": ("vectors.md", body, "text/markdown")})
        assert upload.status_code == 201, upload.text
        other = "今天的天气很好。".encode()
        assert client.post("/files", files={"file": ("weather.txt", other)}).status_code == 201
        hits = client.get("/search", params={"q": "检索", "mode": "fulltext"}).json()
        assert [hit["source"] for hit in hits] == ["vectors.md"]
        hybrid = client.get("/search", params={"q": "天气", "mode": "hybrid", "k": 2}).json()
        assert hybrid[0]["source"] == "weather.txt"
        store = client.app.state.store
    config = store.index_info()["metadataConfiguration"]["textSearchConfigurations"]
    assert [entry["language"] for entry in config] == ["zh"]
    assert store.recorded_embedding_identity().model == "all-MiniLM-L6-v2"


def test_an_en_index_says_why_a_chinese_search_matched_nothing(embedding, tmp_path):
    client = TestClient(file_service.create_app(S3VectorsStore.local(tmp_path, embedding)))
    body = "向量数据库用于相似度检索。".encode()
    assert client.post("/files", files={"file": ("vectors.txt", body)}).status_code == 201
    empty = client.get("/search", params={"q": "检索", "mode": "fulltext"})
    assert empty.json() == []
    notice = empty.headers["X-Search-Notice"]
    assert "language 'en'" in notice
    assert "TEXT_SEARCH_LANGUAGE" in notice
    found = client.get("/search", params={"q": "vectors", "mode": "fulltext"})
    assert "X-Search-Notice" not in found.headers
