"""``query``: search the index by similarity, MMR, hybrid or full-text search.

Loads only what a search needs: the store and the embedding model, never the
ingestion, loading or admin modules.
"""

from typing import TYPE_CHECKING, Any

import typer

from langchain_s3vectors.app.cli.options import FilterOpt, JsonOpt, KOpt, ModeOpt, TextArg
from langchain_s3vectors.app.cli.state import (
    EXIT_USAGE,
    console,
    errors,
    fail,
    get_state,
    parse_filter,
    print_json,
    require_index,
)

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from langchain_s3vectors.searcher import S3VectorsSearcher

__all__ = ["MODES", "query"]

#: The search modes and the kind of score each prints ("higher is better" for all).
MODES: dict[str, str | None] = {
    "similarity": "relevance",
    "mmr": None,
    "hybrid": "fused",
    "fulltext": "bm25",
}
_SNIPPET = 300


def query(
    ctx: typer.Context,
    text: TextArg,
    *,
    k: KOpt = 4,
    filter_json: FilterOpt = None,
    mode: ModeOpt = "similarity",
    as_json: JsonOpt = False,
) -> None:
    """Search the index (similarity, mmr, hybrid or fulltext)."""
    if mode not in MODES:
        msg = f"--mode must be one of {', '.join(MODES)}, not {mode!r}"
        raise typer.BadParameter(msg)
    where = parse_filter(filter_json)
    if not text.strip():
        raise fail(
            "the query is empty: give some text to search for, e.g. "
            "s3vectors-rag query 'how do I rotate keys?'",
            EXIT_USAGE,
        )
    with errors():
        store = get_state(ctx).searcher()
        require_index(store)
        hits = _search(store, mode, text, k=k, where=where)
    rows = [
        {
            "id": doc.id,
            "score": score,
            "score_kind": MODES[mode],
            "metadata": doc.metadata,
            "text": doc.page_content,
        }
        for doc, score in hits
    ]
    if as_json:
        print_json(rows)
    else:
        _print_rows(rows)


def _search(
    store: "S3VectorsSearcher", mode: str, text: str, *, k: int, where: dict[str, Any] | None
) -> "list[tuple[Document, float | None]]":
    """The hits of one search; MMR has no score."""
    if mode == "similarity":
        return list(store.similarity_search_with_relevance_scores(text, k=k, filter=where))
    if mode == "mmr":
        docs = store.max_marginal_relevance_search(text, k=k, filter=where)
        return [(doc, None) for doc in docs]
    if mode == "hybrid":
        return list(store.hybrid_search(text, k=k, filter=where))
    return list(store.fulltext_search(text, k=k, filter=where))


def _print_rows(rows: list[dict[str, Any]]) -> None:
    out = console()
    if not rows:
        out.print("No results.")
    for rank, row in enumerate(rows, start=1):
        score = "" if row["score"] is None else f"  {row['score_kind']} {row['score']:.4f}"
        out.print(f"{rank}. {row['id']}{score}", markup=False, style="bold")
        snippet = " ".join(str(row["text"]).split())
        if len(snippet) > _SNIPPET:
            snippet = snippet[:_SNIPPET] + "..."
        out.print(snippet, markup=False)
